/* Reports of a fitted model's errors at each training time: table, CSV or
 * JSON (DESIGN.md §4), and the per-row predictions file. */
#ifndef NTK_CLI_REPORT_H
#define NTK_CLI_REPORT_H

#include <stdio.h>

#include "ntk/model.h"

typedef struct {
    const ntk_model *model;
    int target_scaling;
    size_t n_train, n_test;
    const double *train_y, *test_y;           /* targets (class index for classification) */
    const double *train_scores, *test_scores; /* n_times × n × k; test may be NULL */
    double seconds_load, seconds_predict, seconds_total;
    int threads;
    const void *selection;  /* cli_select_opts when --select was used, else NULL */
} cli_report;

/* Write the report in format "table", "csv" or "json". */
void cli_report_write(FILE *f, const char *format, const cli_report *r);

/* The model's hyperparameters as a JSON object. */
void cli_report_model_json(FILE *f, const ntk_model *m, int target_scaling);

/* One row per row of scores (m rows): regression: a column "t=<t>" per time;
 * classification: the predicted label per time. */
void cli_predictions_write(FILE *f, const ntk_model *m, const double *scores, size_t rows);

#endif

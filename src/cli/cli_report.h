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

/* Predictive uncertainty on the test rows (ntk eval --uncertainty). */
typedef struct {
    const double *test_var; /* n_times × n_test predictive variances of y, original units */
    double var_floor;       /* variances are raised to this for NLPD and coverage (> 0) */
    double noise_var;       /* observation-noise variance included in test_var */
} cli_uncertainty;

/* The report with calibration columns/keys added when u is non-NULL
 * (regression only): JSON test metrics gain nlpd, coverage_50, coverage_90,
 * coverage_95; CSV gains test_nlpd,test_coverage_50,...; the table gains
 * columns. u = NULL is cli_report_write. */
void cli_report_write_u(FILE *f, const char *format, const cli_report *r,
                        const cli_uncertainty *u);

/* The model's hyperparameters as a JSON object. */
void cli_report_model_json(FILE *f, const ntk_model *m, int target_scaling);

/* One row per row of scores (m rows): regression: a column "t=<t>" per time;
 * classification: the predicted label per time. */
void cli_predictions_write(FILE *f, const ntk_model *m, const double *scores, size_t rows);

/* Regression predictions with a column "std@t=<t>" (√variance) beside each
 * "t=<t>" column; var is n_times × rows (NULL: cli_predictions_write). */
void cli_predictions_write_u(FILE *f, const ntk_model *m, const double *scores,
                             const double *var, size_t rows);

/* The two halves of cli_predictions_write_u, for predictions written chunk
 * by chunk (ntk predict --stream): the header line, then rows. */
void cli_predictions_header(FILE *f, const ntk_model *m, int with_std);
void cli_predictions_rows(FILE *f, const ntk_model *m, const double *scores, const double *var,
                          size_t rows);

#endif

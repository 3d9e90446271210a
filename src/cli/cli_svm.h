/* The hinge loss (C-SVM) on the command line: --loss, --C, --class-weight,
 * --svm-eps, their resolution against the training classes, the JSON model
 * fields and the decision-value columns of --predictions. */
#ifndef NTK_CLI_SVM_H
#define NTK_CLI_SVM_H

#include <stdio.h>

#include "cli_opts.h"
#include "ntk/select.h"

/* Handle one of the SVM options (1 handled, 0 not ours, -1 bad value). */
int cli_svm_opts_handle(const char *cmd, int id, const char *arg, cli_model_opts *o);

/* After the data are loaded: refuse the hinge loss on regression (exit 2),
 * resolve --class-weight against the encoder's classes.
 * Returns an exit code (0: go on). */
int cli_svm_prepare(const char *cmd, cli_model_opts *o, const ntk_dataset *train,
                    const ntk_encoder *enc, int selecting);

/* ", \"loss\": ..." fields of the JSON model object (square: the loss only). */
void cli_svm_model_json(FILE *f, const ntk_model *m);

/* Predictions of a hinge model with decision values: the label column
 * "t=inf" then one column per pair "dec:A|B" (positive: A), pairs in
 * ntk/svm.h's order. */
void cli_svm_predictions_write(FILE *f, const ntk_model *m, const double *votes,
                               const double *dec, size_t rows);

/* Decision values of rows X for --decision-values (malloc'ed rows × pairs),
 * or NULL with err set. */
double *cli_svm_decision(const ntk_model *m, const double *X, size_t rows, int threads,
                         ntk_error *err);

/* ---- the losses in --select (#20) */

/* --C-grid (into *owned, p->C_grid) and --hinge-kernels: 1 handled, 0 not
 * ours, -1 bad value (message printed). */
int cli_svm_select_handle(const char *cmd, int id, const char *arg, ntk_select_params *p,
                          double **owned);

/* The losses the search weighs: --loss as given; else both for
 * classification unless square_only (the fit takes a path without the SVM).
 * --loss hinge --C fixes the grid to that C (absolute); eps and class weights
 * come from o. */
void cli_svm_select_losses(const cli_model_opts *o, ntk_select_params *p, int square_only);

/* The winner's loss (and C) into o. */
void cli_svm_select_apply(cli_model_opts *o, const ntk_select_result *r);

#endif

/* Private to the library: pieces of ntk_model_train (model.c) that the
 * streamed training (model_stream.c) shares, so both build the same model. */
#ifndef NTK_MODEL_INTERNAL_H
#define NTK_MODEL_INTERNAL_H

#include "ntk/model.h"
#include "ntk/nystrom.h"

/* Targets as the solver sees them (n×k): standardized regression values
 * (setting m->y_mean, y_scale) or centered one-hot rows; ds->y and ds->n are
 * read. NULL when out of memory. */
double *model_targets(const ntk_dataset *ds, ntk_model *m, int scaling, ntk_error *err);

/* A new model owning enc (freed on failure: NULL, NTK_ENOMEM in err) with
 * p's architecture, kernel kind and loss. */
ntk_model *model_new(ntk_encoder *enc, const ntk_train_params *p, ntk_error *err);

/* The fields of a square-loss model from p and the encoder (m->encoder
 * set): hyperparameters, times, task, k, n, d. */
ntk_status model_init_square(ntk_model *m, const ntk_train_params *p, size_t n, size_t d,
                             ntk_error *err);

/* Move a Nyström fit into the model (centers, coefficients, what the fit
 * did; training scores unscaled into *train_scores when asked); frees r. */
void model_adopt_nystrom(ntk_model *m, ntk_nystrom_fit_result *r, double t0, double **train_scores);

#endif

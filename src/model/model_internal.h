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

/* The test kernel in row blocks of at most 64 MiB (at least 64 rows), so
 * that prediction needs the same memory whatever the number of test rows:
 * for each block Kb (b×n row-major) = Θ(X[r0 .. r0 + b), the model's
 * training rows), then fn(ctx, Kb, r0, b). Reports "predict" progress and
 * stops (NTK_EFAILED) when it is interrupted. *block_rows (may be NULL)
 * receives the largest b before the first call, for the caller's per-block
 * scratch. */
typedef void (*model_block_fn)(void *ctx, const double *Kb, size_t r0, size_t b);
size_t model_block_rows(const ntk_model *m, size_t rows);
ntk_status model_test_blocks(const ntk_model *m, const double *X, size_t rows, int threads,
                             const ntk_progress *progress, model_block_fn fn, void *ctx,
                             ntk_error *err);

#endif

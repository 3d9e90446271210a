/* ntk/evaluate.h — fit on a training set and evaluate on a test set: what
 * `ntk eval` computes, as plain data (the command line only parses and
 * prints). */
#ifndef NTK_EVALUATE_H
#define NTK_EVALUATE_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/metrics.h"
#include "ntk/model.h"
#include "ntk/uncertainty.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Predictive variances are floored at this fraction of the training targets'
 * variance for the NLPD and interval coverage (a zero variance, e.g. a test
 * row equal to a training row at t = inf with no ridge, would make the NLPD
 * infinite). */
#define NTK_VAR_FLOOR_FRACTION 1e-9

/* Metrics of one time's outputs: reg for regression, cls for classification
 * (the other is zeroed). */
typedef struct {
    ntk_regression_metrics reg;
    ntk_classification_metrics cls;
} ntk_time_metrics;

/* Metrics at time index t of scores (n_times × n × k, as ntk_model_predict
 * returns) against targets y (original units, or class index as a double).
 * confusion (k×k, may be NULL) receives the classification confusion matrix.
 * NTK_ENOMEM (accuracy then NAN) if label buffers cannot be allocated. */
NTK_API ntk_status ntk_model_metrics(const ntk_model *model, const double *y, const double *scores,
                             size_t n, size_t t, size_t *confusion, ntk_time_metrics *out,
                             ntk_error *err);

/* Population variance of n targets; 1 when it is not positive (constant or
 * empty targets), so that relative noise and floors stay meaningful. */
NTK_API double ntk_target_variance(const double *y, size_t n);

/* Options of ntk_evaluate. */
typedef struct {
    int threads;            /* prediction threads (0 = default) */
    ntk_progress progress;  /* prediction and uncertainty progress */
    int uncertainty;        /* regression: predictive variances of the test rows */
    double noise;           /* observation noise added to them, × training target variance */
    int noise_reg;          /* 1: the noise is the model's ridge instead (in target units) */
} ntk_evaluate_options;

/* Zero everything (no uncertainty, no noise, default threads). */
NTK_API void ntk_evaluate_options_init(ntk_evaluate_options *o);

/* Everything ntk_evaluate produced; all arrays are malloc'ed and owned by the
 * struct (free with ntk_evaluation_free). */
typedef struct {
    ntk_model *model;
    double *train_scores;     /* n_times × n_train × k fitted outputs */
    double *test_scores;      /* n_times × n_test × k, NULL without test set */
    double *test_var;         /* n_times × n_test predictive variances of y (noise
                               * included), NULL without uncertainty */
    double noise_var;         /* observation-noise variance included in test_var */
    double var_floor;         /* NTK_VAR_FLOOR_FRACTION × training target variance */
    ntk_uncertainty_stats ustats;
    double seconds_predict;   /* test prediction and uncertainty */
} ntk_evaluation;

/* Train on `train` (ntk_model_train with p; p->engine also runs the test
 * prediction), then predict `test` (may be NULL) and, if o->uncertainty,
 * compute the test rows' predictive variances plus observation noise.
 * The model gets its own copy of `enc` (the caller keeps enc). Uncertainty needs a regression task and the local engine
 * (NTK_EINPUT otherwise). o may be NULL (defaults). On failure *out is
 * zeroed and nothing needs freeing. */
NTK_API ntk_status ntk_evaluate(const ntk_dataset *train, const ntk_encoder *enc,
                                const ntk_dataset *test,
                        const ntk_train_params *p, const ntk_evaluate_options *o,
                        ntk_evaluation *out, ntk_error *err);

/* Free the arrays and model of an evaluation and zero it (NULL is fine). */
NTK_API void ntk_evaluation_free(ntk_evaluation *ev);

#ifdef __cplusplus
}
#endif
#endif

/* ntk/compare.h — finite-width networks against the infinite-width NTK
 * predictor (the experiment behind `ntk compare` and the Python package's
 * ntk.compare; docs/network.md).
 *
 * For each width, `seeds` networks (NTK parameterization, the model's
 * architecture) are trained by full-batch gradient descent on the encoded
 * training rows, and at each requested step count their train/test errors,
 * the NTK predictor's errors at the same time and the RMSE between the
 * networks' mean test prediction and the predictor's are recorded, with the
 * distance of the networks' empirical kernel from the analytic one at
 * initialization and its change during training.
 *
 * Time: s steps with learning rate η on the loss of the time scale (sum:
 * ½Σ(f−y)²; mean: ½·mean over n·k entries) are time t = s of the predictor
 * with the same η and time scale: linearized, s steps multiply the residual by
 * (I − ηcΘ)^s ≈ e^{−ηcΘs}. Errors are RMSE in the target's units
 * (regression) or accuracy (classification), as `ntk eval` reports them.
 */
#ifndef NTK_COMPARE_H
#define NTK_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest step count accepted in train.solve.times. */
#define NTK_COMPARE_MAX_STEPS 100000000.0

typedef struct {
    ntk_train_params train;   /* architecture, kind, ridge (the predictor's only; the
                               * networks train without one), lr, time scale, threads;
                               * solve.times: step counts (integers ≥ 0) */
    int lr_given;             /* 0: η = 1/(c·λ_max) of the analytic training kernel;
                               * 1: train.solve.lr, refused (NTK_EINPUT) if η·c·λ_max ≥ 2 */
    const size_t *widths;     /* hidden widths, each ≥ 1 */
    size_t n_widths;
    int seeds;                /* networks per width (seeds seed, seed+1, ...), ≥ 1 */
    uint64_t seed;
    int raw;                  /* 1: raw networks f against the linearized predictor from
                               * their mean initial function; 0 (default): centered
                               * networks f − f0 against the NTK predictor from zero */
    ntk_progress progress;    /* stages "widths" and "width W, seed S/N: steps" */
} ntk_compare_params;

/* Defaults: ntk_train_params_init, lr not given, one seed, seed 0, centered;
 * widths and times must be set. */
NTK_API void ntk_compare_params_init(ntk_compare_params *p);

/* One width. Arrays have n_times entries (the order of train.solve.times). */
typedef struct {
    size_t width;
    double *net_train, *net_test;  /* the networks' (mean prediction's) errors */
    double *ref_train, *ref_test;  /* the NTK (or linearized, raw) predictor's errors */
    double *gap;                   /* RMSE between their test predictions (all outputs) */
    double init_rel_dist;          /* mean over seeds of ‖Θ̂₀ − Θ‖_F/‖Θ‖_F */
    double init_rel_dist_mean;     /* ‖mean Θ̂₀ − Θ‖_F/‖Θ‖_F */
    double change_rel;             /* mean over seeds of ‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F */
    double lambda_max_init;        /* mean over seeds of λ_max(Θ̂₀) */
    double *seed_lambda_max;       /* seeds: λ_max(Θ̂₀) of each seed (η·c·λ ≥ 2 may diverge) */
    double seconds;
} ntk_compare_width;

typedef struct {
    ntk_task task;
    size_t n, n_test, d, k;
    size_t n_times;
    double *times;                 /* the step counts, as requested */
    double lr;                     /* η used (given or 1/(c·λ_max)) */
    double c;                      /* 1 (sum) or 1/(n·k) (mean) */
    double lambda_max;             /* λ_max of the analytic training kernel */
    int seeds, raw;
    ntk_model *model;              /* the NTK predictor at the same times (owned) */
    size_t n_widths;               /* widths completed (all of them on success) */
    ntk_compare_width *widths;
} ntk_compare_result;

/* Run the experiment on encoded data: `train` and `test` encoded with `enc`
 * (targets present). Takes ownership of enc (it ends up in the result's
 * model; freed on failure too). NTK_EINPUT for bad parameters (times that are
 * not step counts, widths or seeds out of range, an η that diverges on the
 * analytic kernel, a zero training kernel); NTK_ENUMERIC if a network
 * diverges. */
NTK_API ntk_status ntk_compare_run(const ntk_dataset *train, const ntk_dataset *test, ntk_encoder *enc,
                           const ntk_compare_params *p, ntk_compare_result **out, ntk_error *err);

NTK_API void ntk_compare_result_free(ntk_compare_result *r);

#ifdef __cplusplus
}
#endif
#endif

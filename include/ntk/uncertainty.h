/* ntk/uncertainty.h — predictive (co)variance of the infinite ensemble of
 * infinitely wide networks trained by gradient flow (the NTK-GP), and the
 * Bayesian (NNGP) posterior.
 *
 * Notation: X the n training inputs, x* the m test inputs, Θ the kernel that
 * drives training (the NTK, or the NNGP kernel for --kind nngp), K the NNGP
 * kernel (the covariance of the network at initialization), λ the absolute
 * ridge, A = Θ(X,X) + λI (the matrix of the mean predictor, ntk/solver.h),
 * s = η·c·t with c = 1 (time scale sum) or 1/(N·k) (mean), and
 *
 *     U_t = Θ(x*,X) A⁻¹ (I − e^{−sA})           (m×n; U_∞ = Θ(x*,X) A⁻¹)
 *
 * so that the mean is f_t(x*) = U_t Y (exactly the existing predictor).
 *
 * NTK (Lee et al. 2019; neural-tangents gradient_descent_mse_ensemble with
 * compute_cov=True, 'ntk'): the linearized network started at f_0 ~ GP(0, K)
 * and trained by gradient flow with the ridge acting as weight decay towards
 * the initialization is f_t(x*) = f_0(x*) − U_t (f_0(X) − Y), hence
 *
 *     Σ_t = K(x*,x*) + U_t K(X,X) U_tᵀ − U_t K(X,x*) − K(x*,X) U_tᵀ,
 *
 * with K(X,X) NOT regularized (as neural-tangents).
 *
 * NNGP (Θ = K: only the readout is trained; neural-tangents 'nngp'): the ridge
 * is the observation-noise variance of a Bayesian posterior, i.e. the same
 * formula with K(X,X) replaced by K(X,X) + λI in the quadratic term. In the
 * eigenbasis A = V diag(a) Vᵀ, with P = K(x*,X) V:
 *
 *     Σ_t = K(x*,x*) − P diag((1 − e^{−2 s a})/a) Pᵀ,
 *     Σ_∞ = K(x*,x*) − K(x*,X) A⁻¹ K(X,x*)        (the GP posterior).
 *
 * For k outputs (classification) the covariance is the same for every output
 * (the kernels are Θ ⊗ I_k); c = 1/(N·k) uses this k.
 *
 * Paths, as the solver: Cholesky when every time is ∞, else one symmetric
 * eigendecomposition serves every time (the time enters only as a diagonal
 * rescaling in the eigenbasis). Variances are never negative: values below
 * zero by rounding are clamped to 0; values below −1e-8 × (the size of the
 * terms that cancel) are also clamped but counted as materially negative in
 * ntk_uncertainty_stats.
 */
#ifndef NTK_UNCERTAINTY_H
#define NTK_UNCERTAINTY_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/kernel.h"
#include "ntk/model.h"
#include "ntk/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ensemble's training-side description. */
typedef struct {
    ntk_kernel_kind kind;      /* NTK: Θ trains, K is the prior; NNGP: K does both */
    double reg_abs;            /* λ ≥ 0, absolute */
    double lr;                 /* η > 0 */
    ntk_time_scale time_scale; /* c = 1 (sum) or 1/(N·k) (mean) */
    size_t k;                  /* outputs per row (for c); 0 is taken as 1 */
    const double *times;       /* n_times values ≥ 0; INFINITY for t = ∞ */
    size_t n_times;
    double jitter;             /* diagonal added to A for t = ∞: < 0 chooses it like
                                  the solver (escalating ladder if A is singular);
                                  ≥ 0 uses exactly this value (pass the model's) */
    ntk_solve_method method;   /* AUTO: Cholesky iff every time is ∞ (as the solver) */
    ntk_progress progress;
} ntk_ensemble_params;

/* Defaults: NTK, reg 0, lr 1, time scale sum, k 1, jitter −1 (automatic),
 * method auto, no times (set them). */
NTK_API void ntk_ensemble_params_init(ntk_ensemble_params *p);

/* What the covariance computation had to do. */
typedef struct {
    size_t n_clamped;       /* variances slightly below 0 by rounding, set to 0 */
    size_t n_negative;      /* of those, materially negative ones (see above) */
    double most_negative;   /* most negative relative value −var/scale seen (0: none) */
    double jitter;          /* diagonal added to A for t = ∞ */
    size_t n_eig_clamped;   /* negative eigenvalues of A clamped to 0 (eigen path) */
    int used_eigen;         /* 1 if the eigendecomposition was used */
} ntk_uncertainty_stats;

/* The training side, factored once: the eigendecomposition of A (and
 * Vᵀ K(X,X) V for the NTK), or the Cholesky factor of A + jitter·I. */
typedef struct ntk_ensemble ntk_ensemble;

/* Factor the training side. `theta` is Θ(X,X) (n×n, symmetric, row-major) and
 * `nngp` is K(X,X); for kind NNGP pass nngp = NULL (Θ = K). Both must come
 * from malloc: the ensemble takes ownership of them (they are factored in
 * place and freed by ntk_ensemble_free, or here on failure). Memory: theta
 * and nngp themselves, plus one transient n×n on the NTK eigen path.
 * NTK_EINPUT for bad parameters, NTK_ENUMERIC if A cannot be factored. */
NTK_API ntk_status ntk_ensemble_prepare(double *theta, double *nngp, size_t n,
                                const ntk_ensemble_params *p, ntk_ensemble **out,
                                ntk_error *err);

/* Number of training rows and of times of a prepared ensemble. */
NTK_API size_t ntk_ensemble_n(const ntk_ensemble *e);
NTK_API size_t ntk_ensemble_n_times(const ntk_ensemble *e);

/* The jitter actually used for t = ∞ (0 if none). */
NTK_API double ntk_ensemble_jitter(const ntk_ensemble *e);

/* Covariance at m test points, in the solver's target units (standardized
 * targets for a scaled regression model). theta_st = Θ(x*,X) (m×n row-major),
 * nngp_st = K(x*,X) (m×n; NULL for kind NNGP, where it is theta_st), prior =
 * K(x*,x*): its diagonal (m values) when full = 0, the m×m matrix when
 * full = 1. out receives n_times blocks: m variances each (full = 0), or the
 * m×m covariance each (full = 1; its diagonal clamped as described above).
 * stats may be NULL; counts are added to it (initialize it to zero).
 * Extra memory O(m·n) (and O(m²) for full). */
NTK_API ntk_status ntk_ensemble_covariance(const ntk_ensemble *e, const double *theta_st,
                                   const double *nngp_st, const double *prior, size_t m,
                                   int full, double *out, ntk_uncertainty_stats *stats,
                                   ntk_error *err);

NTK_API void ntk_ensemble_free(ntk_ensemble *e);

/* K(x,x) for each of m rows (m×d), the NNGP kernel's diagonal by the
 * one-input recursion (correlation exactly 1), equal to the diagonal of
 * ntk_kernel_eval(a, NTK_KIND_NNGP, X, m, NULL, ...). */
NTK_API ntk_status ntk_nngp_diagonal(const ntk_arch *a, const double *X, size_t m, size_t d, double *out,
                             ntk_error *err);

/* Options of ntk_model_uncertainty. */
typedef struct {
    int full_covariance;    /* 0 (default): per-row variances; 1: m×m per time */
    int threads;            /* kernel threads (0 = default) */
    ntk_progress progress;  /* stage "uncertainty" */
} ntk_uncertainty_options;

/* Predictive covariance of a trained model's ensemble at m encoded rows X
 * (m×d), at every time of the model, in ORIGINAL target units (× y_scale²
 * for a regression model with target scaling; class-score units otherwise;
 * the same value for each of the k outputs). out: n_times × m (variances)
 * or n_times × m × m (full_covariance). The training kernels Θ(X,X) and
 * K(X,X) are recomputed from the model's training inputs and factored once
 * (with the model's ridge and jitter, so the mean is exactly the model's);
 * test rows are processed in blocks (per-row variances). opt and stats may
 * be NULL. This is the variance of the latent function f(x*); add an
 * observation-noise variance yourself for the predictive distribution of y. */
NTK_API ntk_status ntk_model_uncertainty(const ntk_model *model, const double *X, size_t m,
                                 const ntk_uncertainty_options *opt, double *out,
                                 ntk_uncertainty_stats *stats, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

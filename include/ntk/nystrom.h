/* ntk/nystrom.h — the scalable path: the NTK gradient-flow predictor on a
 * Nyström subspace (docs/nystrom.md has the derivation).
 *
 * M centers C are chosen among the training rows. With the Cholesky factor
 * L Lᵀ = Θ(C,C) + εI, the features φ(x) = L⁻¹ Θ(C,x) ∈ R^M reproduce the
 * kernel on the span of the centers: φ(x)ᵀφ(x') = Θ(x,C) Θ(C,C)⁻¹ Θ(C,x').
 * The linear model f(x) = φ(x)ᵀw trained by gradient flow on
 * ½Σ(f−y)² + ½λ‖w‖² from w = 0 has, with ΦᵀΦ = V diag(μ) Vᵀ (Φ = n×M
 * training features), the closed form
 *     w_t = V diag((1 − e^{−s(μ+λ)})/(μ+λ)) Vᵀ Φᵀ Y,   s = η·c·t,
 * and f_t(x) = Θ(x,C)·β_t with β_t = L⁻ᵀ w_t (M×k). One M×M
 * eigendecomposition serves every time and t = ∞ (the Nyström kernel ridge
 * regression solution); when every time is ∞, one Cholesky of ΦᵀΦ + λI. With every training row a center (M = n) this is
 * the dense predictor exactly (see docs/nystrom.md).
 *
 * Memory: O(n·d + M² + block·M); the n×M cross kernel Θ(X,C) is streamed in
 * row blocks (ΘᵀΘ and ΘᵀY accumulated block by block) and kept whole only when
 * it fits the memory budget (then the training predictions reuse it instead
 * of evaluating it again). Time: n·M² (the Gram accumulation) + O(M³).
 */
#ifndef NTK_NYSTROM_H
#define NTK_NYSTROM_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"
#include "ntk/kernel.h"
#include "ntk/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which solver a fit uses (ntk_train_params.solver). AUTO: Nyström when
 * ntk_nystrom_auto says the dense kernel does not fit in memory or time. */
typedef enum {
    NTK_SOLVER_AUTO = 0,
    NTK_SOLVER_DENSE = 1,
    NTK_SOLVER_NYSTROM = 2
} ntk_solver_choice;

/* How the centers are chosen among the training rows.
 * UNIFORM: distinct rows uniformly at random (a row equal to a chosen one is
 *   skipped, so Θ(C,C) is not singular because of duplicates).
 * RPCHOLESKY: randomly pivoted Cholesky (adaptive sampling: each block of
 *   centers is drawn with probability proportional to the current Nyström
 *   residual Θ(x,x) − φ(x)ᵀφ(x), then the residual is updated) on a pool of
 *   at most NTK_NYSTROM_POOL_MAX(M) rows. Never picks a row the chosen centers
 *   already represent; stops early if the pool's residual vanishes.
 * KMEANS: k-means++ seeding and 10 Lloyd iterations on a uniform pool of
 *   max(20000, 10M) rows; the centers of a fit are the cluster means (not
 *   rows; fewer than M only when the pool has fewer distinct rows), and
 *   ntk_nystrom_select returns each cluster's member nearest to its mean. */
typedef enum {
    NTK_CENTERS_UNIFORM = 0,
    NTK_CENTERS_RPCHOLESKY = 1,
    NTK_CENTERS_KMEANS = 2
} ntk_center_method;

/* Rows above which AUTO always takes the Nyström path (the dense kernel at
 * n = 30000 is 7.2 GB and an hour-scale solve on 2 cores). */
#define NTK_NYSTROM_AUTO_N 30000

/* Several processes sharing one fit (ntk-mpi): each holds every row but
 * evaluates the cross kernel only for rows row_begin..row_end−1; the
 * library stays free of MPI by calling `sync` at its three meeting points
 * (centers, Gram, training predictions). sync(ctx, st, buf, count, err) must
 * first agree on the worst status over all processes (returned, with its
 * message in err), and only if every one is NTK_OK replace buf (count
 * doubles) by its sum over all processes. The process with `root` = 1 puts
 * the center indices in; the others contribute zeros. Every process gets the
 * same result; every one must call ntk_nystrom_fit with the same inputs. */
typedef struct {
    size_t row_begin, row_end;
    int root;
    ntk_status (*sync)(void *ctx, ntk_status st, double *buf, size_t count, ntk_error *err);
    void *ctx;
    /* A streamed training (ntk_model_train_stream) learns n only from its
     * first pass: with parts > 0 it sets row_begin..row_end to
     * ⌊n·part/parts⌋ … ⌊n·(part+1)/parts⌋ − 1 itself (0: as given). */
    size_t part, parts;
} ntk_nystrom_split;

typedef struct {
    size_t centers;            /* M; 0: ntk_nystrom_default_centers */
    ntk_center_method selection;
    uint64_t seed;             /* center sampling */
    size_t block_rows;         /* rows per cross-kernel block; 0: ~64 MB blocks */
    int keep_cross;            /* −1 (default): keep Θ(X,C) whole iff it fits the
                                * budget; 0: always stream; 1: always keep */
    size_t cross_budget;       /* bytes allowed for Θ(X,C) with keep_cross = −1;
                                * 0: min(2 GiB, available memory / 4) */
    double jitter;             /* ε/mean(diag Θ(C,C)) added before the Cholesky
                                * (default 1e-12; escalated ×10 if it fails; 0
                                * tries the bare matrix first) */
    size_t residual_rows;      /* training rows sampled for the residual estimate
                                * (default 1000; 0: none) */
    const ntk_nystrom_split *split; /* NULL (default): this process alone */
} ntk_nystrom_params;

/* Defaults as documented in the fields above. */
NTK_API void ntk_nystrom_params_init(ntk_nystrom_params *p);

/* Returns NULL if valid, else a static message. */
NTK_API const char *ntk_nystrom_params_check(const ntk_nystrom_params *p);

/* Default M for n rows and k outputs: min(n, max(2000, ⌈√n⌉·k)), capped at
 * 8000 (M² memory and M³ time). */
NTK_API size_t ntk_nystrom_default_centers(size_t n, size_t k);

/* The AUTO rule: 1 if a dense fit of n rows is past the limit — n >
 * NTK_NYSTROM_AUTO_N, or its n×n kernel (8n² bytes, ×3 when finite times need
 * the eigendecomposition, i.e. n < NTK_CHEB_MIN_N; ×½ in float) exceeds half of
 * the available memory. `float_kernel` = 1 for --precision float. */
NTK_API int ntk_nystrom_auto(size_t n, const double *times, size_t n_times, int float_kernel);

/* Human name of a center method ("uniform", "rpcholesky"). */
NTK_API const char *ntk_center_method_name(ntk_center_method m);

/* Choose up to M centers among the n rows of X (n×d): their row indices in
 * idx (capacity M), *chosen ≤ M of them (fewer only when X has fewer distinct
 * rows, or for RPCHOLESKY when the pool's residual vanishes). Deterministic
 * for a seed. */
NTK_API ntk_status ntk_nystrom_select(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                              size_t d, size_t M, ntk_center_method method, uint64_t seed,
                              int threads, size_t *idx, size_t *chosen, ntk_error *err);

/* A fitted Nyström predictor and what the fit had to do. */
typedef struct {
    size_t n, d, M, k, n_times;
    double *centers;         /* M×d (row-major): the chosen training rows */
    size_t *center_rows;     /* M row indices into X (k-means: the row nearest each mean) */
    double *times;           /* n_times copy */
    double *coef;            /* n_times blocks of M×k: β_t, f_t(x) = Θ(x,C)·β_t */
    double *train_pred;      /* n_times blocks of n×k (if asked), else NULL */
    double reg_abs;          /* λ actually used (relative: × mean_diag) */
    double mean_diag;        /* mean of Θ(x,x) over the n training rows */
    double jitter_centers;   /* ε added to Θ(C,C) before its Cholesky */
    double jitter;           /* extra added to μ + λ for t = ∞ (solver_eigen_jitter rule) */
    double most_negative;    /* most negative eigenvalue of ΦᵀΦ clamped to 0 */
    size_t n_clamped;
    double eig_min, eig_max; /* of ΦᵀΦ + λI (eigen path; NAN otherwise) */
    int used_eigen;          /* 1: eigendecomposition (some finite time); 0: every
                              * time is ∞, one Cholesky of ΦᵀΦ + λI (jitter ladder
                              * of the dense path, reported in `jitter`) */
    /* Approximation estimate on residual_rows evenly spaced training rows:
     * mean of Θ(x,x) − Θ(x,C)(Θ(C,C)+εI)⁻¹Θ(C,x), absolute and ÷ mean diag. */
    size_t residual_rows;
    double residual_mean, residual_rel;
    int streamed;            /* 1: Θ(X,C) evaluated again for the training predictions */
    size_t block_rows;
    ntk_center_method selection;
    double seconds_centers, seconds_kernel, seconds_solve;
} ntk_nystrom_fit_result;

NTK_API void ntk_nystrom_fit_result_free(ntk_nystrom_fit_result *r);

/* Fit on X (n×d) and targets Y (n×k, as the solver sees them). `sp` gives
 * reg, reg scale, lr, times, time scale (mean: c = 1/(n·k) with the n training
 * rows, as the dense path) and want_train_predictions; its `method` is
 * ignored. */
NTK_API ntk_status ntk_nystrom_fit(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                           size_t d, const double *Y, size_t k, const ntk_solve_params *sp,
                           const ntk_nystrom_params *np, int threads,
                           ntk_nystrom_fit_result **out, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

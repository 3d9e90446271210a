/* ntk/solver.h — the linearized gradient-flow predictor
 *
 *   f_t(x*) = Θ(x*,X) A⁻¹ (I − e^{−η c t A}) Y,   A = Θ(X,X) + λI,
 *   f_∞(x*) = Θ(x*,X) A⁻¹ Y,
 *
 * with c = 1 (--time-scale sum: gradient flow on ½Σ(f−y)²) or c = 1/(N·k)
 * (--time-scale mean, as neural-tangents: loss ½·mean). The solver turns the
 * training kernel into one coefficient matrix C_t (n×k) per requested time,
 * so that f_t(x*) = Θ(x*,X)·C_t; predictions on new points then need only
 * their kernel against the training rows.
 *
 * Finite times at scale (see NTK_SOLVE_CHEBYSHEV): a Chebyshev expansion of
 * g_s(A) = A⁻¹(I − e^{−sA}) on [0, L] (L a rigorous bound on λ_max: Gershgorin,
 * tightened by Collatz–Wielandt passes over |A|) applied to Y with one n×n·n×k
 * product per degree (a dedicated thin-block product that streams A once per
 * step at about the dgemm peak); it only reads A, so its memory
 * is 8n² + O(n·k·n_times) against 2–3 × 8n² for the eigendecomposition.
 * Agrees with the eigen path to ~1e-12 relative in the tests (limit 1e-8).
 *
 * Finite times for any s·λ_max (see NTK_SOLVE_KRYLOV): one Cholesky of
 * A + σI (in place; A is restored from its untouched upper triangle), then a
 * block Krylov space of (A + σI)⁻¹ started from Y, each step two triangular
 * solves on an n×k block, fully reorthogonalized; the projection's
 * eigenpairs give g_s(A)Y and Θ·g_s(A)Y for every time (and every ridge: the
 * space is shift-invariant) at once. The space grows until the change of
 * every time's coefficients and training fits between evaluations is under
 * the tolerance (krylov_tol, default 1e-10 relative); that change is the
 * reported krylov_estimate. Memory 8n² + 8n·dim (dim = basis columns,
 * steps × k). Agrees with the eigen path to ≤ 5e-10 relative over s·λ_max
 * 1e-3…1e8 and ridges 0…1 in tests/check_solver_krylov.c (singular kernels
 * included; where the eigen path itself is that sensitive).
 *
 * t = ∞ alone: Cholesky (dpotrf/dpotrs) of A. If A is numerically singular
 * (a failed factorization, or pivots below n·ε·max diag: duplicate rows at
 * ridge 0), the eigendecomposition instead, and t = ∞ is the flow's own
 * limit there — the minimum-norm interpolant, eigenvalues ≤ n·ε·λ_max left
 * out (counted in n_null) — not a jittered inverse. Any finite t: one symmetric
 * eigendecomposition A = V diag(a) Vᵀ serves every time (and t = ∞) at once,
 * with coefficient (1 − e^{−η c t a})/a computed through expm1 (limit η c t
 * as a → 0); negative eigenvalues are clamped to 0 and reported.
 */
#ifndef NTK_SOLVER_H
#define NTK_SOLVER_H

#include <stddef.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { NTK_TIME_SUM = 0, NTK_TIME_MEAN = 1 } ntk_time_scale;
typedef enum { NTK_REG_ABSOLUTE = 0, NTK_REG_RELATIVE = 1 } ntk_reg_scale;
/* AUTO: Cholesky iff every time is ∞; otherwise, when n ≥ NTK_CHEB_MIN_N,
 * the cheaper of Chebyshev and Krylov by a cost model in Choleskys
 * (κ = max(k, 8)): Chebyshev of degree d costs 6dκ/n, Krylov 1 + 12mκ/n with
 * m = 40 typical block steps, so Chebyshev is taken iff d ≤ n/(6κ) + 80
 * (and d·max(2k, 16) ≤ 8n); Krylov falls back to the eigendecomposition if
 * it has not converged within ~19 Choleskys' worth of steps or n/3 basis
 * columns. Below NTK_CHEB_MIN_N, the eigendecomposition
 * (docs/performance.md). The same rule (src/solver/solver_flow.c) serves double
 * and single precision and ntk-mpi.
 * CHEBYSHEV / KRYLOV force that path for the finite times (t = ∞ then goes
 * through a Cholesky of the same matrix, afterwards). */
typedef enum {
    NTK_SOLVE_AUTO = 0,
    NTK_SOLVE_CHOLESKY,
    NTK_SOLVE_EIGEN,
    NTK_SOLVE_CHEBYSHEV,
    NTK_SOLVE_KRYLOV
} ntk_solve_method;

/* Smallest n for which AUTO considers the Chebyshev path. */
#define NTK_CHEB_MIN_N 3000

typedef struct {
    double reg;                 /* λ ≥ 0 (absolute, or × mean(diag Θ) if relative) */
    ntk_reg_scale reg_scale;
    double lr;                  /* η > 0 */
    ntk_time_scale time_scale;
    const double *times;        /* n_times values ≥ 0; INFINITY for t = ∞ */
    size_t n_times;
    ntk_solve_method method;    /* AUTO: Cholesky iff every time is ∞ */
    int want_train_predictions; /* 1: also return f_t at the training inputs */
    ntk_progress progress;
    /* Krylov path (0: defaults): relative tolerance on its error estimate
     * (default 1e-11) and the shift σ of the factored A + σI. */
    double krylov_tol;
    double krylov_shift;
} ntk_solve_params;

/* Defaults: reg 0 absolute, lr 1, time scale sum, method auto, train predictions on. */
NTK_API void ntk_solve_params_init(ntk_solve_params *p);

/* Returns NULL if p is valid, else a static message naming the problem. */
NTK_API const char *ntk_solve_params_check(const ntk_solve_params *p);

/* The fitted coefficients and what the solver had to do to get them. */
typedef struct {
    size_t n, k, n_times;
    double *times;           /* n_times copy of the requested times */
    double *coef;            /* n_times blocks of n×k (row-major): C_t */
    double *train_pred;      /* n_times blocks of n×k: f_t at training inputs, or NULL */
    double reg_abs;          /* the absolute λ that was added to the diagonal */
    double mean_diag;        /* mean(diag Θ) before regularization */
    double jitter;           /* extra diagonal added for t = ∞ to make A factorizable
                                (0 in double precision: see n_null) */
    size_t n_null;           /* t = ∞ on a singular A: null directions left out
                                (minimum-norm interpolant); 0 otherwise */
    double most_negative;    /* most negative eigenvalue of A clamped to 0 (0: none) */
    size_t n_clamped;        /* number of eigenvalues clamped */
    double eig_min, eig_max; /* extreme eigenvalues of A (eigen path; NAN otherwise) */
    int used_eigen;          /* 1 if the eigendecomposition was used */
    /* Chebyshev path (finite times; fields are 0 / NAN otherwise). */
    int used_chebyshev;      /* 1 if the finite times used the Chebyshev expansion */
    size_t cheb_degree;      /* its degree: number of n×n by n×k products */
    double cheb_bound;       /* L, the bound on λ_max(A) it expanded over */
    double cheb_tail;        /* largest dropped-coefficient tail, relative to max g */
    /* Krylov path (finite times; fields are 0 / NAN otherwise). */
    int used_krylov;         /* 1 if the finite times used the shift-and-invert Krylov space */
    size_t krylov_steps;     /* block steps: pairs of n×n by n×k triangular solves */
    size_t krylov_dim;       /* dimension of the space the times were projected on */
    double krylov_shift;     /* σ of the factored A + σI */
    double krylov_estimate;  /* a posteriori relative error estimate, max over the times */
    int krylov_converged;    /* 1: estimate ≤ tolerance (or invariant space) */
    double krylov_seconds[4];/* wall time: factorization, block steps, small eigenproblems,
                              * and the steps' triangular solves (part of the steps) */
    /* Single precision (ntk_train_params.precision = NTK_PRECISION_FLOAT, see
     * ntk/model.h; every field 0 otherwise). Residuals are relative,
     * ‖Y − (Θ + (λ + jitter)I)·C‖_F / ‖Y‖_F for the t = ∞ coefficients,
     * computed in double from kernel rows evaluated in double. */
    int single_precision;    /* 1: the kernel was held and factored in float */
    size_t refine_iters;     /* refinement steps after the float solve (t = ∞) */
    double refine_residual0; /* residual of the float solve alone */
    double refine_residual;  /* residual of the returned coefficients */
    int refine_converged;    /* 1: backward error at double level (≤ 1e-12), or no t = ∞ */
    double seconds_refine;   /* wall time of the double-precision kernel passes */
} ntk_solution;

/* Solve for the coefficients. `theta` is the n×n training kernel (row-major,
 * symmetric); it is used as workspace and destroyed. Y is n×k. Memory beyond
 * theta: O(n·k·n_times) for the results, plus n×n for the eigenvectors on the
 * eigen path (LAPACK dsyevd workspace, or dsyevr's when memory is short), so
 * ~3 × 8n² bytes with dsyevd and ~2 × 8n² with dsyevr; the Cholesky and
 * Chebyshev paths work in theta's 8n² bytes plus O(n·k·n_times). */
NTK_API ntk_status ntk_solve(double *theta, size_t n, const double *Y, size_t k,
                     const ntk_solve_params *p, ntk_solution **out, ntk_error *err);

NTK_API void ntk_solution_free(ntk_solution *s);

/* What ntk_solve_grid did: as the ntk_solution.krylov_* fields. */
typedef struct {
    size_t steps, dim;  /* block steps; basis dimension */
    double shift;       /* σ of the factored Θ + σI */
    double estimate;    /* a posteriori relative error estimate, max over the grid */
    int converged;
} ntk_grid_info;

/* A whole ridge × time grid from one factorization (for selection: one
 * Cholesky per candidate kernel prices every ridge and time). For ridge r
 * (ridges[r] ≥ 0: absolute, or × mean(diag Θ) if p->reg_scale is relative)
 * and time t (p->times, all finite, with p->lr and p->time_scale as in
 * ntk_solve; p->reg and p->method are ignored), block r·n_times + t of coef
 * (n×k, row-major; the caller allocates n_ridges·n_times·n·k doubles)
 * receives C = g_s(Θ + λ_r I)·Y and, if train_pred is not NULL, the same
 * block of train_pred receives Θ·C — the training fits, from which held-out
 * rows' predictions follow by Θ(rows, X)·C. It is the Krylov path of
 * ntk_solve with the space's shift invariance: one Cholesky of Θ + σI, the
 * steps stop when every (ridge, time) pair meets p->krylov_tol. theta (n×n,
 * row-major, symmetric) is factored in place and restored on return; memory
 * beyond it and the outputs: 8n·dim. */
NTK_API ntk_status ntk_solve_grid(double *theta, size_t n, const double *Y, size_t k,
                          const double *ridges, size_t n_ridges, const ntk_solve_params *p,
                          double *coef, double *train_pred, ntk_grid_info *info, ntk_error *err);

/* The coefficient g(a) = (1 − e^{−s a})/a for s = η c t, with its limit s at
 * a = 0 and 1/a at s = ∞; exported for tests and other modules. */
NTK_API double ntk_flow_coefficient(double a, double s);

#ifdef __cplusplus
}
#endif
#endif

/* Private to the library: pieces of the double-precision solver (solver.c)
 * that the single-precision fit (solver_float.c) shares. */
#ifndef NTK_SOLVER_INTERNAL_H
#define NTK_SOLVER_INTERNAL_H

#include <stddef.h>

#include "ntk/solver.h"
#include "solver_cheb.h"
#include "solver_krylov.h"
#include "solver_matrix.h"

/* The double n×n matrix in place (column-major = row-major, symmetric, λ on
 * its diagonal) as a solver_matrix (solver_dense.c); d must outlive M. */
typedef struct {
    double *A;
    size_t n;
} solver_dense;
void solver_dense_matrix(solver_dense *d, solver_matrix *M);

/* Record an eigendecomposition's findings in the solution (used_eigen,
 * eig_min/max, most_negative, n_clamped, n_null). */
void solver_record_eigen(ntk_solution *s, const solver_eigen_info *info);

/* Jitter ladder for an A that is numerically singular: mean(diag)·10^e. */
#define JITTER_FIRST_EXP (-12)
#define JITTER_LAST_EXP (-2)

/* The Cholesky ladder's next rung: *jitter = mean(diag)·10^(*exp10), then
 * ++*exp10; past JITTER_LAST_EXP, NTK_ENUMERIC with the message every
 * Cholesky path reports (jitter keeps the last rung tried). */
ntk_status solver_jitter_next(double mean_diag, int *exp10, double *jitter, ntk_error *err);

/* Eigenvalues below 0 set to 0; *most_negative (≤ 0) and *n_clamped updated. */
void solver_clamp_eigenvalues(double *w, size_t n, double *most_negative, size_t *n_clamped);

/* t = ∞ on an eigendecomposition (w ascending, clamped): 0 if the smallest
 * eigenvalue is above rounding level (n·u·max w), else the smallest rung of
 * the jitter ladder that lifts it above; −1 if none does (*jitter = the last
 * rung, for the caller's message). */
int solver_eigen_jitter(const double *w, size_t n, double mean_diag, double *jitter);

/* Largest degree NTK_SOLVE_CHEBYSHEV accepts before giving up. */
#define CHEB_FORCED_MAX_DEGREE 16000

/* A solution with its times, coefficient and (if p asks) training-prediction
 * blocks allocated, every other field zero (eig_min/eig_max/cheb_bound NAN). */
ntk_solution *solver_solution_new(size_t n, size_t k, const ntk_solve_params *p, ntk_error *err);

/* Column-major n×k copy of a row-major n×k matrix, and back. */
void solver_to_col_major(const double *rm, size_t n, size_t k, double *cm);
void solver_to_row_major(const double *cm, size_t n, size_t k, double *rm);

/* Scale s = η·c·t of a time (t = ∞ → +∞). */
double solver_time_scale(const ntk_solve_params *p, size_t n, size_t k, double t);

/* Largest Chebyshev degree NTK_SOLVE_AUTO accepts where no Krylov path
 * competes (see solver_flow.c). */
size_t solver_auto_max_degree(size_t n, size_t k);

/* Block steps the Krylov path may take when forced (NTK_SOLVE_KRYLOV). */
#define KRYLOV_FORCED_MAX_STEPS 200
/* Block steps the double-precision AUTO cost model assumes (solver.c). */
#define KRYLOV_TYPICAL_STEPS 40

/* Largest basis dimension for the Krylov path: steps·k, at most n (forced)
 * or n/3 (AUTO: past it, the eigendecomposition; basis n × n/3 plus the
 * projection and its eigenvectors, ~1.6 × 8n² in all). */
size_t solver_krylov_max_dim(size_t n, size_t k, int forced);

/* The finite-time paths of one implementation (double, float, ntk-mpi),
 * for solver_finite_flow. Each serves every finite time of the problem its
 * ctx holds; what it does for t = ∞ afterwards is its own business. */
typedef struct {
    void *ctx;
    /* *declined = 1 (nothing done) if the degree would exceed max_degree. */
    ntk_status (*chebyshev)(void *ctx, size_t max_degree, int *declined, ntk_error *err);
    /* NULL if the implementation has none. With may_decline, a space that
     * misses the tolerance within max_dim columns sets *declined and leaves
     * the results to the next path. */
    ntk_status (*krylov)(void *ctx, size_t max_dim, int may_decline, int *declined,
                         ntk_error *err);
    ntk_status (*eigen)(void *ctx, ntk_error *err);
} solver_paths;

/* The path for finite times by `method` (not CHOLESKY): EIGEN, KRYLOV,
 * CHEBYSHEV forced; AUTO: at n ≥ NTK_CHEB_MIN_N the Chebyshev expansion if
 * its degree prices under the Krylov path (solver_flow.c), else Krylov
 * (declining past its AUTO budget), else — and below NTK_CHEB_MIN_N — the
 * eigendecomposition. Every implementation takes the same decisions. */
ntk_status solver_finite_flow(const solver_paths *paths, ntk_solve_method method, size_t n,
                              size_t k, ntk_error *err);

/* Record what the Krylov path did (used_krylov, steps, dim, shift,
 * estimate, converged, seconds). */
void solver_record_krylov(ntk_solution *s, const krylov_info *info);

/* Record a Chebyshev plan that served the finite times (used_chebyshev,
 * degree, bound, largest tail). */
void solver_record_chebyshev(ntk_solution *s, const cheb_plan *plan);

/* The checks every solve starts with: valid parameters, n, k > 0, finite
 * targets Y (n×k); NTK_OK or NTK_EINPUT with a message. */
ntk_status solver_check_problem(size_t n, const double *Y, size_t k, const ntk_solve_params *p,
                                ntk_error *err);

/* A Cholesky factor L (n×n col-major, the matrix's largest diagonal entry
 * dmax) that succeeded on a numerically singular matrix — exact duplicate
 * rows at ridge 0 — has pivots at rounding level, and its inverse is
 * rounding noise amplified, not the interpolant: 1 if the smallest pivot²
 * is below n·ε·dmax (the eigen path's floor), else 0. */
int solver_pivots_singular(const double *L, size_t n, double dmax);

/* Rows of A (n×n symmetric PSD, col-major) whose feature vectors coincide
 * to rounding — duplicate training inputs — share a group: group[i] ∈
 * [0, u); returns u (0 if out of memory). O(n log n) plus the rows of
 * equal diagonal. */
size_t solver_duplicate_groups(const double *A, size_t n, size_t *group);

/* t = ∞, no ridge, duplicate rows: the minimum-norm interpolant (the flow's
 * limit) from one Cholesky of the u distinct rows with their mean targets.
 * Y, C and F (training fits, may be NULL) are n×k row-major. *ok = 0 (and
 * C untouched) if the distinct rows are singular too. */
ntk_status solver_dedupe_solve(const double *A, size_t n, const double *Y, size_t k,
                               const size_t *group, size_t u, double *C, double *F, int *ok,
                               ntk_error *err);

#endif

/* The one rule that picks the path for finite training times (see
 * NTK_SOLVE_AUTO in ntk/solver.h and docs/performance.md, "The Krylov
 * path"), shared by the double solver (solver.c), the single-precision fit
 * (solver_float.c) and ntk-mpi (src/mpi/mpi_fit.c): each passes its own
 * implementations of the three paths, the order and the limits are decided
 * here once. */
#include "solver_internal.h"

#include <stdint.h>

/* The cost model of NTK_SOLVE_AUTO for finite times at n ≥ NTK_CHEB_MIN_N,
 * in units of one Cholesky (n³/3 flops), with κ = max(k, 8) (thin products
 * and triangular solves with fewer columns are memory-bound: priced as 8):
 *   Chebyshev of degree d:  6·d·κ/n            (d products of 2n²κ flops)
 *   Krylov:                 1 + 12·m·κ/n       (one Cholesky, m steps of two
 *                                               triangular solves, 4n²κ flops)
 *   eigendecomposition:     20–60 (measured; dsyevd's many small calls)
 * with m = KRYLOV_TYPICAL_STEPS (measured: 35–45 block steps reach 1e-11
 * for times spanning four decades). Chebyshev is taken when its degree
 * prices at or under the Krylov path, d ≤ n/(6κ) + 2m (and never above
 * solver_auto_max_degree); otherwise Krylov, which falls back to the
 * eigendecomposition if it has not converged within its AUTO budget. An
 * implementation without a Krylov path keeps the old cap alone. */
static size_t auto_max_degree(size_t n, size_t k, int have_krylov)
{
    size_t kk = k > 8 ? k : 8;
    size_t cheaper = n / (6 * kk) + 2 * KRYLOV_TYPICAL_STEPS;
    size_t cap = solver_auto_max_degree(n, k);
    return have_krylov && cheaper < cap ? cheaper : cap;
}

ntk_status solver_finite_flow(const solver_paths *paths, ntk_solve_method method, size_t n,
                              size_t k, ntk_error *err)
{
    void *ctx = paths->ctx;
    if (method == NTK_SOLVE_EIGEN)
        return paths->eigen(ctx, err);
    if (method == NTK_SOLVE_KRYLOV) {
        if (!paths->krylov)
            return ntk_error_set(err, NTK_EINPUT, "the Krylov path is not available here; use "
                                 "another solver path");
        int declined;
        return paths->krylov(ctx, solver_krylov_max_dim(n, k, 1), 0, &declined, err);
    }
    int declined = 1;
    ntk_status st = NTK_OK;
    if (method == NTK_SOLVE_CHEBYSHEV || n >= NTK_CHEB_MIN_N) {
        size_t maxd = method == NTK_SOLVE_CHEBYSHEV ? CHEB_FORCED_MAX_DEGREE
                                                     : auto_max_degree(n, k, paths->krylov != NULL);
        st = paths->chebyshev(ctx, maxd, &declined, err);
    }
    if (st == NTK_OK && declined && method == NTK_SOLVE_CHEBYSHEV)
        return ntk_error_set(err, NTK_EINPUT,
                             "the Chebyshev path would need a degree above %d for these times "
                             "(s*lambda_max too large); use the eigen path",
                             CHEB_FORCED_MAX_DEGREE);
    if (st == NTK_OK && declined && paths->krylov && n >= NTK_CHEB_MIN_N)
        st = paths->krylov(ctx, solver_krylov_max_dim(n, k, 0), 1, &declined, err);
    if (st == NTK_OK && declined)
        st = paths->eigen(ctx, err);
    return st;
}

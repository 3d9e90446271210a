/* Blocked triangular solves with a Cholesky factor on a thin block (see
 * chol_thin.h). In row-major terms the column-major factor is R = Lᵀ (upper,
 * leading dimension n): the forward solve L·z = q needs Rᵀ by row blocks
 * (gemm_thin_tn), the backward solve R·x = z needs R (gemm_thin); the
 * diagonal blocks go to dtrsm, which is fast at that size. */
#include "chol_thin.h"

#include <cblas.h>
#include <omp.h>

#include "gemm_thin.h"

/* Rows of a diagonal block: large enough that the off-diagonal products run
 * at their full rate, small enough that the dtrsm on the diagonal stays a
 * small share (b/n of the flops). */
#define CHOL_THIN_BLOCK 256

size_t chol_thin_ld(size_t k)
{
    return (k + 7) / 8 * 8;
}

static int solve_cols(const double *S, size_t n, double *X, size_t ldx, size_t k)
{
    size_t b = CHOL_THIN_BLOCK;
    for (size_t i0 = 0; i0 < n; i0 += b) {
        size_t m = n - i0 < b ? n - i0 : b;
        /* z_I = L_II⁻¹ (q_I − L[I, 0:i0]·z[0:i0]), L[I, 0:i0] = R[0:i0, I]ᵀ */
        if (i0 > 0 && gemm_thin_tn(m, i0, k, -1.0, S + i0, n, X, ldx, 1.0, X + i0 * ldx, ldx))
            return -1;
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, (int)m,
                    (int)k, 1.0, S + i0 * n + i0, (int)n, X + i0 * ldx, (int)ldx);
    }
    for (size_t i0 = (n - 1) / b * b;; i0 -= b) {
        size_t m = n - i0 < b ? n - i0 : b, i1 = i0 + m;
        /* x_I = R_II⁻¹ (z_I − R[I, i1:n]·x[i1:n]) */
        if (i1 < n && gemm_thin(m, n - i1, k, -1.0, S + i0 * n + i1, n, X + i1 * ldx, ldx, 1.0,
                                X + i0 * ldx, ldx))
            return -1;
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m,
                    (int)k, 1.0, S + i0 * n + i0, (int)n, X + i0 * ldx, (int)ldx);
        if (i0 == 0)
            break;
    }
    return 0;
}

/* One thread: the products here are a few hundred rows each, two per block
 * row, and with the OpenMP team of gemm_thin every one of them ends in a
 * barrier — on shared cores each barrier waits for a descheduled sibling
 * (n = 6000, k = 26, load 5–6: 0.54–0.83 s a pair on two threads, 0.07–0.08
 * s on one, against 0.12–0.21 s for OpenBLAS's dtrsm pair on two). The
 * other core stays free for the caller's neighbours. */
int chol_thin_solve(const double *S, size_t n, double *X, size_t ldx, size_t k)
{
    int threads = omp_get_max_threads(), blas = openblas_get_num_threads();
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    int st = solve_cols(S, n, X, ldx, k);
    openblas_set_num_threads(blas);
    omp_set_num_threads(threads);
    return st;
}

/* Private to the library: the two triangular solves with a Cholesky factor
 * on a thin block, at the rate of the thin-block product (gemm_thin.h).
 *
 * OpenBLAS's dtrsm on an n×n factor with a few dozen right-hand sides runs
 * at a third of its dpotrf rate (it packs the factor for every call); the
 * solves here walk the factor in blocks of rows and do the off-diagonal
 * work — all but O(n·b·k) of it — with gemm_thin and gemm_thin_tn, which
 * stream the factor from memory once per solve. */
#ifndef NTK_CHOL_THIN_H
#define NTK_CHOL_THIN_H

#include <stddef.h>

/* X ← (L·Lᵀ)⁻¹X for the factor L in the lower triangle of the column-major
 * n×n array S (dpotrf 'L'; its strict upper triangle is not read) and the
 * row-major n×k X with leading dimension ldx. For the fast path X must be
 * 64-byte aligned with ldx a multiple of 8 (chol_thin_ld); any X works.
 * Returns 0, or −1 if gemm_thin's workspace could not be allocated (X is then
 * unspecified: the caller must redo the solve another way from its copy). */
int chol_thin_solve(const double *S, size_t n, double *X, size_t ldx, size_t k);

/* Leading dimension for an X of k columns: k rounded up to 8. */
size_t chol_thin_ld(size_t k);

#endif

/* Private to the library: the product of a large matrix by a thin block,
 *
 *   C = alpha·A·B + beta·C + gamma·B        (A m×n, B n×k, C m×k; all row-major)
 *
 * for k small (up to a few dozen columns), where a general dgemm spends as
 * much time packing A as multiplying. A is streamed from memory exactly once
 * per call (read row by row, never copied); B, padded to a whole number of
 * vectors per row (copied once per call unless the caller already stores it
 * so), is read from cache in slices of a few hundred KiB; the rows of
 * A are shared among the OpenMP threads. The inner loops are compiled for
 * AVX-512, AVX2+FMA and the baseline ISA and the best one for the CPU is
 * chosen at run time.
 *
 * After C is formed, each row of it may also be added into `nacc` further
 * m×k blocks: acc[q] += acc_coef[q]·C (all with leading dimension ldacc),
 * while that row is still in cache — the accumulators of a polynomial
 * recurrence without an extra pass over memory.
 *
 * Results are deterministic: each entry of C is one dot product whose
 * summation order depends on n and k only, not on the thread count. */
#ifndef NTK_GEMM_THIN_H
#define NTK_GEMM_THIN_H

#include <stddef.h>

typedef struct {
    double alpha, beta, gamma; /* gamma·B needs m ≤ n (rows 0..m−1 of B); −1 otherwise */
    size_t nacc;               /* extra accumulators (0: none) */
    const double *acc_coef;    /* nacc coefficients */
    double *const *acc;        /* nacc blocks m×k, leading dimension ldacc */
    size_t ldacc;
} gemm_thin_epilogue;

/* C = alpha·A·B + beta·C (beta = 0: C is not read, as in BLAS). C must not
 * overlap A or B. lda ≥ n, ldb ≥ k, ldc ≥ k. Returns 0, or −1 if its
 * workspace cannot be allocated — C is then untouched and the caller may fall
 * back to a BLAS dgemm. Workspace: 8·R·k' bytes per thread (R ≤ 512 rows,
 * k' = gemm_thin_ld(k)), plus an 8·n·k' byte copy of B unless B is already
 * laid out as the kernels read it (see gemm_thin_ld). */
int gemm_thin(size_t m, size_t n, size_t k, double alpha, const double *A, size_t lda,
              const double *B, size_t ldb, double beta, double *C, size_t ldc);

/* C = alpha·Aᵀ·B + beta·C with A stored n×m (row-major, lda ≥ m): the same
 * product on the transpose, each element of A read once from memory (the
 * solves with a Cholesky factor need both orientations of it). */
int gemm_thin_tn(size_t m, size_t n, size_t k, double alpha, const double *A, size_t lda,
                 const double *B, size_t ldb, double beta, double *C, size_t ldc);

/* The general form with the epilogue above (e = NULL: alpha 1, beta 0). */
int gemm_thin_ex(size_t m, size_t n, size_t k, const double *A, size_t lda, const double *B,
                 size_t ldb, double *C, size_t ldc, const gemm_thin_epilogue *e);

/* The padded row length the kernels read for k columns (k rounded up to the
 * vector length of the ISA in use). A B that is 64-byte aligned, with ldb a
 * multiple of the vector length and ≥ gemm_thin_ld(k), is read in place (its
 * padding columns are read but cannot affect C); any other B is first copied. */
size_t gemm_thin_ld(size_t k);

/* Force an ISA ("avx512", "avx2", "baseline") for tests and benchmarks;
 * NULL restores the automatic choice. Returns 0, or −1 if the CPU lacks it.
 * Not thread-safe against concurrent products. */
int gemm_thin_set_isa(const char *isa);

/* The ISA in use ("avx512", "avx2" or "baseline"). */
const char *gemm_thin_isa(void);

#endif

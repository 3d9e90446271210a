/* The double-precision matrix held in place (ntk_solve's n×n kernel, λ on
 * its diagonal) as a solver_matrix: what the shared paths need from it. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/gemm_thin.h"
#include "ntk/solver.h"
#include "solver_internal.h"
#include "solver_matrix.h"

/* Blocks up to this many columns go through gemm_thin (A streamed once per
 * product); wider ones through the BLAS dgemm, which packs A on every call
 * but multiplies faster once k is large enough to amortize that. Measured
 * (tools/bench_blas `thin`, 2 threads, AVX-512): gemm_thin 2-4x faster for
 * k = 1..512, ~1.3x at 1024, dgemm ahead at 2048. */
#define THIN_MAX_K 1024

/* y = |A|·d, row by row (8 partial sums per row for speed; any order is fine
 * for a bound that is padded for rounding). */
static ntk_status dense_abs_product(void *ctx, const double *d, double *y, ntk_error *err)
{
    (void)err;
    const solver_dense *m = ctx;
    const double *A = m->A;
    size_t n = m->n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double *r = A + i * n;
        double p[8] = {0};
        size_t j = 0;
        for (; j + 8 <= n; j += 8)
            for (int q = 0; q < 8; q++)
                p[q] += fabs(r[j + q]) * d[j + q];
        for (; j < n; j++)
            p[0] += fabs(r[j]) * d[j];
        y[i] = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    }
    return NTK_OK;
}

static size_t dense_block_ld(size_t k)
{
    return k <= THIN_MAX_K ? gemm_thin_ld(k) : k;
}

/* The step fused into gemm_thin's epilogue (A streamed once, the
 * accumulators updated while the rows are in cache). */
static ntk_status dense_cheb_step(void *ctx, size_t k, size_t ld, double alpha, const double *B,
                                  double beta, double gamma, double *C, size_t nacc,
                                  const double *coef, double *const *acc, ntk_error *err)
{
    (void)err;
    const solver_dense *m = ctx;
    const double *A = m->A;
    size_t n = m->n;
    gemm_thin_epilogue e = {alpha, beta, gamma, nacc, coef, acc, k};
    if (k <= THIN_MAX_K && gemm_thin_ex(n, n, k, A, n, B, ld, C, ld, &e) == 0)
        return NTK_OK;
    /* A is symmetric: row-major A·B is the same product. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, alpha, A,
                (int)n, B, (int)ld, beta, C, (int)ld);
    solver_cheb_finish(n, k, ld, 1.0, C, ld, B, 0.0, gamma, C, nacc, coef, acc);
    return NTK_OK;
}

/* F = A·C for the column-major n×w block C: through gemm_thin (row-major;
 * A's symmetry makes its storage order irrelevant) on transposed copies when
 * w is thin enough for it — 2–4× a BLAS dgemm that packs all of A for a few
 * hundred columns — else (or without memory for the copies) cblas_dgemm. */
static ntk_status dense_product(void *ctx, const double *C, size_t w, double *F, ntk_error *err)
{
    (void)err;
    const solver_dense *m = ctx;
    const double *A = m->A;
    size_t n = m->n;
    if (n == 0 || w == 0)
        return NTK_OK;
    double *Bt = w <= THIN_MAX_K ? malloc(n * w * sizeof *Bt) : NULL;
    double *Ft = Bt ? malloc(n * w * sizeof *Ft) : NULL;
    if (Ft) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < w; j++)
                Bt[i * w + j] = C[i + j * n];
        if (gemm_thin(n, n, w, 1.0, A, n, Bt, w, 0.0, Ft, w) == 0) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < w; j++)
                    F[i + j * n] = Ft[i * w + j];
            free(Bt);
            free(Ft);
            return NTK_OK;
        }
    }
    free(Bt);
    free(Ft);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)w, (int)n, 1.0, A,
                (int)n, C, (int)n, 0.0, F, (int)n);
    return NTK_OK;
}

/* Eigendecomposition in place: A ← V, w ← eigenvalues (ascending). dsyevd is
 * the fastest but wants 2n² of workspace; dsyevr needs a separate n×n output
 * but only O(n) workspace. Pick by available memory. */
static ntk_status dense_eigen(void *ctx, double *w, ntk_error *err)
{
    solver_dense *m = ctx;
    double *A = m->A;
    size_t n = m->n;
    size_t need_d = (2 * n * n + 6 * n + 1) * sizeof(double);
    size_t avail = ntk_memory_available();
    lapack_int N = (lapack_int)n;
    if (!avail || need_d < avail * 0.9) {
        lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', N, A, N, w);
        if (info == 0)
            return NTK_OK;
        if (info > 0)
            return ntk_error_set(err, NTK_ENUMERIC,
                                 "the eigendecomposition did not converge (dsyevd info %d)",
                                 (int)info);
        if (info != LAPACK_WORK_MEMORY_ERROR)
            return ntk_error_set(err, NTK_EFAILED, "dsyevd failed (info %d)", (int)info);
    }
    double *Z = ntk_alloc_checked(n * n * sizeof(double), "eigenvectors", err);
    lapack_int *isuppz = malloc(2 * n * sizeof *isuppz);
    if (!Z || !isuppz) {
        free(Z);
        free(isuppz);
        return err && err->status ? err->status
                                  : ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    lapack_int mfound = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'A', 'L', N, A, N, 0, 0, 0, 0,
                                     0.0, &mfound, w, Z, N, isuppz);
    if (info == 0)
        memcpy(A, Z, n * n * sizeof(double));
    free(Z);
    free(isuppz);
    if (info != 0)
        return ntk_error_set(err, NTK_ENUMERIC, "the eigendecomposition failed (dsyevr info %d)",
                             (int)info);
    return NTK_OK;
}

static ntk_status dense_eigvec(void *ctx, int trans, const double *X, size_t k, double *Out,
                               ntk_error *err)
{
    (void)err;
    const solver_dense *m = ctx;
    int n = (int)m->n;
    cblas_dgemm(CblasColMajor, trans ? CblasTrans : CblasNoTrans, CblasNoTrans, n, (int)k, n,
                1.0, m->A, n, X, n, 0.0, Out, n);
    return NTK_OK;
}

void solver_dense_matrix(solver_dense *d, solver_matrix *M)
{
    memset(M, 0, sizeof *M);
    M->ctx = d;
    M->n = d->n;
    M->abs_product = dense_abs_product;
    M->cheb_step = dense_cheb_step;
    M->block_ld = dense_block_ld;
    M->product = dense_product;
    M->eigen = dense_eigen;
    M->eigvec = dense_eigvec;
}

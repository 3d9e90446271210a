/* bench_blas — the linked BLAS/LAPACK's practical peak and the solver's
 * dense steps as fractions of it. Built by `make bench`.
 *
 * usage: bench_blas blas NG NF K
 *   dgemm NG×NG×NG (the practical peak, best of 3), the Chebyshev step
 *   (NF×NF by NF×K dgemm), dpotrf and dsyevd at NF (on a ReLU NTK + ridge).
 *   prints lines "name n seconds gflops fraction_of_peak". The Chebyshev
 *   step is measured both ways: dgemm_block_kK (OpenBLAS) and thin_block_kK
 *   (src/linalg/gemm_thin.c, A streamed once, row-major blocks), best of 5 each.
 * usage: bench_blas thin N K1,K2,...
 *   the N×N by N×K product for each K by OpenBLAS dgemm (column-major blocks,
 *   as the solver used to; and row-major) and by gemm_thin, interleaved,
 *   best of 6 each; prints "k K dgemm_cm S G dgemm_rm S G thin S G (ISA)".
 * usage: bench_blas solve N K EIGEN(0|1)
 *   ReLU NTK depth 3 (b_std 0.1) of N random rows (d = 16), centered one-hot
 *   targets with K classes, ridge 1e-3 × mean diag, 'mean' time scale:
 *   ntk_solve at t = ∞ (Cholesky), at t = 1,10,100,1000,10000 by the
 *   Chebyshev path, and (EIGEN = 1) by the eigendecomposition, with the
 *   largest relative difference Chebyshev vs eigen.
 *   prints lines "method n seconds [degree|rel_diff]".
 * usage: bench_blas krylov N K REG all|noeigen|krylov|cholesky [SHIFT]
 *   the same kernel, K centered one-hot targets (K = 1: a regression
 *   target), ridge REG × mean diag,
 *   'sum' time scale, times 1,10,100,1e4: ntk_solve at t = ∞ (Cholesky), by
 *   the Krylov path (steps, basis dimension, shift, error estimate) and by
 *   the eigendecomposition, with the relative differences Krylov vs eigen per
 *   time (coefficients/training predictions); "noeigen" skips the last. "krylov"
 *   or "cholesky" alone
 *   keeps only the one n×n kernel, for peak RSS (/usr/bin/time). SHIFT: σ
 *   of the factored A + σI (default: the solver's choice). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linalg/gemm_thin.h"
#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/solver.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "bench_blas: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static void fill_normal(double *x, size_t len, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < len; i++)
        x[i] = ntk_rng_normal(&r);
}

/* ReLU NTK, depth 3, b_std 0.1, of n random rows (d = 16), row-major n×n. */
static double *relu_kernel(size_t n)
{
    size_t d = 16;
    double *X = xmalloc(n * d * sizeof *X), *K = xmalloc(n * n * sizeof *K);
    fill_normal(X, n * d, 1);
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 3;
    a.b_std = 0.1;
    ntk_error err = {0};
    if (ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err) != NTK_OK) {
        fprintf(stderr, "bench_blas: %s\n", err.msg);
        exit(1);
    }
    free(X);
    return K;
}

static int bench_blas(size_t ng, size_t nf, size_t k)
{
    double *A = xmalloc(ng * ng * sizeof *A), *B = xmalloc(ng * ng * sizeof *B);
    double *C = xmalloc(ng * ng * sizeof *C);
    fill_normal(A, ng * ng, 2);
    fill_normal(B, ng * ng, 3);
    double best = INFINITY;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)ng, (int)ng, (int)ng, 1.0, A,
                    (int)ng, B, (int)ng, 0.0, C, (int)ng);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(A);
    free(B);
    free(C);
    double peak = 2.0 * ng * ng * (double)ng / best / 1e9;
    printf("dgemm %zu %.3f %.2f 1.00\n", ng, best, peak);

    double *K = relu_kernel(nf), *W = xmalloc(nf * nf * sizeof *W);
    double md = 0;
    for (size_t i = 0; i < nf; i++)
        md += K[i * nf + i];
    for (size_t i = 0; i < nf; i++)
        K[i * nf + i] += 1e-3 * md / (double)nf;
    /* The Chebyshev step: nf×nf by nf×k. */
    double *Y = xmalloc(nf * k * sizeof *Y), *Z = xmalloc(nf * k * sizeof *Z);
    fill_normal(Y, nf * k, 4);
    best = INFINITY;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nf, (int)k, (int)nf, 1.0, K,
                    (int)nf, Y, (int)nf, 0.0, Z, (int)nf);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    double g = 2.0 * nf * nf * (double)k / best / 1e9;
    printf("dgemm_block_k%zu %zu %.4f %.2f %.2f\n", k, nf, best, g, g / peak);
    /* The same step by gemm_thin (row-major blocks; K is symmetric). After
     * a call, OpenBLAS's worker threads keep polling for work for a while
     * (about 0.1 s); an OpenMP product started inside that window shares the
     * cores with them, so let them go to sleep first (in the solver the
     * products follow each other without BLAS calls in between). */
    usleep(300000);
    best = INFINITY;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        if (gemm_thin(nf, nf, k, 1.0, K, nf, Y, k, 0.0, Z, k) != 0) {
            fprintf(stderr, "bench_blas: gemm_thin out of memory\n");
            return 1;
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    g = 2.0 * nf * nf * (double)k / best / 1e9;
    printf("thin_block_k%zu %zu %.4f %.2f %.2f %s\n", k, nf, best, g, g / peak, gemm_thin_isa());
    free(Y);
    free(Z);

    memcpy(W, K, nf * nf * sizeof *W);
    double t0 = now();
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)nf, W, (lapack_int)nf);
    double tc = now() - t0;
    if (info != 0) {
        fprintf(stderr, "bench_blas: dpotrf info %d\n", (int)info);
        return 1;
    }
    g = (double)nf * nf * nf / 3.0 / tc / 1e9;
    printf("dpotrf %zu %.3f %.2f %.2f\n", nf, tc, g, g / peak);

    memcpy(W, K, nf * nf * sizeof *W);
    double *w = xmalloc(nf * sizeof *w);
    t0 = now();
    info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)nf, W, (lapack_int)nf, w);
    double te = now() - t0;
    if (info != 0) {
        fprintf(stderr, "bench_blas: dsyevd info %d\n", (int)info);
        return 1;
    }
    /* Nominal count: 4n³/3 (tridiagonal reduction) + 2n³ (back-transformation). */
    g = 10.0 / 3.0 * nf * nf * (double)nf / te / 1e9;
    printf("dsyevd %zu %.3f %.2f %.2f (%.1fx dpotrf)\n", nf, te, g, g / peak, te / tc);
    free(w);
    free(W);
    free(K);
    return 0;
}

/* One product n×n by n×k, best of `reps`, in seconds: how = 0 dgemm with
 * column-major blocks, 1 dgemm with row-major blocks, 2 gemm_thin. */
static double time_product(int how, const double *K, size_t n, const double *Y, double *Z,
                           size_t k, int reps)
{
    double best = INFINITY;
    if (how == 2)
        usleep(300000); /* OpenBLAS's threads asleep first (see bench_blas) */
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (how == 0)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0,
                        K, (int)n, Y, (int)n, 0.0, Z, (int)n);
        else if (how == 1)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0,
                        K, (int)n, Y, (int)k, 0.0, Z, (int)k);
        else if (gemm_thin(n, n, k, 1.0, K, n, Y, k, 0.0, Z, k) != 0) {
            fprintf(stderr, "bench_blas: gemm_thin out of memory\n");
            exit(1);
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static int bench_thin(size_t n, const char *ks)
{
    double *K = xmalloc(n * n * sizeof *K);
    fill_normal(K, n * n, 2);
    for (const char *p = ks; *p;) {
        char *end;
        size_t k = strtoul(p, &end, 10);
        if (end == p || k == 0)
            break;
        double *Y = xmalloc(n * k * sizeof *Y), *Z = xmalloc(n * k * sizeof *Z);
        fill_normal(Y, n * k, 4);
        double fl = 2.0 * n * n * (double)k / 1e9;
        /* Interleaved, so that a change in the machine's load hits all three. */
        double t[3] = {INFINITY, INFINITY, INFINITY};
        for (int r = 0; r < 3; r++)
            for (int how = 0; how < 3; how++) {
                double s = time_product(how, K, n, Y, Z, k, 2);
                t[how] = s < t[how] ? s : t[how];
            }
        printf("k %zu dgemm_cm %.4f %.2f dgemm_rm %.4f %.2f thin %.4f %.2f (%s)\n", k, t[0],
               fl / t[0], t[1], fl / t[1], t[2], fl / t[2], gemm_thin_isa());
        fflush(stdout);
        free(Y);
        free(Z);
        p = *end == ',' ? end + 1 : end;
    }
    free(K);
    return 0;
}

/* Centered one-hot targets over k classes (row-major n×k); for k = 1 a
 * regression target, sin of the row index plus noise. */
static double *onehot_targets(size_t n, size_t k)
{
    double *Y = xmalloc(n * k * sizeof *Y);
    ntk_rng r;
    ntk_rng_seed(&r, 5);
    for (size_t i = 0; i < n && k == 1; i++)
        Y[i] = sin(0.01 * (double)i) + 0.1 * ntk_rng_normal(&r);
    for (size_t i = 0; i < n && k > 1; i++) {
        size_t cls = (size_t)(ntk_rng_uniform(&r) * (double)k) % k;
        for (size_t c = 0; c < k; c++)
            Y[i * k + c] = (c == cls ? 1.0 : 0.0) - 1.0 / (double)k;
    }
    return Y;
}

/* ||a − b||_F / ||b||_F of two blocks (b = 0: the absolute difference). */
static double block_rel(const double *a, const double *b, size_t len)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < len; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / fmax(den, 1e-300));
}

static int bench_solve(size_t n, size_t k, int eigen)
{
    double *K = relu_kernel(n), *A = xmalloc(n * n * sizeof *A);
    double *Y = onehot_targets(n, k);
    double inf[] = {INFINITY}, fin[] = {1, 10, 100, 1000, 10000};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 1e-3;
    p.reg_scale = NTK_REG_RELATIVE;
    p.time_scale = NTK_TIME_MEAN;
    ntk_error err = {0};
    ntk_solution *sc = NULL, *sf = NULL, *se = NULL;

    memcpy(A, K, n * n * sizeof *A);
    p.times = inf;
    p.n_times = 1;
    double t0 = now();
    if (ntk_solve(A, n, Y, k, &p, &sc, &err) != NTK_OK)
        goto fail;
    printf("cholesky %zu %.3f\n", n, now() - t0);

    memcpy(A, K, n * n * sizeof *A);
    p.times = fin;
    p.n_times = 5;
    p.method = NTK_SOLVE_CHEBYSHEV;
    t0 = now();
    if (ntk_solve(A, n, Y, k, &p, &sf, &err) != NTK_OK)
        goto fail;
    printf("chebyshev %zu %.3f degree %zu L %.4g\n", n, now() - t0, sf->cheb_degree,
           sf->cheb_bound);

    if (eigen) {
        memcpy(A, K, n * n * sizeof *A);
        p.method = NTK_SOLVE_EIGEN;
        t0 = now();
        if (ntk_solve(A, n, Y, k, &p, &se, &err) != NTK_OK)
            goto fail;
        double te = now() - t0, worst = 0;
        for (size_t t = 0; t < 5; t++) {
            size_t o = t * n * k;
            worst = fmax(worst, fmax(block_rel(sf->coef + o, se->coef + o, n * k),
                                     block_rel(sf->train_pred + o, se->train_pred + o, n * k)));
        }
        printf("eigen %zu %.3f rel_diff %.2g\n", n, te, worst);
    }
    ntk_solution_free(sc);
    ntk_solution_free(sf);
    ntk_solution_free(se);
    free(A);
    free(K);
    free(Y);
    return 0;
fail:
    fprintf(stderr, "bench_blas: %s\n", err.msg);
    return 1;
}

/* The Krylov path at times 1,10,100,1e4 (sum scale, ridge reg × mean diag)
 * against a Cholesky of the same matrix and (mode "all") the eigen path;
 * modes "krylov" and "cholesky" run only that solve on the one n×n kernel,
 * for peak-RSS measurements. */
static int bench_krylov(size_t n, size_t k, double reg, const char *mode, double shift)
{
    int all = strcmp(mode, "all") == 0, both = all || strcmp(mode, "noeigen") == 0;
    double *K = relu_kernel(n), *A = both ? xmalloc(n * n * sizeof *A) : K;
    double *Y = onehot_targets(n, k);
    double inf[] = {INFINITY}, fin[] = {1, 10, 100, 1e4};
    size_t nt = sizeof fin / sizeof fin[0];
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = reg;
    p.reg_scale = NTK_REG_RELATIVE;
    ntk_error err = {0};
    ntk_solution *sc = NULL, *sk = NULL, *se = NULL;
    double t0;
    if (both || strcmp(mode, "cholesky") == 0) {
        if (both)
            memcpy(A, K, n * n * sizeof *A);
        p.times = inf;
        p.n_times = 1;
        t0 = now();
        if (ntk_solve(A, n, Y, k, &p, &sc, &err) != NTK_OK)
            goto fail;
        printf("cholesky %zu %.3f\n", n, now() - t0);
        fflush(stdout);
    }
    if (both || strcmp(mode, "krylov") == 0) {
        if (both)
            memcpy(A, K, n * n * sizeof *A);
        p.times = fin;
        p.n_times = nt;
        p.method = NTK_SOLVE_KRYLOV;
        p.krylov_shift = shift;
        t0 = now();
        if (ntk_solve(A, n, Y, k, &p, &sk, &err) != NTK_OK)
            goto fail;
        printf("krylov %zu %.3f steps %zu dim %zu shift %.3g estimate %.2g "
               "(factor %.2fs, steps %.2fs of which solves %.2fs, small %.2fs)\n",
               n, now() - t0, sk->krylov_steps, sk->krylov_dim, sk->krylov_shift,
               sk->krylov_estimate, sk->krylov_seconds[0], sk->krylov_seconds[1],
               sk->krylov_seconds[3], sk->krylov_seconds[2]);
        fflush(stdout);
    }
    if (all) {
        memcpy(A, K, n * n * sizeof *A);
        p.method = NTK_SOLVE_EIGEN;
        t0 = now();
        if (ntk_solve(A, n, Y, k, &p, &se, &err) != NTK_OK)
            goto fail;
        double te = now() - t0;
        printf("eigen %zu %.3f lambda_max %.4g rel_diff", n, te, se->eig_max);
        for (size_t t = 0; t < nt; t++) {
            size_t o = t * n * k;
            printf(" t=%g:%.2g/%.2g", fin[t], block_rel(sk->coef + o, se->coef + o, n * k),
                   block_rel(sk->train_pred + o, se->train_pred + o, n * k));
        }
        printf("\n");
    }
    ntk_solution_free(sc);
    ntk_solution_free(sk);
    ntk_solution_free(se);
    if (both)
        free(A);
    free(K);
    free(Y);
    return 0;
fail:
    fprintf(stderr, "bench_blas: %s\n", err.msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "blas") == 0)
        return bench_blas(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10),
                          strtoul(argv[4], NULL, 10));
    if (argc >= 5 && strcmp(argv[1], "solve") == 0)
        return bench_solve(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10),
                           atoi(argv[4]));
    if (argc >= 6 && strcmp(argv[1], "krylov") == 0)
        return bench_krylov(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10),
                            strtod(argv[4], NULL), argv[5],
                            argc >= 7 ? strtod(argv[6], NULL) : 0.0);
    if (argc >= 4 && strcmp(argv[1], "thin") == 0)
        return bench_thin(strtoul(argv[2], NULL, 10), argv[3]);
    fprintf(stderr, "usage: %s blas NG NF K | solve N K EIGEN | thin N K1,K2,... | "
                    "krylov N K REG all|noeigen|krylov|cholesky [SHIFT]\n", argv[0]);
    return 2;
}

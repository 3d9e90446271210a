/* The thin-block product (src/linalg/gemm_thin.c) against cblas_dgemm: odd sizes,
 * every ISA variant the CPU has, 1 and 2 threads, alpha/beta/gamma and the
 * accumulator epilogue, strided operands, and determinism across threads;
 * and the Chebyshev solver path both through gemm_thin (k ≤ 1024) and
 * through its BLAS fallback (wider blocks) against the eigen path; the
 * transposed product gemm_thin_tn and the Cholesky solves of chol_thin.c
 * built on both, against BLAS/LAPACK. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "linalg/chol_thin.h"
#include "linalg/gemm_thin.h"
#include "ntk/rng.h"
#include "ntk/solver.h"
#include "testutil.h"

static const char *const ISAS[] = {"baseline", "avx2", "avx512"};

static void fill(double *x, size_t len, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < len; i++)
        x[i] = ntk_rng_normal(&r);
}

/* max_ij |C − R|_ij / (|A|·|B|)_ij-scale: the entrywise error against the
 * natural rounding scale Σ_l |A_il||B_lj| (+ |beta C|); returns the worst
 * ratio and the Frobenius-relative difference in *fro. */
static double compare(size_t m, size_t k, const double *C, size_t ldc, const double *R,
                      size_t ldr, const double *scale, double *fro)
{
    double worst = 0, num = 0, den = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) {
            double d = fabs(C[i * ldc + j] - R[i * ldr + j]);
            double s = scale[i * k + j] > 1e-300 ? scale[i * k + j] : 1e-300;
            if (d / s > worst)
                worst = d / s;
            num += d * d;
            den += R[i * ldr + j] * R[i * ldr + j];
        }
    *fro = den > 0 ? sqrt(num / den) : sqrt(num);
    return worst;
}

/* One case: C = alpha A B + beta C0 with leading dimensions padded by `pad`,
 * against cblas_dgemm (row-major), for every available ISA and 1 and 2
 * threads. */
static void check_case(size_t m, size_t n, size_t k, double alpha, double beta, size_t pad)
{
    size_t lda = n + pad, ldb = k + pad, ldc = k + 2 * pad;
    double *A = malloc((m * lda + 1) * sizeof *A), *B = malloc((n * ldb + 1) * sizeof *B);
    double *C0 = malloc((m * ldc + 1) * sizeof *C0), *R = malloc((m * ldc + 1) * sizeof *R);
    double *C = malloc((m * ldc + 1) * sizeof *C), *S = malloc((m * k + 1) * sizeof *S);
    double *Aabs = malloc((m * lda + 1) * sizeof *Aabs), *Babs = malloc((n * ldb + 1) * sizeof *Babs);
    fill(A, m * lda, 11 + m);
    fill(B, n * ldb, 12 + k);
    fill(C0, m * ldc, 13);
    for (size_t i = 0; i < m * lda; i++)
        Aabs[i] = fabs(A[i]);
    for (size_t i = 0; i < n * ldb; i++)
        Babs[i] = fabs(B[i]);
    memcpy(R, C0, m * ldc * sizeof *R);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)k, (int)n, alpha, A,
                (int)lda, B, (int)ldb, beta, R, (int)ldc);
    /* rounding scale: |alpha| |A||B| + |beta C0|, times n·u-ish allowance */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t l = 0; l < n; l++)
                s += Aabs[i * lda + l] * Babs[l * ldb + j];
            S[i * k + j] = fabs(alpha) * s + fabs(beta * C0[i * ldc + j]);
        }
    double *first = malloc((m * ldc + 1) * sizeof *first);
    int have_first = 0;
    int max_thr = omp_get_max_threads();
    for (size_t q = 0; q < sizeof ISAS / sizeof *ISAS; q++) {
        if (gemm_thin_set_isa(ISAS[q]) != 0)
            continue; /* not on this CPU */
        for (int thr = 1; thr <= 2; thr++) {
            omp_set_num_threads(thr);
            memcpy(C, C0, m * ldc * sizeof *C);
            ck_assert_int_eq(gemm_thin(m, n, k, alpha, A, lda, B, ldb, beta, C, ldc), 0);
            double fro;
            double worst = compare(m, k, C, ldc, R, ldc, S, &fro);
            /* Each entry is one dot product of length n: error ≤ ~(n+2)·u·scale
             * for both; in practice far less. */
            ck_assert_msg(worst <= 2.0 * (double)(n + 2) * 1.12e-16,
                          "%s thr %d m=%zu n=%zu k=%zu: entrywise %.3g", ISAS[q], thr, m, n, k,
                          worst);
            ck_assert_msg(fro <= 1e-14, "%s thr %d m=%zu n=%zu k=%zu: Frobenius rel %.3g",
                          ISAS[q], thr, m, n, k, fro);
            /* Padding between rows untouched. */
            for (size_t i = 0; i < m; i++)
                for (size_t j = k; j < ldc; j++)
                    ck_assert(C[i * ldc + j] == C0[i * ldc + j]);
            /* Same ISA, other thread count: bit-identical. */
            if (thr == 1) {
                memcpy(first, C, m * ldc * sizeof *C);
                have_first = 1;
            } else {
                ck_assert(have_first);
                ck_assert_msg(memcmp(first, C, m * ldc * sizeof *C) == 0,
                              "%s m=%zu n=%zu k=%zu: 1 and 2 threads differ", ISAS[q], m, n, k);
            }
        }
        have_first = 0;
    }
    gemm_thin_set_isa(NULL);
    omp_set_num_threads(max_thr);
    free(first);
    free(A);
    free(B);
    free(C0);
    free(R);
    free(C);
    free(S);
    free(Aabs);
    free(Babs);
}

START_TEST(test_sizes)
{
    static const size_t N[] = {1, 7, 257, 1000};
    static const size_t K[] = {1, 3, 26, 65};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++)
            check_case(N[a], N[a], K[b], 1.0, 0.0, 0);
}
END_TEST

START_TEST(test_alpha_beta_strides)
{
    check_case(257, 257, 26, 0.37, -1.0, 3);
    check_case(1000, 1000, 3, -2.5, 0.5, 1);
    check_case(7, 7, 65, 1.0, 1.0, 5);
    /* rectangular A (m ≠ n) */
    check_case(100, 333, 9, 1.0, 0.0, 0);
    check_case(333, 100, 17, 0.5, 2.0, 2);
    check_case(1, 1000, 40, 1.0, 0.0, 0);
    /* several column slices of B (2500 rows of 26 > the 256 KiB slice) */
    check_case(600, 2500, 26, 1.0, 0.0, 1);
}
END_TEST

/* beta = 0 must not read C (NaN there stays out of the result). */
START_TEST(test_beta_zero_ignores_c)
{
    size_t n = 50, k = 5;
    double *A = malloc(n * n * sizeof *A), *B = malloc(n * k * sizeof *B);
    double *C = malloc(n * k * sizeof *C), *R = malloc(n * k * sizeof *R);
    fill(A, n * n, 1);
    fill(B, n * k, 2);
    for (size_t i = 0; i < n * k; i++)
        C[i] = NAN;
    ck_assert_int_eq(gemm_thin(n, n, k, 1.0, A, n, B, k, 0.0, C, k), 0);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0, A,
                (int)n, B, (int)k, 0.0, R, (int)k);
    for (size_t i = 0; i < n * k; i++)
        ck_assert_close(C[i], R[i], 1e-13, 1e-12);
    /* n = 0: the product is zero, C = beta C. */
    for (size_t i = 0; i < n * k; i++)
        C[i] = 2.0;
    ck_assert_int_eq(gemm_thin(n, 0, k, 1.0, A, 1, B, k, 0.5, C, k), 0);
    for (size_t i = 0; i < n * k; i++)
        ck_assert(C[i] == 1.0);
    /* m = 0 or k = 0: nothing happens. */
    ck_assert_int_eq(gemm_thin(0, n, k, 1.0, A, n, B, k, 0.0, C, k), 0);
    ck_assert_int_eq(gemm_thin(n, n, 0, 1.0, A, n, B, k, 0.0, C, k), 0);
    free(A);
    free(B);
    free(C);
    free(R);
}
END_TEST

/* The epilogue: C = alpha A B + beta C + gamma B, then acc[q] += coef[q] C. */
START_TEST(test_epilogue)
{
    size_t n = 301, k = 26, len = n * k;
    double *A = malloc(n * n * sizeof *A), *B = malloc(len * sizeof *B);
    double *C = malloc(len * sizeof *C), *R = malloc(len * sizeof *R);
    double *acc[3], *ref[3];
    double coef[3] = {0.5, -1.25, 3.0};
    fill(A, n * n, 3);
    fill(B, len, 4);
    fill(C, len, 5);
    memcpy(R, C, len * sizeof *R);
    for (int q = 0; q < 3; q++) {
        acc[q] = malloc(len * sizeof **acc);
        ref[q] = malloc(len * sizeof **ref);
        fill(acc[q], len, 6 + (uint64_t)q);
        memcpy(ref[q], acc[q], len * sizeof **acc);
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 0.8, A,
                (int)n, B, (int)k, -1.0, R, (int)k);
    for (size_t i = 0; i < len; i++) {
        R[i] += -2.0 * B[i];
        for (int q = 0; q < 3; q++)
            ref[q][i] += coef[q] * R[i];
    }
    gemm_thin_epilogue e = {0.8, -1.0, -2.0, 3, coef, acc, k};
    ck_assert_int_eq(gemm_thin_ex(n, n, k, A, n, B, k, C, k, &e), 0);
    for (size_t i = 0; i < len; i++) {
        ck_assert_close(C[i], R[i], 1e-13, 1.0);
        for (int q = 0; q < 3; q++)
            ck_assert_close(acc[q][i], ref[q][i], 1e-13, 1.0);
    }
    for (int q = 0; q < 3; q++) {
        free(acc[q]);
        free(ref[q]);
    }
    free(A);
    free(B);
    free(C);
    free(R);
}
END_TEST

/* B already padded and aligned (read in place): NaN in the padding columns
 * must not reach C; same result as a packed copy, bit for bit. */
START_TEST(test_in_place_b)
{
    static const size_t K[] = {1, 3, 26, 65};
    size_t n = 700;
    double *A = malloc(n * n * sizeof *A);
    fill(A, n * n, 21);
    for (size_t q = 0; q < sizeof ISAS / sizeof *ISAS; q++) {
        if (gemm_thin_set_isa(ISAS[q]) != 0)
            continue;
        for (size_t b = 0; b < 4; b++) {
            size_t k = K[b], ld = gemm_thin_ld(k);
            ck_assert(ld >= k && ld < k + 8);
            double *Bd = aligned_alloc(64, (n * ld * sizeof(double) + 63) / 64 * 64);
            double *Bc = malloc(n * k * sizeof *Bc), *C1 = malloc(n * ld * sizeof *C1);
            double *C2 = malloc(n * k * sizeof *C2);
            fill(Bc, n * k, 22 + k);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ld; j++)
                    Bd[i * ld + j] = j < k ? Bc[i * k + j] : NAN;
            for (size_t i = 0; i < n * ld; i++)
                C1[i] = -7.0;
            ck_assert_int_eq(gemm_thin(n, n, k, 1.5, A, n, Bd, ld, 0.0, C1, ld), 0);
            ck_assert_int_eq(gemm_thin(n, n, k, 1.5, A, n, Bc, k, 0.0, C2, k), 0);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ld; j++) {
                    if (j < k)
                        ck_assert_msg(C1[i * ld + j] == C2[i * k + j], "%s k=%zu (%zu,%zu)",
                                      ISAS[q], k, i, j);
                    else
                        ck_assert(C1[i * ld + j] == -7.0);
                }
            free(Bd);
            free(Bc);
            free(C1);
            free(C2);
        }
    }
    gemm_thin_set_isa(NULL);
    free(A);
}
END_TEST

/* The Chebyshev recurrence with k columns against the eigendecomposition:
 * a Gram kernel plus ridge, sum time scale, two finite times. */
static void cheb_vs_eigen(size_t n, size_t k)
{
    size_t d = 30;
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    double *A = malloc(n * n * sizeof *A), *Y = malloc(n * k * sizeof *Y);
    fill(X, n * d, 31);
    fill(Y, n * k, 32);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0 / (double)d,
                X, (int)d, X, (int)d, 0.0, K, (int)n);
    double times[] = {0.3, 3};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 0.05;
    p.times = times;
    p.n_times = 2;
    ntk_solution *s[2];
    ntk_solve_method m[2] = {NTK_SOLVE_CHEBYSHEV, NTK_SOLVE_EIGEN};
    for (int q = 0; q < 2; q++) {
        ntk_error err = {0};
        memcpy(A, K, n * n * sizeof *A);
        p.method = m[q];
        ck_assert_msg(ntk_solve(A, n, Y, k, &p, &s[q], &err) == NTK_OK, "%s", err.msg);
    }
    ck_assert(s[0]->used_chebyshev && s[1]->used_eigen);
    double num = 0, den = 0;
    for (size_t i = 0; i < 2 * n * k; i++) {
        num += (s[0]->coef[i] - s[1]->coef[i]) * (s[0]->coef[i] - s[1]->coef[i]);
        den += s[1]->coef[i] * s[1]->coef[i];
    }
    ck_assert_msg(sqrt(num / den) <= 1e-10, "n=%zu k=%zu: Chebyshev vs eigen rel %.3g", n, k,
                  sqrt(num / den));
    fprintf(stderr, "gemm_thin: Chebyshev n=%zu k=%zu degree %zu vs eigen rel %.2g\n", n, k,
            s[0]->cheb_degree, sqrt(num / den));
    ntk_solution_free(s[0]);
    ntk_solution_free(s[1]);
    free(X);
    free(K);
    free(A);
    free(Y);
}

START_TEST(test_chebyshev_paths)
{
    cheb_vs_eigen(150, 7);    /* gemm_thin */
    cheb_vs_eigen(150, 1030); /* wider than CHEB_THIN_MAX_K: the dgemm fallback */
}
END_TEST

START_TEST(test_isa_names)
{
    ck_assert_int_eq(gemm_thin_set_isa("baseline"), 0);
    ck_assert_str_eq(gemm_thin_isa(), "baseline");
    ck_assert_int_eq(gemm_thin_set_isa("no-such-isa"), -1);
    ck_assert_str_eq(gemm_thin_isa(), "baseline");
    ck_assert_int_eq(gemm_thin_set_isa(NULL), 0);
    const char *isa = gemm_thin_isa();
    ck_assert(strcmp(isa, "baseline") == 0 || strcmp(isa, "avx2") == 0 ||
              strcmp(isa, "avx512") == 0);
    fprintf(stderr, "gemm_thin: automatic ISA %s\n", isa);
}
END_TEST

START_TEST(test_transposed)
{
    /* gemm_thin_tn: C = alpha·Aᵀ·B + beta·C with A stored n×m (lda > m), odd
     * sizes, every ISA, 1 and 2 threads, against cblas_dgemm. */
    static const size_t sz[][3] = {{1, 1, 1}, {7, 13, 3}, {300, 517, 26}, {1029, 64, 33}};
    for (size_t c = 0; c < sizeof sz / sizeof sz[0]; c++) {
        size_t m = sz[c][0], n = sz[c][1], k = sz[c][2], lda = m + 5;
        double *A = malloc(n * lda * sizeof *A), *B = malloc(n * k * sizeof *B);
        double *C0 = malloc(m * k * sizeof *C0), *C = malloc(m * k * sizeof *C);
        double *R = malloc(m * k * sizeof *R);
        fill(A, n * lda, 11 + c);
        fill(B, n * k, 12 + c);
        fill(C0, m * k, 13 + c);
        memcpy(R, C0, m * k * sizeof *R);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)k, (int)n, -0.5, A,
                    (int)lda, B, (int)k, 2.0, R, (int)k);
        for (size_t q = 0; q < 3; q++) {
            if (gemm_thin_set_isa(ISAS[q]) != 0)
                continue;
            for (int t = 1; t <= 2; t++) {
                omp_set_num_threads(t);
                memcpy(C, C0, m * k * sizeof *C);
                ck_assert_int_eq(gemm_thin_tn(m, n, k, -0.5, A, lda, B, k, 2.0, C, k), 0);
                double num = 0, den = 0;
                for (size_t i = 0; i < m * k; i++) {
                    num += (C[i] - R[i]) * (C[i] - R[i]);
                    den += R[i] * R[i];
                }
                ck_assert_msg(sqrt(num / den) < 1e-13, "tn %zux%zux%zu %s %d threads: %g", m,
                              n, k, ISAS[q], t, sqrt(num / den));
            }
        }
        gemm_thin_set_isa(NULL);
        omp_set_num_threads(2);
        free(A);
        free(B);
        free(C0);
        free(C);
        free(R);
    }
}
END_TEST

START_TEST(test_chol_thin)
{
    /* chol_thin_solve against LAPACK's dpotrs on the same factor: sizes
     * around its block of 256 rows, 4–33 columns, a strict upper triangle of
     * NaN (it must not be read). */
    static const size_t sz[][2] = {{5, 4}, {256, 8}, {257, 13}, {777, 26}, {600, 33}};
    for (size_t c = 0; c < sizeof sz / sizeof sz[0]; c++) {
        size_t n = sz[c][0], k = sz[c][1], ld = chol_thin_ld(k);
        double *S = malloc(n * n * sizeof *S), *G = malloc(n * n * sizeof *G);
        double *Y = malloc(n * k * sizeof *Y), *X = aligned_alloc(64, n * ld * sizeof *X);
        fill(G, n * n, 21 + c);
        /* S = G Gᵀ/n + I: symmetric positive definite, modestly conditioned. */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)n,
                    1.0 / (double)n, G, (int)n, G, (int)n, 0.0, S, (int)n);
        for (size_t i = 0; i < n; i++)
            S[i + i * n] += 1.0;
        ck_assert_int_eq(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (int)n, S, (int)n), 0);
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < j; i++)
                S[i + j * n] = NAN;
        fill(Y, n * k, 22 + c);
        memset(X, 0, n * ld * sizeof *X);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++)
                X[i * ld + j] = Y[i + j * n];
        ck_assert_int_eq(LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (int)n, (int)k, S, (int)n, Y,
                                        (int)n), 0);
        ck_assert_int_eq(chol_thin_solve(S, n, X, ld, k), 0);
        double num = 0, den = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) {
                double d = X[i * ld + j] - Y[i + j * n];
                num += d * d;
                den += Y[i + j * n] * Y[i + j * n];
            }
        ck_assert_msg(sqrt(num / den) < 1e-13, "n %zu k %zu: %g", n, k, sqrt(num / den));
        free(S);
        free(G);
        free(Y);
        free(X);
    }
}
END_TEST

static Suite *gemm_thin_suite(void)
{
    Suite *s = suite_create("gemm_thin");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_alpha_beta_strides);
    tcase_add_test(tc, test_beta_zero_ignores_c);
    tcase_add_test(tc, test_epilogue);
    tcase_add_test(tc, test_in_place_b);
    tcase_add_test(tc, test_chebyshev_paths);
    tcase_add_test(tc, test_isa_names);
    tcase_add_test(tc, test_transposed);
    tcase_add_test(tc, test_chol_thin);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(gemm_thin_suite)

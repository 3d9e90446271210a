/* Solver tests: the gradient-flow coefficients against independent reference
 * predictions (tests/data/ref_predict.txt), and the solver's own properties. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include <lapacke.h>

#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/solver.h"
#include "testutil.h"

#define MAXT 8

typedef struct {
    char act[32], kind[8], variant[8];
    int depth;
    double w_std, b_std, reg;
    size_t n, m, nt;
    double y[64], ktt[64 * 64], kst[16 * 64];
    double times[MAXT];
    double test[MAXT][16], train[MAXT][64];
} ref_case;

static int read_vec(FILE *f, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char tok[64];
        if (fscanf(f, "%63s", tok) != 1)
            return 0;
        v[i] = strcmp(tok, "inf") == 0 ? INFINITY : strtod(tok, NULL);
    }
    return 1;
}

/* Read the next case; returns 0 at end of file. */
static int read_case(FILE *f, ref_case *c)
{
    char word[64];
    memset(c, 0, sizeof *c);
    while (fscanf(f, "%63s", word) == 1) {
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != '\n' && ch != EOF) {
            }
            continue;
        }
        if (strcmp(word, "case") == 0) {
            size_t nt;
            ck_assert(fscanf(f, "%31s %d %lf %lf %7s %lf %7s %zu", c->act, &c->depth, &c->w_std,
                             &c->b_std, c->kind, &c->reg, c->variant, &nt) == 8);
            ck_assert(nt <= MAXT);
        } else if (strcmp(word, "ytrain") == 0) {
            ck_assert(fscanf(f, "%zu", &c->n) == 1 && c->n <= 64);
            ck_assert(read_vec(f, c->y, c->n));
        } else if (strcmp(word, "ktt") == 0) {
            size_t r, q;
            ck_assert(fscanf(f, "%zu %zu", &r, &q) == 2 && r == c->n && q == c->n);
            ck_assert(read_vec(f, c->ktt, r * q));
        } else if (strcmp(word, "kst") == 0) {
            size_t r, q;
            ck_assert(fscanf(f, "%zu %zu", &r, &q) == 2 && r <= 16 && q == c->n);
            c->m = r;
            ck_assert(read_vec(f, c->kst, r * q));
        } else if (strcmp(word, "pred") == 0) {
            char t[64], which[16];
            size_t len;
            ck_assert(fscanf(f, "%63s %15s %zu", t, which, &len) == 3);
            double tv = strcmp(t, "inf") == 0 ? INFINITY : strtod(t, NULL);
            size_t i;
            for (i = 0; i < c->nt && c->times[i] != tv; i++) {
            }
            if (i == c->nt)
                c->times[c->nt++] = tv;
            ck_assert(read_vec(f, strcmp(which, "test") == 0 ? c->test[i] : c->train[i], len));
        } else if (strcmp(word, "end") == 0) {
            return 1;
        }
    }
    return 0;
}

/* Solve one case with the given method; compare test and train predictions. */
static double check_case(const ref_case *c, ntk_solve_method method, int only_inf)
{
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = c->reg;
    p.time_scale = strcmp(c->variant, "perN") == 0 ? NTK_TIME_MEAN : NTK_TIME_SUM;
    double times[MAXT];
    size_t nt = 0;
    for (size_t i = 0; i < c->nt; i++)
        if (!only_inf || isinf(c->times[i]))
            times[nt++] = c->times[i];
    p.times = times;
    p.n_times = nt;
    p.method = method;
    double *A = malloc(c->n * c->n * sizeof *A);
    memcpy(A, c->ktt, c->n * c->n * sizeof *A);
    ntk_solution *s = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_solve(A, c->n, c->y, 1, &p, &s, &err) == NTK_OK, "%s", err.msg);
    double worst = 0.0;
    for (size_t ti = 0; ti < nt; ti++) {
        size_t ri;
        for (ri = 0; c->times[ri] != times[ti]; ri++) {
        }
        const double *C = s->coef + ti * c->n;
        for (size_t j = 0; j < c->m; j++) {
            double f = cblas_ddot((int)c->n, c->kst + j * c->n, 1, C, 1);
            double e = fabs(f - c->test[ri][j]);
            worst = e > worst ? e : worst;
            ck_assert_msg(e <= 1e-9, "%s d%d %s %s t=%g test[%zu]: %.17g vs %.17g", c->act,
                          c->depth, c->kind, c->variant, times[ti], j, f, c->test[ri][j]);
        }
        for (size_t j = 0; j < c->n; j++) {
            double e = fabs(s->train_pred[ti * c->n + j] - c->train[ri][j]);
            worst = e > worst ? e : worst;
            ck_assert_msg(e <= 1e-9, "%s d%d %s t=%g train[%zu]: %.17g vs %.17g", c->act,
                          c->depth, c->kind, times[ti], j, s->train_pred[ti * c->n + j],
                          c->train[ri][j]);
        }
    }
    ntk_solution_free(s);
    free(A);
    return worst;
}

START_TEST(test_reference_predictions)
{
    FILE *f = fopen(TEST_DATA_DIR "/ref_predict.txt", "r");
    ck_assert_msg(f != NULL, "cannot open reference file");
    ref_case *c = malloc(sizeof *c);
    int count = 0;
    double worst = 0.0;
    while (read_case(f, c)) {
        double w = check_case(c, NTK_SOLVE_AUTO, 0);            /* eigen (finite t present) */
        double w2 = check_case(c, NTK_SOLVE_CHOLESKY, 1);       /* Cholesky for t = inf */
        worst = fmax(worst, fmax(w, w2));
        count++;
    }
    fclose(f);
    free(c);
    ck_assert_int_eq(count, 52);
    fprintf(stderr, "solver: %d reference cases, worst abs error %.3g\n", count, worst);
}
END_TEST

/* Random SPD-ish kernel: Gram of random features plus a small diagonal. */
static void random_kernel(double *K, size_t n, size_t d, uint64_t seed, double ridge)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    double *X = malloc(n * d * sizeof *X);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0 / (double)d,
                X, (int)d, X, (int)d, 0.0, K, (int)n);
    for (size_t i = 0; i < n; i++)
        K[i * n + i] += ridge;
    free(X);
}

START_TEST(test_eigen_large_t_equals_cholesky)
{
    size_t n = 40, d = 60, k = 3;
    double *K = malloc(n * n * sizeof *K), *A = malloc(n * n * sizeof *A);
    double Y[40 * 3];
    ntk_rng r;
    ntk_rng_seed(&r, 7);
    for (size_t i = 0; i < n * k; i++)
        Y[i] = ntk_rng_normal(&r);
    random_kernel(K, n, d, 1, 0.01);
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    double big[] = {1e9}, inf[] = {INFINITY};
    ntk_solution *se = NULL, *sc = NULL;
    ntk_error err = {0};
    memcpy(A, K, n * n * sizeof *A);
    p.times = big;
    p.n_times = 1;
    ck_assert(ntk_solve(A, n, Y, k, &p, &se, &err) == NTK_OK);
    memcpy(A, K, n * n * sizeof *A);
    p.times = inf;
    ck_assert(ntk_solve(A, n, Y, k, &p, &sc, &err) == NTK_OK);
    ck_assert(se->used_eigen && !sc->used_eigen);
    for (size_t i = 0; i < n * k; i++)
        ck_assert_close(se->coef[i], sc->coef[i], 1e-8, 1e-6);
    ntk_solution_free(se);
    ntk_solution_free(sc);
    free(K);
    free(A);
}
END_TEST

START_TEST(test_t0_zero_and_training_error_monotone)
{
    size_t n = 30, d = 5;
    double *K = malloc(n * n * sizeof *K);
    double Y[30];
    ntk_rng r;
    ntk_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++)
        Y[i] = ntk_rng_normal(&r);
    random_kernel(K, n, d, 2, 1e-3);
    double times[] = {0, 0.01, 0.1, 1, 10, 100, 1000, INFINITY};
    size_t nt = sizeof times / sizeof times[0];
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.times = times;
    p.n_times = nt;
    ntk_solution *s = NULL;
    ntk_error err = {0};
    ck_assert(ntk_solve(K, n, Y, 1, &p, &s, &err) == NTK_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert(s->coef[i] == 0.0);
        ck_assert(s->train_pred[i] == 0.0);
    }
    double prev = INFINITY;
    for (size_t t = 0; t < nt; t++) {
        double sse = 0;
        for (size_t i = 0; i < n; i++) {
            double e = s->train_pred[t * n + i] - Y[i];
            sse += e * e;
        }
        ck_assert_msg(sse <= prev * (1 + 1e-12), "training error rose at t=%g", times[t]);
        prev = sse;
    }
    ck_assert_msg(prev < 1e-12, "t=inf interpolates: sse %g", prev);
    ntk_solution_free(s);
    free(K);
}
END_TEST

START_TEST(test_singular_kernel_min_norm)
{
    /* Duplicate rows: a rank-3 Gram matrix of 20 rows, ridge 0, t = ∞: the
     * minimum-norm interpolant, whatever path factors it. Its training fit
     * is the projection of y onto the range of K, and its coefficients lie
     * in that range (K⁺y) — so K·c = P y and c = K⁺ y, checked through the
     * normal equations K(Kc − y) = 0 and c ⟂ null(K) via K K⁺. */
    size_t n = 20, d = 3;
    double *K = malloc(n * n * sizeof *K), *A = malloc(n * n * sizeof *A);
    random_kernel(K, n, d, 5, 0.0);
    double Y[20];
    for (size_t i = 0; i < n; i++)
        Y[i] = (double)i / 10.0;
    double inf[] = {INFINITY};
    ntk_solve_method methods[] = {NTK_SOLVE_AUTO, NTK_SOLVE_EIGEN};
    for (size_t m = 0; m < 2; m++) {
        ntk_solve_params p;
        ntk_solve_params_init(&p);
        p.times = inf;
        p.n_times = 1;
        p.method = methods[m];
        ntk_solution *s = NULL;
        ntk_error err = {0};
        memcpy(A, K, n * n * sizeof *A);
        ck_assert_msg(ntk_solve(A, n, Y, 1, &p, &s, &err) == NTK_OK, "%s", err.msg);
        double kmax = 0, r[20], cmax = 0;
        for (size_t i = 0; i < n * n; i++)
            kmax = fmax(kmax, fabs(K[i]));
        for (size_t i = 0; i < n; i++) {
            ck_assert(isfinite(s->coef[i]));
            cmax = fmax(cmax, fabs(s->coef[i]));
            r[i] = -Y[i];
            for (size_t j = 0; j < n; j++)
                r[i] += K[i * n + j] * s->coef[j];
        }
        /* min-norm coefficients are O(|y| / λ_min⁺), not 1/rounding */
        ck_assert_msg(cmax < 1e6, "coefficients %g: rounding noise amplified", cmax);
        for (size_t i = 0; i < n; i++) {
            double g = 0;
            for (size_t j = 0; j < n; j++)
                g += K[i * n + j] * r[j];
            ck_assert_msg(fabs(g) < 1e-9 * kmax * (double)n, "normal equations %g", g);
        }
        ntk_solution_free(s);
    }
    free(A);
    free(K);
}
END_TEST

/* Exact duplicate rows with conflicting targets at ridge 0, t = ∞: the flow's
 * limit is the minimum-norm interpolant, which on duplicates predicts with
 * the distinct rows and their mean targets. A Cholesky that "succeeds" on
 * rounding-level pivots must not pass its amplified noise on instead. */
START_TEST(test_duplicates_predict_as_min_norm)
{
    enum { U = 6, REP = 40, D = 3, NT = 4 };
    size_t n = U * REP;
    double Xu[U * D], Xt[NT * D], ybar[U] = {0};
    ntk_rng r;
    ntk_rng_seed(&r, (uint64_t)_i + 11);
    for (size_t i = 0; i < U * D; i++)
        Xu[i] = ntk_rng_normal(&r);
    for (size_t i = 0; i < NT * D; i++)
        Xt[i] = ntk_rng_normal(&r);
    double *X = malloc(n * D * sizeof *X), *Y = malloc(n * sizeof *Y);
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * D, Xu + (i % U) * D, D * sizeof *X);
        Y[i] = ntk_rng_normal(&r);
        ybar[i % U] += Y[i] / REP;
    }
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 3;
    a.b_std = 0.5;
    double *K = malloc(n * n * sizeof *K), *Kt = malloc(NT * n * sizeof *Kt);
    double Kuu[U * U], Ktu[NT * U];
    ntk_error err = {0};
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, D, K, NULL, &err) == NTK_OK);
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, Xt, NT, X, n, D, Kt, NULL, &err) == NTK_OK);
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, Xu, U, NULL, 0, D, Kuu, NULL, &err) == NTK_OK);
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, Xt, NT, Xu, U, D, Ktu, NULL, &err) == NTK_OK);
    lapack_int ipiv[U];
    ck_assert(LAPACKE_dgesv(LAPACK_ROW_MAJOR, U, 1, Kuu, U, ipiv, ybar, 1) == 0);
    double inf[] = {INFINITY};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.times = inf;
    p.n_times = 1;
    ntk_solution *s = NULL;
    ck_assert_msg(ntk_solve(K, n, Y, 1, &p, &s, &err) == NTK_OK, "%s", err.msg);
    /* the distinct rows' Cholesky, not the eigendecomposition */
    ck_assert_msg(s->n_null == n - U && !s->used_eigen, "n_null %zu, eigen %d", s->n_null,
                  s->used_eigen);
    for (size_t t = 0; t < NT; t++) {
        double want = 0, got = 0, scale = 0;
        for (size_t j = 0; j < U; j++)
            want += Ktu[t * U + j] * ybar[j];
        for (size_t j = 0; j < n; j++) {
            got += Kt[t * n + j] * s->coef[j];
            scale += fabs(Kt[t * n + j] * s->coef[j]);
        }
        ck_assert_msg(fabs(got - want) < 1e-6 * (1 + fabs(want)),
                      "test row %zu: %.10g, min-norm interpolant %.10g (sum |terms| %g)", t,
                      got, want, scale);
    }
    ntk_solution_free(s);
    free(X);
    free(Y);
    free(K);
    free(Kt);
}
END_TEST

START_TEST(test_flow_coefficient)
{
    ck_assert(ntk_flow_coefficient(0.0, 2.5) == 2.5);
    ck_assert_close(ntk_flow_coefficient(1e-20, 2.0), 2.0, 1e-15, 0);
    ck_assert_close(ntk_flow_coefficient(3.0, INFINITY), 1.0 / 3.0, 1e-15, 0);
    ck_assert_close(ntk_flow_coefficient(2.0, 0.5), (1 - exp(-1.0)) / 2.0, 1e-15, 0);
    ck_assert_close(ntk_flow_coefficient(1e-6, 1.0), (-expm1(-1e-6)) / 1e-6, 1e-15, 0);
    ck_assert(ntk_flow_coefficient(1.0, 1e300) == 1.0);
}
END_TEST

START_TEST(test_bad_params)
{
    double K[4] = {1, 0, 0, 1}, Y[2] = {1, 2};
    double bad_t[] = {-1};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.times = bad_t;
    p.n_times = 1;
    ntk_solution *s = NULL;
    ntk_error err = {0};
    ck_assert(ntk_solve(K, 2, Y, 1, &p, &s, &err) == NTK_EINPUT);
    ck_assert(strstr(err.msg, "time") != NULL);
    double t[] = {1};
    p.times = t;
    p.lr = 0;
    ck_assert(ntk_solve(K, 2, Y, 1, &p, &s, &err) == NTK_EINPUT);
    p.lr = 1;
    K[1] = NAN;
    ck_assert(ntk_solve(K, 2, Y, 1, &p, &s, &err) == NTK_ENUMERIC);
    ck_assert(s == NULL);
}
END_TEST

static Suite *solver_suite(void)
{
    Suite *s = suite_create("solver");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_reference_predictions);
    tcase_add_test(tc, test_eigen_large_t_equals_cholesky);
    tcase_add_test(tc, test_t0_zero_and_training_error_monotone);
    tcase_add_test(tc, test_singular_kernel_min_norm);
    tcase_add_loop_test(tc, test_duplicates_predict_as_min_norm, 0, 8);
    tcase_add_test(tc, test_flow_coefficient);
    tcase_add_test(tc, test_bad_params);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(solver_suite)

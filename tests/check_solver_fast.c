/* The Chebyshev path for finite times (NTK_SOLVE_CHEBYSHEV) against the
 * eigendecomposition: random NTK and Gram kernels of a few hundred rows, the
 * independent reference predictions, mixed finite/∞ times, and AUTO's choice. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/solver.h"
#include "solver_testutil.h"
#include "testutil.h"

/* Chebyshev vs eigen, per time: coefficients and training predictions. */
static double compare(const double *K, size_t n, const double *Y, size_t k, ntk_solve_params *p,
                      const char *what)
{
    ntk_solution *se = solve(K, n, Y, k, p, NTK_SOLVE_EIGEN);
    ntk_solution *sc = solve(K, n, Y, k, p, NTK_SOLVE_CHEBYSHEV);
    ck_assert(se->used_eigen && !sc->used_eigen && sc->used_chebyshev);
    double worst = 0;
    for (size_t t = 0; t < p->n_times; t++) {
        double ec = rel_diff(sc->coef + t * n * k, se->coef + t * n * k, n * k);
        double ef = rel_diff(sc->train_pred + t * n * k, se->train_pred + t * n * k, n * k);
        ck_assert_msg(ec <= 1e-8 && ef <= 1e-8, "%s t=%g: coef rel %.3g, train rel %.3g", what,
                      p->times[t], ec, ef);
        worst = fmax(worst, fmax(ec, ef));
    }
    fprintf(stderr, "solver_fast: %s n=%zu k=%zu degree %zu, L %.4g, worst rel %.2g\n", what, n,
            k, sc->cheb_degree, sc->cheb_bound, worst);
    ntk_solution_free(se);
    ntk_solution_free(sc);
    return worst;
}

static void random_matrix(double *X, size_t len, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < len; i++)
        X[i] = ntk_rng_normal(&r);
}

static double *ntk_kernel(size_t n, size_t d, int depth, ntk_act_kind act, double b_std,
                          uint64_t seed)
{
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    random_matrix(X, n * d, seed);
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = depth;
    a.b_std = b_std;
    ntk_activation_init(&a.act, act);
    ntk_error err = {0};
    ck_assert_msg(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err) == NTK_OK,
                  "%s", err.msg);
    free(X);
    return K;
}

START_TEST(test_relu_ntk_mean_scale)
{
    /* letterrecognition-like: centered one-hot targets (rank k − 1), 'mean' time scale. */
    size_t n = 800, d = 16, k = 6;
    double *K = ntk_kernel(n, d, 3, NTK_ACT_RELU, 0.1, 11);
    double *Y = malloc(n * k * sizeof *Y);
    ntk_rng r;
    ntk_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            Y[i * k + c] = (ntk_rng_uniform(&r) < 1.0 / (double)k ? 1.0 : 0.0) - 1.0 / (double)k;
    double times[] = {0, 10, 100, 1000, 10000};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 1e-3;
    p.reg_scale = NTK_REG_RELATIVE;
    p.time_scale = NTK_TIME_MEAN;
    p.times = times;
    p.n_times = sizeof times / sizeof times[0];
    compare(K, n, Y, k, &p, "relu depth 3, mean scale");
    free(Y);
    free(K);
}
END_TEST

START_TEST(test_erf_ntk_sum_scale_no_reg)
{
    /* Sum time scale, no ridge (A singular to rounding), regression target. */
    size_t n = 500, d = 8, k = 1;
    double *K = ntk_kernel(n, d, 2, NTK_ACT_ERF, 0.0, 12);
    double *Y = malloc(n * sizeof *Y);
    random_matrix(Y, n, 6);
    double times[] = {1e-3, 0.01, 0.1, 1};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.times = times;
    p.n_times = sizeof times / sizeof times[0];
    p.lr = 0.5;
    compare(K, n, Y, k, &p, "erf depth 2, sum scale, reg 0");
    free(Y);
    free(K);
}
END_TEST

START_TEST(test_gram_kernel_with_inf)
{
    /* Random Gram kernel (low rank + ridge); t = ∞ alongside finite times goes
     * through the Cholesky after the expansion: compare all with the eigen path. */
    size_t n = 300, d = 40, k = 2;
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    random_matrix(X, n * d, 21);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0 / (double)d,
                X, (int)d, X, (int)d, 0.0, K, (int)n);
    double *Y = malloc(n * k * sizeof *Y);
    random_matrix(Y, n * k, 22);
    double times[] = {INFINITY, 0.5, 5, 50};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 0.05;
    p.times = times;
    p.n_times = 4;
    compare(K, n, Y, k, &p, "gram + inf");
    /* The t = ∞ slot equals a plain Cholesky solve. */
    ntk_solution *sc = solve(K, n, Y, k, &p, NTK_SOLVE_CHEBYSHEV);
    p.times = times;
    p.n_times = 1;
    ntk_solution *sh = solve(K, n, Y, k, &p, NTK_SOLVE_CHOLESKY);
    ck_assert(memcmp(sc->coef, sh->coef, n * k * sizeof(double)) == 0);
    ntk_solution_free(sc);
    ntk_solution_free(sh);
    free(X);
    free(Y);
    free(K);
}
END_TEST

/* ---------------------------------------------------- reference file */
#define MAXT 8
typedef struct {
    char variant[8];
    double reg;
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

static int read_case(FILE *f, ref_case *c)
{
    char word[64], skip[64];
    memset(c, 0, sizeof *c);
    while (fscanf(f, "%63s", word) == 1) {
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != '\n' && ch != EOF) {
            }
        } else if (strcmp(word, "case") == 0) {
            size_t nt;
            int depth;
            double w, b;
            ck_assert(fscanf(f, "%63s %d %lf %lf %63s %lf %7s %zu", skip, &depth, &w, &b, skip,
                             &c->reg, c->variant, &nt) == 8);
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
            size_t len, i;
            ck_assert(fscanf(f, "%63s %15s %zu", t, which, &len) == 3);
            double tv = strcmp(t, "inf") == 0 ? INFINITY : strtod(t, NULL);
            for (i = 0; i < c->nt && c->times[i] != tv; i++) {
            }
            if (i == c->nt) {
                ck_assert(c->nt < MAXT);
                c->times[c->nt++] = tv;
            }
            ck_assert(read_vec(f, strcmp(which, "test") == 0 ? c->test[i] : c->train[i], len));
        } else if (strcmp(word, "end") == 0) {
            return 1;
        }
    }
    return 0;
}

START_TEST(test_reference_predictions)
{
    FILE *f = fopen(TEST_DATA_DIR "/ref_predict.txt", "r");
    ck_assert_msg(f != NULL, "cannot open reference file");
    ref_case *c = malloc(sizeof *c);
    int count = 0;
    double worst = 0;
    while (read_case(f, c)) {
        ntk_solve_params p;
        ntk_solve_params_init(&p);
        p.reg = c->reg;
        p.time_scale = strcmp(c->variant, "perN") == 0 ? NTK_TIME_MEAN : NTK_TIME_SUM;
        p.times = c->times;
        p.n_times = c->nt;
        ntk_solution *s = solve(c->ktt, c->n, c->y, 1, &p, NTK_SOLVE_CHEBYSHEV);
        ck_assert(s->used_chebyshev);
        for (size_t t = 0; t < c->nt; t++) {
            double scale = 0;
            for (size_t j = 0; j < c->n; j++)
                scale = fmax(scale, fabs(c->train[t][j]));
            for (size_t j = 0; j < c->m; j++) {
                double v = cblas_ddot((int)c->n, c->kst + j * c->n, 1, s->coef + t * c->n, 1);
                double e = fabs(v - c->test[t][j]) / fmax(scale, 1e-3);
                worst = fmax(worst, e);
                ck_assert_msg(e <= 1e-8, "case %d t=%g test[%zu]: %.17g vs %.17g", count,
                              c->times[t], j, v, c->test[t][j]);
            }
            for (size_t j = 0; j < c->n; j++) {
                double e = fabs(s->train_pred[t * c->n + j] - c->train[t][j]) / fmax(scale, 1e-3);
                worst = fmax(worst, e);
                ck_assert_msg(e <= 1e-8, "case %d t=%g train[%zu]: %.17g vs %.17g", count,
                              c->times[t], j, s->train_pred[t * c->n + j], c->train[t][j]);
            }
        }
        ntk_solution_free(s);
        count++;
    }
    fclose(f);
    free(c);
    ck_assert_int_eq(count, 52);
    fprintf(stderr, "solver_fast: %d reference cases, worst error %.3g (relative to max |f|)\n",
            count, worst);
}
END_TEST

START_TEST(test_auto_choice_and_decline)
{
    /* AUTO at n ≥ NTK_CHEB_MIN_N with a moderate time: the expansion. */
    size_t n = NTK_CHEB_MIN_N, d = 4;
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    random_matrix(X, n * d, 31);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0 / (double)d,
                X, (int)d, X, (int)d, 0.0, K, (int)n);
    double Y[NTK_CHEB_MIN_N];
    random_matrix(Y, n, 32);
    double times[] = {1e-4, 1e-3};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 1e-2;
    p.times = times;
    p.n_times = 2;
    ntk_solution *s = solve(K, n, Y, 1, &p, NTK_SOLVE_AUTO);
    ck_assert(s->used_chebyshev && !s->used_eigen && s->cheb_degree > 0);
    ntk_solution_free(s);
    free(K);
    free(X);
    /* Forced, with s·λ_max far too large: a clear refusal, no solution. */
    size_t m = 50;
    double *G = malloc(m * m * sizeof *G), *A = malloc(m * m * sizeof *A);
    for (size_t i = 0; i < m * m; i++)
        G[i] = i % (m + 1) == 0 ? 1.0 : 0.9;
    memcpy(A, G, m * m * sizeof *A);
    double big[] = {1e12};
    p.times = big;
    p.n_times = 1;
    p.method = NTK_SOLVE_CHEBYSHEV;
    ntk_solution *sd = NULL;
    ntk_error err = {0};
    ck_assert(ntk_solve(A, m, Y, 1, &p, &sd, &err) == NTK_EINPUT);
    ck_assert(sd == NULL && strstr(err.msg, "eigen") != NULL);
    free(A);
    free(G);
}
END_TEST

static Suite *solver_fast_suite(void)
{
    Suite *s = suite_create("solver_fast");
    TCase *tc = tcase_create("chebyshev");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_relu_ntk_mean_scale);
    tcase_add_test(tc, test_erf_ntk_sum_scale_no_reg);
    tcase_add_test(tc, test_gram_kernel_with_inf);
    tcase_add_test(tc, test_reference_predictions);
    tcase_add_test(tc, test_auto_choice_and_decline);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(solver_fast_suite)

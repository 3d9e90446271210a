/* Model selection tests: the reported validation score is reproduced by an
 * independent fit through the solver, and on synthetic problems whose answer
 * is known (pure noise; a noise-free smooth target) the right amount of
 * regularization or early stopping is chosen. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/select.h"
#include "ntk/solver.h"
#include "testutil.h"

static void random_X(double *X, size_t n, size_t d, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
}

START_TEST(test_score_reproduced_by_solver)
{
    size_t n = 120, d = 4, k = 3;
    double X[120 * 4], y[120];
    unsigned char split[120];
    random_X(X, n, d, 5);
    for (size_t i = 0; i < n; i++) {
        double s = X[i * d] + 0.5 * X[i * d + 1] * X[i * d + 2];
        y[i] = s < -0.4 ? 0 : (s < 0.4 ? 1 : 2);
        split[i] = i % 3 == 0;
    }
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 3;
    p.split = split;
    ntk_select_result r;
    ntk_error err = {0};
    ck_assert_msg(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, k, &p, &r, &err) == NTK_OK,
                  "%s", err.msg);
    /* 3 σ_b × (depth 1..3 NTK with F = 0..depth-1 (6) + 3 NNGP) = 27 kernels. */
    ck_assert_uint_eq(r.n_kernels, 27);
    ck_assert_uint_eq(r.n_candidates, 27 * 36);
    ck_assert(r.arch.depth >= 1 && r.arch.depth <= 3);
    ck_assert(r.arch.fixed_layers < r.arch.depth);

    /* Refit the chosen model independently: kernel of all rows, solver on
     * the training part, argmax on the validation part. */
    double *K = malloc(n * n * sizeof *K);
    ck_assert(ntk_kernel_eval(&r.arch, r.kind, X, n, NULL, 0, d, K, NULL, &err) == NTK_OK);
    size_t tr[120], va[120], ntr = 0, nva = 0;
    for (size_t i = 0; i < n; i++) {
        if (split[i])
            va[nva++] = i;
        else
            tr[ntr++] = i;
    }
    double *A = malloc(ntr * ntr * sizeof *A), *Y = malloc(ntr * k * sizeof *Y), md = 0;
    for (size_t i = 0; i < ntr; i++) {
        for (size_t j = 0; j < ntr; j++)
            A[i * ntr + j] = K[tr[i] * n + tr[j]];
        md += A[i * ntr + i];
        for (size_t c = 0; c < k; c++)
            Y[i * k + c] = ((size_t)y[tr[i]] == c) - 1.0 / (double)k;
    }
    md /= (double)ntr;
    double t = isinf(r.tau) ? INFINITY : r.tau / md;
    ntk_solve_params sp;
    ntk_solve_params_init(&sp);
    sp.reg = r.reg_rel;
    sp.reg_scale = NTK_REG_RELATIVE;
    sp.time_scale = NTK_TIME_MEAN;
    sp.times = &t;
    sp.n_times = 1;
    sp.method = NTK_SOLVE_EIGEN;
    ntk_solution *s = NULL;
    ck_assert(ntk_solve(A, ntr, Y, k, &sp, &s, &err) == NTK_OK);
    size_t correct = 0;
    double sse = 0;
    for (size_t i = 0; i < nva; i++) {
        double out[3] = {0, 0, 0};
        for (size_t j = 0; j < ntr; j++)
            for (size_t c = 0; c < k; c++)
                out[c] += K[va[i] * n + tr[j]] * s->coef[j * k + c];
        size_t best = 0;
        for (size_t c = 0; c < k; c++) {
            if (out[c] > out[best])
                best = c;
            double e = out[c] - (((size_t)y[va[i]] == c) - 1.0 / (double)k);
            sse += e * e;
        }
        correct += best == (size_t)y[va[i]];
    }
    ck_assert_double_eq_tol(r.score, (double)correct / (double)nva, 1e-12);
    ck_assert_double_eq_tol(r.mse, sse / (double)nva, 1e-6 * (1 + r.mse));
    ntk_solution_free(s);
    free(A);
    free(Y);
    free(K);
}
END_TEST

/* Regression on pure noise: the best predictor is (close to) zero, so the
 * selection must pick early stopping or heavy ridge, never interpolation. */
START_TEST(test_noise_prefers_regularization)
{
    size_t n = 150, d = 3;
    double X[150 * 3], y[150];
    random_X(X, n, d, 9);
    ntk_rng r;
    ntk_rng_seed(&r, 99);
    for (size_t i = 0; i < n; i++)
        y[i] = ntk_rng_normal(&r);
    double regs[] = {0, 1}, taus[] = {0.1, INFINITY}, b[] = {0.1};
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 2;
    p.regs = regs;
    p.n_regs = 2;
    p.taus = taus;
    p.n_taus = 2;
    p.b_stds = b;
    p.n_b_stds = 1;
    ntk_select_result res;
    ntk_error err = {0};
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_REGRESSION, 0, &p, &res, &err) == NTK_OK);
    ck_assert_msg(!(res.reg_rel == 0 && isinf(res.tau)), "interpolation chosen on noise");
    ck_assert_msg(res.score < 1.1, "validation RMSE %g on unit noise", res.score);
}
END_TEST

/* Regression on a noise-free smooth function: fitting it closely wins, so
 * the least regularized, longest-trained candidate must be chosen. */
START_TEST(test_clean_signal_prefers_fit)
{
    size_t n = 150, d = 2;
    double X[150 * 2], y[150];
    random_X(X, n, d, 4);
    for (size_t i = 0; i < n; i++)
        y[i] = sin(X[i * d]) + 0.5 * X[i * d + 1];
    double regs[] = {0, 1}, taus[] = {0.1, INFINITY}, b[] = {0.1};
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 2;
    p.regs = regs;
    p.n_regs = 2;
    p.taus = taus;
    p.n_taus = 2;
    p.b_stds = b;
    p.n_b_stds = 1;
    ntk_select_result res;
    ntk_error err = {0};
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_REGRESSION, 0, &p, &res, &err) == NTK_OK);
    ck_assert_msg(res.reg_rel == 0 && isinf(res.tau), "chose reg %g tau %g", res.reg_rel,
                  res.tau);
    ck_assert_msg(res.score < 0.25, "validation RMSE %g on a clean signal", res.score);
    ck_assert(isinf(res.time));
}
END_TEST

START_TEST(test_bad_grids)
{
    double X[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[4] = {0, 1, 0, 1};
    ntk_select_params p;
    ntk_select_params_init(&p);
    ntk_select_result r;
    ntk_error err = {0};
    p.folds = 10; /* more folds than rows */
    ck_assert_int_eq(ntk_select(X, 4, 2, y, NTK_TASK_CLASSIFICATION, 2, &p, &r, &err), NTK_EINPUT);
    ntk_select_params_init(&p);
    double bad[] = {-1};
    p.regs = bad;
    p.n_regs = 1;
    ck_assert_int_eq(ntk_select(X, 4, 2, y, NTK_TASK_CLASSIFICATION, 2, &p, &r, &err), NTK_EINPUT);
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_score_reproduced_by_solver);
    tcase_add_test(tc, test_noise_prefers_regularization);
    tcase_add_test(tc, test_clean_signal_prefers_fit);
    tcase_add_test(tc, test_bad_grids);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(select_suite)

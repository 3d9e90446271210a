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
#include "select/select_internal.h"
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

/* A small regression problem and its kernel (n×n row-major). */
static double *loo_problem(size_t n, double *y, uint64_t seed)
{
    size_t d = 3;
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    random_X(X, n, d, seed);
    ntk_rng r;
    ntk_rng_seed(&r, seed + 1);
    for (size_t i = 0; i < n; i++)
        y[i] = sin(2 * X[i * d]) + X[i * d + 1] * X[i * d + 2] + 0.3 * ntk_rng_normal(&r);
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 2;
    a.b_std = 0.1;
    ntk_error err = {0};
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err) == NTK_OK);
    free(X);
    return K;
}

static double mean_diag(const double *K, size_t n)
{
    double md = 0;
    for (size_t i = 0; i < n; i++)
        md += K[i * n + i];
    return md / (double)n;
}

/* t = ∞: the closed form is exact leave-one-out kernel ridge regression —
 * checked against n explicit fits on n − 1 rows through the solver. */
START_TEST(test_loo_exact_ridge)
{
    size_t n = 40;
    double y[40], R[40];
    double *K = loo_problem(n, y, 21), md = mean_diag(K, n);
    double regs[] = {1e-4, 1e-2, 0.3, 1};
    double *A = malloc(n * n * sizeof *A), Ys[40];
    ntk_error err = {0};
    for (size_t ri = 0; ri < 4; ri++) {
        ck_assert(select_loo_residuals(K, n, y, 1, regs[ri], INFINITY, R, &err) == NTK_OK);
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            size_t m = 0;
            for (size_t a = 0; a < n; a++) {
                if (a == i)
                    continue;
                size_t mb = 0;
                for (size_t b = 0; b < n; b++)
                    if (b != i)
                        A[m * (n - 1) + mb++] = K[a * n + b];
                Ys[m++] = y[a];
            }
            ntk_solve_params sp;
            ntk_solve_params_init(&sp);
            double t = INFINITY;
            sp.reg = regs[ri] * md; /* the same absolute ridge as on all n rows */
            sp.times = &t;
            sp.n_times = 1;
            sp.method = NTK_SOLVE_EIGEN;
            ntk_solution *s = NULL;
            ck_assert(ntk_solve(A, n - 1, Ys, 1, &sp, &s, &err) == NTK_OK);
            double f = 0;
            for (size_t a = 0, j = 0; a < n; a++)
                if (a != i)
                    f += K[i * n + a] * s->coef[j++];
            double e = fabs((y[i] - f) - R[i]) / (1 + fabs(R[i]));
            worst = e > worst ? e : worst;
            ntk_solution_free(s);
        }
        printf("loo ridge %g: max difference to explicit leave-one-out %.2e\n", regs[ri], worst);
        ck_assert_msg(worst < 1e-10, "ridge %g: %g", regs[ri], worst);
    }
    free(A);
    free(K);
}
END_TEST

/* Finite t: the closed form is the self-consistent leave-one-out of the
 * smoother S — the value v_i with (S y')_i = v_i where y' is y with y_i
 * replaced by v_i. S comes independently from the solver (its training
 * predictions for targets [y, I], sum time scale at the equivalent time). */
START_TEST(test_loo_finite_times)
{
    size_t n = 40, k = n + 1;
    double y[40], R[40];
    double *K = loo_problem(n, y, 33), md = mean_diag(K, n);
    double regs[] = {0, 1e-3, 0.1}, taus[] = {1, 30, 1e3};
    double *A = malloc(n * n * sizeof *A), *Y = calloc(n * k, sizeof *Y);
    for (size_t i = 0; i < n; i++) {
        Y[i * k] = y[i];
        Y[i * k + 1 + i] = 1;
    }
    ntk_error err = {0};
    for (size_t ri = 0; ri < 3; ri++)
        for (size_t ti = 0; ti < 3; ti++) {
            ck_assert(select_loo_residuals(K, n, y, 1, regs[ri], taus[ti], R, &err) == NTK_OK);
            memcpy(A, K, n * n * sizeof *A);
            ntk_solve_params sp;
            ntk_solve_params_init(&sp);
            /* 'mean' scale of one output: exponent τ/(md·n) · a. */
            double t = taus[ti] / (md * (double)n);
            sp.reg = regs[ri];
            sp.reg_scale = NTK_REG_RELATIVE;
            sp.time_scale = NTK_TIME_SUM;
            sp.times = &t;
            sp.n_times = 1;
            sp.method = NTK_SOLVE_EIGEN;
            ntk_solution *s = NULL;
            ck_assert(ntk_solve(A, n, Y, k, &sp, &s, &err) == NTK_OK);
            double worst = 0;
            for (size_t i = 0; i < n; i++) {
                double Sy = s->train_pred[i * k], Sii = s->train_pred[i * k + 1 + i];
                double v = (Sy - Sii * y[i]) / (1 - Sii);
                double e = fabs((y[i] - v) - R[i]) / (1 + fabs(R[i]));
                worst = e > worst ? e : worst;
            }
            ntk_solution_free(s);
            ck_assert_msg(worst < 1e-10, "reg %g tau %g: %g", regs[ri], taus[ti], worst);
        }
    free(A);
    free(Y);
    free(K);
}
END_TEST

static void classification_set(double *X, double *y, size_t n, size_t d, uint64_t seed)
{
    random_X(X, n, d, seed);
    ntk_rng r;
    ntk_rng_seed(&r, seed + 7);
    for (size_t i = 0; i < n; i++) {
        double s = X[i * d] + 0.7 * X[i * d + 1] * X[i * d + 2] + 0.3 * ntk_rng_normal(&r);
        y[i] = s < -0.5 ? 0 : (s < 0.5 ? 1 : 2);
    }
}

static int same_choice(const ntk_select_result *a, const ntk_select_result *b)
{
    return a->kind == b->kind && a->arch.depth == b->arch.depth &&
           a->arch.fixed_layers == b->arch.fixed_layers && a->arch.b_std == b->arch.b_std &&
           a->reg_rel == b->reg_rel && a->tau == b->tau;
}

/* Successive halving against the exact path (every kernel on all rows):
 * the halving winner is one of the exact path's best kernels and scores
 * (exactly, on all rows) within noise of the exact winner. */
START_TEST(test_halving_agrees_with_exact)
{
    size_t n = 300, d = 4;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    for (uint64_t seed = 1; seed <= 4; seed++) {
        int cls = seed > 2;
        if (cls) {
            classification_set(X, y, n, d, seed);
        } else {
            random_X(X, n, d, seed);
            ntk_rng r;
            ntk_rng_seed(&r, seed + 3);
            for (size_t i = 0; i < n; i++)
                y[i] = sin(2 * X[i * d]) + X[i * d + 1] * X[i * d + 2] +
                       0.3 * ntk_rng_normal(&r);
        }
        ntk_task task = cls ? NTK_TASK_CLASSIFICATION : NTK_TASK_REGRESSION;
        ntk_select_params p;
        ntk_select_params_init(&p);
        p.max_depth = 3;
        ntk_select_result exact, fast;
        ntk_error err = {0};
        p.halving_rows = 0;
        ck_assert(ntk_select(X, n, d, y, task, 3, &p, &exact, &err) == NTK_OK);
        p.halving_rows = 64;
        ck_assert(ntk_select(X, n, d, y, task, 3, &p, &fast, &err) == NTK_OK);
        ck_assert_uint_eq(exact.n_stages, 1);
        ck_assert_uint_eq(fast.n_stages, 3); /* 64, 128, 300 rows */
        /* 27 + 9 + 3 kernels, plus the best NNGP kept alive (if not among them) */
        ck_assert_msg(fast.n_kernels <= exact.n_kernels + exact.n_kernels / 2 + 2, "%zu vs %zu",
                      fast.n_kernels, exact.n_kernels);
        ck_assert_uint_eq(fast.top[0].rows, n);
        printf("halving seed %d: exact score %.4f, halving %.4f\n", (int)seed, exact.score,
               fast.score);
        fflush(stdout);
        /* Its winner is one of the exact path's best three kernels, and scores
         * within a point of accuracy / 1% of RMSE of the exact winner. */
        int found = 0;
        for (size_t i = 0; i < 3 && i < exact.n_top; i++)
            found |= exact.top[i].kind == fast.kind &&
                     exact.top[i].arch.depth == fast.arch.depth &&
                     exact.top[i].arch.fixed_layers == fast.arch.fixed_layers &&
                     exact.top[i].arch.b_std == fast.arch.b_std;
        ck_assert_msg(found, "seed %d: halving winner not among the exact best three", (int)seed);
        if (cls)
            ck_assert(fast.score >= exact.score - 0.01);
        else
            ck_assert(fast.score <= exact.score * 1.01);
    }
    free(X);
    free(y);
}
END_TEST

/* Same seed, same result, whatever the thread count; the ranked table is
 * ordered and starts with the winner. */
START_TEST(test_deterministic)
{
    size_t n = 260, d = 3;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    classification_set(X, y, n, d, 5);
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 3;
    p.halving_rows = 50;
    p.seed = 11;
    ntk_select_result a, b;
    ntk_error err = {0};
    p.threads = 1;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &a, &err) == NTK_OK);
    p.threads = 2;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &b, &err) == NTK_OK);
    ck_assert(same_choice(&a, &b));
    ck_assert_double_eq(a.score, b.score);
    ck_assert_double_eq(a.mse, b.mse);
    ck_assert_uint_eq(a.n_top, b.n_top);
    for (size_t i = 0; i < a.n_top; i++) {
        ck_assert_double_eq(a.top[i].score, b.top[i].score);
        ck_assert_double_eq(a.top[i].mse, b.top[i].mse);
        if (i > 0 && a.top[i].rows == a.top[i - 1].rows)
            ck_assert(a.top[i].score <= a.top[i - 1].score);
    }
    ck_assert_double_eq(a.top[0].score, a.score);
    free(X);
    free(y);
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
    tcase_add_test(tc, test_loo_exact_ridge);
    tcase_add_test(tc, test_loo_finite_times);
    tcase_add_test(tc, test_halving_agrees_with_exact);
    tcase_add_test(tc, test_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(select_suite)

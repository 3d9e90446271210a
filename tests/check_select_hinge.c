/* The losses in model selection (#20): the hinge back-end picks what an
 * explicit loop over (kernel, C) with the same validation rows picks; with
 * both losses the decision is the two single-loss searches' scores on the
 * same rows; results are deterministic across thread counts; bad grids are
 * refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/select.h"
#include "ntk/svm.h"
#include "testutil.h"

/* Three classes from a noisy nonlinear score of 4 features. */
static void problem(double *X, double *y, size_t n, size_t d, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        double s = X[i * d] + 0.7 * X[i * d + 1] * X[i * d + 2] + 0.4 * ntk_rng_normal(&r);
        y[i] = s < -0.5 ? 0 : (s < 0.5 ? 1 : 2);
    }
}

static const double b_grid[] = {0.0, 0.3};
static const double C_grid[] = {0.1, 1.0, 10.0};

static void hinge_params(ntk_select_params *p, const unsigned char *split)
{
    ntk_select_params_init(p);
    p->max_depth = 2;
    p->b_stds = b_grid;
    p->n_b_stds = 2;
    p->C_grid = C_grid;
    p->n_C = 3;
    p->split = split;
    p->svm.eps = 1e-9; /* the row order inside the search must not matter */
    p->loss = NTK_SELECT_HINGE;
}

/* The explicit loop: every kernel in the search's order of simplicity (σ_b,
 * fixed layers, depth, NTK before NNGP), every C, an SVM trained on the
 * training part and scored on the validation part; the first best wins. */
START_TEST(test_hinge_matches_explicit_loop)
{
    size_t n = 120, d = 4, k = 3, ntr = 0, nva = 0;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    double *K = malloc(n * n * sizeof *K);
    size_t *tr = malloc(n * sizeof *tr), *va = malloc(n * sizeof *va), *lab = malloc(n * sizeof *lab);
    unsigned char *split = malloc(n);
    problem(X, y, n, d, 3);
    for (size_t i = 0; i < n; i++) {
        split[i] = i % 3 == 1;
        lab[i] = (size_t)y[i];
        if (split[i])
            va[nva++] = i;
        else
            tr[ntr++] = i;
    }
    ntk_select_params p;
    hinge_params(&p, split);
    ntk_select_result r;
    ntk_error err = {0};
    ck_assert_msg(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, k, &p, &r, &err) == NTK_OK,
                  "%s", err.msg);
    ck_assert_int_eq(r.hinge, 1);
    ck_assert_uint_eq(r.svm_fits, 10 * 3); /* (F 0: 2 NTK + 2 NNGP; F 1: 1) × 2 σ_b */

    double best = -1, best_C = 0, best_b = 0;
    int best_depth = 0, best_F = 0;
    ntk_kernel_kind best_kind = NTK_KIND_NTK;
    ntk_svm_params sp;
    ntk_svm_params_init(&sp);
    sp.eps = 1e-9;
    sp.threads = 1;
    for (size_t bi = 0; bi < 2; bi++)
        for (int F = 0; F < 2; F++)
            for (int L = F + 1; L <= 2; L++)
                for (int kind = 0; kind < 1 + (F == 0); kind++) {
                    ntk_arch a;
                    ntk_arch_init(&a);
                    a.depth = L;
                    a.fixed_layers = kind ? 0 : F;
                    a.b_std = b_grid[bi];
                    ntk_kernel_kind kk = kind ? NTK_KIND_NNGP : NTK_KIND_NTK;
                    ck_assert(ntk_kernel_eval(&a, kk, X, n, NULL, 0, d, K, NULL, &err) == NTK_OK);
                    double md = 0;
                    for (size_t i = 0; i < n; i++)
                        md += K[i * n + i];
                    md /= (double)n;
                    for (size_t c = 0; c < 3; c++) {
                        sp.C = C_grid[c] / md;
                        ntk_svm_model *m = NULL;
                        size_t *ltr = malloc(ntr * sizeof *ltr);
                        for (size_t i = 0; i < ntr; i++)
                            ltr[i] = lab[tr[i]];
                        double acc;
                        ck_assert(ntk_svm_train(K, n, tr, ntr, ltr, k, &sp, &m, &err) == NTK_OK);
                        ck_assert(ntk_svm_accuracy(m, K, n, tr, lab, va, nva, &acc, &err) ==
                                  NTK_OK);
                        ntk_svm_model_free(m);
                        free(ltr);
                        if (acc > best) {
                            best = acc;
                            best_C = C_grid[c];
                            best_b = b_grid[bi];
                            best_depth = L;
                            best_F = a.fixed_layers;
                            best_kind = kk;
                        }
                    }
                }
    ck_assert_double_eq_tol(r.score, best, 1e-12);
    ck_assert_double_eq(r.C_rel, best_C);
    ck_assert_double_eq(r.arch.b_std, best_b);
    ck_assert_int_eq(r.arch.depth, best_depth);
    ck_assert_int_eq(r.arch.fixed_layers, best_F);
    ck_assert_int_eq(r.kind, best_kind);
    ck_assert(r.top[0].hinge && r.top[0].score == r.score);
    for (size_t i = 1; i < r.n_top; i++)
        ck_assert(r.top[i].hinge && r.top[i].score <= r.top[i - 1].score);
    free(X);
    free(y);
    free(K);
    free(tr);
    free(va);
    free(lab);
    free(split);
}
END_TEST

/* Both losses on a split: the loss scores are the two single-loss searches'
 * winners' scores (every kernel gets hinge candidates), the better one wins,
 * ties going to the square loss. */
START_TEST(test_auto_is_the_better_of_both)
{
    size_t n = 150, d = 4;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    unsigned char *split = malloc(n);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        problem(X, y, n, d, seed);
        for (size_t i = 0; i < n; i++)
            split[i] = i % 4 == 0;
        ntk_select_params p;
        hinge_params(&p, split);
        ntk_select_result sq, hi, both;
        ntk_error err = {0};
        ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &hi, &err) == NTK_OK);
        p.loss = NTK_SELECT_SQUARE;
        ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &sq, &err) == NTK_OK);
        p.loss = NTK_SELECT_AUTO;
        p.hinge_kernels = 0;
        ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &both, &err) == NTK_OK);
        ck_assert_double_eq(both.loss_score[0], sq.score);
        ck_assert_double_eq(both.loss_score[1], hi.score);
        ck_assert_int_eq(both.hinge, hi.score > sq.score);
        const ntk_select_result *w = both.hinge ? &hi : &sq;
        ck_assert_double_eq(both.score, w->score);
        ck_assert_int_eq(both.arch.depth, w->arch.depth);
        ck_assert_int_eq(both.arch.fixed_layers, w->arch.fixed_layers);
        ck_assert_int_eq(both.kind, w->kind);
        ck_assert_uint_eq(sq.svm_fits, 0);
        ck_assert(!sq.hinge && isnan(sq.loss_score[0]));
        /* Both losses appear in the ranking, the chosen one first. */
        int seen[2] = {0, 0};
        for (size_t i = 0; i < both.n_top; i++)
            seen[both.top[i].hinge] = 1;
        ck_assert(seen[0] && seen[1] && both.top[0].hinge == both.hinge);
        printf("auto seed %d: square %.4f, hinge %.4f -> %s\n", (int)seed, sq.score, hi.score,
               both.hinge ? "hinge" : "square");
        fflush(stdout);
    }
    free(X);
    free(y);
    free(split);
}
END_TEST

/* The default leave-one-out search with both losses: the same result for 1
 * and 2 threads and a fixed seed; the square-loss winner stays the
 * leave-one-out one when the square loss wins. */
START_TEST(test_auto_loo_deterministic)
{
    size_t n = 200, d = 4;
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    problem(X, y, n, d, 9);
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 3;
    p.halving_rows = 60;
    p.seed = 5;
    p.loss = NTK_SELECT_AUTO;
    ntk_select_result a, b, sq;
    ntk_error err = {0};
    p.threads = 1;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &a, &err) == NTK_OK);
    p.threads = 2;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &b, &err) == NTK_OK);
    ck_assert_int_eq(a.hinge, b.hinge);
    ck_assert_double_eq(a.score, b.score);
    ck_assert_uint_eq(a.n_top, b.n_top);
    for (size_t i = 0; i < a.n_top; i++) {
        ck_assert_double_eq(a.top[i].score, b.top[i].score);
        ck_assert_int_eq(a.top[i].arch.depth, b.top[i].arch.depth);
        ck_assert_int_eq(a.top[i].hinge, b.top[i].hinge);
    }
    ck_assert_uint_eq(a.compare_rows, n);
    ck_assert_uint_eq(a.compare_folds, 3);
    ck_assert(isfinite(a.loss_score[0]) && isfinite(a.loss_score[1]));
    ck_assert_int_eq(a.hinge, a.loss_score[1] > a.loss_score[0]);
    p.loss = NTK_SELECT_SQUARE;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 3, &p, &sq, &err) == NTK_OK);
    if (!a.hinge) {
        ck_assert_double_eq(a.score, sq.score);
        ck_assert_int_eq(a.arch.depth, sq.arch.depth);
        ck_assert_double_eq(a.reg_rel, sq.reg_rel);
    }
    /* Regression: both losses means the square loss. */
    for (size_t i = 0; i < n; i++)
        y[i] = X[i * d] - X[i * d + 1];
    p.loss = NTK_SELECT_AUTO;
    ck_assert(ntk_select(X, n, d, y, NTK_TASK_REGRESSION, 0, &p, &a, &err) == NTK_OK);
    ck_assert(!a.hinge && a.svm_fits == 0);
    free(X);
    free(y);
}
END_TEST

START_TEST(test_bad_hinge_params)
{
    double X[16] = {0, 1, 2, 3, 4, 5, 6, 7, 1, 0, 3, 1, 0, 2, 2, 5}, y[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    ntk_select_params p;
    ntk_select_result r;
    ntk_error err = {0};
    ntk_select_params_init(&p);
    p.loss = NTK_SELECT_HINGE;
    ck_assert_int_eq(ntk_select(X, 8, 2, y, NTK_TASK_REGRESSION, 0, &p, &r, &err), NTK_EINPUT);
    ck_assert(strstr(err.msg, "classification"));
    double bad[] = {1, 0};
    p.C_grid = bad;
    p.n_C = 2;
    ck_assert_int_eq(ntk_select(X, 8, 2, y, NTK_TASK_CLASSIFICATION, 2, &p, &r, &err),
                     NTK_EINPUT);
    ck_assert(strstr(err.msg, "C grid"));
    p.n_C = 0;
    ck_assert_int_eq(ntk_select(X, 8, 2, y, NTK_TASK_CLASSIFICATION, 2, &p, &r, &err),
                     NTK_EINPUT);
    ntk_select_params_init(&p);
    p.loss = NTK_SELECT_AUTO;
    p.hinge_folds = 1;
    ck_assert_int_eq(ntk_select(X, 8, 2, y, NTK_TASK_CLASSIFICATION, 2, &p, &r, &err),
                     NTK_EINPUT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("select_hinge");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hinge_matches_explicit_loop);
    tcase_add_test(tc, test_auto_is_the_better_of_both);
    tcase_add_test(tc, test_auto_loo_deterministic);
    tcase_add_test(tc, test_bad_hinge_params);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

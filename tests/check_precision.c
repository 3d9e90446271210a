/* Single precision (ntk_train_params.precision = NTK_PRECISION_FLOAT) against
 * double on bundled data sets: t = ∞ refined to double accuracy, finite
 * times within the float bound, the refinement record, the jitter ladder on an
 * ill-conditioned kernel, parameter checks. docs/precision.md has the
 * measurements behind the tolerances. */
#include <math.h>
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/model.h"
#include "testutil.h"

/* Rows [0, ntr) of a CSV file train, [ntr, ntr + nte) test. */
typedef struct {
    ntk_table *tr, *te;
    ntk_encode_options eo;
    ntk_dataset *dtr, *dte;
} data;

static void data_load(data *d, const char *path, const char *target, size_t ntr, size_t nte)
{
    memset(d, 0, sizeof *d);
    ntk_error err = {0};
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *all = NULL;
    ck_assert_msg(ntk_table_read(path, &ro, &all, &err) == NTK_OK, "%s", err.msg);
    ck_assert(all->n_rows >= ntr + nte);
    size_t *idx = malloc((ntr + nte) * sizeof *idx);
    for (size_t i = 0; i < ntr + nte; i++)
        idx[i] = i;
    ck_assert(ntk_table_subset(all, idx, ntr, &d->tr, &err) == NTK_OK);
    ck_assert(nte == 0 || ntk_table_subset(all, idx + ntr, nte, &d->te, &err) == NTK_OK);
    free(idx);
    ntk_table_free(all);
    ntk_encode_options_init(&d->eo);
    d->eo.target = target;
    ntk_encoder *enc = NULL;
    ck_assert(ntk_encoder_fit(d->tr, &d->eo, &enc, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc, d->tr, 1, &d->dtr, &err) == NTK_OK);
    ck_assert(nte == 0 || ntk_encoder_apply(enc, d->te, 1, &d->dte, &err) == NTK_OK);
    ntk_encoder_free(enc);
}

static void data_free(data *d)
{
    ntk_table_free(d->tr);
    ntk_table_free(d->te);
    ntk_dataset_free(d->dtr);
    ntk_dataset_free(d->dte);
}

/* One fit: the model, its training outputs and its test outputs. */
typedef struct {
    ntk_model *m;
    double *train, *test;
} fit;

static void fit_run(const data *d, const ntk_train_params *p, fit *f)
{
    ntk_error err = {0};
    ntk_encoder *enc = NULL;
    ck_assert(ntk_encoder_fit(d->tr, &d->eo, &enc, &err) == NTK_OK);
    ck_assert_msg(ntk_model_train(d->dtr, enc, p, &f->m, &f->train, &err) == NTK_OK, "%s",
                  err.msg);
    f->test = NULL;
    if (d->dte) {
        f->test = malloc(f->m->n_times * d->dte->n * f->m->k * sizeof *f->test);
        ck_assert(ntk_model_predict(f->m, d->dte->X, d->dte->n, f->test, 0, NULL, &err) ==
                  NTK_OK);
    }
}

static void fit_free(fit *f)
{
    ntk_model_free(f->m);
    free(f->train);
    free(f->test);
}

/* ‖a − b‖_F / ‖b‖_F over one time's block of len values. */
static double rel_diff(const double *a, const double *b, size_t len)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < len; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

static void params(ntk_train_params *p, const double *times, size_t nt, double reg,
                   ntk_precision prec)
{
    ntk_train_params_init(p);
    p->arch.depth = 3;
    p->solve.reg = reg;
    p->solve.reg_scale = NTK_REG_RELATIVE;
    p->solve.time_scale = NTK_TIME_MEAN;
    p->solve.times = times;
    p->solve.n_times = nt;
    p->precision = prec;
}

/* ‖Y − (Θ + (λ + jitter)I)·C‖_F / ‖Y‖_F for the model's t = ∞ block `t`,
 * with Θ from the symmetric double evaluation and Y the solver's targets. */
static double true_residual(const ntk_model *m, const ntk_dataset *ds, size_t t)
{
    size_t n = m->n, k = m->k;
    double *K = malloc(n * n * sizeof *K);
    ntk_error err = {0};
    ntk_kernel_options ko = {0, {NULL, NULL}};
    ck_assert(ntk_kernel_eval(&m->arch, m->kind, m->X, n, NULL, 0, m->d, K, &ko, &err) == NTK_OK);
    const double *C = m->coef + t * n * k;
    double num = 0.0, den = 0.0, shift = m->reg_abs + m->jitter;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) {
            double y = m->task == NTK_TASK_REGRESSION
                           ? (ds->y[i] - m->y_mean) / m->y_scale
                           : ((size_t)ds->y[i] == c ? 1.0 : 0.0) - 1.0 / (double)k;
            double r = y - shift * C[i * k + c];
            for (size_t j = 0; j < n; j++)
                r -= K[i * n + j] * C[j * k + c];
            num += r * r;
            den += y * y;
        }
    free(K);
    return sqrt(num / den);
}

/* t = ∞, relative ridge 1e-3: refined float against double.
 *
 * What the math guarantees: refinement stops at a normwise backward error
 * η ≤ √n·2⁻⁵³ (≈ 2e-15 at n = 400), the level of the double Cholesky itself,
 * so both solutions solve (Θ + λI)C = Y to rounding — checked directly: each
 * one's residual against the double kernel is ≤ 1e-12. Their difference is
 * then at most κ(A)·(η_float + η_double), κ(A) ≤ λ_max/λ ≈ 1.3e5 (Boston) and
 * 5.9e5 (letters): 6e-10 and 6e-9 in the normwise worst case. Measured (printed
 * below): ~1e-14 and ~1e-12. The forward tolerance 1e-9 is the worst case's
 * order and 3–5 orders above what is measured. The unrefined float solve is
 * off by ~1e-6–1e-5 (also checked, both ways). */
static void check_inf(const char *path, const char *target, size_t ntr, size_t nte)
{
    data d;
    data_load(&d, path, target, ntr, nte);
    double times[] = {INFINITY};
    ntk_train_params pd, pf, pu;
    params(&pd, times, 1, 1e-3, NTK_PRECISION_DOUBLE);
    params(&pf, times, 1, 1e-3, NTK_PRECISION_FLOAT);
    params(&pu, times, 1, 1e-3, NTK_PRECISION_FLOAT);
    pu.refine_max = 0;
    fit fd, ff, fu;
    fit_run(&d, &pd, &fd);
    fit_run(&d, &pf, &ff);
    fit_run(&d, &pu, &fu);
    size_t k = fd.m->k, mte = d.dte->n * k, mtr = d.dtr->n * k;

    ck_assert_int_eq(fd.m->precision, NTK_PRECISION_DOUBLE);
    ck_assert_int_eq(ff.m->precision, NTK_PRECISION_FLOAT);
    ck_assert_msg(ff.m->refine_iters > 0, "no refinement step reported");
    ck_assert(ff.m->refine_converged);
    ck_assert(ff.m->jitter == 0.0);
    ck_assert_msg(ff.m->refine_residual <= 1e-12, "refined residual %g", ff.m->refine_residual);
    ck_assert_msg(ff.m->refine_residual0 > 1e-9 && ff.m->refine_residual0 < 1e-3,
                  "float solve residual %g", ff.m->refine_residual0);

    double rf = true_residual(ff.m, d.dtr, 0), rd = true_residual(fd.m, d.dtr, 0);
    ck_assert_msg(rf <= 1e-12 && rd <= 1e-12, "residuals float %g double %g", rf, rd);
    ck_assert_msg(fabs(rf - ff.m->refine_residual) <= 1e-12, "reported %g, true %g",
                  ff.m->refine_residual, rf);

    double e_test = rel_diff(ff.test, fd.test, mte), e_train = rel_diff(ff.train, fd.train, mtr);
    printf("precision: %s n=%zu k=%zu t=inf: %zu steps, residual %.2g -> %.2g, test outputs "
           "float vs double %.2g (unrefined %.2g)\n", path, d.dtr->n, k, ff.m->refine_iters,
           ff.m->refine_residual0, ff.m->refine_residual, e_test, rel_diff(fu.test, fd.test, mte));
    ck_assert_msg(e_test <= 1e-9, "test outputs differ by %g", e_test);
    ck_assert_msg(e_train <= 1e-9, "training outputs differ by %g", e_train);
    /* Training outputs are Θ·C of the returned coefficients, as predict gives. */
    double *again = malloc(mtr * sizeof *again);
    ntk_error err = {0};
    ck_assert(ntk_model_predict(ff.m, d.dtr->X, d.dtr->n, again, 0, NULL, &err) == NTK_OK);
    ck_assert_msg(rel_diff(again, ff.train, mtr) <= 1e-12, "train outputs vs predict: %g",
                  rel_diff(again, ff.train, mtr));
    free(again);

    /* Without refinement: float accuracy, clearly worse, reported as such. */
    double e_unref = rel_diff(fu.test, fd.test, mte);
    ck_assert_msg(e_unref > 1e-9 && e_unref < 1e-3, "unrefined float differs by %g", e_unref);
    ck_assert_int_eq(fu.m->refine_iters, 0);
    ck_assert(!fu.m->refine_converged);
    ck_assert(fu.m->refine_residual == fu.m->refine_residual0);
    fit_free(&fd);
    fit_free(&ff);
    fit_free(&fu);
    data_free(&d);
}

START_TEST(test_inf_boston) { check_inf("data/bostonhousing.csv", "medv", 400, 106); }
END_TEST

START_TEST(test_inf_letters) { check_inf("data/letterrecognition.csv", "lettr", 2000, 500); }
END_TEST

/* Finite times (and ∞ in the same list) on Boston, by the float
 * eigendecomposition (AUTO at n < 3000) and by the float Chebyshev expansion.
 *
 * Tolerance: rounding Θ to float perturbs it by E with ‖E‖ ≤ u_f‖A‖
 * (u_f = 2⁻²⁴); C_t = g_s(A)Y with |g_s'| ≤ s²/2 and ‖g_s‖ ≤ s changes by at
 * most ≈ u_f·s·λ_max/2 relative — 8e-6 at t = 100 here (s = t/n, λ_max ≈
 * 1060). Measured: eigen 5.7e-7 / 1.8e-6 / 3.4e-6 at t = 1, 10, 100,
 * Chebyshev 2e-9 / 6e-8 / 5e-7. 2e-5 is 2.5 × the first-order bound. The
 * lower limit (> 1e-11) shows the float path really ran. */
static void check_finite(ntk_solve_method method)
{
    data d;
    data_load(&d, "data/bostonhousing.csv", "medv", 400, 106);
    double times[] = {1, 10, 100, INFINITY};
    ntk_train_params pd, pf;
    params(&pd, times, 4, 1e-3, NTK_PRECISION_DOUBLE);
    params(&pf, times, 4, 1e-3, NTK_PRECISION_FLOAT);
    pd.solve.method = pf.solve.method = method;
    fit fd, ff;
    fit_run(&d, &pd, &fd);
    fit_run(&d, &pf, &ff);
    ck_assert_int_eq(ff.m->used_chebyshev, method == NTK_SOLVE_CHEBYSHEV);
    ck_assert_int_eq(ff.m->used_krylov, method == NTK_SOLVE_KRYLOV);
    ck_assert_int_eq(ff.m->used_eigen, method == NTK_SOLVE_AUTO);
    size_t mte = d.dte->n, mtr = d.dtr->n;
    for (size_t t = 0; t < 3; t++) {
        double e = rel_diff(ff.test + t * mte, fd.test + t * mte, mte);
        double etr = rel_diff(ff.train + t * mtr, fd.train + t * mtr, mtr);
        printf("precision: boston %s t=%g: test outputs float vs double %.2g\n",
               method == NTK_SOLVE_CHEBYSHEV ? "chebyshev"
               : method == NTK_SOLVE_KRYLOV  ? "krylov"
                                             : "eigen",
               times[t], e);
        ck_assert_msg(e > 1e-11 && e <= 2e-5, "t = %g: test outputs differ by %g", times[t], e);
        ck_assert_msg(etr <= 2e-5, "t = %g: training outputs differ by %g", times[t], etr);
    }
    /* ∞ in the same list is still refined to double accuracy. */
    ck_assert(ff.m->refine_iters > 0 && ff.m->refine_converged);
    ck_assert(rel_diff(ff.test + 3 * mte, fd.test + 3 * mte, mte) <= 1e-9);
    /* Training outputs at finite times are Θ·C_t in double, as predict gives. */
    double *again = malloc(4 * mtr * sizeof *again);
    ntk_error err = {0};
    ck_assert(ntk_model_predict(ff.m, d.dtr->X, mtr, again, 0, NULL, &err) == NTK_OK);
    ck_assert(rel_diff(again, ff.train, 4 * mtr) <= 1e-12);
    free(again);
    fit_free(&fd);
    fit_free(&ff);
    data_free(&d);
}

START_TEST(test_finite_eigen) { check_finite(NTK_SOLVE_AUTO); }
END_TEST

START_TEST(test_finite_chebyshev) { check_finite(NTK_SOLVE_CHEBYSHEV); }
END_TEST

START_TEST(test_finite_krylov) { check_finite(NTK_SOLVE_KRYLOV); }
END_TEST

/* No ridge and 40 duplicated rows with other targets: A is singular. The
 * double path gives the minimum-norm interpolant (no jitter: the eigen
 * fallback leaves out the null directions); in float the refinement cannot
 * converge until the ladder's jitter is large enough, and the model says so.
 * Without refinement steps nothing converges: refine_converged = 0. */
START_TEST(test_ill_conditioned)
{
    FILE *f = fopen("data/bostonhousing.csv", "r");
    ck_assert(f);
    char line[1024], *csv = malloc(1 << 20);
    size_t len = 0, row = 0;
    while (fgets(line, sizeof line, f) && row <= 200) {
        len += (size_t)snprintf(csv + len, (1 << 20) - len, "%s", line);
        row++;
    }
    rewind(f);
    ck_assert(fgets(line, sizeof line, f));
    for (int i = 0; i < 40 && fgets(line, sizeof line, f); i++) {
        char *comma = strrchr(line, ',');
        double y = strtod(comma + 1, NULL);
        *comma = '\0';
        len += (size_t)snprintf(csv + len, (1 << 20) - len, "%s,%.17g\n", line, y + 1.0);
    }
    fclose(f);
    ntk_error err = {0};
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *t = NULL;
    ck_assert(ntk_table_parse(csv, len, "dup.csv", &ro, &t, &err) == NTK_OK);
    free(csv);
    data d;
    memset(&d, 0, sizeof d);
    d.tr = t;
    ntk_encode_options_init(&d.eo);
    ntk_encoder *enc = NULL;
    ck_assert(ntk_encoder_fit(t, &d.eo, &enc, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc, t, 1, &d.dtr, &err) == NTK_OK);
    ntk_encoder_free(enc);
    double times[] = {INFINITY};
    ntk_train_params pd, pf, pu;
    params(&pd, times, 1, 0.0, NTK_PRECISION_DOUBLE);
    params(&pf, times, 1, 0.0, NTK_PRECISION_FLOAT);
    params(&pu, times, 1, 0.0, NTK_PRECISION_FLOAT);
    pd.arch.depth = pf.arch.depth = pu.arch.depth = 2;
    pu.refine_max = 0;
    fit fd, ff, fu;
    fit_run(&d, &pd, &fd);
    fit_run(&d, &pf, &ff);
    fit_run(&d, &pu, &fu);
    double md = ff.m->mean_diag;
    ck_assert_msg(fd.m->jitter == 0, "double jitter %g", fd.m->jitter);
    ck_assert_msg(ff.m->jitter >= 1e-7 * md * 0.999 && ff.m->jitter <= 1e-2 * md * 1.001,
                  "float jitter %g (mean diag %g)", ff.m->jitter, md);
    ck_assert(ff.m->refine_converged);
    /* The reported residual is the true one of the jittered system. */
    double r = true_residual(ff.m, d.dtr, 0);
    ck_assert_msg(fabs(r - ff.m->refine_residual) <= 1e-9 * (1 + r), "reported %g, true %g",
                  ff.m->refine_residual, r);
    ck_assert(!fu.m->refine_converged);
    for (size_t i = 0; i < d.dtr->n; i++)
        ck_assert(isfinite(ff.train[i]) && isfinite(fu.train[i]));
    fit_free(&fd);
    fit_free(&ff);
    fit_free(&fu);
    data_free(&d);
}
END_TEST

START_TEST(test_params_and_edges)
{
    ntk_train_params p;
    double times[] = {INFINITY};
    params(&p, times, 1, 1e-3, NTK_PRECISION_FLOAT);
    ck_assert_ptr_null(ntk_train_params_check(&p));
    p.precision = (ntk_precision)7;
    ck_assert_ptr_nonnull(ntk_train_params_check(&p));
    p.precision = NTK_PRECISION_FLOAT;
    p.refine_max = -1;
    ck_assert_ptr_nonnull(ntk_train_params_check(&p));
    p.refine_max = NTK_REFINE_MAX_LIMIT + 1;
    ck_assert_ptr_nonnull(ntk_train_params_check(&p));
    p.refine_max = NTK_REFINE_MAX_DEFAULT;

    /* Another engine: refused with a message naming the option. */
    data d;
    data_load(&d, "data/bostonhousing.csv", "medv", 60, 0);
    ntk_engine other = {"test", NULL, NULL, NULL, NULL, NULL};
    p.engine = &other;
    ntk_error err = {0};
    ntk_encoder *enc = NULL;
    ck_assert(ntk_encoder_fit(d.tr, &d.eo, &enc, &err) == NTK_OK);
    ntk_model *m = NULL;
    ck_assert_int_eq(ntk_model_train(d.dtr, enc, &p, &m, NULL, &err), NTK_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "--precision"));
    p.engine = NULL;

    /* Constant target: Y = 0, C = 0, nothing to refine; finite times too. */
    for (size_t i = 0; i < d.dtr->n; i++)
        d.dtr->y[i] = 3.5;
    double t2[] = {10, INFINITY};
    params(&p, t2, 2, 1e-3, NTK_PRECISION_FLOAT);
    fit f;
    fit_run(&d, &p, &f);
    for (size_t i = 0; i < 2 * d.dtr->n; i++)
        ck_assert(f.train[i] == 3.5);
    ck_assert(f.m->refine_converged && f.m->refine_residual == 0.0);

    /* The model file is the double one: a reload predicts the same. */
    unsigned char *buf = NULL;
    size_t size = 0;
    ck_assert(ntk_model_serialize(f.m, &buf, &size, &err) == NTK_OK);
    ntk_model *m2 = NULL;
    ck_assert(ntk_model_deserialize(buf, size, "mem", &m2, &err) == NTK_OK);
    ck_assert(memcmp(m2->coef, f.m->coef, 2 * f.m->n * sizeof(double)) == 0);
    ntk_model_free(m2);
    free(buf);
    fit_free(&f);
    data_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("precision");
    TCase *tc = tcase_create("float");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_inf_boston);
    tcase_add_test(tc, test_inf_letters);
    tcase_add_test(tc, test_finite_eigen);
    tcase_add_test(tc, test_finite_chebyshev);
    tcase_add_test(tc, test_finite_krylov);
    tcase_add_test(tc, test_ill_conditioned);
    tcase_add_test(tc, test_params_and_edges);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

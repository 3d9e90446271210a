/* Evaluation in the library: the table split, calibration metrics, target
 * variance and ntk_evaluate against the same steps done by hand. */
#include <math.h>
#include <string.h>

#include "ntk/evaluate.h"
#include "ntk/rng.h"
#include "testutil.h"

/* n rows "a,b,y": y a class ("p"/"q"/"r" with weights 1:2:3) or a number. */
static ntk_table *make_table(int classification, size_t n)
{
    size_t cap = 64 + n * 64, len = 0;
    char *csv = malloc(cap);
    ntk_rng r;
    ntk_rng_seed(&r, 5);
    len += (size_t)snprintf(csv, cap, "a,b,y\n");
    for (size_t i = 0; i < n; i++) {
        double a = ntk_rng_normal(&r), b = ntk_rng_normal(&r);
        if (classification)
            len += (size_t)snprintf(csv + len, cap - len, "%.6f,%.6f,%s\n", a, b,
                                    i % 6 == 0 ? "p" : i % 6 < 3 ? "q" : "r");
        else
            len += (size_t)snprintf(csv + len, cap - len, "%.6f,%.6f,%.6f\n", a, b,
                                    a * b + cos(b));
    }
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *t = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_table_parse(csv, len, "mem.csv", &ro, &t, &err) == NTK_OK, "%s", err.msg);
    free(csv);
    return t;
}

START_TEST(test_table_split_stratified)
{
    ntk_table *t = make_table(1, 60);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ntk_table *tr = NULL, *te = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_table_split_train_test(t, &eo, 0.25, 3, &tr, &te, &err) == NTK_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(tr->n_rows + te->n_rows, 60);
    ck_assert_uint_eq(te->n_rows, 15);
    /* Stratified: 10 p, 20 q, 30 r → 2.5, 5, 7.5 test rows (largest remainder). */
    size_t yc = t->n_cols - 1, cnt[3] = {0, 0, 0};
    for (size_t i = 0; i < te->n_rows; i++)
        cnt[te->cells[i * te->n_cols + yc][0] - 'p']++;
    ck_assert(cnt[0] >= 2 && cnt[0] <= 3);
    ck_assert_uint_eq(cnt[1], 5);
    ck_assert(cnt[2] >= 7 && cnt[2] <= 8);
    /* Every original row lands in exactly one part (compare the 'a' text). */
    for (size_t i = 0; i < t->n_rows; i++) {
        const char *a = t->cells[i * t->n_cols];
        int seen = 0;
        for (size_t j = 0; j < tr->n_rows; j++)
            seen += strcmp(tr->cells[j * tr->n_cols], a) == 0;
        for (size_t j = 0; j < te->n_rows; j++)
            seen += strcmp(te->cells[j * te->n_cols], a) == 0;
        ck_assert_int_eq(seen, 1);
    }
    /* Deterministic for a seed. */
    ntk_table *tr2 = NULL, *te2 = NULL;
    ck_assert(ntk_table_split_train_test(t, &eo, 0.25, 3, &tr2, &te2, &err) == NTK_OK);
    for (size_t j = 0; j < te->n_rows; j++)
        ck_assert_str_eq(te->cells[j * te->n_cols], te2->cells[j * te2->n_cols]);
    ntk_table_free(tr2);
    ntk_table_free(te2);
    ntk_table_free(tr);
    ntk_table_free(te);
    /* Too few rows. */
    ntk_table *one = make_table(0, 1);
    ck_assert_int_eq(ntk_table_split_train_test(one, &eo, 0.5, 1, &tr, &te, &err), NTK_EINPUT);
    ck_assert(tr == NULL && te == NULL);
    ck_assert(strstr(err.msg, "mem.csv") != NULL);
    ntk_table_free(one);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_calibration)
{
    /* Errors of 0.5σ, 1.0σ, 1.8σ, 2.5σ with σ = 2: inside 50% (|z| ≤ 0.674):
     * 1; 90% (≤ 1.645): 2; 95% (≤ 1.96): 3. */
    double y[4] = {1.0, 2.0, -3.6, 5.0}, mean[4] = {0, 0, 0, 0}, var[4] = {4, 4, 4, 4};
    ntk_calibration c;
    ntk_metrics_calibration(y, mean, var, 4, 1e-12, &c);
    ck_assert_close(c.coverage[0], 0.25, 1e-15, 1);
    ck_assert_close(c.coverage[1], 0.50, 1e-15, 1);
    ck_assert_close(c.coverage[2], 0.75, 1e-15, 1);
    double z2 = 0.25 + 1.0 + 3.24 + 6.25, pi = acos(-1.0);
    ck_assert_close(c.nlpd, 0.5 * log(2 * pi * 4) + 0.5 * z2 / 4, 1e-14, 1e-14);
    /* The floor replaces a zero variance. */
    double v0[1] = {0}, y0[1] = {0.1}, m0[1] = {0};
    ntk_metrics_calibration(y0, m0, v0, 1, 0.01, &c);
    ck_assert_close(c.nlpd, 0.5 * log(2 * pi * 0.01) + 0.5 * 0.01 / 0.01, 1e-14, 1e-14);
    ntk_metrics_calibration(y0, m0, v0, 0, 0.01, &c);
    ck_assert(isnan(c.nlpd) && isnan(c.coverage[1]));
}
END_TEST

START_TEST(test_target_variance)
{
    double y[4] = {1, 2, 3, 6};
    ck_assert_close(ntk_target_variance(y, 4), (4.0 + 1.0 + 0.0 + 9.0) / 4, 1e-15, 1e-15);
    double c[3] = {7, 7, 7};
    ck_assert_close(ntk_target_variance(c, 3), 1.0, 0, 1);
}
END_TEST

/* ntk_evaluate = ntk_model_train + ntk_model_predict (+ uncertainty + noise),
 * bit for bit. */
static void evaluate_matches_steps(int uncertainty)
{
    ntk_table *t = make_table(0, 50);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ntk_table *tr = NULL, *te = NULL;
    ntk_error err = {0};
    ck_assert(ntk_table_split_train_test(t, &eo, 0.3, 7, &tr, &te, &err) == NTK_OK);
    ntk_encoder *enc1 = NULL, *enc2 = NULL;
    ntk_dataset *dtr = NULL, *dte = NULL;
    ck_assert(ntk_encoder_fit(tr, &eo, &enc1, &err) == NTK_OK);
    ck_assert(ntk_encoder_fit(tr, &eo, &enc2, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc1, tr, 1, &dtr, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc1, te, 1, &dte, &err) == NTK_OK);
    ntk_train_params p;
    ntk_train_params_init(&p);
    double times[] = {2, INFINITY};
    p.solve.times = times;
    p.solve.n_times = 2;
    p.solve.reg = 1e-2;
    ntk_evaluate_options o;
    ntk_evaluate_options_init(&o);
    o.uncertainty = uncertainty;
    o.noise = 0.25;
    ntk_evaluation ev;
    ck_assert_msg(ntk_evaluate(dtr, enc1, dte, &p, &o, &ev, &err) == NTK_OK, "%s", err.msg);
    ntk_encoder_free(enc1); /* the caller keeps its encoder; the model has a copy */
    ntk_model *m = NULL;
    double *fit = NULL;
    ck_assert(ntk_model_train(dtr, enc2, &p, &m, &fit, &err) == NTK_OK);
    size_t cnt = 2 * dte->n;
    double *pred = malloc(cnt * sizeof *pred);
    ck_assert(ntk_model_predict(m, dte->X, dte->n, pred, 0, NULL, &err) == NTK_OK);
    ck_assert(memcmp(fit, ev.train_scores, 2 * dtr->n * sizeof *fit) == 0);
    ck_assert(memcmp(pred, ev.test_scores, cnt * sizeof *pred) == 0);
    /* Population variance of the training targets, by explicit loops. */
    double mu = 0, var = 0;
    for (size_t i = 0; i < dtr->n; i++)
        mu += dtr->y[i] / (double)dtr->n;
    for (size_t i = 0; i < dtr->n; i++)
        var += (dtr->y[i] - mu) * (dtr->y[i] - mu) / (double)dtr->n;
    if (uncertainty) {
        double *v = malloc(cnt * sizeof *v);
        ck_assert(ntk_model_uncertainty(m, dte->X, dte->n, NULL, v, NULL, &err) == NTK_OK);
        ck_assert_close(ev.noise_var, 0.25 * var, 1e-12, 0);
        ck_assert_close(ev.var_floor, NTK_VAR_FLOOR_FRACTION * var, 1e-12, 0);
        for (size_t i = 0; i < cnt; i++)
            ck_assert_close(ev.test_var[i], v[i] + 0.25 * var, 1e-14, 1e-300);
        free(v);
    } else {
        ck_assert(ev.test_var == NULL);
    }
    free(pred);
    free(fit);
    ntk_model_free(m);
    ntk_evaluation_free(&ev);
    ck_assert(ev.model == NULL);
    ntk_dataset_free(dtr);
    ntk_dataset_free(dte);
    ntk_table_free(tr);
    ntk_table_free(te);
    ntk_table_free(t);
}

START_TEST(test_evaluate_plain) { evaluate_matches_steps(0); }
END_TEST

START_TEST(test_evaluate_uncertainty) { evaluate_matches_steps(1); }
END_TEST

START_TEST(test_model_metrics_classification)
{
    ntk_table *t = make_table(1, 30);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ntk_encoder *enc = NULL;
    ntk_dataset *ds = NULL;
    ntk_error err = {0};
    ck_assert(ntk_encoder_fit(t, &eo, &enc, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc, t, 1, &ds, &err) == NTK_OK);
    ntk_train_params p;
    ntk_train_params_init(&p);
    double times[] = {INFINITY};
    p.solve.times = times;
    p.solve.n_times = 1;
    p.solve.reg = 1e-1;
    ntk_evaluation ev;
    ck_assert_msg(ntk_evaluate(ds, enc, NULL, &p, NULL, &ev, &err) == NTK_OK, "%s", err.msg);
    size_t k = ev.model->k, conf[9];
    ck_assert_uint_eq(k, 3);
    ntk_time_metrics tm;
    ck_assert(ntk_model_metrics(ev.model, ds->y, ev.train_scores, ds->n, 0, conf, &tm, &err) ==
              NTK_OK);
    /* Accuracy by explicit argmax. */
    size_t correct = 0, total = 0;
    for (size_t i = 0; i < ds->n; i++) {
        const double *s = ev.train_scores + i * k;
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (s[c] > s[best])
                best = c;
        correct += best == (size_t)ds->y[i];
    }
    for (size_t c = 0; c < 9; c++)
        total += conf[c];
    ck_assert_uint_eq(tm.cls.n_correct, correct);
    ck_assert_uint_eq(total, ds->n);
    ck_assert_uint_eq(conf[0] + conf[4] + conf[8], correct);
    /* Uncertainty is refused for classification. */
    ntk_evaluate_options o;
    ntk_evaluate_options_init(&o);
    o.uncertainty = 1;
    ntk_encoder *enc2 = NULL;
    ck_assert(ntk_encoder_fit(t, &eo, &enc2, &err) == NTK_OK);
    ntk_evaluation ev2;
    ck_assert_int_eq(ntk_evaluate(ds, enc2, ds, &p, &o, &ev2, &err), NTK_EINPUT);
    ck_assert(ev2.model == NULL);
    ntk_encoder_free(enc2);
    ntk_encoder_free(enc);
    ntk_evaluation_free(&ev);
    ntk_dataset_free(ds);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_encoder_copy)
{
    /* The copy encodes a table exactly as the original does. */
    ntk_table *t = make_table(1, 25);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ntk_encoder *enc = NULL, *copy = NULL;
    ntk_dataset *a = NULL, *b = NULL;
    ntk_error err = {0};
    ck_assert(ntk_encoder_fit(t, &eo, &enc, &err) == NTK_OK);
    ck_assert_msg(ntk_encoder_copy(enc, &copy, &err) == NTK_OK, "%s", err.msg);
    ck_assert(copy != enc && copy->columns != enc->columns);
    ck_assert_uint_eq(copy->n_features, enc->n_features);
    ck_assert_uint_eq(copy->n_classes, enc->n_classes);
    for (size_t c = 0; c < enc->n_classes; c++)
        ck_assert_str_eq(copy->class_labels[c], enc->class_labels[c]);
    ntk_encoder_free(enc); /* the copy shares nothing with it */
    ck_assert(ntk_encoder_fit(t, &eo, &enc, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(enc, t, 1, &a, &err) == NTK_OK);
    ck_assert(ntk_encoder_apply(copy, t, 1, &b, &err) == NTK_OK);
    ck_assert_uint_eq(a->n, b->n);
    ck_assert(memcmp(a->X, b->X, a->n * a->d * sizeof *a->X) == 0);
    ck_assert(memcmp(a->y, b->y, a->n * sizeof *a->y) == 0);
    ntk_dataset_free(a);
    ntk_dataset_free(b);
    ntk_encoder_free(enc);
    ntk_encoder_free(copy);
    ntk_table_free(t);
}
END_TEST

static Suite *evaluate_suite(void)
{
    Suite *s = suite_create("evaluate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_split_stratified);
    tcase_add_test(tc, test_calibration);
    tcase_add_test(tc, test_target_variance);
    tcase_add_test(tc, test_evaluate_plain);
    tcase_add_test(tc, test_evaluate_uncertainty);
    tcase_add_test(tc, test_model_metrics_classification);
    tcase_add_test(tc, test_encoder_copy);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(evaluate_suite)

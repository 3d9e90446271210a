/* The streamed path (ntk/stream.h) against the in-memory one: chunked
 * reading gives the same records and errors as ntk_table_parse, the streamed
 * encoder the same encoder as ntk_encoder_fit, and the streamed model the
 * same model as ntk_model_train on the Nystrom path — compared bit for bit,
 * for chunk sizes from 1 row up. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/rng.h"
#include "ntk/stream.h"
#include "split_testutil.h"
#include "testutil.h"

/* A CSV text: numeric (some missing), boolean, categorical (missing too),
 * an integer column with repeats, and a target (class or number). Rows are
 * drawn from few distinct values when `coarse` (duplicates for the center
 * walk). */
static char *make_csv(size_t n, int classify, int coarse, uint64_t seed)
{
    size_t cap = 128 + n * 160, len = 0;
    char *s = malloc(cap);
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    len += (size_t)snprintf(s + len, cap - len, "\xEF\xBB\xBF" "x1,flag,\"color\",k,y\r\n");
    static const char *colors[] = {"red", "green", "\"dark, blue\"", "NA", "yellow"};
    for (size_t i = 0; i < n; i++) {
        double x = coarse ? (double)ntk_rng_below(&rng, 3) : ntk_rng_uniform(&rng) * 4 - 2;
        int flag = (int)ntk_rng_below(&rng, 2);
        size_t c = ntk_rng_below(&rng, 5);
        size_t k = ntk_rng_below(&rng, coarse ? 2 : 7);
        if (!coarse && i % 13 == 5)
            len += (size_t)snprintf(s + len, cap - len, "?,");
        else
            len += (size_t)snprintf(s + len, cap - len, "%.17g,", x);
        len += (size_t)snprintf(s + len, cap - len, "%s,%s,%zu,", flag ? "yes" : "no",
                                colors[c], k);
        double y = sin(2 * x) + 0.3 * (double)flag - 0.2 * (double)c + 0.1 * (double)k;
        if (classify)
            len += (size_t)snprintf(s + len, cap - len, "%s\r\n",
                                    y > 0.3 ? "hi" : y > -0.3 ? "mid" : "lo");
        else if (i % 17 == 3)
            len += (size_t)snprintf(s + len, cap - len, "NA\r\n");
        else
            len += (size_t)snprintf(s + len, cap - len, "%.17g\r\n", y);
        if (i % 29 == 7)
            len += (size_t)snprintf(s + len, cap - len, "\r\n"); /* blank line */
    }
    return s;
}

static void check_reader_equals_parse(const char *csv, size_t chunk)
{
    ntk_error err;
    ntk_error_clear(&err);
    ntk_table *t = NULL;
    ck_assert_int_eq(ntk_table_parse(csv, strlen(csv), "a.csv", NULL, &t, &err), NTK_OK);
    ntk_csv_reader *r = NULL;
    ck_assert_int_eq(ntk_csv_reader_open_memory(csv, strlen(csv), "a.csv", NULL, chunk, &r, &err),
                     NTK_OK);
    for (int pass = 0; pass < 2; pass++) {
        size_t row = 0;
        ntk_table *c = NULL;
        while (ntk_csv_reader_next(r, &c, &err) == NTK_OK && c) {
            ck_assert_uint_eq(c->n_cols, t->n_cols);
            ck_assert(c->n_rows >= 1);
            for (size_t j = 0; j < t->n_cols; j++)
                ck_assert_str_eq(c->names[j], t->names[j]);
            for (size_t i = 0; i < c->n_rows; i++, row++) {
                ck_assert_uint_eq(c->line[i], t->line[row]);
                for (size_t j = 0; j < t->n_cols; j++)
                    ck_assert_str_eq(c->cells[i * c->n_cols + j], t->cells[row * t->n_cols + j]);
            }
            ntk_table_free(c);
        }
        ck_assert_int_eq(err.status, NTK_OK);
        ck_assert_uint_eq(row, t->n_rows);
        ck_assert_int_eq(ntk_csv_reader_rewind(r, &err), NTK_OK);
    }
    ntk_csv_reader_free(r);
    ntk_table_free(t);
}

START_TEST(test_reader_chunks)
{
    char *csv = make_csv(200, 1, 0, 3);
    static const size_t chunks[] = {1, 2, 7, 64, 1000};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
        check_reader_equals_parse(csv, chunks[i]);
    free(csv);
    /* Quoted fields spanning lines, bare CR line ends. */
    check_reader_equals_parse("a,b\n\"x\ny\",1\n\"p\"\"q\",2\n3,\"\n\n\"\n", 1);
    check_reader_equals_parse("a,b\r1,2\r3,4\r", 1);
}
END_TEST

/* Same error from the stream as from the whole text. */
static void check_same_error(const char *csv, size_t chunk)
{
    ntk_error e1, e2;
    ntk_error_clear(&e1);
    ntk_error_clear(&e2);
    ntk_table *t = NULL;
    ntk_status s1 = ntk_table_parse(csv, strlen(csv), "b.csv", NULL, &t, &e1);
    ntk_encoder *enc = NULL;
    if (s1 == NTK_OK) {
        s1 = ntk_encoder_fit(t, NULL, &enc, &e1);
        ntk_encoder_free(enc);
        ntk_table_free(t);
    }
    ck_assert_msg(s1 != NTK_OK, "in memory accepted %s", csv);
    ntk_csv_reader *r = NULL;
    ntk_status s2 = ntk_csv_reader_open_memory(csv, strlen(csv), "b.csv", NULL, chunk, &r, &e2);
    size_t n = 0;
    if (s2 == NTK_OK)
        s2 = ntk_encoder_fit_stream(r, NULL, &enc, &n, &e2);
    ntk_csv_reader_free(r);
    ck_assert_int_eq(s2, s1);
    ck_assert_str_eq(e2.msg, e1.msg);
}

START_TEST(test_errors)
{
    check_same_error("a,b\n1,2\n3,4\n5,6,7\n", 1);
    check_same_error("a,b\n1,2\n3,\"4\n", 1);
    check_same_error("a,b\n", 1);
    check_same_error("", 1);
    check_same_error("a,b\n1,2\n3,nan\n", 1);
    check_same_error("a,b\n1,2\ninf,3\n4,5\n", 2);       /* infinite feature */
    check_same_error("a,b\nq,2\nq,3\nq,4\n", 1);          /* only a constant column */
    check_same_error("a,b\n1,c\n2,c\n", 1);               /* single class */
}
END_TEST

static void check_encoders_equal(const ntk_encoder *a, const ntk_encoder *b)
{
    ck_assert_uint_eq(a->n_columns, b->n_columns);
    ck_assert_uint_eq(a->n_features, b->n_features);
    ck_assert_int_eq(a->task, b->task);
    ck_assert_uint_eq(a->n_classes, b->n_classes);
    for (size_t i = 0; i < a->n_classes; i++)
        ck_assert_str_eq(a->class_labels[i], b->class_labels[i]);
    for (size_t j = 0; j < a->n_columns; j++) {
        const ntk_encoded_column *x = &a->columns[j], *y = &b->columns[j];
        ck_assert_int_eq(x->type, y->type);
        ck_assert_uint_eq(x->n_missing, y->n_missing);
        ck_assert_uint_eq(x->n_levels, y->n_levels);
        for (size_t k = 0; k < x->n_levels; k++)
            ck_assert_str_eq(x->levels[k], y->levels[k]);
        ck_assert(memcmp(&x->fill, &y->fill, sizeof x->fill) == 0);
    }
    ck_assert(memcmp(a->feature_mean, b->feature_mean, a->n_features * sizeof(double)) == 0);
    ck_assert(memcmp(a->feature_scale, b->feature_scale, a->n_features * sizeof(double)) == 0);
}

START_TEST(test_encoder_equals)
{
    for (int classify = 0; classify < 2; classify++) {
        char *csv = make_csv(300, classify, 0, 5 + (uint64_t)classify);
        ntk_error err;
        ntk_error_clear(&err);
        ntk_table *t = NULL;
        ntk_encoder *e1 = NULL, *e2 = NULL;
        ck_assert_int_eq(ntk_table_parse(csv, strlen(csv), "c.csv", NULL, &t, &err), NTK_OK);
        ntk_encode_options o;
        ntk_encode_options_init(&o);
        o.categorical = "k";
        ck_assert_int_eq(ntk_encoder_fit(t, &o, &e1, &err), NTK_OK);
        static const size_t chunks[] = {1, 5, 64, 10000};
        for (size_t i = 0; i < 4; i++) {
            ntk_csv_reader *r = NULL;
            size_t n = 0;
            ck_assert_int_eq(
                ntk_csv_reader_open_memory(csv, strlen(csv), "c.csv", NULL, chunks[i], &r, &err),
                NTK_OK);
            ck_assert_int_eq(ntk_encoder_fit_stream(r, &o, &e2, &n, &err), NTK_OK);
            ntk_dataset *ds = NULL;
            ck_assert_int_eq(ntk_encoder_apply(e1, t, 1, &ds, &err), NTK_OK);
            ck_assert_uint_eq(n, ds->n);
            check_encoders_equal(e2, e1);
            ntk_dataset_free(ds);
            ntk_encoder_free(e2);
            ntk_csv_reader_free(r);
        }
        ntk_encoder_free(e1);
        ntk_table_free(t);
        free(csv);
    }
}
END_TEST

/* ntk_model_train (Nystrom, in memory) and ntk_model_train_stream: same
 * centers, coefficients and predictions, bit for bit. */
static void check_model_equals(int classify, int coarse, size_t M, const double *times,
                               size_t n_times, double reg)
{
    char *csv = make_csv(coarse ? 400 : 257, classify, coarse, 11);
    ntk_error err;
    ntk_error_clear(&err);
    ntk_table *t = NULL;
    ntk_encoder *enc = NULL;
    ntk_dataset *ds = NULL;
    ck_assert_int_eq(ntk_table_parse(csv, strlen(csv), "m.csv", NULL, &t, &err), NTK_OK);
    ck_assert_int_eq(ntk_encoder_fit(t, NULL, &enc, &err), NTK_OK);
    ck_assert_int_eq(ntk_encoder_apply(enc, t, 1, &ds, &err), NTK_OK);
    ntk_train_params p;
    ntk_train_params_init(&p);
    p.arch.depth = 2;
    p.solver = NTK_SOLVER_NYSTROM;
    p.nystrom.centers = M;
    p.nystrom.block_rows = 13; /* blocks that do not divide n nor the chunks */
    p.nystrom.keep_cross = 0;
    p.nystrom.seed = 7;
    p.solve.times = times;
    p.solve.n_times = n_times;
    p.solve.reg = reg;
    p.threads = 1;
    ntk_model *m1 = NULL, *m2 = NULL;
    ck_assert_int_eq(ntk_model_train(ds, enc, &p, &m1, NULL, &err), NTK_OK);
    static const size_t chunks[] = {1, 10, 100000};
    for (size_t c = 0; c < 3; c++) {
        ntk_csv_reader *r = NULL;
        size_t n = 0;
        ck_assert_int_eq(
            ntk_csv_reader_open_memory(csv, strlen(csv), "m.csv", NULL, chunks[c], &r, &err),
            NTK_OK);
        ck_assert_msg(ntk_model_train_stream(r, NULL, &p, &m2, &n, &err) == NTK_OK, "%s", err.msg);
        ck_assert_uint_eq(n, ds->n);
        ck_assert_uint_eq(m2->n, m1->n);
        ck_assert_uint_eq(m2->n_train, m1->n_train);
        ck_assert(memcmp(m2->X, m1->X, m1->n * m1->d * sizeof(double)) == 0);
        ck_assert(memcmp(m2->coef, m1->coef, n_times * m1->n * m1->k * sizeof(double)) == 0);
        ck_assert(m2->y_mean == m1->y_mean && m2->y_scale == m1->y_scale);
        ck_assert(m2->reg_abs == m1->reg_abs && m2->mean_diag == m1->mean_diag);
        ck_assert(m2->residual_mean == m1->residual_mean);
        double *s1 = malloc(n_times * ds->n * m1->k * sizeof *s1);
        double *s2 = malloc(n_times * ds->n * m1->k * sizeof *s2);
        ck_assert_int_eq(ntk_model_predict(m1, ds->X, ds->n, s1, 1, NULL, &err), NTK_OK);
        ck_assert_int_eq(ntk_model_predict(m2, ds->X, ds->n, s2, 1, NULL, &err), NTK_OK);
        ck_assert(memcmp(s1, s2, n_times * ds->n * m1->k * sizeof *s1) == 0);
        free(s1);
        free(s2);
        ntk_model_free(m2);
        ntk_csv_reader_free(r);
    }
    ntk_model_free(m1);
    ntk_dataset_free(ds);
    ntk_table_free(t);
    free(csv);
}

START_TEST(test_model_equals)
{
    static const double t3[] = {0.5, 10, INFINITY}, tinf[] = {INFINITY};
    check_model_equals(0, 0, 40, t3, 3, 0.0);
    check_model_equals(1, 0, 60, tinf, 1, 1e-3);
    /* Few distinct rows: most candidates are duplicates, the walk needs more. */
    check_model_equals(0, 1, 50, tinf, 1, 1e-3);
}
END_TEST

START_TEST(test_refusals)
{
    const char *csv = "a,b\n1,2\n3,4\n5,7\n";
    ntk_error err;
    ntk_error_clear(&err);
    ntk_csv_reader *r = NULL;
    ck_assert_int_eq(ntk_csv_reader_open_memory(csv, strlen(csv), "r.csv", NULL, 2, &r, &err),
                     NTK_OK);
    ntk_train_params p;
    ntk_train_params_init(&p);
    ntk_model *m = NULL;
    size_t n;
    p.solver = NTK_SOLVER_DENSE;
    ck_assert_int_eq(ntk_model_train_stream(r, NULL, &p, &m, &n, &err), NTK_EINPUT);
    p.solver = NTK_SOLVER_AUTO;
    p.nystrom.selection = NTK_CENTERS_RPCHOLESKY;
    ck_assert_int_eq(ntk_model_train_stream(r, NULL, &p, &m, &n, &err), NTK_EINPUT);
    ck_assert(m == NULL);
    ntk_csv_reader_free(r);
    ck_assert_int_eq(ntk_csv_reader_open("/nonexistent/x.csv", NULL, 10, &r, &err), NTK_EINPUT);
}
END_TEST

/* A streamed training split over three threads standing in for ranks
 * (ntk-mpi fit --stream): each reads the text itself and takes its third of
 * the rows once n is known; every one ends with the single process's model
 * (the Gram summed in another order: 1e-9, the tolerance of the MPI tests;
 * measured 3e-11). */
typedef struct {
    split_member m;
    ntk_nystrom_split split;
    const char *csv;
    ntk_model *model;
    ntk_status st;
} stream_proc;

static ntk_train_params split_params(void)
{
    static const double tinf[] = {INFINITY};
    ntk_train_params p;
    ntk_train_params_init(&p);
    p.arch.depth = 2;
    p.nystrom.centers = 30;
    p.nystrom.block_rows = 16;
    p.solve.times = tinf;
    p.solve.n_times = 1;
    p.solve.reg = 1e-3;
    p.solve.reg_scale = NTK_REG_RELATIVE;
    p.threads = 1;
    return p;
}

static void *stream_thread(void *arg)
{
    stream_proc *sp = arg;
    ntk_error err = {0};
    ntk_csv_reader *r = NULL;
    ntk_train_params p = split_params();
    p.nystrom.split = &sp->split;
    size_t n;
    sp->st = ntk_csv_reader_open_memory(sp->csv, strlen(sp->csv), "s.csv", NULL, 7, &r, &err);
    if (sp->st == NTK_OK)
        sp->st = ntk_model_train_stream(r, NULL, &p, &sp->model, &n, &err);
    ntk_csv_reader_free(r);
    return NULL;
}

START_TEST(test_split_stream)
{
    char *csv = make_csv(230, 0, 0, 17);
    ntk_error err = {0};
    ntk_csv_reader *r = NULL;
    ntk_model *one = NULL;
    size_t n;
    ntk_train_params p = split_params();
    ck_assert_int_eq(ntk_csv_reader_open_memory(csv, strlen(csv), "s.csv", NULL, 50, &r, &err),
                     NTK_OK);
    ck_assert_int_eq(ntk_model_train_stream(r, NULL, &p, &one, &n, &err), NTK_OK);
    ntk_csv_reader_free(r);
    split_shared sh = {.worst = 0, .acc = NULL};
    pthread_mutex_init(&sh.mu, NULL);
    pthread_barrier_init(&sh.bar, NULL, 3);
    stream_proc sp[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        sp[i] = (stream_proc){{&sh, i == 0}, {0, 0, i == 0, split_sum, &sp[i], (size_t)i, 3}, csv,
                              NULL, NTK_OK};
        pthread_create(&th[i], NULL, stream_thread, &sp[i]);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    double cs = 0.0;
    for (size_t j = 0; j < one->n * one->k; j++)
        cs = fmax(cs, fabs(one->coef[j]));
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(sp[i].st, NTK_OK);
        ck_assert_uint_eq(sp[i].model->n, one->n);
        ck_assert(memcmp(sp[i].model->X, one->X, one->n * one->d * sizeof(double)) == 0);
        for (size_t j = 0; j < one->n * one->k; j++)
            ck_assert_msg(fabs(sp[i].model->coef[j] - one->coef[j]) <= 1e-9 * cs,
                          "coef %zu: %.17g %.17g (scale %g)", j, sp[i].model->coef[j],
                          one->coef[j], cs);
        ntk_model_free(sp[i].model);
    }
    free(sh.acc);
    pthread_barrier_destroy(&sh.bar);
    pthread_mutex_destroy(&sh.mu);
    ntk_model_free(one);
    free(csv);
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reader_chunks);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_encoder_equals);
    tcase_add_test(tc, test_model_equals);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_split_stream);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(stream_suite)

/* Model tests: train → serialize → deserialize → predict gives bit-identical
 * outputs; the reader rejects truncated, corrupted and foreign files cleanly. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ntk/model.h"
#include "ntk/rng.h"
#include "testutil.h"

/* A small regression or classification problem, encoded through the real
 * loader so the encoder is a genuine one. */
static void make_problem(int classification, ntk_encoder **enc, ntk_dataset **ds)
{
    char csv[8192];
    size_t len = 0;
    ntk_rng r;
    ntk_rng_seed(&r, 11);
    len += (size_t)snprintf(csv + len, sizeof csv - len, "a,b,colour,y\n");
    const char *colours[] = {"red", "green", "blue"};
    for (int i = 0; i < 40; i++) {
        double a = ntk_rng_normal(&r), b = ntk_rng_normal(&r);
        const char *c = colours[ntk_rng_below(&r, 3)];
        if (classification)
            len += (size_t)snprintf(csv + len, sizeof csv - len, "%.6f,%.6f,%s,%s\n", a, b, c,
                                    a + 0.3 * b > 0 ? "pos" : (i % 3 ? "neg" : "zero"));
        else
            len += (size_t)snprintf(csv + len, sizeof csv - len, "%.6f,%.6f,%s,%.6f\n", a, b, c,
                                    sin(a) + b * b);
    }
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *t = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_table_parse(csv, len, "mem.csv", &ro, &t, &err) == NTK_OK, "%s", err.msg);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ck_assert_msg(ntk_encoder_fit(t, &eo, enc, &err) == NTK_OK, "%s", err.msg);
    ck_assert_msg(ntk_encoder_apply(*enc, t, 1, ds, &err) == NTK_OK, "%s", err.msg);
    ntk_table_free(t);
}

static ntk_model *train(int classification, ntk_dataset **ds_out)
{
    ntk_encoder *enc;
    ntk_dataset *ds;
    make_problem(classification, &enc, &ds);
    ntk_train_params p;
    ntk_train_params_init(&p);
    static double times[] = {0.5, 5, INFINITY};
    p.arch.depth = 2;
    p.arch.b_std = 0.1;
    p.solve.times = times;
    p.solve.n_times = 3;
    p.solve.reg = 1e-3;
    ntk_model *m = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_model_train(ds, enc, &p, &m, NULL, &err) == NTK_OK, "%s", err.msg);
    *ds_out = ds;
    return m;
}

static void roundtrip(int classification)
{
    ntk_dataset *ds;
    ntk_model *m = train(classification, &ds);
    unsigned char *buf;
    size_t size;
    ntk_error err = {0};
    ck_assert(ntk_model_serialize(m, &buf, &size, &err) == NTK_OK);
    ntk_model *m2 = NULL;
    ck_assert_msg(ntk_model_deserialize(buf, size, "mem", &m2, &err) == NTK_OK, "%s", err.msg);
    size_t cnt = m->n_times * ds->n * m->k;
    double *s1 = malloc(cnt * sizeof *s1), *s2 = malloc(cnt * sizeof *s2);
    ck_assert(ntk_model_predict(m, ds->X, ds->n, s1, 0, NULL, &err) == NTK_OK);
    ck_assert(ntk_model_predict(m2, ds->X, ds->n, s2, 0, NULL, &err) == NTK_OK);
    ck_assert_msg(memcmp(s1, s2, cnt * sizeof *s1) == 0, "predictions differ after reload");
    /* Serializing the reloaded model gives the same bytes. */
    unsigned char *buf2;
    size_t size2;
    ck_assert(ntk_model_serialize(m2, &buf2, &size2, &err) == NTK_OK);
    ck_assert(size2 == size && memcmp(buf, buf2, size) == 0);
    free(buf2);
    free(s1);
    free(s2);
    free(buf);
    ntk_model_free(m2);
    ntk_model_free(m);
    ntk_dataset_free(ds);
}

START_TEST(test_roundtrip_regression) { roundtrip(0); }
END_TEST

START_TEST(test_roundtrip_classification) { roundtrip(1); }
END_TEST

START_TEST(test_predict_on_training_rows_matches_fit)
{
    /* Predicting the training inputs reproduces the solver's training outputs. */
    ntk_encoder *enc;
    ntk_dataset *ds;
    make_problem(0, &enc, &ds);
    ntk_train_params p;
    ntk_train_params_init(&p);
    double times[] = {1, INFINITY};
    p.solve.times = times;
    p.solve.n_times = 2;
    p.solve.reg = 1e-2;
    ntk_model *m = NULL;
    double *fit = NULL;
    ntk_error err = {0};
    ck_assert(ntk_model_train(ds, enc, &p, &m, &fit, &err) == NTK_OK);
    double *pred = malloc(2 * ds->n * sizeof *pred);
    ck_assert(ntk_model_predict(m, ds->X, ds->n, pred, 0, NULL, &err) == NTK_OK);
    for (size_t i = 0; i < 2 * ds->n; i++)
        ck_assert_close(pred[i], fit[i], 1e-9, 1e-9);
    free(pred);
    free(fit);
    ntk_model_free(m);
    ntk_dataset_free(ds);
}
END_TEST

START_TEST(test_reader_rejects_damage)
{
    ntk_dataset *ds;
    ntk_model *m = train(1, &ds);
    unsigned char *buf;
    size_t size;
    ntk_error err = {0};
    ck_assert(ntk_model_serialize(m, &buf, &size, &err) == NTK_OK);
    ntk_model *out = NULL;
    /* Every truncation. */
    for (size_t len = 0; len < size; len++) {
        ck_assert_int_eq(ntk_model_deserialize(buf, len, "t.ntk", &out, &err), NTK_EINPUT);
        ck_assert(out == NULL);
        ck_assert(strstr(err.msg, "t.ntk") != NULL);
    }
    /* Every single-byte corruption (checksum or structure catches it). */
    unsigned char *copy = malloc(size);
    for (size_t i = 0; i < size; i++) {
        memcpy(copy, buf, size);
        copy[i] ^= 0x5a;
        ck_assert_int_eq(ntk_model_deserialize(copy, size, "c.ntk", &out, &err), NTK_EINPUT);
        ck_assert(out == NULL);
    }
    /* Foreign file. */
    const char *csv = "a,b\n1,2\n";
    ck_assert_int_eq(ntk_model_deserialize((const unsigned char *)csv, strlen(csv), "x.csv",
                                           &out, &err), NTK_EINPUT);
    ck_assert(strstr(err.msg, "not an ntk model") != NULL);
    /* Trailing garbage. */
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, buf, size);
    memset(longer + size, 0, 3);
    ck_assert_int_eq(ntk_model_deserialize(longer, size + 3, "l.ntk", &out, &err), NTK_EINPUT);
    free(longer);
    free(copy);
    free(buf);
    ntk_model_free(m);
    ntk_dataset_free(ds);
}
END_TEST

START_TEST(test_load_missing_file)
{
    ntk_model *m = NULL;
    ntk_error err = {0};
    ck_assert_int_eq(ntk_model_load("tests/data/does-not-exist.ntk", &m, &err), NTK_EINPUT);
    ck_assert(strstr(err.msg, "does-not-exist.ntk") != NULL);
}
END_TEST

/* Entries in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

START_TEST(test_save_load_file)
{
    /* ntk_model_save → ntk_model_load: bit-identical predictions, the bytes
     * are exactly ntk_model_serialize's, and nothing else is left in the
     * directory. */
    ntk_dataset *ds;
    ntk_model *m = train(1, &ds);
    char dir[] = "/tmp/ntk-check-model-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/m.ntk", dir);
    ntk_error err = {0};
    ck_assert_msg(ntk_model_save(m, path, &err) == NTK_OK, "%s", err.msg);
    /* Saving again replaces the file in place. */
    ck_assert_msg(ntk_model_save(m, path, &err) == NTK_OK, "%s", err.msg);
    ck_assert_int_eq(count_entries(dir), 1);
    unsigned char *buf;
    size_t size;
    ck_assert(ntk_model_serialize(m, &buf, &size, &err) == NTK_OK);
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    unsigned char *disk = malloc(size + 1);
    ck_assert(fread(disk, 1, size + 1, f) == size);
    fclose(f);
    ck_assert(memcmp(buf, disk, size) == 0);
    ntk_model *m2 = NULL;
    ck_assert_msg(ntk_model_load(path, &m2, &err) == NTK_OK, "%s", err.msg);
    size_t cnt = m->n_times * ds->n * m->k;
    double *s1 = malloc(cnt * sizeof *s1), *s2 = malloc(cnt * sizeof *s2);
    ck_assert(ntk_model_predict(m, ds->X, ds->n, s1, 0, NULL, &err) == NTK_OK);
    ck_assert(ntk_model_predict(m2, ds->X, ds->n, s2, 0, NULL, &err) == NTK_OK);
    ck_assert_msg(memcmp(s1, s2, cnt * sizeof *s1) == 0, "predictions differ after save/load");
    unlink(path);
    rmdir(dir);
    free(s1);
    free(s2);
    free(disk);
    free(buf);
    ntk_model_free(m2);
    ntk_model_free(m);
    ntk_dataset_free(ds);
}
END_TEST

START_TEST(test_save_failures)
{
    ntk_dataset *ds;
    ntk_model *m = train(0, &ds);
    ntk_error err = {0};
    /* A directory that does not exist (root ignores permission bits, so this
     * is the portable "unwritable"). */
    ck_assert_int_eq(ntk_model_save(m, "/nonexistent-ntk-dir/sub/m.ntk", &err), NTK_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent-ntk-dir/sub/m.ntk") != NULL, "%s", err.msg);
    /* The final rename fails (the target is a non-empty directory): the
     * temporary file, already written, must be gone and the target intact. */
    char dir[] = "/tmp/ntk-check-model-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char target[256], inner[300];
    snprintf(target, sizeof target, "%s/m.ntk", dir);
    snprintf(inner, sizeof inner, "%s/keep", target);
    ck_assert(mkdir(target, 0700) == 0);
    FILE *f = fopen(inner, "w");
    ck_assert(f != NULL);
    fclose(f);
    err = (ntk_error){0};
    ck_assert_int_eq(ntk_model_save(m, target, &err), NTK_EIO);
    ck_assert_msg(strstr(err.msg, target) != NULL, "%s", err.msg);
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(count_entries(target), 1);
    unlink(inner);
    rmdir(target);
    rmdir(dir);
    ntk_model_free(m);
    ntk_dataset_free(ds);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_regression);
    tcase_add_test(tc, test_roundtrip_classification);
    tcase_add_test(tc, test_predict_on_training_rows_matches_fit);
    tcase_add_test(tc, test_reader_rejects_damage);
    tcase_add_test(tc, test_load_missing_file);
    tcase_add_test(tc, test_save_load_file);
    tcase_add_test(tc, test_save_failures);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(model_suite)

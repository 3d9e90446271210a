/* Every bundled data set in data/ loads with its documented target and
 * encodes to the expected dimension (see data/README.md). */
#include <string.h>

#include "ntk/dataset.h"
#include "testutil.h"

typedef struct {
    const char *file;
    const char *target;
    const char *drop;
    ntk_task task;
    size_t rows;
    size_t target_col;   /* 1-based */
    ntk_task want_task;
    size_t classes;      /* 0 for regression */
    size_t d;            /* expected encoded dimension, 0 = not checked */
} data_case;

static const data_case cases[] = {
    {"data/bostonhousing.csv", NULL, NULL, NTK_TASK_AUTO, 506, 14, NTK_TASK_REGRESSION, 0, 13},
    {"data/breastcancer.csv", "Class", "Id", NTK_TASK_AUTO, 699, 11, NTK_TASK_CLASSIFICATION, 2, 9},
    {"data/diabetes.csv", "progression", NULL, NTK_TASK_AUTO, 442, 11, NTK_TASK_REGRESSION, 0, 10},
    {"data/glass.csv", "Type", NULL, NTK_TASK_CLASSIFICATION, 214, 10, NTK_TASK_CLASSIFICATION, 6, 9},
    {"data/housevotes84.csv", "Class", NULL, NTK_TASK_AUTO, 435, 1, NTK_TASK_CLASSIFICATION, 2, 16},
    {"data/ionosphere.csv", "Class", NULL, NTK_TASK_AUTO, 351, 35, NTK_TASK_CLASSIFICATION, 2, 33},
    {"data/iris.csv", "species", NULL, NTK_TASK_AUTO, 150, 5, NTK_TASK_CLASSIFICATION, 3, 4},
    {"data/letterrecognition.csv", "lettr", NULL, NTK_TASK_AUTO, 20000, 1, NTK_TASK_CLASSIFICATION,
     26, 16},
    {"data/pimaindiansdiabetes.csv", "diabetes", NULL, NTK_TASK_AUTO, 768, 9,
     NTK_TASK_CLASSIFICATION, 2, 8},
    {"data/satellite.csv", "classes", NULL, NTK_TASK_AUTO, 6435, 37, NTK_TASK_CLASSIFICATION, 6, 36},
    {"data/servo.csv", "Class", NULL, NTK_TASK_AUTO, 167, 5, NTK_TASK_REGRESSION, 0, 12},
    {"data/sonar.csv", "Class", NULL, NTK_TASK_AUTO, 208, 61, NTK_TASK_CLASSIFICATION, 2, 60},
};

static void load(const data_case *c, ntk_table **t, ntk_encoder **enc, ntk_dataset **ds)
{
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_msg(ntk_table_read(c->file, NULL, t, &err) == NTK_OK, "%s", err.msg);
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    o.target = c->target;
    o.drop = c->drop;
    o.task = c->task;
    ck_assert_msg(ntk_encoder_fit(*t, &o, enc, &err) == NTK_OK, "%s: %s", c->file, err.msg);
    ck_assert_msg(ntk_encoder_apply(*enc, *t, 1, ds, &err) == NTK_OK, "%s: %s", c->file, err.msg);
}

START_TEST(test_all_files)
{
    const data_case *c = &cases[_i];
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(c, &t, &enc, &ds);
    ck_assert_uint_eq(t->n_rows, c->rows);
    ck_assert_int_eq(enc->has_target, 1);
    ck_assert_uint_eq(enc->target_column + 1, c->target_col);
    ck_assert_msg(enc->task == c->want_task, "%s: task %s", c->file, ntk_task_name(enc->task));
    ck_assert_uint_eq(enc->n_classes, c->classes);
    ck_assert_msg(enc->n_features == c->d, "%s: d = %zu, want %zu", c->file, enc->n_features, c->d);
    ck_assert_uint_eq(ds->n, c->rows);
    ck_assert_uint_eq(ds->d, c->d);
    /* Standardized features: finite, mean ~0 on the training rows. */
    for (size_t f = 0; f < ds->d; f++) {
        double m = 0;
        for (size_t i = 0; i < ds->n; i++) {
            ck_assert(isfinite(ds->X[i * ds->d + f]));
            m += ds->X[i * ds->d + f];
        }
        ck_assert_double_eq_tol(m / (double)ds->n, 0, 1e-9);
    }
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_iris)
{
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[6], &t, &enc, &ds);
    ck_assert_uint_eq(enc->n_features, 4);
    ck_assert_uint_eq(enc->n_classes, 3);
    ck_assert_str_eq(enc->class_labels[0], "setosa");
    ck_assert_str_eq(enc->class_labels[2], "virginica");
    for (size_t j = 0; j < 4; j++)
        ck_assert_int_eq(enc->columns[j].type, NTK_COL_NUMERIC);
    size_t cnt[3] = {0};
    for (size_t i = 0; i < ds->n; i++)
        cnt[(size_t)ds->y[i]]++;
    ck_assert_uint_eq(cnt[0], 50);
    ck_assert_uint_eq(cnt[1], 50);
    ck_assert_uint_eq(cnt[2], 50);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_breastcancer)
{
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[1], &t, &enc, &ds);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[0].drop_reason, "--drop");
    ck_assert_str_eq(enc->columns[6].name, "Bare.nuclei");
    ck_assert_int_eq(enc->columns[6].type, NTK_COL_NUMERIC);
    ck_assert_uint_eq(enc->columns[6].n_missing, 16);
    for (size_t j = 1; j < 10; j++) {
        ck_assert_int_eq(enc->columns[j].type, NTK_COL_NUMERIC); /* quoted ordinals */
        if (j != 6)
            ck_assert_uint_eq(enc->columns[j].n_missing, 0);
    }
    ck_assert_uint_eq(enc->n_features, 9);
    ck_assert_str_eq(enc->class_labels[0], "benign");
    ck_assert_str_eq(enc->class_labels[1], "malignant");
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_servo)
{
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[10], &t, &enc, &ds);
    /* Motor and Screw: string factors with levels A..E each → 5 + 5 one-hot;
     * Pgain and Vgain: quoted numbers → 1 + 1. d = 12. */
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_CATEGORICAL);
    ck_assert_uint_eq(enc->columns[0].n_levels, 5);
    ck_assert_str_eq(enc->columns[0].levels[0], "A");
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_CATEGORICAL);
    ck_assert_uint_eq(enc->columns[1].n_levels, 5);
    ck_assert_int_eq(enc->columns[2].type, NTK_COL_NUMERIC);
    ck_assert_int_eq(enc->columns[3].type, NTK_COL_NUMERIC);
    ck_assert_uint_eq(enc->columns[1].first_feature, 5);
    ck_assert_uint_eq(enc->columns[2].first_feature, 10);
    ck_assert_uint_eq(enc->n_features, 12);
    ck_assert_int_eq(enc->task, NTK_TASK_REGRESSION);
    /* Row 1 is "E","E","5","4",4: y is in original units. */
    ck_assert_double_eq(ds->y[0], 4);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_housevotes)
{
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[4], &t, &enc, &ds);
    ck_assert_uint_eq(enc->target_column, 0);
    ck_assert_str_eq(enc->class_labels[0], "democrat");
    ck_assert_str_eq(enc->class_labels[1], "republican");
    size_t total_missing = 0;
    for (size_t j = 1; j < 17; j++) {
        ck_assert_int_eq(enc->columns[j].type, NTK_COL_BOOLEAN);
        ck_assert(enc->columns[j].n_missing > 0);
        ck_assert(enc->columns[j].fill > 0 && enc->columns[j].fill < 1);
        total_missing += enc->columns[j].n_missing;
    }
    ck_assert_uint_eq(total_missing, 392);
    ck_assert_uint_eq(enc->columns[16].n_missing, 104);
    ck_assert_uint_eq(enc->n_features, 16);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_ionosphere_glass)
{
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[5], &t, &enc, &ds);
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[1].drop_reason, "constant");
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_NUMERIC); /* "1"/"0" quoted factor */
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    /* glass: labels "1".."7" without "4"; auto would make it regression. */
    load(&cases[3], &t, &enc, &ds);
    ck_assert_uint_eq(enc->n_classes, 6);
    ck_assert_str_eq(enc->class_labels[3], "5");
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_encoder_refit_on_subset)
{
    /* Fit on a training subset, apply to the held-out rows of the same file. */
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    load(&cases[6], &t, &enc, &ds);
    size_t *tr, *te, ntr, nte;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_split_train_test(ds->n, ds->y, enc->n_classes, 0.2, 3, &tr, &ntr, &te,
                                          &nte, &err),
                     NTK_OK);
    ck_assert_uint_eq(nte, 30);
    size_t per[3] = {0};
    for (size_t i = 0; i < nte; i++)
        per[(size_t)ds->y[te[i]]]++;
    ck_assert_uint_eq(per[0], 10);
    ck_assert_uint_eq(per[1], 10);
    ck_assert_uint_eq(per[2], 10);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table *ttr, *tte;
    ck_assert_int_eq(ntk_table_subset(t, tr, ntr, &ttr, &err), NTK_OK);
    ck_assert_int_eq(ntk_table_subset(t, te, nte, &tte, &err), NTK_OK);
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    ck_assert_int_eq(ntk_encoder_fit(ttr, &o, &enc, &err), NTK_OK);
    ck_assert_int_eq(ntk_encoder_apply(enc, tte, 1, &ds, &err), NTK_OK);
    ck_assert_uint_eq(ds->n, 30);
    ck_assert_uint_eq(ds->d, 4);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(ttr);
    ntk_table_free(tte);
    free(tr);
    free(te);
    ntk_table_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataset_files");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_all_files, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_iris);
    tcase_add_test(tc, test_breastcancer);
    tcase_add_test(tc, test_servo);
    tcase_add_test(tc, test_housevotes);
    tcase_add_test(tc, test_ionosphere_glass);
    tcase_add_test(tc, test_encoder_refit_on_subset);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

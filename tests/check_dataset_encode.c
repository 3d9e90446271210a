/* Encoder: column typing, one-hot, booleans, missing values, unseen levels
 * and labels, standardization fitted on training rows only, targets and
 * tasks, column matching in apply. */
#include <string.h>

#include "ntk/dataset.h"
#include "testutil.h"

static ntk_table *tab(const char *s)
{
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_table_parse(s, strlen(s), "mem.csv", NULL, &t, &err);
    ck_assert_msg(st == NTK_OK, "parse failed: %s", err.msg);
    return t;
}

static ntk_encode_options opts(void)
{
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    o.standardize = NTK_STANDARDIZE_NONE;
    return o;
}

static ntk_encoder *fit_ok(const ntk_table *t, const ntk_encode_options *o)
{
    ntk_encoder *enc = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_encoder_fit(t, o, &enc, &err);
    ck_assert_msg(st == NTK_OK, "fit failed: %s", err.msg);
    return enc;
}

static ntk_dataset *apply_ok(const ntk_encoder *enc, const ntk_table *t, int with_target)
{
    ntk_dataset *ds = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_encoder_apply(enc, t, with_target, &ds, &err);
    ck_assert_msg(st == NTK_OK, "apply failed: %s", err.msg);
    return ds;
}

/* Fitting must fail with NTK_EINPUT and a message containing want1/want2. */
static void fit_fail(const char *csv, const ntk_encode_options *o, const char *want1,
                     const char *want2)
{
    ntk_table *t = tab(csv);
    ntk_encoder *enc = (ntk_encoder *)0x1;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_encoder_fit(t, o, &enc, &err), NTK_EINPUT);
    ck_assert_ptr_null(enc);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "newline in message: %s", err.msg);
    if (want1)
        ck_assert_msg(strstr(err.msg, want1) != NULL, "message '%s' lacks '%s'", err.msg, want1);
    if (want2)
        ck_assert_msg(strstr(err.msg, want2) != NULL, "message '%s' lacks '%s'", err.msg, want2);
    ntk_table_free(t);
}

static void apply_fail(const ntk_encoder *enc, const char *csv, int with_target, const char *want1,
                       const char *want2)
{
    ntk_table *t = tab(csv);
    ntk_dataset *ds = (ntk_dataset *)0x1;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_encoder_apply(enc, t, with_target, &ds, &err), NTK_EINPUT);
    ck_assert_ptr_null(ds);
    if (want1)
        ck_assert_msg(strstr(err.msg, want1) != NULL, "message '%s' lacks '%s'", err.msg, want1);
    if (want2)
        ck_assert_msg(strstr(err.msg, want2) != NULL, "message '%s' lacks '%s'", err.msg, want2);
    ntk_table_free(t);
}

#define X(ds, i, f) ((ds)->X[(i) * (ds)->d + (f)])

START_TEST(test_types)
{
    ntk_table *t = tab("num,qnum,sp,bool,yn,cat,code,y\n"
                       "1,\"2\",\" 3 \",TRUE,y,red,1,1.5\n"
                       "2.5,\"1e-04\",4,FALSE,n,blue,2,2\n"
                       "-3,\"5\",5,true,y,red,3,3\n");
    ntk_encode_options o = opts();
    o.categorical = "code";
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_NUMERIC);
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_NUMERIC);
    ck_assert_int_eq(enc->columns[2].type, NTK_COL_NUMERIC);
    ck_assert_int_eq(enc->columns[3].type, NTK_COL_BOOLEAN);
    ck_assert_int_eq(enc->columns[4].type, NTK_COL_BOOLEAN);
    ck_assert_int_eq(enc->columns[5].type, NTK_COL_CATEGORICAL);
    ck_assert_int_eq(enc->columns[6].type, NTK_COL_CATEGORICAL);
    ck_assert_int_eq(enc->columns[7].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[7].drop_reason, "target");
    ck_assert_int_eq(enc->task, NTK_TASK_REGRESSION);
    ck_assert_uint_eq(enc->n_features, 5 + 2 + 3);
    ck_assert_str_eq(ntk_column_type_name(enc->columns[3].type), "boolean");
    ck_assert_str_eq(ntk_task_name(enc->task), "regression");
    ntk_dataset *ds = apply_ok(enc, t, 1);
    ck_assert_uint_eq(ds->n, 3);
    ck_assert_double_eq(X(ds, 0, 0), 1);
    ck_assert_double_eq(X(ds, 1, 1), 1e-4);
    ck_assert_double_eq(X(ds, 0, 2), 3);
    ck_assert_double_eq(X(ds, 0, 3), 1);
    ck_assert_double_eq(X(ds, 1, 3), 0);
    ck_assert_double_eq(X(ds, 1, 4), 0);
    /* cat levels: blue, red */
    ck_assert_double_eq(X(ds, 0, 5), 0);
    ck_assert_double_eq(X(ds, 0, 6), 1);
    ck_assert_double_eq(X(ds, 1, 5), 1);
    /* code forced categorical: "1","2","3" */
    ck_assert_double_eq(X(ds, 2, 9), 1);
    ck_assert_double_eq(ds->y[0], 1.5);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_onehot_order)
{
    /* Byte order: "B" < "a" < "b"; labels compared exactly (case-sensitive). */
    ntk_table *t = tab("c,y\nb,hid\na,hId\nB,hid\nb,hId\n");
    ntk_encode_options o = opts();
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_uint_eq(enc->columns[0].n_levels, 3);
    ck_assert_str_eq(enc->columns[0].levels[0], "B");
    ck_assert_str_eq(enc->columns[0].levels[1], "a");
    ck_assert_str_eq(enc->columns[0].levels[2], "b");
    ck_assert_int_eq(enc->task, NTK_TASK_CLASSIFICATION);
    ck_assert_uint_eq(enc->n_classes, 2);
    ck_assert_str_eq(enc->class_labels[0], "hId");
    ck_assert_str_eq(enc->class_labels[1], "hid");
    ntk_dataset *ds = apply_ok(enc, t, 1);
    ck_assert_double_eq(X(ds, 0, 2), 1);
    ck_assert_double_eq(X(ds, 2, 0), 1);
    ck_assert_double_eq(ds->y[0], 1);
    ck_assert_double_eq(ds->y[1], 0);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_missing_impute)
{
    ntk_table *t = tab("n,b,c,y\n1,y,u,0\nNA,n,,1\n4,?,v,0\n\"\",y,N/A,1\nnan,NaN,u,0\n");
    ntk_encode_options o = opts();
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_NUMERIC);
    ck_assert_uint_eq(enc->columns[0].n_missing, 3);
    ck_assert_double_eq(enc->columns[0].fill, 2.5);
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_BOOLEAN);
    ck_assert_uint_eq(enc->columns[1].n_missing, 2);
    ck_assert_double_eq_tol(enc->columns[1].fill, 2.0 / 3.0, 1e-15);
    ck_assert_int_eq(enc->columns[2].type, NTK_COL_CATEGORICAL);
    ck_assert_uint_eq(enc->columns[2].n_levels, 3);
    ck_assert_str_eq(enc->columns[2].levels[0], "");
    ck_assert_uint_eq(enc->n_features, 1 + 1 + 3);
    ntk_dataset *ds = apply_ok(enc, t, 1);
    ck_assert_double_eq(X(ds, 1, 0), 2.5);
    ck_assert_double_eq_tol(X(ds, 2, 1), 2.0 / 3.0, 1e-15);
    ck_assert_double_eq(X(ds, 1, 2), 1); /* missing level */
    ck_assert_double_eq(X(ds, 3, 2), 1);
    ck_assert_double_eq(X(ds, 0, 3), 1); /* u */
    ck_assert_uint_eq(ds->n_unseen_levels, 0);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_missing_error)
{
    ntk_encode_options o = opts();
    o.missing = NTK_MISSING_ERROR;
    fit_fail("a,b,y\n1,2,0\n3,,1\n", &o, "line 3, column 2 ('b')", "missing");
    fit_fail("a,b,y\n1,2,0\n3,4,NA\n", &o, "line 3, column 3 ('y')", "missing target");
    /* Under error policy a missing test cell is an error too. */
    ntk_table *t = tab("a,b,y\n1,2,0\n3,4,1\n");
    ntk_encoder *enc = fit_ok(t, &o);
    apply_fail(enc, "a,b,y\n1,2,0\n3,?,1\n", 1, "line 3, column 2 ('b')", "missing");
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_unseen_levels_and_labels)
{
    ntk_table *tr = tab("c,n,y\nx,1,A\ny,2,B\nx,3,A\n");
    ntk_encode_options o = opts();
    ntk_encoder *enc = fit_ok(tr, &o);
    ck_assert_uint_eq(enc->n_features, 3);
    ntk_table *te = tab("c,n,y\nz,1,A\nx,2,C\n,5,B\ny,4,\n");
    ntk_dataset *ds = apply_ok(enc, te, 1);
    /* Row 2 has unseen label C: skipped; row 4 has a missing target: skipped. */
    ck_assert_uint_eq(ds->n, 2);
    ck_assert_uint_eq(ds->n_unseen_labels, 1);
    ck_assert_uint_eq(ds->n_skipped_target, 1);
    ck_assert_uint_eq(ds->source_row[0], 0);
    ck_assert_uint_eq(ds->source_row[1], 2);
    /* z unseen → zero block; missing with no missing level in training → zeros. */
    ck_assert_double_eq(X(ds, 0, 0), 0);
    ck_assert_double_eq(X(ds, 0, 1), 0);
    ck_assert_double_eq(X(ds, 1, 0), 0);
    ck_assert_double_eq(X(ds, 1, 1), 0);
    ck_assert_uint_eq(ds->n_unseen_levels, 2);
    ck_assert_double_eq(ds->y[1], 1);
    ntk_dataset_free(ds);
    /* Without the target every row is kept and y is NULL. */
    ds = apply_ok(enc, te, 0);
    ck_assert_uint_eq(ds->n, 4);
    ck_assert_ptr_null(ds->y);
    ntk_dataset_free(ds);
    ntk_table_free(te);
    ntk_encoder_free(enc);
    ntk_table_free(tr);
}
END_TEST

START_TEST(test_standardize_train_only)
{
    ntk_table *tr = tab("a,c,y\n1,p,0\n2,q,1\n3,p,0\n6,p,1\n");
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    ck_assert_int_eq(o.standardize, NTK_STANDARDIZE_BALANCED); /* the default */
    o.standardize = NTK_STANDARDIZE_ZSCORE;
    ntk_encoder *enc = fit_ok(tr, &o);
    ck_assert_uint_eq(enc->n_features, 3);
    ck_assert_double_eq(enc->feature_mean[0], 3.0);
    ck_assert_double_eq_tol(enc->feature_scale[0], sqrt(3.5), 1e-14);
    /* One-hot columns are standardized too: p has mean 3/4, std sqrt(3)/4. */
    ck_assert_double_eq(enc->feature_mean[1], 0.75);
    ck_assert_double_eq_tol(enc->feature_scale[1], sqrt(3.0) / 4, 1e-14);
    ntk_dataset *ds = apply_ok(enc, tr, 1);
    double m = 0, v = 0;
    for (size_t i = 0; i < ds->n; i++)
        m += X(ds, i, 0);
    for (size_t i = 0; i < ds->n; i++)
        v += X(ds, i, 0) * X(ds, i, 0);
    ck_assert_double_eq_tol(m, 0, 1e-12);
    ck_assert_double_eq_tol(v / 4, 1, 1e-12);
    ntk_dataset_free(ds);
    /* Test rows use the training statistics, not their own. */
    ntk_table *te = tab("a,c,y\n100,q,0\n200,q,1\n");
    ds = apply_ok(enc, te, 1);
    ck_assert_double_eq_tol(X(ds, 0, 0), (100 - 3.0) / sqrt(3.5), 1e-12);
    ck_assert_double_eq_tol(X(ds, 1, 2), (1 - 0.25) / (sqrt(3.0) / 4), 1e-12);
    ntk_dataset_free(ds);
    ntk_table_free(te);
    ntk_encoder_free(enc);
    ntk_table_free(tr);
    /* A feature constant on the training rows after imputation gets scale 1. */
    tr = tab("a,b,y\n1,5,0\n2,,1\n3,5,0\n");
    enc = fit_ok(tr, &o);
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_NUMERIC);
    ck_assert_double_eq(enc->feature_scale[1], 1.0);
    ck_assert_double_eq(enc->feature_mean[1], 5.0);
    ds = apply_ok(enc, tr, 1);
    ck_assert_double_eq(X(ds, 1, 1), 0.0);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(tr);
    /* standardize none: mean 0, scale 1. */
    tr = tab("a,y\n1,0\n3,1\n");
    o.standardize = NTK_STANDARDIZE_NONE;
    enc = fit_ok(tr, &o);
    ck_assert_double_eq(enc->feature_mean[0], 0);
    ck_assert_double_eq(enc->feature_scale[0], 1);
    ntk_encoder_free(enc);
    ntk_table_free(tr);
}
END_TEST

/* Balanced (the default): numeric columns as zscore, one-hot levels centered
 * on their share and divided by √2, so that two rows differing in one
 * categorical column only are at distance exactly 1. */
START_TEST(test_standardize_balanced)
{
    ntk_table *tr = tab("a,c,y\n1,p,0\n2,q,1\n3,p,0\n6,r,1\n");
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    ntk_encoder *enc = fit_ok(tr, &o);
    ck_assert_uint_eq(enc->n_features, 4);
    ck_assert_double_eq(enc->feature_mean[0], 3.0);
    ck_assert_double_eq_tol(enc->feature_scale[0], sqrt(3.5), 1e-14);
    ck_assert_double_eq(enc->feature_mean[1], 0.5); /* p: 2 of 4 rows */
    ck_assert_double_eq_tol(enc->feature_scale[1], sqrt(2.0), 1e-15);
    ntk_table *te = tab("a,c,y\n2,p,0\n2,q,0\n2,r,0\n");
    ntk_dataset *ds = apply_ok(enc, te, 1);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = i + 1; j < 3; j++) {
            double d2 = 0;
            for (size_t f = 0; f < 4; f++)
                d2 += (X(ds, i, f) - X(ds, j, f)) * (X(ds, i, f) - X(ds, j, f));
            ck_assert_double_eq_tol(d2, 1.0, 1e-14);
        }
    ck_assert_double_eq_tol(X(ds, 0, 1), (1 - 0.5) / sqrt(2.0), 1e-15);
    ck_assert_double_eq_tol(X(ds, 0, 2), (0 - 0.25) / sqrt(2.0), 1e-15);
    ntk_dataset_free(ds);
    ntk_table_free(te);
    ntk_encoder_free(enc);
    ntk_table_free(tr);
}
END_TEST

START_TEST(test_constant_and_rownames)
{
    ntk_table *t = tab(",k,kq,km,x,y\n1,7,\"a\",5,1,0\n2,7.0,\"a\",,2,1\n3,7,a,5,3,0\n");
    ntk_encode_options o = opts();
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[0].drop_reason, "row names");
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_DROPPED); /* 7 == 7.0 */
    ck_assert_str_eq(enc->columns[1].drop_reason, "constant");
    ck_assert_int_eq(enc->columns[2].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[2].drop_reason, "constant");
    /* One value plus missing cells is not constant. */
    ck_assert_int_eq(enc->columns[3].type, NTK_COL_NUMERIC);
    ck_assert_uint_eq(enc->n_features, 2);
    ntk_encoder_free(enc);
    /* Listing the unnamed column in categorical keeps it. */
    o.categorical = "1";
    enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_CATEGORICAL);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    /* Without a named header there are no row names. */
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ro.has_header = 0;
    ntk_error err;
    ntk_error_clear(&err);
    const char *s = "1,5,0\n2,6,1\n3,9,0\n";
    ck_assert_int_eq(ntk_table_parse(s, strlen(s), "mem.csv", &ro, &t, &err), NTK_OK);
    o.categorical = NULL;
    enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_NUMERIC);
    ck_assert_uint_eq(enc->target_column, 2);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_nonfinite)
{
    ntk_encode_options o = opts();
    fit_fail("a,b,y\n1,2,0\n3,Inf,1\n", &o, "line 3, column 2 ('b')", "'Inf'");
    fit_fail("a,b,y\n1,-inf,0\n3,4,1\n", &o, "line 2, column 2", "finite");
    fit_fail("a,b,y\n1,1e999,0\n3,4,1\n", &o, "line 2, column 2", "finite");
    fit_fail("a,y\n1,0\n3,Inf\n", &o, "line 3, column 2 ('y')", "finite");
    fit_fail("a,y\n1,0\n3,NaN\n", &o, "line 3, column 2 ('y')", "NaN");
    /* In a test table too. */
    ntk_table *t = tab("a,y\n1,0\n2,1\n");
    ntk_encoder *enc = fit_ok(t, &o);
    apply_fail(enc, "a,y\n1,0\n\n\ninf,1\n", 1, "line 5, column 1 ('a')", "finite");
    apply_fail(enc, "a,y\n1,0\nabc,1\n", 1, "line 3, column 1 ('a')", "'abc'");
    apply_fail(enc, "a,y\n1,0\n2,x\n", 1, "line 3, column 2 ('y')", "number");
    ntk_encoder_free(enc);
    ntk_table_free(t);
    /* Hex is not a number: the column is categorical. */
    t = tab("a,y\n0x10,0\n0x20,1\n");
    enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[0].type, NTK_COL_CATEGORICAL);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_targets)
{
    ntk_encode_options o = opts();
    ntk_table *t = tab("Class,a,b\nyes,1,2\nno,3,4\nyes,5,7\n");
    /* Default: last column, numeric → regression. */
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_uint_eq(enc->target_column, 2);
    ck_assert_int_eq(enc->task, NTK_TASK_REGRESSION);
    ntk_encoder_free(enc);
    /* By name: boolean target → classification. */
    o.target = "Class";
    enc = fit_ok(t, &o);
    ck_assert_uint_eq(enc->target_column, 0);
    ck_assert_int_eq(enc->task, NTK_TASK_CLASSIFICATION);
    ck_assert_uint_eq(enc->n_classes, 2);
    ck_assert_uint_eq(enc->n_features, 2);
    ntk_encoder_free(enc);
    /* By index. */
    o.target = "2";
    enc = fit_ok(t, &o);
    ck_assert_uint_eq(enc->target_column, 1);
    ntk_encoder_free(enc);
    /* No target: every column is a feature. */
    o.target = NULL;
    o.no_target = 1;
    enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->has_target, 0);
    ck_assert_uint_eq(enc->n_features, 3);
    ntk_dataset *ds = apply_ok(enc, t, 1);
    ck_assert_ptr_null(ds->y);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    o.no_target = 0;

    o.target = "Klass";
    fit_fail("Class,a\nx,1\ny,2\n", &o, "unknown target", "'Klass'");
    o.target = "9";
    fit_fail("Class,a\nx,1\ny,2\n", &o, "unknown target", "out of range");
    o.target = "Class";
    o.task = NTK_TASK_REGRESSION;
    fit_fail("Id,Class\n1,benign\n2,malignant\n", &o,
             "target 'Class' is not numeric (line 2: 'benign')", NULL);
    o.task = NTK_TASK_AUTO;
    fit_fail("a,Class\n1,x\n2,x\n3,\n", &o, "single class 'x'", NULL);
    fit_fail("a,Class\n1,NA\n2,\n", &o, "no values", NULL);

    /* Numeric-looking labels under classification are compared as text. */
    o.target = NULL;
    o.task = NTK_TASK_CLASSIFICATION;
    t = tab("a,Type\n1,\"1\"\n2,\"2\"\n3,\"7\"\n4,1.0\n5,NA\n");
    enc = fit_ok(t, &o);
    ck_assert_uint_eq(enc->n_classes, 4);
    ck_assert_str_eq(enc->class_labels[0], "1");
    ck_assert_str_eq(enc->class_labels[1], "1.0");
    ck_assert_uint_eq(enc->columns[1].n_missing, 1);
    ds = apply_ok(enc, t, 1);
    ck_assert_uint_eq(ds->n, 4);
    ck_assert_uint_eq(ds->n_skipped_target, 1);
    ck_assert_double_eq(ds->y[2], 3);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    /* A target listed in categorical is classified even if numeric. */
    o.task = NTK_TASK_AUTO;
    o.categorical = "Type";
    t = tab("a,Type\n1,1\n2,2\n");
    enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->task, NTK_TASK_CLASSIFICATION);
    ntk_encoder_free(enc);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_columns_errors)
{
    ntk_encode_options o = opts();
    fit_fail("a,b,y\n1,,0\n2,NA,1\n", &o, "column 2 ('b')", "no values");
    o.drop = "b";
    ntk_table *t = tab("a,b,y\n1,,0\n2,NA,1\n");
    ntk_encoder *enc = fit_ok(t, &o);
    ck_assert_int_eq(enc->columns[1].type, NTK_COL_DROPPED);
    ck_assert_str_eq(enc->columns[1].drop_reason, "--drop");
    ck_assert_uint_eq(enc->columns[1].n_missing, 2);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    o.drop = " a , zz";
    fit_fail("a,b,y\n1,2,0\n2,3,1\n", &o, "--drop", "'zz'");
    o.drop = "y";
    fit_fail("a,b,y\n1,2,0\n2,3,1\n", &o, "--drop", "target");
    o.drop = "a,b";
    fit_fail("a,b,y\n1,2,0\n2,3,1\n", &o, "no feature columns", NULL);
    o.drop = NULL;
    o.categorical = "nope";
    fit_fail("a,b,y\n1,2,0\n2,3,1\n", &o, "--categorical", "'nope'");
}
END_TEST

START_TEST(test_apply_matching)
{
    ntk_encode_options o = opts();
    ntk_table *tr = tab("id,a,,c,y\n1,1,5,x,0\n2,2,6,z,1\n3,2,6,z,1\n");
    o.drop = "id";
    ntk_encoder *enc = fit_ok(tr, &o);
    ck_assert_uint_eq(enc->n_features, 4);
    /* Reordered named columns, the unnamed one in place, an extra column,
     * no id column (dropped, so not needed). */
    ntk_table *te = tab("c,a,,extra,y\nz,10,7,q,1\n");
    ntk_dataset *ds = apply_ok(enc, te, 1);
    ck_assert_uint_eq(ds->n, 1);
    ck_assert_double_eq(X(ds, 0, 0), 10);
    ck_assert_double_eq(X(ds, 0, 1), 7);
    ck_assert_double_eq(X(ds, 0, 3), 1);
    ntk_dataset_free(ds);
    ntk_table_free(te);
    apply_fail(enc, "y,c,,id\n1,z,7,1\n", 1, "feature column 2 ('a')", "missing");
    apply_fail(enc, "a,c,,id\n1,z,7,1\n", 1, "target column 5 ('y')", "missing");
    /* Predict data may lack the target. */
    te = tab("a,c,\n1,x,2\n");
    ds = apply_ok(enc, te, 0);
    ck_assert_uint_eq(ds->n, 1);
    ntk_dataset_free(ds);
    ntk_table_free(te);
    apply_fail(enc, "a,c,,y\n1,x,2,\n", 1, "no usable rows", "1 with a missing target");
    apply_fail(enc, "a,c,,y\n1,x,2,\"1\"\n3,maybe,4,NA\n1,x,yes,1\n", 1,
               "line 4, column 3 (unnamed)", "'yes'");
    /* An unnamed column is matched by position only. */
    apply_fail(enc, "a,,c,y\n1,2,x,1\n", 1, "feature column 3 (unnamed)", "missing");
    ntk_encoder_free(enc);
    ntk_table_free(tr);
    /* Boolean column given a non-boolean word in test data. */
    o.drop = NULL;
    tr = tab("b,y\ny,0\nn,1\n");
    enc = fit_ok(tr, &o);
    apply_fail(enc, "b,y\nmaybe,0\n", 1, "line 2, column 1 ('b')", "boolean");
    ntk_encoder_free(enc);
    ntk_table_free(tr);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataset_encode");
    TCase *tc = tcase_create("encode");
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_onehot_order);
    tcase_add_test(tc, test_missing_impute);
    tcase_add_test(tc, test_missing_error);
    tcase_add_test(tc, test_unseen_levels_and_labels);
    tcase_add_test(tc, test_standardize_train_only);
    tcase_add_test(tc, test_standardize_balanced);
    tcase_add_test(tc, test_constant_and_rownames);
    tcase_add_test(tc, test_nonfinite);
    tcase_add_test(tc, test_targets);
    tcase_add_test(tc, test_columns_errors);
    tcase_add_test(tc, test_apply_matching);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

/* Tables from in-memory columns (ntk_table_from_columns): the encoder gives
 * bit-identical numbers to the same values written as CSV text and parsed,
 * missing cells (NaN, NULL) and infinities behave as in a file, and bad
 * column descriptions are refused. */
#include <string.h>

#include "ntk/dataset.h"
#include "testutil.h"

/* Values whose shortest decimal text is long: every digit has to survive. */
static const double num[6] = {0.1, -1.0 / 3.0, 2.5e-310, 12345.678901234567, -0.0, 7.0};
static const char *const cat[6] = {"b", "a", NULL, "b", "x\ny", "a"};
static const double target[6] = {1.5, 2.25, -3.0, 4.125, 0.5, 1e300};

/* The same table as CSV text, numbers printed with 17 digits by a different
 * route (%.17e), categories quoted. */
static ntk_table *as_csv(void)
{
    char buf[2048];
    size_t len = (size_t)snprintf(buf, sizeof buf, "num,cat,y\n");
    for (int r = 0; r < 6; r++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%.17e,\"%s\",%.17e\n", num[r],
                                cat[r] ? cat[r] : "", target[r]);
    ntk_read_options opt;
    ntk_read_options_init(&opt);
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_msg(ntk_table_parse(buf, len, "mem.csv", &opt, &t, &err) == NTK_OK, "%s", err.msg);
    return t;
}

static ntk_table *from_columns(const double *values, size_t stride)
{
    ntk_column_data cols[3] = {{"num", values, stride, NULL},
                               {"cat", NULL, 0, cat},
                               {"y", target, 1, NULL}};
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_msg(ntk_table_from_columns(cols, 3, 6, "mem", &t, &err) == NTK_OK, "%s", err.msg);
    return t;
}

static void encode(const ntk_table *t, ntk_encoder **enc, ntk_dataset **ds)
{
    ntk_encode_options opt;
    ntk_encode_options_init(&opt);
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_msg(ntk_encoder_fit(t, &opt, enc, &err) == NTK_OK, "%s", err.msg);
    ck_assert_msg(ntk_encoder_apply(*enc, t, 1, ds, &err) == NTK_OK, "%s", err.msg);
}

START_TEST(test_same_numbers_as_csv)
{
    /* The numeric column read through a stride, as a column of a row-major
     * 2-D array is. */
    double strided[12];
    for (int r = 0; r < 6; r++) {
        strided[2 * r] = num[r];
        strided[2 * r + 1] = NAN;
    }
    ntk_table *a = as_csv(), *b = from_columns(strided, 2);
    ck_assert_uint_eq(b->n_rows, 6);
    ck_assert_uint_eq(b->line[0], 2);
    ntk_encoder *ea, *eb;
    ntk_dataset *da, *db;
    encode(a, &ea, &da);
    encode(b, &eb, &db);
    ck_assert_uint_eq(da->n, db->n);
    ck_assert_uint_eq(da->d, db->d);
    ck_assert_int_eq(eb->columns[1].type, NTK_COL_CATEGORICAL);
    ck_assert_uint_eq(eb->columns[1].n_levels, 4); /* "", "a", "b", "x\ny" */
    ck_assert_int_eq(memcmp(da->X, db->X, da->n * da->d * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(da->y, db->y, da->n * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(ea->feature_mean, eb->feature_mean, ea->n_features * sizeof(double)),
                     0);
    for (int r = 0; r < 6; r++)
        ck_assert(db->y[r] == target[r]);
    ntk_dataset_free(da);
    ntk_dataset_free(db);
    ntk_encoder_free(ea);
    ntk_encoder_free(eb);
    ntk_table_free(a);
    ntk_table_free(b);
}
END_TEST

START_TEST(test_missing_and_infinite)
{
    double v[6] = {1, NAN, 3, 4, 5, 6};
    ntk_table *t = from_columns(v, 1);
    ck_assert_str_eq(t->cells[1 * 3 + 0], "");   /* NaN is a missing cell */
    ck_assert_str_eq(t->cells[2 * 3 + 1], "");   /* so is NULL text */
    ntk_encoder *enc;
    ntk_dataset *ds;
    encode(t, &enc, &ds);
    ck_assert_uint_eq(enc->columns[0].n_missing, 1);
    ck_assert(enc->columns[0].fill == (1 + 3 + 4 + 5 + 6) / 5.0);
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    /* An infinity is refused by the encoder, naming line and column. */
    v[1] = -INFINITY;
    t = from_columns(v, 1);
    ntk_encode_options opt;
    ntk_encode_options_init(&opt);
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_encoder_fit(t, &opt, &enc, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "mem: line 3, column 1 ('num')") && strstr(err.msg, "-inf"),
                  "%s", err.msg);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_bad_columns)
{
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_column_data dup[2] = {{"a", num, 1, NULL}, {"a", target, 1, NULL}};
    ck_assert_int_eq(ntk_table_from_columns(dup, 2, 6, NULL, &t, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "duplicate column name 'a'"), "%s", err.msg);
    ntk_column_data both[1] = {{"a", num, 1, cat}};
    ck_assert_int_eq(ntk_table_from_columns(both, 1, 6, NULL, &t, &err), NTK_EINPUT);
    ntk_column_data noname[1] = {{NULL, num, 1, NULL}};
    ck_assert_int_eq(ntk_table_from_columns(noname, 1, 6, NULL, &t, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_table_from_columns(dup, 1, 0, NULL, &t, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "(data): no data"), "%s", err.msg);
    ck_assert_ptr_null(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("table_columns");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_same_numbers_as_csv);
    tcase_add_test(tc, test_missing_and_infinite);
    tcase_add_test(tc, test_bad_columns);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

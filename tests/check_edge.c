/* Regression tests for the numerical edge cases of docs/hardening.md: values
 * near the double range in the encoder, the metrics and the kernel. */
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/metrics.h"
#include "testutil.h"

static ntk_table *parse(const char *csv)
{
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_table_parse(csv, strlen(csv), "edge.csv", &ro, &t, &err), NTK_OK);
    return t;
}

/* z-scoring a column of ±1e200 (or ±1e307) values: the running sum of squares
 * overflowed, the scale fell back to 1 and the kernel then overflowed. */
START_TEST(test_zscore_huge_features)
{
    static const char *csv[] = {"a,b,y\n1e200,1,1\n-2e200,2,2\n3e200,1,3\n4e200,2,4\n",
                                "a,b,y\n1.5e307,1,1\n-1.7e308,2,2\n1e308,1,3\n-9e307,2,4\n"};
    for (size_t c = 0; c < 2; c++) {
        ntk_table *t = parse(csv[c]);
        ntk_encoder *enc = NULL;
        ntk_dataset *ds = NULL;
        ntk_error err;
        ntk_error_clear(&err);
        ck_assert_int_eq(ntk_encoder_fit(t, NULL, &enc, &err), NTK_OK);
        ck_assert(isfinite(enc->feature_mean[0]) && isfinite(enc->feature_scale[0]));
        ck_assert(enc->feature_scale[0] > 1e199);
        ck_assert_int_eq(ntk_encoder_apply(enc, t, 1, &ds, &err), NTK_OK);
        double s = 0, ss = 0;
        for (size_t i = 0; i < ds->n; i++) {
            ck_assert(isfinite(ds->X[i * ds->d]));
            s += ds->X[i * ds->d];
            ss += ds->X[i * ds->d] * ds->X[i * ds->d];
        }
        ck_assert_close(s / 4, 0.0, 1e-12, 1.0);
        ck_assert_close(ss / 4, 1.0, 1e-12, 1.0);
        ntk_dataset_free(ds);
        ntk_encoder_free(enc);
        ntk_table_free(t);
    }
}
END_TEST

START_TEST(test_metrics_huge)
{
    double y[4] = {1e200, -2e200, 3e200, 4e200}, p[4] = {1.1e200, -2e200, 3e200, 4e200};
    ntk_regression_metrics m;
    ntk_metrics_regression(y, p, 4, &m);
    ck_assert_close(m.rmse, 0.05e200, 1e-12, 0);
    ck_assert_close(m.mae, 0.025e200, 1e-12, 0);
    ck_assert(isfinite(m.r2) && m.r2 > 0.99 && m.r2 < 1);
    /* ordinary values: unchanged path */
    double y2[3] = {1, 2, 3}, p2[3] = {1, 2, 4};
    ntk_metrics_regression(y2, p2, 3, &m);
    ck_assert_close(m.rmse, sqrt(1.0 / 3), 1e-15, 0);
    ck_assert_close(m.r2, 0.5, 1e-15, 0);
}
END_TEST

/* Inputs whose ⟨x,x⟩/d leaves the double range: bad input (NTK_EINPUT) with a
 * message about the input scale, not an Inf kernel. */
START_TEST(test_kernel_input_overflow)
{
    double X[4] = {1e200, 2e200, 1, 2}, K[4];
    ntk_arch a;
    ntk_arch_init(&a);
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, 2, NULL, 0, 2, K, NULL, &err),
                     NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "inputs are too large") && strstr(err.msg, "row 1"), "%s",
                  err.msg);
    /* 1e150 is fine: Σ⁰ = 1e300 */
    X[0] = 1e150;
    X[1] = 2e150;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, 2, NULL, 0, 2, K, NULL, &err), NTK_OK);
    for (int i = 0; i < 4; i++)
        ck_assert(isfinite(K[i]));
}
END_TEST

static Suite *edge_suite(void)
{
    Suite *s = suite_create("edge");
    TCase *tc = tcase_create("edge");
    tcase_add_test(tc, test_zscore_huge_features);
    tcase_add_test(tc, test_metrics_huge);
    tcase_add_test(tc, test_kernel_input_overflow);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(edge_suite)

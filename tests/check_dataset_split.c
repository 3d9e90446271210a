/* Train/test splits and k-fold assignment: sizes, disjoint and covering,
 * stratified, deterministic for a seed. */
#include <string.h>

#include "ntk/dataset.h"
#include "testutil.h"

/* Every row in exactly one of the two lists; lists sorted. */
static void check_partition(size_t n, const size_t *a, size_t na, const size_t *b, size_t nb)
{
    ck_assert_uint_eq(na + nb, n);
    unsigned char *seen = calloc(n, 1);
    for (size_t i = 0; i < na; i++) {
        ck_assert_uint_lt(a[i], n);
        ck_assert(!seen[a[i]]);
        seen[a[i]] = 1;
        if (i)
            ck_assert_uint_lt(a[i - 1], a[i]);
    }
    for (size_t i = 0; i < nb; i++) {
        ck_assert_uint_lt(b[i], n);
        ck_assert(!seen[b[i]]);
        seen[b[i]] = 1;
        if (i)
            ck_assert_uint_lt(b[i - 1], b[i]);
    }
    free(seen);
}

START_TEST(test_split_plain)
{
    size_t *tr, *te, ntr, nte;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_split_train_test(100, NULL, 0, 0.25, 7, &tr, &ntr, &te, &nte, &err),
                     NTK_OK);
    ck_assert_uint_eq(nte, 25);
    check_partition(100, tr, ntr, te, nte);
    /* Deterministic for a seed, different for another. */
    size_t *tr2, *te2, ntr2, nte2;
    ck_assert_int_eq(ntk_split_train_test(100, NULL, 0, 0.25, 7, &tr2, &ntr2, &te2, &nte2, &err),
                     NTK_OK);
    ck_assert_int_eq(memcmp(te, te2, nte * sizeof *te), 0);
    free(tr2);
    free(te2);
    ck_assert_int_eq(ntk_split_train_test(100, NULL, 0, 0.25, 8, &tr2, &ntr2, &te2, &nte2, &err),
                     NTK_OK);
    ck_assert_int_ne(memcmp(te, te2, nte * sizeof *te), 0);
    free(tr2);
    free(te2);
    free(tr);
    free(te);
    /* Extremes: at least one row on each side. */
    ck_assert_int_eq(ntk_split_train_test(10, NULL, 0, 0.01, 1, &tr, &ntr, &te, &nte, &err), NTK_OK);
    ck_assert_uint_eq(nte, 1);
    free(tr);
    free(te);
    ck_assert_int_eq(ntk_split_train_test(10, NULL, 0, 0.99, 1, &tr, &ntr, &te, &nte, &err), NTK_OK);
    ck_assert_uint_eq(nte, 9);
    free(tr);
    free(te);
    ck_assert_int_eq(ntk_split_train_test(1, NULL, 0, 0.5, 1, &tr, &ntr, &te, &nte, &err),
                     NTK_EINPUT);
    ck_assert_int_eq(ntk_split_train_test(10, NULL, 0, 1.0, 1, &tr, &ntr, &te, &nte, &err),
                     NTK_EINPUT);
    ck_assert_int_eq(ntk_split_train_test(10, NULL, 0, 0.0, 1, &tr, &ntr, &te, &nte, &err),
                     NTK_EINPUT);
    ck_assert_int_eq(ntk_split_train_test(10, NULL, 0, NAN, 1, &tr, &ntr, &te, &nte, &err),
                     NTK_EINPUT);
}
END_TEST

START_TEST(test_split_stratified)
{
    /* Classes of 60, 30, 8, 2 rows and 1 row, interleaved. */
    const size_t counts[5] = {60, 30, 8, 2, 1};
    size_t n = 101;
    double *y = malloc(n * sizeof *y);
    size_t k = 0;
    for (size_t c = 0; c < 5; c++)
        for (size_t i = 0; i < counts[c]; i++)
            y[k++] = (double)c;
    /* Shuffle the label order deterministically so classes interleave. */
    for (size_t i = 0; i < n; i++) {
        size_t j = (i * 37 + 11) % n;
        double t = y[i];
        y[i] = y[j];
        y[j] = t;
    }
    for (int seed = 0; seed < 20; seed++) {
        size_t *tr, *te, ntr, nte;
        ntk_error err;
        ntk_error_clear(&err);
        ck_assert_int_eq(
            ntk_split_train_test(n, y, 5, 0.3, (uint64_t)seed, &tr, &ntr, &te, &nte, &err), NTK_OK);
        ck_assert_uint_eq(nte, 30);
        check_partition(n, tr, ntr, te, nte);
        size_t in_test[5] = {0}, in_train[5] = {0};
        for (size_t i = 0; i < nte; i++)
            in_test[(size_t)y[te[i]]]++;
        for (size_t i = 0; i < ntr; i++)
            in_train[(size_t)y[tr[i]]]++;
        for (size_t c = 0; c < 5; c++) {
            double want = 0.3 * (double)counts[c];
            ck_assert_msg(fabs((double)in_test[c] - want) <= 1.0, "class %zu: %zu in test, want ~%g",
                          c, in_test[c], want);
            if (counts[c] >= 2)
                ck_assert_uint_ge(in_train[c], 1);
        }
        ck_assert_uint_eq(in_train[4], 1); /* the singleton stays in training */
        free(tr);
        free(te);
    }
    /* Bad labels. */
    size_t *tr, *te, ntr, nte;
    ntk_error err;
    ntk_error_clear(&err);
    y[3] = 5;
    ck_assert_int_eq(ntk_split_train_test(n, y, 5, 0.3, 1, &tr, &ntr, &te, &nte, &err), NTK_EINPUT);
    y[3] = 0.5;
    ck_assert_int_eq(ntk_split_train_test(n, y, 5, 0.3, 1, &tr, &ntr, &te, &nte, &err), NTK_EINPUT);
    free(y);
    /* All singletons: the test row must come from somewhere. */
    double ys[4] = {0, 1, 2, 3};
    ck_assert_int_eq(ntk_split_train_test(4, ys, 4, 0.25, 1, &tr, &ntr, &te, &nte, &err), NTK_OK);
    ck_assert_uint_eq(nte, 1);
    check_partition(4, tr, ntr, te, nte);
    free(tr);
    free(te);
}
END_TEST

START_TEST(test_kfold)
{
    const size_t n = 103, k = 5;
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = (double)((i * 7) % 3 == 0 ? 0 : (i % 5 == 0 ? 2 : 1));
    size_t cls[3] = {0};
    for (size_t i = 0; i < n; i++)
        cls[(size_t)y[i]]++;
    size_t *fold = malloc(n * sizeof *fold), *fold2 = malloc(n * sizeof *fold2);
    ntk_error err;
    ntk_error_clear(&err);
    for (int strat = 0; strat < 2; strat++) {
        const double *lab = strat ? y : NULL;
        ck_assert_int_eq(ntk_kfold_assign(n, lab, 3, k, 42, fold, &err), NTK_OK);
        size_t size[5] = {0}, per[5][3];
        memset(per, 0, sizeof per);
        for (size_t i = 0; i < n; i++) {
            ck_assert_uint_lt(fold[i], k);
            size[fold[i]]++;
            per[fold[i]][(size_t)y[i]]++;
        }
        size_t mn = n, mx = 0;
        for (size_t f = 0; f < k; f++) {
            mn = size[f] < mn ? size[f] : mn;
            mx = size[f] > mx ? size[f] : mx;
        }
        ck_assert_uint_le(mx - mn, 1);
        if (strat)
            for (size_t c = 0; c < 3; c++)
                for (size_t f = 0; f < k; f++) {
                    double want = (double)cls[c] / (double)k;
                    ck_assert_msg(fabs((double)per[f][c] - want) < 1.0, "fold %zu class %zu: %zu",
                                  f, c, per[f][c]);
                }
        /* Deterministic for the seed; another seed gives another assignment. */
        ck_assert_int_eq(ntk_kfold_assign(n, lab, 3, k, 42, fold2, &err), NTK_OK);
        ck_assert_int_eq(memcmp(fold, fold2, n * sizeof *fold), 0);
        ck_assert_int_eq(ntk_kfold_assign(n, lab, 3, k, 43, fold2, &err), NTK_OK);
        ck_assert_int_ne(memcmp(fold, fold2, n * sizeof *fold), 0);
    }
    ck_assert_int_eq(ntk_kfold_assign(n, NULL, 0, 1, 1, fold, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_kfold_assign(3, NULL, 0, 4, 1, fold, &err), NTK_EINPUT);
    y[0] = -1;
    ck_assert_int_eq(ntk_kfold_assign(n, y, 3, 5, 1, fold, &err), NTK_EINPUT);
    /* k == n: leave-one-out. */
    ck_assert_int_eq(ntk_kfold_assign(4, NULL, 0, 4, 9, fold, &err), NTK_OK);
    int seen[4] = {0};
    for (size_t i = 0; i < 4; i++)
        seen[fold[i]]++;
    for (size_t f = 0; f < 4; f++)
        ck_assert_int_eq(seen[f], 1);
    free(y);
    free(fold);
    free(fold2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataset_split");
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, test_split_plain);
    tcase_add_test(tc, test_split_stratified);
    tcase_add_test(tc, test_kfold);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

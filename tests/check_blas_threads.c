/* Process-wide BLAS state: the library changes OpenBLAS's thread count only
 * for the duration of a call and gives the caller's value back, also when
 * calls nest or run concurrently. */
#include <cblas.h>
#include <pthread.h>

#include "core/blas_threads.h"
#include "ntk/rng.h"
#include "ntk/select.h"
#include "testutil.h"

/* ntk_select with several (kernel, fold) jobs and 2 threads runs them side by
 * side with single-threaded BLAS. */
static void run_select(void)
{
    size_t n = 60, d = 3;
    double X[60 * 3], y[60];
    ntk_rng r;
    ntk_rng_seed(&r, 9);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    for (size_t i = 0; i < n; i++)
        y[i] = X[i * d] > 0;
    ntk_select_params p;
    ntk_select_params_init(&p);
    p.max_depth = 2;
    p.folds = 3;
    p.threads = 2;
    ntk_select_result res;
    ntk_error err = {0};
    ck_assert_msg(ntk_select(X, n, d, y, NTK_TASK_CLASSIFICATION, 2, &p, &res, &err) == NTK_OK,
                  "%s", err.msg);
}

START_TEST(test_select_keeps_caller_one_thread)
{
    openblas_set_num_threads(1);
    ck_assert_int_eq(openblas_get_num_threads(), 1);
    run_select();
    ck_assert_int_eq(openblas_get_num_threads(), 1);
}
END_TEST

START_TEST(test_select_keeps_caller_two_threads)
{
    /* 2 where OpenBLAS allows it (its maximum may be 1 on a 1-core machine). */
    openblas_set_num_threads(2);
    int caller = openblas_get_num_threads();
    run_select();
    ck_assert_int_eq(openblas_get_num_threads(), caller);
}
END_TEST

START_TEST(test_push_pop_nest)
{
    openblas_set_num_threads(2);
    int caller = openblas_get_num_threads();
    ntk_blas_threads_push(1);
    ck_assert_int_eq(openblas_get_num_threads(), 1);
    ntk_blas_threads_push(0); /* no change requested */
    ck_assert_int_eq(openblas_get_num_threads(), 1);
    ntk_blas_threads_pop();
    /* Still inside the outer push: its setting holds. */
    ck_assert_int_eq(openblas_get_num_threads(), 1);
    ntk_blas_threads_pop();
    ck_assert_int_eq(openblas_get_num_threads(), caller);
    ntk_blas_threads_pop(); /* unmatched pop: harmless */
    ck_assert_int_eq(openblas_get_num_threads(), caller);
}
END_TEST

static void *push_pop_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        ntk_blas_threads_push(1);
        ntk_blas_threads_pop();
    }
    return NULL;
}

START_TEST(test_push_pop_concurrent)
{
    /* Two threads interleaving push/pop: a per-call save/restore could hand
     * one call's temporary 1 back as "the caller's" value. */
    openblas_set_num_threads(2);
    int caller = openblas_get_num_threads();
    pthread_t a, b;
    ck_assert_int_eq(pthread_create(&a, NULL, push_pop_many, NULL), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, push_pop_many, NULL), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    ck_assert_int_eq(openblas_get_num_threads(), caller);
}
END_TEST

static Suite *blas_threads_suite(void)
{
    Suite *s = suite_create("blas_threads");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_select_keeps_caller_one_thread);
    tcase_add_test(tc, test_select_keeps_caller_two_threads);
    tcase_add_test(tc, test_push_pop_nest);
    tcase_add_test(tc, test_push_pop_concurrent);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(blas_threads_suite)

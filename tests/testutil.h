/* Helpers shared by the Check unit tests. */
#ifndef NTK_TESTUTIL_H
#define NTK_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Directory of test data, relative to the project root (tests run from there). */
#define TEST_DATA_DIR "tests/data"

/* |a - b| <= tol * max(|b|, floor): relative with an absolute floor. */
#define ck_assert_close(a, b, tol, floor_)                                           \
    do {                                                                             \
        double _a = (a), _b = (b);                                                   \
        double _s = fabs(_b) > (floor_) ? fabs(_b) : (floor_);                       \
        ck_assert_msg(fabs(_a - _b) <= (tol) * _s, "%s = %.17g, expected %.17g (tol %g)", \
                      #a, _a, _b, (double)(tol));                                    \
    } while (0)

/* Run a suite and return the number of failures, for main(). */
static inline int testutil_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

#define TEST_MAIN(suite_fn) \
    int main(void) { return testutil_run(suite_fn()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE; }

#endif

/* Helpers shared by the solver path tests (check_solver_fast.c,
 * check_solver_krylov.c): relative block differences and one solve of a
 * copy of a kernel by a forced path. */
#ifndef NTK_SOLVER_TESTUTIL_H
#define NTK_SOLVER_TESTUTIL_H

#include <math.h>
#include <string.h>

#include "ntk/solver.h"
#include "testutil.h"

/* ||a − b||_F / ||b||_F (b = 0: ||a − b||_F) */
static inline double rel_diff(const double *a, const double *b, size_t len)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < len; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* ntk_solve on a copy of K (n×n) by `method`; the test fails on an error. */
static inline ntk_solution *solve(const double *K, size_t n, const double *Y, size_t k,
                                  ntk_solve_params *p, ntk_solve_method method)
{
    double *A = malloc(n * n * sizeof *A);
    memcpy(A, K, n * n * sizeof *A);
    p->method = method;
    ntk_solution *s = NULL;
    ntk_error err = {0};
    ntk_status st = ntk_solve(A, n, Y, k, p, &s, &err);
    ck_assert_msg(st == NTK_OK, "method %d: %s", (int)method, err.msg);
    free(A);
    return s;
}

#endif

/* Internals of the SVM module shared by svm.c, svm_smo.c and svm_select.c. */
#ifndef NTK_SVM_INTERNAL_H
#define NTK_SVM_INTERNAL_H

#include <stddef.h>

#include "ntk/svm.h"

/* One two-class dual: variable t has kernel row K + rows[t]·ld, label y[t]
 * (±1), upper bound Cb[t] and K_tt = diag[t]. */
typedef struct {
    const double *K;
    size_t ld;
    const size_t *rows;
    size_t l;
    const double *y;
    const double *Cb;
    const double *diag;
    double eps;
    int shrinking;
    size_t max_iter; /* 0: max(10^7, 100·l) */
    /* Tests: 1 sweeps through act[] one element at a time (the reference for
     * the vector sweeps, which must choose the same pairs bit for bit). */
    int scalar_sweeps;
} svm_binary_problem;

typedef struct {
    double b;          /* bias: f(x) = Σ y_t α_t K(x, x_t) + b */
    double gap;        /* final m(α) − M(α) */
    double objective;  /* ½αᵀQα − Σα */
    size_t iterations;
    int hit_max_iter;
} svm_binary_result;

/* Solve the dual from α = 0; alpha (l) receives the solution. */
ntk_status svm_solve_binary(const svm_binary_problem *pb, double *alpha, svm_binary_result *res,
                            ntk_error *err);

#endif

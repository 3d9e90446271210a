/* Internal to the selection module: the scoring back-ends that price a whole
 * (ridge, time) grid of one candidate kernel from one eigendecomposition. */
#ifndef NTK_SELECT_INTERNAL_H
#define NTK_SELECT_INTERNAL_H

#include <stddef.h>

#include "ntk/common.h"
#include "ntk/dataset.h"
#include "ntk/select.h"
#include "ntk/svm.h"

/* Validation results of one (ridge, time) pair, summed over folds. */
typedef struct {
    size_t correct, count;
    double sse; /* squared error of the outputs against the (centered) targets */
} select_tally;

/* The (ridge, time) grid every back-end scores; pair index r·n_taus + t. */
typedef struct {
    const double *regs;
    size_t n_regs;
    const double *taus;
    size_t n_taus;
    ntk_task task;
    size_t k; /* outputs: classes, or 1 */
} select_grid;

/* One train/validation partition of the rows of a kernel matrix M. */
typedef struct {
    size_t n_tr, n_va;
    size_t *tr, *va;
    double *Y;     /* n_tr × k column-major targets as the solver sees them */
    double *truth; /* n_va: class index, or the value standardized like Y */
} select_fold;

/* Targets of rows idx[0..m) of y as the solver sees them: centered one-hot
 * (classification) or standardized over these rows (regression). Y is m×k
 * column-major; truth[i] the class index or the standardized value of any
 * row list `eval` (same standardization). mean/sd may be NULL. */
void select_targets(const select_grid *g, const double *y, const size_t *idx, size_t m,
                    double *Y, const size_t *eval, size_t n_eval, double *truth);

/* Exact hold-out scores: train on fd->tr, predict fd->va, for every pair.
 * M is row-major with row stride ld; only its entries (tr, tr) and (va, tr)
 * are read (a square kernel, or the rectangular rows × training-rows one). */
ntk_status select_score_fold(const select_grid *g, const double *M, size_t ld,
                             const select_fold *fd, select_tally *t, ntk_error *err);

/* Closed-form leave-one-out scores of every pair on all n rows of M: the
 * predictor is the linear smoother S = A·h(A) with h(a) = g(a + λ, s), and
 * the leave-one-out residual is r_i = [(I−S)y]_i / (I−S)_ii — exact
 * leave-one-out for t = ∞ (kernel ridge), the self-consistent (generalized)
 * leave-one-out for finite t. Y is n×k column-major, truth n. */
ntk_status select_score_loo(const select_grid *g, const double *M, size_t n, const double *Y,
                            const double *truth, select_tally *t, ntk_error *err);

/* The leave-one-out residuals themselves for one pair (tests): R is n×k. */
ntk_status select_loo_residuals(const double *M, size_t n, const double *Y, size_t k,
                                double reg_rel, double tau, double *R, ntk_error *err);

/* ---- hinge-loss back-end (select_hinge.c, #20) */

/* Hinge scores of one kernel: for each C[c] (already on M's scale), C-SVMs
 * trained on every fold's training rows of M (row-major, row stride ld; only
 * columns of training rows are read) and validated on its validation rows; correct[c] sums the right labels over the folds, *count
 * the validation rows. labels: class of each row of M. */
ntk_status select_score_hinge(const double *M, size_t ld, const select_fold *folds,
                              size_t n_folds, const size_t *labels, size_t k, const double *C,
                              size_t n_C, const ntk_svm_params *sp, size_t *correct,
                              size_t *count, ntk_error *err);

#endif

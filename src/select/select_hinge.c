/* The hinge-loss back-end of the selection: one kernel matrix's C grid scored
 * by C-SVMs trained and validated on the partitions of a stage (see
 * select_internal.h). The square-loss back-ends live in select_score.c. */
#include <math.h>
#include <stdlib.h>

#include "select_internal.h"

double ntk_select_hinge_C(ntk_c_scale scale, double C, double mean_diag, size_t d, int depth)
{
    switch (scale) {
    case NTK_C_ABSOLUTE:
        return C;
    case NTK_C_PUBLISHED:
        /* Their kernel is ntk's × 2^(depth+1)/d; the SVM on s·K with C is the
         * SVM on K with s·C. */
        return C * (double)d / ldexp(1.0, depth + 1);
    case NTK_C_RELATIVE:
    default:
        return C / (mean_diag > 0 ? mean_diag : 1.0);
    }
}

ntk_status select_score_hinge(const double *M, size_t ld, const select_fold *folds,
                              size_t n_folds, const size_t *labels, size_t k, const double *C,
                              size_t n_C, const ntk_svm_params *sp, size_t *correct,
                              size_t *count, ntk_error *err)
{
    double *acc = malloc((n_C + 1) * sizeof *acc);
    if (!acc)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_status st = NTK_OK;
    for (size_t c = 0; c < n_C; c++)
        correct[c] = 0;
    *count = 0;
    for (size_t f = 0; f < n_folds && st == NTK_OK; f++) {
        const select_fold *fd = &folds[f];
        st = ntk_svm_validate(M, ld, labels, k, fd->tr, fd->n_tr, fd->va, fd->n_va, C, n_C, sp,
                              acc, NULL, err);
        for (size_t c = 0; c < n_C && st == NTK_OK; c++)
            correct[c] += (size_t)llround(acc[c] * (double)fd->n_va);
        *count += fd->n_va;
    }
    free(acc);
    return st;
}

/* t = ∞ on a kernel with duplicate rows (see solver_internal.h): the flow's
 * limit on the distinct rows, at the cost of one Cholesky of those. */
#include <math.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* Rows i, j are duplicates when their feature vectors coincide to
 * rounding: ‖φ_i − φ_j‖² = A_ii + A_jj − 2A_ij ≤ DUP_TOL · (A_ii + A_jj).
 * (Duplicate inputs give kernel rows equal only to rounding: the tiles of
 * the kernel evaluation do not add in one order.) */
#define DUP_TOL 1e-12

typedef struct {
    double d;
    size_t row;
} diag_row;

static int diag_cmp(const void *a, const void *b)
{
    const diag_row *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->row < y->row ? -1 : (x->row > y->row);
}

size_t solver_duplicate_groups(const double *A, size_t n, size_t *group)
{
    diag_row *o = malloc(n * sizeof *o);
    if (!o)
        return 0;
    double dmax = 0;
    for (size_t i = 0; i < n; i++) {
        o[i] = (diag_row){A[i + i * n], i};
        group[i] = SIZE_MAX;
        if (o[i].d > dmax)
            dmax = o[i].d;
    }
    /* Duplicates have equal diagonals: candidates lie in a window of the
     * sorted diagonal. */
    qsort(o, n, sizeof *o, diag_cmp);
    size_t u = 0;
    for (size_t a = 0; a < n; a++) {
        size_t i = o[a].row;
        if (group[i] != SIZE_MAX)
            continue;
        group[i] = u;
        for (size_t b = a + 1; b < n && o[b].d - o[a].d <= DUP_TOL * 2 * dmax; b++) {
            size_t j = o[b].row;
            if (group[j] == SIZE_MAX &&
                o[a].d + o[b].d - 2 * A[i + j * n] <= DUP_TOL * (o[a].d + o[b].d))
                group[j] = u;
        }
        u++;
    }
    free(o);
    return u;
}

ntk_status solver_dedupe_solve(const double *A, size_t n, const double *Y, size_t k,
                               const size_t *group, size_t u, double *C, double *F, int *ok,
                               ntk_error *err)
{
    *ok = 0;
    double *Au = malloc(u * u * sizeof *Au), *mean = calloc(u * k, sizeof *mean);
    double *Yu = malloc(u * k * sizeof *Yu);
    size_t *first = malloc(u * sizeof *first), *count = calloc(u, sizeof *count);
    ntk_status st = NTK_OK;
    if (!Au || !mean || !Yu || !first || !count) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = n; i-- > 0;) {
        first[group[i]] = i;
        count[group[i]]++;
    }
    /* Mean targets of each group (column-major u×k): the right-hand side,
     * and the training fits. */
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            mean[group[i] + c * u] += Y[i * k + c];
    for (size_t g = 0; g < u; g++)
        for (size_t c = 0; c < k; c++)
            mean[g + c * u] /= (double)count[g];
    memcpy(Yu, mean, u * k * sizeof *Yu);
    for (size_t b = 0; b < u; b++)
        for (size_t a = 0; a < u; a++)
            Au[a + b * u] = A[first[a] + first[b] * n];
    double dmax = 0;
    for (size_t g = 0; g < u; g++)
        if (Au[g + g * u] > dmax)
            dmax = Au[g + g * u];
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)u, Au, (lapack_int)u) != 0 ||
        solver_pivots_singular(Au, u, dmax))
        goto done; /* singular beyond the duplicates */
    if (LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)u, (lapack_int)k, Au, (lapack_int)u,
                       Yu, (lapack_int)u) != 0)
        goto done;
    /* Coefficients constant within a group (the flow never separates
     * duplicates), summing to the distinct row's; fits = the group means. */
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            C[i * k + c] = Yu[group[i] + c * u] / (double)count[group[i]];
    if (F)
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++)
                F[i * k + c] = mean[group[i] + c * u];
    *ok = 1;
done:
    free(Au);
    free(mean);
    free(Yu);
    free(first);
    free(count);
    return st;
}

/* The eigendecomposition path (see solver_matrix.h), written once for every
 * precision and engine: A = VΛVᵀ by the matrix's eigensolver, then for each
 * scale C_s = V g_s(Λ) VᵀY and Θ C_s = V (Λ − λ) g_s(Λ) VᵀY — two products
 * with the eigenvectors per scale (one without training fits), and one VᵀY
 * for all. */
#include "solver_matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/solver.h"
#include "solver_internal.h"

ntk_status solver_eigen(const solver_matrix *M, const double *s, size_t ns, const double *Ycm,
                        size_t k, double reg_abs, double **coef, double **fit,
                        solver_eigen_info *info, const ntk_progress *progress, ntk_error *err)
{
    size_t n = M->n, len = n * k;
    memset(info, 0, sizeof *info);
    info->eig_min = info->eig_max = NAN;
    double *w = malloc(n * sizeof *w);
    double *P = malloc(len * sizeof *P); /* VᵀY */
    double *G = malloc(len * sizeof *G); /* g_s(Λ)·VᵀY, scaled in place */
    ntk_status st = !w || !P || !G ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (M->agree)
        st = M->agree(M->ctx, st, err);
    if (st != NTK_OK)
        goto done;
    ntk_progress_report(progress, "eigendecomposition", 0, 1);
    st = M->eigen(M->ctx, w, err);
    ntk_progress_report(progress, "eigendecomposition", 1, 1);
    if (st != NTK_OK)
        goto done;
    info->eig_min = w[0];
    info->eig_max = w[n - 1];
    info->most_negative = 0.0;
    solver_clamp_eigenvalues(w, n, &info->most_negative, &info->n_clamped);

    /* t = ∞ on a singular A: the minimum-norm interpolant (the flow's
     * limit): eigenvalues at rounding level (n·ε·max) are left out. */
    double floor_ = (double)n * 2.2e-16 * (w[n - 1] > 0 ? w[n - 1] : 1.0);
    for (size_t f = 0; f < ns; f++)
        if (isinf(s[f])) {
            for (size_t i = 0; i < n && w[i] <= floor_; i++)
                info->n_null++;
            break;
        }

    st = M->eigvec(M->ctx, 1, Ycm, k, P, err);
    for (size_t f = 0; f < ns && st == NTK_OK; f++) {
        for (size_t i = 0; i < n; i++) {
            double g = isinf(s[f]) && w[i] <= floor_ ? 0.0 : ntk_flow_coefficient(w[i], s[f]);
            for (size_t c = 0; c < k; c++)
                G[i + c * n] = g * P[i + c * n];
        }
        st = M->eigvec(M->ctx, 0, G, k, coef[f], err);
        if (st != NTK_OK || !fit || !fit[f])
            continue;
        /* Θ = A − λI shares A's eigenvectors, with eigenvalues a − λ. */
        for (size_t i = 0; i < n; i++) {
            double theta = w[i] - reg_abs;
            for (size_t c = 0; c < k; c++)
                G[i + c * n] *= theta;
        }
        st = M->eigvec(M->ctx, 0, G, k, fit[f], err);
    }
done:
    free(w);
    free(P);
    free(G);
    return st;
}

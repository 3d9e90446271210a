/* The M×M algebra of the Nyström path (ntk/nystrom.h, docs/nystrom.md): the
 * center kernel's Cholesky with jitter, and the flow in feature space from
 * the Gram G = ΦᵀΦ — every time from one eigendecomposition, or t = ∞ alone
 * by one Cholesky. Column-major throughout (the matrices are symmetric or
 * triangular). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nystrom_internal.h"
#include "solver/solver_internal.h"

/* Cholesky of Θ(C,C) + εI in place (column-major lower), ε from the
 * parameter and escalated ×10 while dpotrf fails. */
ntk_status nystrom_factor_centers(double *K, size_t M, double jitter_rel, double *eps_out,
                                  ntk_error *err)
{
    double *diag = malloc(M * sizeof *diag);
    if (!diag)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    double tr = 0.0;
    for (size_t i = 0; i < M; i++)
        tr += diag[i] = K[i + i * M];
    double scale = tr > 0.0 ? tr / (double)M : 1.0;
    double eps = jitter_rel * scale;
    ntk_status st = NTK_OK;
    for (;;) {
        for (size_t i = 0; i < M; i++)
            K[i + i * M] = diag[i] + eps;
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)M, K, (lapack_int)M);
        if (info == 0)
            break;
        if (info < 0) {
            st = ntk_error_set(err, NTK_EFAILED, "dpotrf: illegal argument %d", (int)-info);
            break;
        }
        eps = eps > 0.0 ? eps * 10.0 : 1e-12 * scale;
        if (eps > 1e-2 * scale) {
            st = ntk_error_set(err, NTK_ENUMERIC,
                               "the center kernel is not positive definite even with jitter "
                               "%.3g (1e-2 x its mean diagonal)", eps / 10.0);
            break;
        }
        /* dpotrf left the strict upper triangle intact: rebuild the lower. */
        for (size_t j = 0; j < M; j++)
            for (size_t i = j + 1; i < M; i++)
                K[i + j * M] = K[j + i * M];
    }
    *eps_out = eps;
    free(diag);
    return st;
}

/* Every time is ∞: β = L⁻ᵀ (G + λI)⁻¹ Z by Cholesky (M³/3 flops against the
 * eigendecomposition's ~9M³), with the dense path's jitter ladder. */
ntk_status nystrom_flow_cholesky(double *G, const double *L, const double *Z,
                                 ntk_nystrom_fit_result *r, ntk_error *err)
{
    size_t M = r->M, k = r->k;
    double *diag = malloc(M * sizeof *diag);
    double *W = malloc(M * k * sizeof *W);
    ntk_status st = NTK_OK;
    if (!diag || !W) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < M; i++)
        diag[i] = G[i + i * M] + r->reg_abs;
    int exp10 = JITTER_FIRST_EXP;
    r->jitter = 0.0;
    for (;;) {
        for (size_t i = 0; i < M; i++)
            G[i + i * M] = diag[i] + r->jitter;
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)M, G, (lapack_int)M);
        if (info == 0)
            break;
        if (info < 0) {
            st = ntk_error_set(err, NTK_EFAILED, "dpotrf: illegal argument %d", (int)-info);
            goto done;
        }
        if ((st = solver_jitter_next(r->mean_diag, &exp10, &r->jitter, err)) != NTK_OK)
            goto done;
        for (size_t j = 0; j < M; j++)
            for (size_t i = j + 1; i < M; i++)
                G[i + j * M] = G[j + i * M];
    }
    memcpy(W, Z, M * k * sizeof *W);
    lapack_int info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)M, (lapack_int)k, G,
                                     (lapack_int)M, W, (lapack_int)M);
    if (info != 0) {
        st = ntk_error_set(err, NTK_EFAILED, "dpotrs failed (info %d)", (int)info);
        goto done;
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)M, (int)k,
                1.0, L, (int)M, W, (int)M);
    for (size_t t = 0; t < r->n_times; t++)
        solver_to_row_major(W, M, k, r->coef + t * M * k);
done:
    free(diag);
    free(W);
    return st;
}

/* The flow in feature space: from G = L⁻¹KtK L⁻ᵀ (M×M, destroyed: becomes V)
 * and Z = L⁻¹KtY (M×k column-major), β_t = L⁻ᵀ V g_t(μ+λ) Vᵀ Z per time. */
ntk_status nystrom_flow(double *G, const double *L, const double *Z, const ntk_solve_params *sp,
                        ntk_nystrom_fit_result *r, ntk_error *err)
{
    size_t M = r->M, k = r->k;
    double *w = malloc(M * sizeof *w);
    double *a = malloc(M * sizeof *a);
    double *P = malloc(M * k * sizeof *P);  /* VᵀZ */
    double *Pg = malloc(M * k * sizeof *Pg); /* g_s(a) ∘ VᵀZ */
    double *W = malloc(M * k * sizeof *W);  /* L⁻ᵀ V (g ∘ VᵀZ), column-major */
    ntk_status st = NTK_OK;
    if (!w || !a || !P || !Pg || !W) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)M, G, (lapack_int)M, w);
    if (info != 0) {
        st = ntk_error_set(err, NTK_ENUMERIC,
                           "the Nystrom eigendecomposition failed (dsyevd info %d)", (int)info);
        goto done;
    }
    r->eig_min = w[0] + r->reg_abs;
    r->eig_max = w[M - 1] + r->reg_abs;
    solver_clamp_eigenvalues(w, M, &r->most_negative, &r->n_clamped);
    for (size_t i = 0; i < M; i++)
        a[i] = w[i] + r->reg_abs;
    int any_inf = 0;
    for (size_t t = 0; t < r->n_times; t++)
        any_inf |= isinf(r->times[t]) != 0;
    if (any_inf && solver_eigen_jitter(a, M, r->mean_diag, &r->jitter) != 0) {
        st = ntk_error_set(err, NTK_ENUMERIC,
                           "the Nystrom feature Gram matrix is singular even with jitter %.3g; "
                           "use --reg", r->jitter);
        goto done;
    }
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)M, (int)k, (int)M, 1.0, G, (int)M,
                Z, (int)M, 0.0, P, (int)M);
    for (size_t t = 0; t < r->n_times; t++) {
        double s = solver_time_scale(sp, r->n, k, r->times[t]);
        for (size_t i = 0; i < M; i++) {
            double g = ntk_flow_coefficient(isinf(s) ? a[i] + r->jitter : a[i], s);
            for (size_t c = 0; c < k; c++)
                Pg[i + c * M] = g * P[i + c * M];
        }
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)k, (int)M, 1.0, G,
                    (int)M, Pg, (int)M, 0.0, W, (int)M);
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)M,
                    (int)k, 1.0, L, (int)M, W, (int)M);
        solver_to_row_major(W, M, k, r->coef + t * M * k);
    }
done:
    free(w);
    free(a);
    free(P);
    free(Pg);
    free(W);
    return st;
}

/* Scoring back-ends of the selection (see select_internal.h): one
 * eigendecomposition of a candidate's training kernel prices its whole
 * (ridge, time) grid, either on a held-out part (exact K-fold / split) or by
 * the closed-form leave-one-out residuals of the linear smoother. */
#include "select_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc_large.h"
#include "ntk/solver.h"

void select_targets(const select_grid *g, const double *y, const size_t *idx, size_t m,
                    double *Y, const size_t *eval, size_t n_eval, double *truth)
{
    if (g->task == NTK_TASK_CLASSIFICATION) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < g->k; j++)
                Y[i + j * m] = ((size_t)y[idx[i]] == j ? 1.0 : 0.0) - 1.0 / (double)g->k;
        for (size_t i = 0; i < n_eval; i++)
            truth[i] = y[eval[i]];
        return;
    }
    /* Standardized on the training rows, as a final fit would. */
    double mean = 0, var = 0;
    for (size_t i = 0; i < m; i++)
        mean += y[idx[i]];
    mean /= (double)m;
    for (size_t i = 0; i < m; i++)
        var += (y[idx[i]] - mean) * (y[idx[i]] - mean);
    double sd = sqrt(var / (double)m);
    if (!(sd > 0))
        sd = 1;
    for (size_t i = 0; i < m; i++)
        Y[i] = (y[idx[i]] - mean) / sd;
    for (size_t i = 0; i < n_eval; i++)
        truth[i] = (y[eval[i]] - mean) / sd;
}

/* Add the outputs F (rows × k, column stride ld) of one pair to its tally. */
static void tally_outputs(const select_grid *g, const double *F, size_t rows, size_t ld,
                          const double *truth, select_tally *t)
{
    size_t k = g->k;
    for (size_t i = 0; i < rows; i++) {
        if (g->task == NTK_TASK_CLASSIFICATION) {
            size_t best = 0, cls = (size_t)truth[i];
            for (size_t j = 0; j < k; j++) {
                double e = F[i + j * ld] - ((cls == j ? 1.0 : 0.0) - 1.0 / (double)k);
                t->sse += e * e;
                if (F[i + j * ld] > F[i + best * ld])
                    best = j;
            }
            t->correct += best == cls;
        } else {
            double e = F[i] - truth[i];
            t->sse += e * e;
        }
        t->count++;
    }
}

/* The training block as A = Q·Z·diag(w)·Zᵀ·Qᵀ: Q from the tridiagonal
 * reduction (reflectors left in A), Z the eigenvectors of the tridiagonal
 * matrix (MRRR, O(n²); divide and conquer if MRRR declines). The hold-out
 * scorer never forms V = Q·Z: only the few columns the candidates need are
 * multiplied by Q, about 3× less work than a full dsyevd. */
typedef struct {
    size_t n;
    double *A;   /* reflectors (lower part), n×n column-major */
    double *tau; /* n */
    double *Z;   /* n×n eigenvectors of the tridiagonal matrix */
} spectral;

static ntk_status spectral_decompose(spectral *sp, double *w, ntk_error *err)
{
    size_t n = sp->n;
    lapack_int N = (lapack_int)n, m = 0;
    double *d = ntk_alloc_large(n * sizeof *d), *e = ntk_alloc_large(n * sizeof *e);
    double *d2 = ntk_alloc_large(n * sizeof *d2), *e2 = ntk_alloc_large(n * sizeof *e2);
    lapack_int *isuppz = ntk_alloc_large(2 * n * sizeof *isuppz);
    ntk_status st = NTK_OK;
    if (!d || !e || !d2 || !e2 || !isuppz) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory during selection");
        goto done;
    }
    lapack_int info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', N, sp->A, N, d, e, sp->tau);
    if (info == 0) {
        e[n - 1] = 0;
        memcpy(d2, d, n * sizeof *d);
        memcpy(e2, e, n * sizeof *e);
        lapack_logical tryrac = 1;
        info = LAPACKE_dstemr(LAPACK_COL_MAJOR, 'V', 'A', N, d, e, 0, 0, 0, 0, &m, w, sp->Z, N,
                              N, isuppz, &tryrac);
        if (info != 0 || (size_t)m != n) {
            memcpy(w, d2, n * sizeof *w);
            info = LAPACKE_dstedc(LAPACK_COL_MAJOR, 'I', N, w, e2, sp->Z, N);
        }
    }
    if (info != 0)
        st = ntk_error_set(err, NTK_ENUMERIC, "eigendecomposition failed during selection "
                           "(info %d)", (int)info);
done:
    free(d);
    free(e);
    free(d2);
    free(e2);
    free(isuppz);
    return st;
}

/* out = Vᵀ·X = Zᵀ·(Qᵀ·X) for an n×cols block X (column-major; X is overwritten). */
static void spectral_apply_t(const spectral *sp, double *X, size_t cols, double *out)
{
    lapack_int N = (lapack_int)sp->n;
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'T', N, (lapack_int)cols, sp->A, N, sp->tau, X, N);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)sp->n, (int)cols, (int)sp->n, 1.0,
                sp->Z, (int)sp->n, X, (int)sp->n, 0.0, out, (int)sp->n);
}

/* out = V·X = Q·(Z·X) for an n×cols block. */
static void spectral_apply(const spectral *sp, const double *X, size_t cols, double *out)
{
    lapack_int N = (lapack_int)sp->n;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)sp->n, (int)cols, (int)sp->n, 1.0,
                sp->Z, (int)sp->n, X, (int)sp->n, 0.0, out, (int)sp->n);
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'N', N, (lapack_int)cols, sp->A, N, sp->tau, out,
                   N);
}

/* Copy the block idx[0..m) × idx[0..m) of M (row-major, row stride ld) into
 * sp; returns the mean diagonal of the block (1 if not positive). */
static double spectral_of_block(const double *M, size_t ld, const size_t *idx, size_t m,
                                spectral *sp)
{
    double md = 0;
    for (size_t j = 0; j < m; j++) {
        const double *row = M + (idx ? idx[j] : j) * ld;
        for (size_t i = 0; i < m; i++)
            sp->A[i + j * m] = row[idx ? idx[i] : i];
        md += sp->A[j + j * m];
    }
    md /= (double)m;
    return md > 0 ? md : 1;
}

/* The exponent scale s of relative time τ under the 'mean' time scale. */
static double pair_s(double tau, double md, size_t m, size_t k)
{
    return isinf(tau) ? INFINITY : tau / (md * (double)m * (double)k);
}

/* The validation rows' view of the spectrum: W = B0·V = (B0·Q)·Z (nv×nt),
 * so that the outputs of every pair are one product W·G. */
static void spectral_cross(const spectral *sp, double *B0, size_t nv, double *W)
{
    lapack_int N = (lapack_int)sp->n;
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'R', 'L', 'N', (lapack_int)nv, N, sp->A, N, sp->tau, B0,
                   (lapack_int)nv);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)sp->n, (int)sp->n, 1.0,
                B0, (int)nv, sp->Z, (int)sp->n, 0.0, W, (int)nv);
}

ntk_status select_score_fold(const select_grid *g, const double *M, size_t ld,
                             const select_fold *fd, select_tally *tallies, ntk_error *err)
{
    size_t nt = fd->n_tr, nv = fd->n_va, k = g->k;
    size_t nc = g->n_regs * g->n_taus, cols = nc * k;
    /* Two ways to the outputs F = B0·V·G (G: nt × cols, the pairs' scaled
     * VᵀY): through V·G (≈ 4·nt²·cols flops) or through W = B0·V
     * (≈ 4·nv·nt²): the second wins when the grid has more columns than
     * there are validation rows (many classes). */
    int via_w = nv < cols;
    double *A = ntk_alloc_large(nt * nt * sizeof *A), *B0 = ntk_alloc_large(nv * nt * sizeof *B0);
    double *w = ntk_alloc_large(nt * sizeof *w), *P = ntk_alloc_large(nt * k * sizeof *P);
    double *G = ntk_alloc_large(nt * cols * sizeof *G);
    double *C = ntk_alloc_large((via_w ? nv * nt : nt * cols) * sizeof *C);
    double *F = ntk_alloc_large(nv * cols * sizeof *F);
    double *Z = ntk_alloc_large(nt * nt * sizeof *Z), *tau_h = ntk_alloc_large(nt * sizeof *tau_h);
    double *Yw = ntk_alloc_large(nt * k * sizeof *Yw);
    spectral sp = {nt, A, tau_h, Z};
    ntk_status st = NTK_OK;
    if (!A || !B0 || !w || !P || !G || !C || !F || !Z || !tau_h || !Yw) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory during selection");
        goto done;
    }
    double md = spectral_of_block(M, ld, fd->tr, nt, &sp);
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < nv; i++)
            B0[i + j * nv] = M[fd->va[i] * ld + fd->tr[j]];
    st = spectral_decompose(&sp, w, err);
    if (st != NTK_OK)
        goto done;
    memcpy(Yw, fd->Y, nt * k * sizeof *Yw);
    spectral_apply_t(&sp, Yw, k, P);
    double wmax = w[nt - 1] > 0 ? w[nt - 1] : 1;
    double floor_ = (double)nt * 2.2e-16 * wmax;
    for (size_t r = 0; r < g->n_regs; r++) {
        double lam = g->regs[r] * md;
        for (size_t ti = 0; ti < g->n_taus; ti++) {
            double s = pair_s(g->taus[ti], md, nt, k);
            double *Gc = G + (r * g->n_taus + ti) * k * nt;
            for (size_t i = 0; i < nt; i++) {
                double a = (w[i] > 0 ? w[i] : 0) + lam;
                if (isinf(s) && a < floor_)
                    a = floor_;
                double h = ntk_flow_coefficient(a, s);
                for (size_t j = 0; j < k; j++)
                    Gc[i + j * nt] = h * P[i + j * nt];
            }
        }
    }
    if (via_w) {
        spectral_cross(&sp, B0, nv, C);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)cols, (int)nt, 1.0,
                    C, (int)nv, G, (int)nt, 0.0, F, (int)nv);
    } else {
        spectral_apply(&sp, G, cols, C);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)nv, (int)cols, (int)nt, 1.0,
                    B0, (int)nv, C, (int)nt, 0.0, F, (int)nv);
    }
    for (size_t c = 0; c < nc; c++)
        tally_outputs(g, F + c * k * nv, nv, nv, fd->truth, &tallies[c]);
done:
    free(A);
    free(B0);
    free(w);
    free(P);
    free(G);
    free(C);
    free(F);
    free(Z);
    free(tau_h);
    free(Yw);
    return st;
}

/* 1 − h(w) of the smoother's eigenvalue h = w·g(w + λ, s), up to a factor
 * common to all eigenvalues (the residual ratio does not see it). Written
 * without the cancellation of 1 − h: (λ + w e^{−s a})/a with a = w + λ, and
 * at t = ∞ the λ-free 1/a, so that ridge 0 (interpolation) still has the
 * exact leave-one-out [A⁻¹y]_i / [A⁻¹]_ii. */
static double loo_weight(double w, double lam, double s, double floor_)
{
    double wp = w > 0 ? w : 0, a = wp + lam;
    if (isinf(s))
        return 1.0 / (a < floor_ ? floor_ : a);
    if (!(a > 0))
        return 1.0;
    return (lam + wp * exp(-s * a)) / a;
}

/* Eigendecomposition of the m×m block of M as V (column-major, in Z) and w. */
static ntk_status loo_decompose(const double *M, size_t n, double *A, double *Z, double *tau_h,
                                double *w, double *md, ntk_error *err)
{
    spectral sp = {n, A, tau_h, Z};
    *md = spectral_of_block(M, n, NULL, n, &sp);
    ntk_status st = spectral_decompose(&sp, w, err);
    if (st == NTK_OK)
        LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'N', (lapack_int)n, (lapack_int)n, A,
                       (lapack_int)n, tau_h, Z, (lapack_int)n);
    return st;
}

/* Residuals R (n × cols_k per pair) of nc pairs from the weights E (n×nc):
 * numerator V·(E ⊙ VᵀY), denominator (V∘V)·E. */
static void loo_apply(const double *V, const double *V2, const double *P, const double *E,
                      size_t n, size_t k, size_t nc, double *G, double *R, double *D)
{
    for (size_t c = 0; c < nc; c++)
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < n; i++)
                G[i + (c * k + j) * n] = E[i + c * n] * P[i + j * n];
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)(nc * k), (int)n, 1.0,
                V, (int)n, G, (int)n, 0.0, R, (int)n);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)nc, (int)n, 1.0, V2,
                (int)n, E, (int)n, 0.0, D, (int)n);
    for (size_t c = 0; c < nc; c++)
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < n; i++)
                R[i + (c * k + j) * n] /= D[i + c * n];
}

typedef struct {
    double *A, *Z, *tau, *w, *V2, *P, *E, *G, *R, *D;
} loo_work;

static void loo_free(loo_work *x)
{
    free(x->A);
    free(x->Z);
    free(x->tau);
    free(x->w);
    free(x->V2);
    free(x->P);
    free(x->E);
    free(x->G);
    free(x->R);
    free(x->D);
}

/* Decompose M, then residuals of the pairs (regs[r], taus[t]) in R. */
static ntk_status loo_run(const double *M, size_t n, const double *Y, size_t k,
                          const double *regs, size_t n_regs, const double *taus, size_t n_taus,
                          loo_work *x, ntk_error *err)
{
    size_t nc = n_regs * n_taus;
    memset(x, 0, sizeof *x);
    x->A = ntk_alloc_large(n * n * sizeof *x->A);
    x->Z = ntk_alloc_large(n * n * sizeof *x->Z);
    x->V2 = ntk_alloc_large(n * n * sizeof *x->V2);
    x->tau = ntk_alloc_large(n * sizeof *x->tau);
    x->w = ntk_alloc_large(n * sizeof *x->w);
    x->P = ntk_alloc_large(n * k * sizeof *x->P);
    x->E = ntk_alloc_large(n * nc * sizeof *x->E);
    x->G = ntk_alloc_large(n * nc * k * sizeof *x->G);
    x->R = ntk_alloc_large(n * nc * k * sizeof *x->R);
    x->D = ntk_alloc_large(n * nc * sizeof *x->D);
    if (!x->A || !x->Z || !x->V2 || !x->tau || !x->w || !x->P || !x->E || !x->G || !x->R ||
        !x->D)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory during selection");
    double md;
    ntk_status st = loo_decompose(M, n, x->A, x->Z, x->tau, x->w, &md, err);
    if (st != NTK_OK)
        return st;
    for (size_t i = 0; i < n * n; i++)
        x->V2[i] = x->Z[i] * x->Z[i];
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0, x->Z,
                (int)n, Y, (int)n, 0.0, x->P, (int)n);
    double wmax = x->w[n - 1] > 0 ? x->w[n - 1] : 1;
    double floor_ = (double)n * 2.2e-16 * wmax;
    for (size_t r = 0; r < n_regs; r++)
        for (size_t t = 0; t < n_taus; t++) {
            double *Ec = x->E + (r * n_taus + t) * n, s = pair_s(taus[t], md, n, k);
            for (size_t i = 0; i < n; i++)
                Ec[i] = loo_weight(x->w[i], regs[r] * md, s, floor_);
        }
    loo_apply(x->Z, x->V2, x->P, x->E, n, k, nc, x->G, x->R, x->D);
    return NTK_OK;
}

ntk_status select_score_loo(const select_grid *g, const double *M, size_t n, const double *Y,
                            const double *truth, select_tally *tallies, ntk_error *err)
{
    size_t k = g->k, nc = g->n_regs * g->n_taus;
    loo_work x;
    ntk_status st = loo_run(M, n, Y, k, g->regs, g->n_regs, g->taus, g->n_taus, &x, err);
    if (st == NTK_OK) {
        /* Leave-one-out outputs y − r, scored like held-out outputs. */
        double *F = x.G;
        for (size_t c = 0; c < nc; c++) {
            const double *Rc = x.R + c * k * n;
            for (size_t j = 0; j < k; j++)
                for (size_t i = 0; i < n; i++)
                    F[i + j * n] = Y[i + j * n] - Rc[i + j * n];
            tally_outputs(g, F, n, n, truth, &tallies[c]);
        }
    }
    loo_free(&x);
    return st;
}

ntk_status select_loo_residuals(const double *M, size_t n, const double *Y, size_t k,
                                double reg_rel, double tau, double *R, ntk_error *err)
{
    loo_work x;
    ntk_status st = loo_run(M, n, Y, k, &reg_rel, 1, &tau, 1, &x, err);
    if (st == NTK_OK)
        memcpy(R, x.R, n * k * sizeof *R);
    loo_free(&x);
    return st;
}

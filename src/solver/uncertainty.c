/* Predictive covariance of the infinite ensemble (see ntk/uncertainty.h).
 *
 * Derivation (NTK). The linearized network f_t(x) = f_0(x) + J(x)(θ_t − θ_0),
 * trained by gradient flow on ½Σ(f − y)² + ½λ‖θ − θ_0‖² at rate η·c, keeps
 * θ_t − θ_0 = J(X)ᵀ α_t in the row space of the training Jacobian, and
 *     α' = −η c [(Θ + λI) α + (f_0(X) − Y)],   α_0 = 0,
 * so α_t = −A⁻¹(I − e^{−sA})(f_0(X) − Y) with A = Θ(X,X) + λI, s = η c t, and
 *     f_t(x*) = f_0(x*) − U_t (f_0(X) − Y),   U_t = Θ(x*,X) A⁻¹ (I − e^{−sA}).
 * At infinite width f_0 ~ GP(0, K) (K the NNGP kernel), so f_t is Gaussian
 * with mean U_t Y (the solver's predictor) and covariance
 *     Σ_t = K(x*,x*) + U_t K(X,X) U_tᵀ − U_t K(X,x*) − K(x*,X) U_tᵀ.       (1)
 * This is neural-tangents' 'ntk' covariance (unregularized K(X,X)).
 *
 * NNGP (Θ = K, readout only): neural-tangents' 'nngp' covariance, i.e. (1)
 * with K(X,X) + λI in the quadratic term (λ = observation-noise variance).
 * With A = V diag(a) Vᵀ, K(X,X) + λI = A, U_t = P diag(g) Vᵀ where
 * P = K(x*,X) V and g = (1 − e^{−sa})/a:
 *     U_t A U_tᵀ = P diag(g² a) Pᵀ,   U_t K(X,x*) = P diag(g) Pᵀ,
 *     Σ_t = K(x*,x*) − P diag(2g − g²a) Pᵀ = K(x*,x*) − P diag((1 − e^{−2sa})/a) Pᵀ,
 * and at t = ∞ (g = 1/a): K(x*,x*) − K(x*,X) A⁻¹ K(X,x*), the GP posterior.
 *
 * Eigen path (NTK). With B = Vᵀ K(X,X) V (once), P = Θ(x*,X) V and
 * R = K(x*,X) V (once per test block), Q_t = P diag(g_t):
 *     U_t K(X,X) U_tᵀ = Q_t B Q_tᵀ,   U_t K(X,x*) = Q_t Rᵀ,
 *     var_t(i) = K(x_i,x_i) + Σ_j (Q_t B)_ij Q_t,ij − 2 Σ_j Q_t,ij R_ij.
 * One decomposition serves every time; per time the cost is one m×n×n
 * product. t = ∞ uses a + jitter in g (as the solver's mean).
 *
 * Cholesky path (every time ∞). U = Θ(x*,X) A⁻¹ by one dpotrs with m
 * right-hand sides; NTK: var(i) = K(x_i,x_i) + Σ_j (U K)_ij U_ij
 * − 2 Σ_j U_ij K(x_i,X_j) (the same finishing code with Q = U, B = K(X,X),
 * R = K(x*,X)); NNGP: var(i) = K(x_i,x_i) − Σ_j U_ij K(x_i,X_j).
 *
 * Symmetric matrices are the same in row- and column-major order, so LAPACK
 * runs in column-major mode on them without transposed copies. */
#include "ntk/uncertainty.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h" /* the jitter ladder */

/* Relative size (of the terms that cancel) below which a negative variance
 * is called material rather than rounding. */
#define NEGATIVE_TOL 1e-6
/* Test rows × training rows per block (ntk_model_uncertainty): six m×n
 * arrays of doubles live at once, so ~200 MB. */
#define BLOCK_ENTRIES ((size_t)4 << 20)

struct ntk_ensemble {
    ntk_kernel_kind kind;
    size_t n, n_times;
    double *times;
    double lr, c, reg_abs, jitter;
    int eigen;
    double *F;   /* eigen: V (column j = eigenvector j); Cholesky: factor of A + jitter·I */
    double *w;   /* eigen: eigenvalues of A, clamped at 0 */
    double *G;   /* NTK: eigen: Vᵀ K(X,X) V; Cholesky: K(X,X). NULL for NNGP. */
    size_t n_eig_clamped;
};

void ntk_ensemble_params_init(ntk_ensemble_params *p)
{
    memset(p, 0, sizeof *p);
    p->kind = NTK_KIND_NTK;
    p->lr = 1.0;
    p->time_scale = NTK_TIME_SUM;
    p->k = 1;
    p->jitter = -1.0;
    p->method = NTK_SOLVE_AUTO;
}

void ntk_ensemble_free(ntk_ensemble *e)
{
    if (!e)
        return;
    free(e->times);
    free(e->F);
    free(e->w);
    free(e->G);
    free(e);
}

size_t ntk_ensemble_n(const ntk_ensemble *e) { return e->n; }
size_t ntk_ensemble_n_times(const ntk_ensemble *e) { return e->n_times; }
double ntk_ensemble_jitter(const ntk_ensemble *e) { return e->jitter; }

static const char *params_check(const ntk_ensemble_params *p)
{
    if (p->kind != NTK_KIND_NTK && p->kind != NTK_KIND_NNGP)
        return "unknown kernel kind";
    /* Ridge, learning rate, times and time scale mean what they mean to the
     * solver: let it judge them. */
    ntk_solve_params sp;
    ntk_solve_params_init(&sp);
    sp.reg = p->reg_abs;
    sp.lr = p->lr;
    sp.time_scale = p->time_scale;
    sp.times = p->times;
    sp.n_times = p->n_times;
    const char *m = ntk_solve_params_check(&sp);
    if (m)
        return m;
    if (!isfinite(p->jitter))
        return "the jitter must be finite";
    return NULL;
}

/* Cholesky of A (column-major lower) with the solver's jitter ladder, or
 * exactly p->jitter when it is ≥ 0. */
static ntk_status factor_cholesky(ntk_ensemble *e, double mean_diag, double want_jitter,
                                  ntk_error *err)
{
    size_t n = e->n;
    double *A = e->F;
    double *diag = malloc(n * sizeof *diag);
    if (!diag)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        diag[i] = A[i + i * n];
    double jitter = want_jitter >= 0 ? want_jitter : 0.0;
    int exp10 = JITTER_FIRST_EXP;
    ntk_status st = NTK_OK;
    for (;;) {
        if (jitter > 0)
            for (size_t j = 0; j < n; j++) {
                A[j + j * n] = diag[j] + jitter;
                for (size_t i = j + 1; i < n; i++)
                    A[i + j * n] = A[j + i * n];
            }
        lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n);
        if (info == 0)
            break;
        if (info < 0) {
            st = ntk_error_set(err, NTK_EFAILED, "dpotrf: illegal argument %d", (int)-info);
            break;
        }
        if (want_jitter >= 0 || exp10 > JITTER_LAST_EXP) {
            st = ntk_error_set(err, NTK_ENUMERIC,
                               "uncertainty: the training kernel is not positive definite "
                               "with jitter %.3g; use --reg", jitter);
            break;
        }
        /* Rebuild the lower triangle (dpotrf overwrote it) before retrying. */
        jitter = (mean_diag > 0 ? mean_diag : 1.0) * pow(10.0, exp10++);
    }
    if (st == NTK_OK)
        e->jitter = jitter;
    free(diag);
    return st;
}

static ntk_status factor_eigen(ntk_ensemble *e, double mean_diag, double want_jitter,
                               ntk_progress progress, ntk_error *err)
{
    size_t n = e->n;
    e->w = malloc(n * sizeof *e->w);
    if (!e->w)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_progress_report(&progress, "eigendecomposition", 0, 1);
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)n, e->F,
                                     (lapack_int)n, e->w);
    ntk_progress_report(&progress, "eigendecomposition", 1, 1);
    if (info != 0)
        return ntk_error_set(err, info > 0 ? NTK_ENUMERIC : NTK_EFAILED,
                             "uncertainty: the eigendecomposition failed (dsyevd info %d)",
                             (int)info);
    for (size_t i = 0; i < n; i++)
        if (e->w[i] < 0.0) {
            e->w[i] = 0.0;
            e->n_eig_clamped++;
        }
    int any_inf = 0;
    for (size_t t = 0; t < e->n_times; t++)
        any_inf |= isinf(e->times[t]) != 0;
    e->jitter = 0.0;
    if (want_jitter >= 0) {
        e->jitter = want_jitter;
    } else if (any_inf) {
        /* The solver's rule: jitter only if the smallest eigenvalue is at
         * rounding level. */
        if (solver_eigen_jitter(e->w, n, mean_diag, &e->jitter) != 0)
            return ntk_error_set(err, NTK_ENUMERIC,
                                 "uncertainty: the training kernel is singular even with "
                                 "jitter %.3g; use --reg", e->jitter);
    }
    if (any_inf && !(e->w[0] + e->jitter > 0))
        return ntk_error_set(err, NTK_ENUMERIC,
                             "uncertainty: the training kernel is singular at t = inf; use --reg");
    if (e->kind == NTK_KIND_NTK) {
        /* G ← Vᵀ K V: T = K V, then Vᵀ T (column-major throughout). */
        double *T = ntk_alloc_checked(n * n * sizeof *T, "uncertainty workspace", err);
        if (!T)
            return NTK_ENOMEM;
        cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, (int)n, (int)n, 1.0, e->G, (int)n,
                    e->F, (int)n, 0.0, T, (int)n);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, e->F,
                    (int)n, T, (int)n, 0.0, e->G, (int)n);
        free(T);
    }
    return NTK_OK;
}

ntk_status ntk_ensemble_prepare(double *theta, double *nngp, size_t n,
                                const ntk_ensemble_params *p, ntk_ensemble **out,
                                ntk_error *err)
{
    *out = NULL;
    const char *msg = params_check(p);
    ntk_status st = NTK_OK;
    if (msg)
        st = ntk_error_set(err, NTK_EINPUT, "%s", msg);
    else if (n == 0 || !theta)
        st = ntk_error_set(err, NTK_EINPUT, "uncertainty: no training rows");
    else if (p->kind == NTK_KIND_NTK && !nngp)
        st = ntk_error_set(err, NTK_EINPUT, "uncertainty: the NTK needs the NNGP kernel K(X,X)");
    else if (n > (size_t)INT32_MAX)
        st = ntk_error_set(err, NTK_EINPUT, "uncertainty: too many training rows");
    for (size_t i = 0; st == NTK_OK && i < n * n; i++)
        if (!isfinite(theta[i]) || (nngp && p->kind == NTK_KIND_NTK && !isfinite(nngp[i])))
            st = ntk_error_set(err, NTK_ENUMERIC,
                               "uncertainty: a training kernel has a non-finite entry at "
                               "(%zu, %zu)", i / n + 1, i % n + 1);
    if (p->kind == NTK_KIND_NNGP) {
        free(nngp);
        nngp = NULL;
    }
    ntk_ensemble *e = st == NTK_OK ? calloc(1, sizeof *e) : NULL;
    if (st == NTK_OK && !e)
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (st != NTK_OK) {
        free(theta);
        free(nngp);
        return st;
    }
    e->F = theta;
    e->G = nngp;
    e->kind = p->kind;
    e->n = n;
    e->n_times = p->n_times;
    e->lr = p->lr;
    size_t k = p->k ? p->k : 1;
    e->c = p->time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    e->reg_abs = p->reg_abs;
    e->times = malloc(p->n_times * sizeof *e->times);
    if (!e->times) {
        ntk_ensemble_free(e);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    memcpy(e->times, p->times, p->n_times * sizeof *e->times);

    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += theta[i * n + i];
    double mean_diag = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        theta[i * n + i] += p->reg_abs;

    int all_inf = 1;
    for (size_t t = 0; t < p->n_times; t++)
        all_inf &= isinf(p->times[t]) != 0;
    if (p->method == NTK_SOLVE_CHOLESKY && !all_inf) {
        ntk_ensemble_free(e);
        return ntk_error_set(err, NTK_EINPUT, "the Cholesky path serves only t = inf");
    }
    e->eigen = p->method == NTK_SOLVE_EIGEN || (p->method == NTK_SOLVE_AUTO && !all_inf);
    st = e->eigen ? factor_eigen(e, mean_diag, p->jitter, p->progress, err)
                  : factor_cholesky(e, mean_diag, p->jitter, err);
    if (st != NTK_OK) {
        ntk_ensemble_free(e);
        return st;
    }
    *out = e;
    return NTK_OK;
}

/* Clamp one variance; `scale` is the size of the terms that cancelled. */
static double clamp_var(double v, double scale, ntk_uncertainty_stats *stats)
{
    if (v >= 0.0)
        return v;
    if (stats) {
        double rel = scale > 0 ? -v / scale : INFINITY;
        stats->n_clamped++;
        if (rel > NEGATIVE_TOL)
            stats->n_negative++;
        if (rel > stats->most_negative)
            stats->most_negative = rel;
    }
    return 0.0;
}

/* NTK finishing step shared by both paths (m test rows, row-major m×n):
 * Σ = prior + (Q B) Qᵀ − Q Rᵀ − R Qᵀ, with B symmetric n×n. S is m×n
 * workspace; C is m×m workspace when full. */
static void finish_ntk(size_t n, size_t m, const double *Q, const double *B, const double *R,
                       const double *prior, int full, double *S, double *C, double *out,
                       ntk_uncertainty_stats *stats)
{
    cblas_dsymm(CblasRowMajor, CblasRight, CblasLower, (int)m, (int)n, 1.0, B, (int)n, Q, (int)n,
                0.0, S, (int)n);
    if (!full) {
        for (size_t i = 0; i < m; i++) {
            const double *q = Q + i * n, *s = S + i * n, *r = R + i * n;
            double quad = 0.0, cross = 0.0;
            for (size_t j = 0; j < n; j++) {
                quad += s[j] * q[j];
                cross += q[j] * r[j];
            }
            double v = prior[i] + quad - 2.0 * cross;
            out[i] = clamp_var(v, fabs(prior[i]) + fabs(quad) + 2.0 * fabs(cross), stats);
        }
        return;
    }
    /* out = S Qᵀ, C = Q Rᵀ; Σ_ab = prior_ab + out_ab − C_ab − C_ba. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)m, (int)n, 1.0, S, (int)n,
                Q, (int)n, 0.0, out, (int)m);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)m, (int)n, 1.0, Q, (int)n,
                R, (int)n, 0.0, C, (int)m);
    for (size_t a = 0; a < m; a++)
        for (size_t b = a; b < m; b++) {
            double cross = C[a * m + b] + C[b * m + a];
            double quad = 0.5 * (out[a * m + b] + out[b * m + a]);
            double v = prior[a * m + b] + quad - cross;
            if (a == b)
                v = clamp_var(v, fabs(prior[a * m + a]) + fabs(quad) + fabs(cross), stats);
            out[a * m + b] = out[b * m + a] = v;
        }
}

/* NNGP finishing step: Σ = prior − Q Rᵀ where Q Rᵀ is symmetric in exact
 * arithmetic (Q = P diag(h), R = P; or Q = U, R = K(x*,X)). */
static void finish_nngp(size_t n, size_t m, const double *Q, const double *R, const double *prior,
                        int full, double *out, ntk_uncertainty_stats *stats)
{
    if (!full) {
        for (size_t i = 0; i < m; i++) {
            const double *q = Q + i * n, *r = R + i * n;
            double dot = 0.0, mag = 0.0;
            for (size_t j = 0; j < n; j++) {
                dot += q[j] * r[j];
                mag += fabs(q[j] * r[j]);
            }
            out[i] = clamp_var(prior[i] - dot, fabs(prior[i]) + mag, stats);
        }
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)m, (int)n, 1.0, Q, (int)n,
                R, (int)n, 0.0, out, (int)m);
    for (size_t a = 0; a < m; a++)
        for (size_t b = a; b < m; b++) {
            double d = 0.5 * (out[a * m + b] + out[b * m + a]);
            double v = prior[a * m + b] - d;
            if (a == b)
                v = clamp_var(v, fabs(prior[a * m + a]) + fabs(d), stats);
            out[a * m + b] = out[b * m + a] = v;
        }
}

ntk_status ntk_ensemble_covariance(const ntk_ensemble *e, const double *theta_st,
                                   const double *nngp_st, const double *prior, size_t m,
                                   int full, double *out, ntk_uncertainty_stats *stats,
                                   ntk_error *err)
{
    if (m == 0)
        return NTK_OK;
    size_t n = e->n, T = e->n_times;
    int ntk = e->kind == NTK_KIND_NTK;
    if (!theta_st || !prior || !out || (ntk && !nngp_st))
        return ntk_error_set(err, NTK_EINPUT, "uncertainty: missing test kernels");
    if (m > (size_t)INT32_MAX)
        return ntk_error_set(err, NTK_EINPUT, "uncertainty: too many test rows");
    if (!ntk)
        nngp_st = theta_st;
    size_t block = full ? m * m : m;
    if (stats) {
        stats->jitter = e->jitter;
        stats->used_eigen = e->eigen;
        stats->n_eig_clamped = e->n_eig_clamped;
    }
    size_t mn = m * n;
    double *P = ntk_alloc_checked(mn * sizeof *P, "uncertainty workspace", err);
    double *R = ntk ? ntk_alloc_checked(mn * sizeof *R, "uncertainty workspace", err) : NULL;
    double *Q = ntk_alloc_checked(mn * sizeof *Q, "uncertainty workspace", err);
    double *S = ntk ? ntk_alloc_checked(mn * sizeof *S, "uncertainty workspace", err) : NULL;
    double *C = ntk && full ? ntk_alloc_checked(m * m * sizeof *C, "uncertainty workspace", err)
                            : NULL;
    ntk_status st = NTK_OK;
    if (!P || !Q || (ntk && (!R || !S)) || (ntk && full && !C)) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }

    if (!e->eigen) {
        /* U = Θ(x*,X) A⁻¹: Θ(x*,X) row-major m×n is Θ(X,x*) column-major n×m;
         * dpotrs solves A W = Θ(X,x*), and W column-major is U row-major. */
        memcpy(Q, theta_st, mn * sizeof *Q);
        lapack_int info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, (lapack_int)m,
                                         e->F, (lapack_int)n, Q, (lapack_int)n);
        if (info != 0) {
            st = ntk_error_set(err, NTK_EFAILED, "dpotrs failed (info %d)", (int)info);
            goto done;
        }
        if (ntk)
            finish_ntk(n, m, Q, e->G, nngp_st, prior, full, S, C, out, stats);
        else
            finish_nngp(n, m, Q, nngp_st, prior, full, out, stats);
        for (size_t t = 1; t < T; t++)
            memcpy(out + t * block, out, block * sizeof *out);
        goto done;
    }

    /* P = Θ(x*,X) V; the column-major V read row-major is Vᵀ. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)n, 1.0, theta_st,
                (int)n, e->F, (int)n, 0.0, P, (int)n);
    if (ntk)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)n, 1.0,
                    nngp_st, (int)n, e->F, (int)n, 0.0, R, (int)n);
    double *gv = malloc(n * sizeof *gv);
    if (!gv) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = 0; t < T; t++) {
        double tt = e->times[t];
        double s = isinf(tt) ? INFINITY : e->lr * e->c * tt;
        for (size_t j = 0; j < n; j++) {
            double a = isinf(tt) ? e->w[j] + e->jitter : e->w[j];
            double g = ntk_flow_coefficient(a, s);
            /* NNGP: h = 2g − g²a = (1 − e^{−2sa})/a (limit 2s at a = 0). */
            gv[j] = ntk ? g : g * (2.0 - g * a);
        }
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                Q[i * n + j] = P[i * n + j] * gv[j];
        if (ntk)
            finish_ntk(n, m, Q, e->G, R, prior, full, S, C, out + t * block, stats);
        else
            finish_nngp(n, m, Q, P, prior, full, out + t * block, stats);
    }
    free(gv);
done:
    free(P);
    free(R);
    free(Q);
    free(S);
    free(C);
    return st;
}

ntk_status ntk_nngp_diagonal(const ntk_arch *a, const double *X, size_t m, size_t d, double *out,
                             ntk_error *err)
{
    const char *msg = ntk_arch_check(a);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (d == 0)
        return ntk_error_set(err, NTK_EINPUT, "kernel: inputs have no features (d = 0)");
    double sw2 = a->w_std * a->w_std, sb2 = a->b_std * a->b_std;
    for (size_t i = 0; i < m; i++) {
        const double *x = X + i * d;
        double acc = 0.0;
        for (size_t k = 0; k < d; k++)
            acc += x[k] * x[k];
        if (!isfinite(acc))
            return ntk_error_set(err, NTK_EINPUT, "X has a non-finite value in row %zu", i + 1);
        /* Σ⁰ = ‖x‖²/d; Dense: K ← σ_w²K + σ_b²; activation: K ← T(K, K, K). */
        double K = sw2 * (acc / (double)d) + sb2;
        for (int l = 1; l <= a->depth; l++) {
            double Tv, Tp;
            ntk_status st = ntk_dual(&a->act, K, K, K, 1, &Tv, &Tp, err);
            if (st != NTK_OK)
                return st;
            K = sw2 * Tv + sb2;
        }
        out[i] = K;
    }
    return NTK_OK;
}

/* Θ(X1,X2) and K(X1,X2) of the model's architecture in one recursion (NTK
 * kind), or K alone into `theta` (NNGP kind). */
static ntk_status model_kernels(const ntk_model *m, const double *X1, size_t n1, const double *X2,
                                size_t n2, double *theta, double *nngp, int threads,
                                ntk_error *err)
{
    ntk_kernel_options kopt = {threads, {NULL, NULL}};
    if (m->kind == NTK_KIND_NNGP)
        return ntk_kernel_eval(&m->arch, NTK_KIND_NNGP, X1, n1, X2, n2, m->d, theta, &kopt, err);
    int L = m->arch.depth;
    double **nt = calloc((size_t)L + 1, sizeof *nt), **ng = calloc((size_t)L + 1, sizeof *ng);
    if (!nt || !ng) {
        free(nt);
        free(ng);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    nt[L] = theta;
    ng[L] = nngp;
    ntk_status st = ntk_kernel_eval_depths(&m->arch, X1, n1, X2, n2, m->d, nt, ng, &kopt, err);
    free(nt);
    free(ng);
    return st;
}

ntk_status ntk_model_uncertainty(const ntk_model *model, const double *X, size_t rows,
                                 const ntk_uncertainty_options *opt, double *out,
                                 ntk_uncertainty_stats *stats, ntk_error *err)
{
    ntk_uncertainty_options def = {0, 0, {NULL, NULL}};
    if (!opt)
        opt = &def;
    if (rows == 0)
        return NTK_OK;
    if (model->nystrom)
        return ntk_error_set(err, NTK_EINPUT, "--uncertainty is not available on the Nystrom "
                             "path (the model holds centers, not its training rows); use "
                             "--solver dense");
    const ntk_model *m = model;
    size_t n = m->n, T = m->n_times;
    int ntk = m->kind == NTK_KIND_NTK;
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", n, n);
    double *theta = ntk_alloc_checked(n * n * sizeof *theta, what, err);
    double *nngp = theta && ntk ? ntk_alloc_checked(n * n * sizeof *nngp, what, err) : NULL;
    if (!theta || (ntk && !nngp)) {
        free(theta);
        return NTK_ENOMEM;
    }
    ntk_progress_report(&opt->progress, "uncertainty", 0, rows);
    ntk_status st = model_kernels(m, m->X, n, NULL, 0, theta, nngp, opt->threads, err);
    if (st != NTK_OK) {
        free(theta);
        free(nngp);
        return st;
    }
    ntk_ensemble_params p;
    ntk_ensemble_params_init(&p);
    p.kind = m->kind;
    p.reg_abs = m->reg_abs;
    p.lr = m->lr;
    p.time_scale = m->time_scale;
    p.k = m->k;
    p.times = m->times;
    p.n_times = T;
    p.jitter = m->jitter;
    /* Finite times need the eigendecomposition here whatever path fitted
     * them (Chebyshev, Krylov); AUTO gives it, and Cholesky for t = ∞ only. */
    p.method = m->used_eigen ? NTK_SOLVE_EIGEN : NTK_SOLVE_AUTO;
    p.progress = opt->progress;
    ntk_ensemble *e = NULL;
    st = ntk_ensemble_prepare(theta, nngp, n, &p, &e, err);
    if (st != NTK_OK)
        return st;

    size_t block = opt->full_covariance ? rows : BLOCK_ENTRIES / (n ? n : 1);
    if (block < 16)
        block = 16;
    if (block > rows)
        block = rows;
    double *Ts = ntk_alloc_checked(block * n * sizeof *Ts, "test kernel block", err);
    double *Ks = Ts && ntk ? ntk_alloc_checked(block * n * sizeof *Ks, "test kernel block", err)
                           : NULL;
    size_t psize = opt->full_covariance ? rows * rows : block;
    double *prior = Ts ? ntk_alloc_checked(psize * sizeof *prior, "prior covariance", err) : NULL;
    double *tmp = !opt->full_covariance && prior
                      ? ntk_alloc_checked(T * block * sizeof *tmp, "variances", err)
                      : NULL;
    if (!Ts || (ntk && !Ks) || !prior || (!opt->full_covariance && !tmp)) {
        st = err && err->status ? err->status : NTK_ENOMEM;
        goto done;
    }
    ntk_uncertainty_stats local = {0};
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t b = rows - r0 < block ? rows - r0 : block;
        if (ntk_progress_report(&opt->progress, "uncertainty", r0, rows)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            break;
        }
        const double *Xb = X + r0 * m->d;
        st = model_kernels(m, Xb, b, m->X, n, Ts, Ks, opt->threads, err);
        if (st != NTK_OK)
            break;
        if (opt->full_covariance) {
            ntk_kernel_options kopt = {opt->threads, {NULL, NULL}};
            st = ntk_kernel_eval(&m->arch, NTK_KIND_NNGP, Xb, b, NULL, 0, m->d, prior, &kopt,
                                 err);
        } else {
            st = ntk_nngp_diagonal(&m->arch, Xb, b, m->d, prior, err);
        }
        if (st != NTK_OK)
            break;
        st = ntk_ensemble_covariance(e, Ts, Ks, prior, b, opt->full_covariance,
                                     opt->full_covariance ? out : tmp, &local, err);
        if (st != NTK_OK)
            break;
        if (!opt->full_covariance)
            for (size_t t = 0; t < T; t++)
                memcpy(out + t * rows + r0, tmp + t * b, b * sizeof *out);
    }
    ntk_progress_report(&opt->progress, "uncertainty", rows, rows);
    if (st == NTK_OK) {
        /* Original units: prediction = f·y_scale + y_mean, so var × y_scale². */
        double s2 = m->task == NTK_TASK_REGRESSION ? m->y_scale * m->y_scale : 1.0;
        size_t cnt = T * (opt->full_covariance ? rows * rows : rows);
        for (size_t i = 0; i < cnt; i++)
            out[i] *= s2;
        if (stats)
            *stats = local;
    }
done:
    free(Ts);
    free(Ks);
    free(prior);
    free(tmp);
    ntk_ensemble_free(e);
    return st;
}

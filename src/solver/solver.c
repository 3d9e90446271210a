/* The gradient-flow predictor's coefficients: Cholesky for t = ∞, one
 * eigendecomposition for any set of times, or the Chebyshev expansion
 * (solver_cheb.c) for finite times at scale (see ntk/solver.h).
 *
 * Every n×n matrix here is symmetric, so its row-major storage is also its
 * column-major storage: LAPACK is called in column-major mode, which avoids
 * the transposed copies LAPACKE makes for row-major input (an extra 8n²
 * bytes we cannot afford at n = 40000). */
#include "ntk/solver.h"

#include <cblas.h>
#include <stdint.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/gemm_thin.h"
#include "solver_cheb.h"
#include "solver_internal.h"
#include "solver_krylov.h"

void ntk_solve_params_init(ntk_solve_params *p)
{
    memset(p, 0, sizeof *p);
    p->reg = 0.0;
    p->reg_scale = NTK_REG_ABSOLUTE;
    p->lr = 1.0;
    p->time_scale = NTK_TIME_SUM;
    p->method = NTK_SOLVE_AUTO;
    p->want_train_predictions = 1;
}

const char *ntk_solve_params_check(const ntk_solve_params *p)
{
    if (!(p->reg >= 0.0) || !isfinite(p->reg))
        return "the regularization must be a finite number >= 0";
    if (!(p->lr > 0.0) || !isfinite(p->lr))
        return "the learning rate must be a finite number > 0";
    if (p->n_times == 0 || !p->times)
        return "at least one training time is needed";
    for (size_t i = 0; i < p->n_times; i++)
        if (!(p->times[i] >= 0.0))
            return "training times must be >= 0 (or inf)";
    if (p->time_scale != NTK_TIME_SUM && p->time_scale != NTK_TIME_MEAN)
        return "unknown time scale";
    return NULL;
}

double ntk_flow_coefficient(double a, double s)
{
    if (isinf(s))
        return 1.0 / a;
    double x = s * a;
    if (x == 0.0)
        return s;
    /* (1 - e^{-x})/a = s · (-expm1(-x))/x, exact to rounding for all x ≥ 0. */
    if (x < 1e-3)
        return s * (-expm1(-x) / x);
    return -expm1(-x) / a;
}

void ntk_solution_free(ntk_solution *s)
{
    if (!s)
        return;
    free(s->times);
    free(s->coef);
    free(s->train_pred);
    free(s);
}

ntk_solution *solver_solution_new(size_t n, size_t k, const ntk_solve_params *p, ntk_error *err)
{
    ntk_solution *s = calloc(1, sizeof *s);
    if (!s) {
        ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    s->n = n;
    s->k = k;
    s->n_times = p->n_times;
    s->eig_min = s->eig_max = NAN;
    s->cheb_bound = NAN;
    s->times = malloc(p->n_times * sizeof *s->times);
    s->coef = ntk_alloc_checked(p->n_times * n * k * sizeof(double), "coefficients", err);
    if (p->want_train_predictions)
        s->train_pred = ntk_alloc_checked(p->n_times * n * k * sizeof(double),
                                          "training predictions", err);
    if (!s->times || !s->coef || (p->want_train_predictions && !s->train_pred)) {
        ntk_solution_free(s);
        if (err && err->status == NTK_OK)
            ntk_error_set(err, NTK_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(s->times, p->times, p->n_times * sizeof *s->times);
    return s;
}

void solver_to_col_major(const double *rm, size_t n, size_t k, double *cm)
{
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            cm[i + c * n] = rm[i * k + c];
}

void solver_to_row_major(const double *cm, size_t n, size_t k, double *rm)
{
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            rm[i * k + c] = cm[i + c * n];
}

/* After a dpotrf('L') (failed, or on a singular matrix), the strict upper
 * triangle (column-major) is intact: rebuild the lower triangle from it and
 * the saved diagonal. */
static void restore_lower(double *A, size_t n, const double *diag)
{
    for (size_t j = 0; j < n; j++) {
        A[j + j * n] = diag[j];
        for (size_t i = j + 1; i < n; i++)
            A[i + j * n] = A[j + i * n];
    }
}

int solver_pivots_singular(const double *L, size_t n, double dmax)
{
    double pmin = INFINITY;
    for (size_t i = 0; i < n; i++)
        pmin = fmin(pmin, L[i + i * n] * L[i + i * n]);
    return pmin < (double)n * 2.2e-16 * dmax;
}

static ntk_status solve_eigen(double *A, size_t n, const double *Y, size_t k,
                              const ntk_solve_params *p, ntk_solution *s, ntk_error *err);

/* Singular A from duplicate rows (the common case: repeated inputs of a
 * table): the t = ∞ blocks from the distinct rows (solver_dedupe.c), the
 * eigendecomposition's answer at the cost of a Cholesky. *done = 0 if A is
 * singular beyond its duplicates. */
static ntk_status solve_duplicates(const double *A, size_t n, const double *Y, size_t k,
                                   ntk_solution *s, int *done, ntk_error *err)
{
    *done = 0;
    size_t *group = malloc(n * sizeof *group);
    if (!group)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    size_t u = solver_duplicate_groups(A, n, group);
    ntk_status st = NTK_OK;
    int ok = 0;
    size_t first = SIZE_MAX;
    for (size_t t = 0; t < s->n_times && u > 0 && u < n && st == NTK_OK; t++) {
        if (!isinf(s->times[t]))
            continue;
        size_t len = n * k;
        if (first == SIZE_MAX) {
            st = solver_dedupe_solve(A, n, Y, k, group, u, s->coef + t * len,
                                     s->train_pred ? s->train_pred + t * len : NULL, &ok, err);
            if (!ok)
                break;
            first = t;
            continue;
        }
        memcpy(s->coef + t * len, s->coef + first * len, len * sizeof(double));
        if (s->train_pred)
            memcpy(s->train_pred + t * len, s->train_pred + first * len, len * sizeof(double));
    }
    if (st == NTK_OK && ok) {
        s->n_null = n - u;
        *done = 1;
    }
    free(group);
    return st;
}

static ntk_status solve_cholesky(double *A, size_t n, const double *Y, size_t k,
                                 const ntk_solve_params *p, ntk_solution *s, ntk_error *err)
{
    double *diag = malloc(n * sizeof *diag);
    double *B = malloc(n * k * sizeof *B);
    if (!diag || !B) {
        free(diag);
        free(B);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        diag[i] = A[i + i * n]; /* already includes λ */

    double dmax = 0;
    for (size_t i = 0; i < n; i++)
        dmax = fmax(dmax, diag[i]);
    ntk_status st = NTK_OK;
    ntk_progress_report(&p->progress, "cholesky", 0, 1);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n);
    ntk_progress_report(&p->progress, "cholesky", 1, 1);
    if (info < 0)
        st = ntk_error_set(err, NTK_EFAILED, "dpotrf: illegal argument %d", (int)-info);
    else if (info > 0 || solver_pivots_singular(A, n, dmax)) {
        /* Singular (duplicate rows, ridge 0): the flow's t = ∞ limit is the
         * minimum-norm interpolant — directions of zero eigenvalue never
         * move — which the eigendecomposition gives exactly; a jittered
         * inverse would amplify rounding in those directions by 1/jitter. */
        restore_lower(A, n, diag);
        free(diag);
        free(B);
        int done = 0;
        st = solve_duplicates(A, n, Y, k, s, &done, err);
        return st != NTK_OK || done ? st : solve_eigen(A, n, Y, k, p, s, err);
    }
    if (st == NTK_OK) {
        solver_to_col_major(Y, n, k, B);
        info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, (lapack_int)k, A,
                             (lapack_int)n, B, (lapack_int)n);
        if (info != 0) {
            st = ntk_error_set(err, NTK_EFAILED, "dpotrs failed (info %d)", (int)info);
        } else {
            /* One solve serves every t = ∞ (finite times, if any, were
             * served by the Chebyshev path before A was factored). */
            double shift = s->reg_abs;
            for (size_t t = 0; t < s->n_times; t++) {
                if (!isinf(s->times[t]))
                    continue;
                double *C = s->coef + t * n * k;
                solver_to_row_major(B, n, k, C);
                if (s->train_pred) {
                    /* Θ A⁻¹ Y = (A − shift·I) A⁻¹ Y = Y − shift·C, exactly. */
                    double *F = s->train_pred + t * n * k;
                    for (size_t i = 0; i < n * k; i++)
                        F[i] = Y[i] - shift * C[i];
                }
            }
        }
    }
    free(diag);
    free(B);
    return st;
}

ntk_status solver_jitter_next(double mean_diag, int *exp10, double *jitter, ntk_error *err)
{
    if (*exp10 > JITTER_LAST_EXP)
        return ntk_error_set(err, NTK_ENUMERIC,
                             "the training kernel is not positive definite even with jitter "
                             "%.3g (1e%d x mean diagonal) added; use --reg", *jitter,
                             JITTER_LAST_EXP);
    *jitter = (mean_diag > 0 ? mean_diag : 1.0) * pow(10.0, (*exp10)++);
    return NTK_OK;
}

void solver_clamp_eigenvalues(double *w, size_t n, double *most_negative, size_t *n_clamped)
{
    for (size_t i = 0; i < n; i++)
        if (w[i] < 0.0) {
            if (w[i] < *most_negative)
                *most_negative = w[i];
            (*n_clamped)++;
            w[i] = 0.0;
        }
}

int solver_eigen_jitter(const double *w, size_t n, double mean_diag, double *jitter)
{
    double amax = w[n - 1] > 0 ? w[n - 1] : 1.0;
    double floor_ = (double)n * 2.2e-16 * amax;
    *jitter = 0.0;
    if (w[0] > floor_)
        return 0;
    double scale = mean_diag > 0 ? mean_diag : 1.0;
    for (int e = JITTER_FIRST_EXP; e <= JITTER_LAST_EXP; e++) {
        *jitter = scale * pow(10.0, e);
        if (w[0] + *jitter > floor_)
            return 0;
    }
    return -1;
}

/* Every time (finite and t = ∞) from one eigendecomposition of A in place
 * (solver_eigen.c). */
static ntk_status solve_eigen(double *A, size_t n, const double *Y, size_t k,
                              const ntk_solve_params *p, ntk_solution *s, ntk_error *err)
{
    size_t nt = s->n_times, len = n * k;
    double *sc = malloc(nt * sizeof *sc);
    double **blk = malloc(2 * nt * sizeof *blk);
    double *Ycm = malloc(len * sizeof *Ycm);
    size_t nblk = s->train_pred ? 2 * nt : nt;
    double *Cb = ntk_alloc_checked(nblk * len * sizeof(double), "eigen-path results", err);
    ntk_status st = NTK_OK;
    if (!sc || !blk || !Ycm || !Cb) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = 0; t < nt; t++) {
        sc[t] = solver_time_scale(p, n, k, s->times[t]);
        blk[t] = Cb + t * len;
        blk[nt + t] = s->train_pred ? Cb + (nt + t) * len : NULL;
    }
    solver_to_col_major(Y, n, k, Ycm);
    solver_dense d = {A, n};
    solver_matrix M;
    solver_dense_matrix(&d, &M);
    solver_eigen_info info;
    st = solver_eigen(&M, sc, nt, Ycm, k, s->reg_abs, blk, blk + nt, &info, &p->progress, err);
    if (st != NTK_OK)
        goto done;
    solver_record_eigen(s, &info);
    for (size_t t = 0; t < nt; t++) {
        solver_to_row_major(blk[t], n, k, s->coef + t * len);
        if (s->train_pred)
            solver_to_row_major(blk[nt + t], n, k, s->train_pred + t * len);
    }
done:
    free(sc);
    free(blk);
    free(Ycm);
    free(Cb);
    return st;
}

void solver_record_eigen(ntk_solution *s, const solver_eigen_info *info)
{
    s->used_eigen = 1;
    s->eig_min = info->eig_min;
    s->eig_max = info->eig_max;
    s->most_negative = fmin(s->most_negative, info->most_negative);
    s->n_clamped += info->n_clamped;
    s->n_null = info->n_null;
}

double solver_time_scale(const ntk_solve_params *p, size_t n, size_t k, double t)
{
    double c = p->time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    return isinf(t) ? INFINITY : p->lr * c * t;
}

/* Largest degree AUTO accepts without a Krylov alternative (single
 * precision, ntk-mpi): d·max(2k, 16) ≤ 8n, i.e. at most 8n³ flops of n×n by
 * n×k products (k < 8 is bandwidth-bound: priced as k = 8). With the thin
 * product near the dgemm peak a step costs 2n²k/(peak) against the
 * Cholesky's n³/3 at ~0.8 peak, so the limit is ~12 Choleskys, under the
 * 20–60 of an eigendecomposition here (measured by tools/bench_blas). */
size_t solver_auto_max_degree(size_t n, size_t k)
{
    size_t w = 2 * k > 16 ? 2 * k : 16;
    return 8 * n / w;
}

size_t solver_krylov_max_dim(size_t n, size_t k, int forced)
{
    /* AUTO: as many steps as keep the cost model (see
     * solver_flow.c) under ~19 Choleskys, below the
     * eigendecomposition's 20–60, and the basis within n/3 columns (measured
     * at n = 3000, k = 26: converged at 950 columns, 20 Choleskys against the
     * eigendecomposition's 33). */
    size_t kk = k > 8 ? k : 8;
    size_t steps = forced ? KRYLOV_FORCED_MAX_STEPS : 3 * n / (2 * kk);
    size_t dim = steps * k;
    size_t most = forced ? n : n / 3;
    return dim < most ? dim : (most > 0 ? most : 1);
}

void solver_record_krylov(ntk_solution *s, const krylov_info *info)
{
    s->used_krylov = 1;
    s->krylov_steps = info->steps;
    s->krylov_dim = info->dim;
    s->krylov_shift = info->shift;
    s->krylov_estimate = info->estimate;
    s->krylov_converged = info->converged;
    s->krylov_seconds[0] = info->seconds_factor;
    s->krylov_seconds[1] = info->seconds_steps;
    s->krylov_seconds[2] = info->seconds_small;
    s->krylov_seconds[3] = info->seconds_solves;
}

void solver_record_chebyshev(ntk_solution *s, const cheb_plan *plan)
{
    s->used_chebyshev = 1;
    s->cheb_degree = plan->degree;
    s->cheb_bound = plan->L;
    for (size_t f = 0; f < plan->nt; f++)
        if (plan->tail[f] > s->cheb_tail)
            s->cheb_tail = plan->tail[f];
}

/* The scales s = η·c·t of the finite times (*sc) and their slots in the
 * solution (*slot); *nf of them. */
static ntk_status finite_scales(const ntk_solution *s, const ntk_solve_params *p, size_t n,
                                size_t k, double **sc, size_t **slot, size_t *nf, ntk_error *err)
{
    *nf = 0;
    *sc = malloc(s->n_times * sizeof **sc);
    *slot = malloc(s->n_times * sizeof **slot);
    if (!*sc || !*slot) {
        free(*sc);
        free(*slot);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t t = 0; t < s->n_times; t++)
        if (!isinf(s->times[t])) {
            (*sc)[*nf] = solver_time_scale(p, n, k, s->times[t]);
            (*slot)[(*nf)++] = t;
        }
    return NTK_OK;
}

/* Finite times by the Chebyshev expansion (A only read), then t = ∞ (if
 * asked) by Cholesky in place. Returns NTK_OK with *declined = 1, touching
 * nothing, if the degree needed exceeds max_degree. */
static ntk_status solve_chebyshev(double *A, size_t n, const double *Y, size_t k,
                                  const ntk_solve_params *p, ntk_solution *s,
                                  size_t max_degree, int *declined, ntk_error *err)
{
    *declined = 0;
    size_t nt = s->n_times, nf = 0;
    double *sc;
    size_t *slot;
    ntk_status fst = finite_scales(s, p, n, k, &sc, &slot, &nf, err);
    if (fst != NTK_OK)
        return fst;
    size_t len = n * k;
    double *Ycm = ntk_alloc_checked(len * sizeof(double), "targets", err);
    double *Cb = ntk_alloc_checked(nf * len * sizeof(double), "Chebyshev coefficients", err);
    double *Fb = s->train_pred && Cb ? ntk_alloc_checked(nf * len * sizeof(double),
                                                         "Chebyshev training predictions", err)
                                     : NULL;
    double **out = malloc(2 * nf * sizeof *out);
    cheb_plan plan;
    memset(&plan, 0, sizeof plan);
    ntk_status st = NTK_OK;
    if (!Ycm || !Cb || !out || (s->train_pred && !Fb)) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t f = 0; f < nf; f++) {
        out[f] = Cb + f * len;
        out[nf + f] = Fb ? Fb + f * len : NULL;
    }
    solver_to_col_major(Y, n, k, Ycm);
    solver_dense d = {A, n};
    solver_matrix M;
    solver_dense_matrix(&d, &M);
    st = solver_chebyshev(&M, sc, nf, Ycm, k, s->reg_abs, max_degree, out, Fb ? out + nf : NULL,
                          &plan, declined, &p->progress, err);
    if (st != NTK_OK || *declined)
        goto done;
    for (size_t f = 0; f < nf; f++) {
        solver_to_row_major(Cb + f * len, n, k, s->coef + slot[f] * len);
        if (Fb)
            solver_to_row_major(Fb + f * len, n, k, s->train_pred + slot[f] * len);
    }
    solver_record_chebyshev(s, &plan);
    /* Free the blocks before the factorization: t = ∞ reuses A in place. */
    free(Cb);
    free(Fb);
    Cb = Fb = NULL;
    if (nf < nt)
        st = solve_cholesky(A, n, Y, k, p, s, err);
done:
    free(sc);
    free(Ycm);
    free(Cb);
    free(Fb);
    free(out);
    free(slot);
    cheb_plan_free(&plan);
    return st;
}

/* Finite times by the shift-and-invert Krylov space (solver_krylov.c: A + σI
 * factored in place, A restored afterwards), then t = ∞ (if asked) by
 * Cholesky of A. With may_decline, a space that misses the tolerance within
 * max_dim columns leaves the solution untouched and sets *declined. */
static ntk_status solve_krylov(double *A, size_t n, const double *Y, size_t k,
                               const ntk_solve_params *p, ntk_solution *s, size_t max_dim,
                               int may_decline, int *declined, ntk_error *err)
{
    *declined = 0;
    size_t nt = s->n_times, nf = 0, len = n * k;
    double *sc;
    size_t *slot;
    ntk_status st = finite_scales(s, p, n, k, &sc, &slot, &nf, err);
    if (st != NTK_OK)
        return st;
    double *Ycm = ntk_alloc_checked(len * sizeof(double), "targets", err);
    double **out = malloc(2 * nf * sizeof *out);
    if (!Ycm || !out) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    /* Straight into the solution's blocks (declining leaves them unused). */
    for (size_t f = 0; f < nf; f++) {
        out[f] = s->coef + slot[f] * len;
        out[nf + f] = s->train_pred ? s->train_pred + slot[f] * len : NULL;
    }
    solver_to_col_major(Y, n, k, Ycm);
    krylov_info info;
    st = krylov_solve(A, n, Ycm, k, sc, NULL, nf, s->reg_abs, s->mean_diag, p->krylov_shift,
                      p->krylov_tol, max_dim, out, s->train_pred ? out + nf : NULL, &info,
                      &p->progress, err);
    if (st != NTK_OK)
        goto done;
    if (may_decline && !info.converged) {
        *declined = 1;
        goto done;
    }
    solver_record_krylov(s, &info);
    free(Ycm);
    Ycm = NULL;
    if (nf < nt)
        st = solve_cholesky(A, n, Y, k, p, s, err);
done:
    free(Ycm);
    free(out);
    free(sc);
    free(slot);
    return st;
}

/* The double solver's three finite-time paths for solver_finite_flow: the
 * kernel in theta (λ on its diagonal), each also serving t = ∞ (the eigen
 * path directly, the others by a Cholesky afterwards). */
typedef struct {
    double *A;
    size_t n;
    const double *Y;
    size_t k;
    const ntk_solve_params *p;
    ntk_solution *s;
} dense_problem;

static ntk_status dense_chebyshev(void *ctx, size_t max_degree, int *declined, ntk_error *err)
{
    dense_problem *d = ctx;
    return solve_chebyshev(d->A, d->n, d->Y, d->k, d->p, d->s, max_degree, declined, err);
}

static ntk_status dense_krylov(void *ctx, size_t max_dim, int may_decline, int *declined,
                               ntk_error *err)
{
    dense_problem *d = ctx;
    return solve_krylov(d->A, d->n, d->Y, d->k, d->p, d->s, max_dim, may_decline, declined, err);
}

static ntk_status dense_eigen(void *ctx, ntk_error *err)
{
    dense_problem *d = ctx;
    return solve_eigen(d->A, d->n, d->Y, d->k, d->p, d->s, err);
}

ntk_status solver_check_problem(size_t n, const double *Y, size_t k, const ntk_solve_params *p,
                                ntk_error *err)
{
    const char *msg = ntk_solve_params_check(p);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (n == 0 || k == 0)
        return ntk_error_set(err, NTK_EINPUT, "no training rows");
    for (size_t i = 0; i < n * k; i++)
        if (!isfinite(Y[i]))
            return ntk_error_set(err, NTK_EINPUT, "target row %zu is not finite", i / k + 1);
    return NTK_OK;
}

ntk_status ntk_solve(double *theta, size_t n, const double *Y, size_t k,
                     const ntk_solve_params *p, ntk_solution **out, ntk_error *err)
{
    *out = NULL;
    ntk_status cst = solver_check_problem(n, Y, k, p, err);
    if (cst != NTK_OK)
        return cst;
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(theta[i]))
            return ntk_error_set(err, NTK_ENUMERIC,
                                 "the training kernel has a non-finite entry at (%zu, %zu)",
                                 i / n + 1, i % n + 1);

    ntk_solution *s = solver_solution_new(n, k, p, err);
    if (!s)
        return err ? err->status : NTK_ENOMEM;

    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += theta[i * n + i];
    s->mean_diag = sum / (double)n;
    s->reg_abs = p->reg_scale == NTK_REG_RELATIVE ? p->reg * s->mean_diag : p->reg;
    for (size_t i = 0; i < n; i++)
        theta[i * n + i] += s->reg_abs;

    int all_inf = 1;
    for (size_t t = 0; t < p->n_times; t++)
        all_inf &= isinf(p->times[t]) != 0;
    if (p->method == NTK_SOLVE_CHOLESKY && !all_inf) {
        ntk_solution_free(s);
        return ntk_error_set(err, NTK_EINPUT, "the Cholesky path serves only t = inf");
    }
    ntk_status st;
    if (all_inf && p->method != NTK_SOLVE_EIGEN) {
        st = solve_cholesky(theta, n, Y, k, p, s, err);
    } else {
        dense_problem dp = {theta, n, Y, k, p, s};
        solver_paths paths = {&dp, dense_chebyshev, dense_krylov, dense_eigen};
        st = solver_finite_flow(&paths, p->method, n, k, err);
    }
    if (st != NTK_OK) {
        ntk_solution_free(s);
        return st;
    }
    *out = s;
    return NTK_OK;
}

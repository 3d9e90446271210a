/* Shift-and-invert block Krylov for finite training times (see
 * solver_krylov.h and ntk/solver.h).
 *
 * Why this works for every time at once: on x = 1/(a + σ) ∈ (0, 1/σ], the
 * flow coefficient g_s(a) is a smooth function of x that is nearly linear
 * for large a (g ≈ 1/a ≈ x), so the large eigenvalues of a kernel (the ones
 * that make a polynomial expansion in A expensive for long times) cost the
 * space almost nothing, while the small ones — where g_s changes with s —
 * are the large eigenvalues of (A + σI)⁻¹ and are found first. */
#include "solver_krylov.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linalg/chol_thin.h"
#include "ntk/solver.h"

/* A new direction is kept when orthogonalization leaves more than this
 * fraction of its norm: below it, it is rounding noise of directions already
 * in the space (duplicate rows, linearly dependent targets). */
#define KRYLOV_DEFLATE 1e-12
/* A failed factorization of A + σI (σ below rounding level of a singular A)
 * retries with σ × 10, this many times. */
#define KRYLOV_SHIFT_TRIES 10
/* Estimate at the rounding floor: successive differences that stop shrinking
 * while already below this are taken as converged. */
#define KRYLOV_STALL 1e-9

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double krylov_default_shift(const double *s, size_t nf, double mean_diag)
{
    /* σ ~ 1/s makes e^{−s a} a function of x = 1/(a + σ) of bounded
     * difficulty. For a range of times a pole near the shortest one
     * converged in fewest steps, 2/s_min best (ReLU NTK, times 1…1e4, sum
     * scale, block steps: n = 3000, k = 26: 42/38/33/32/29/33 at
     * 0.5/1/1.5/2/3/4 × 1/s_min; n = 6000, k = 26: 42/34/36 at 1/2/4;
     * n = 6000, k = 1: 36/32/29/32/36 at 1/1.5/2/3/4; 41–49 at 10/s_min,
     * 0.1/s_min and 1/√(s_min·s_max); docs/performance.md), but no further
     * out than the
     * mean diagonal (beyond it the shortest times are nearly linear in A
     * and the long ones suffer). Scales 0 carry no information. */
    double lo = INFINITY, hi = 0.0;
    for (size_t f = 0; f < nf; f++)
        if (s[f] > 0.0) {
            lo = fmin(lo, s[f]);
            hi = fmax(hi, s[f]);
        }
    double md = mean_diag > 0.0 ? mean_diag : 1.0;
    if (hi == 0.0)
        return md;
    double sigma = fmin(2.0 / lo, fmax(1.0 / hi, md));
    /* Never so small that A + σI is singular in floating point. */
    if (sigma < md * 1e-10)
        sigma = md * 1e-10;
    return sigma;
}

/* Lower triangle (and diagonal) of the column-major A from its strict upper
 * triangle and the saved diagonal plus shift. */
static void set_lower(double *A, size_t n, const double *diag, double shift)
{
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t j = 0; j < n; j++) {
        A[j + j * n] = diag[j] + shift;
        for (size_t i = j + 1; i < n; i++)
            A[i + j * n] = A[j + i * n];
    }
}

/* The op's factorization of A + σI, retried with σ × 10 while it fails. */
static ntk_status factor_shifted(const krylov_op *op, double *sigma, ntk_error *err)
{
    for (int tries = 0; tries < KRYLOV_SHIFT_TRIES; tries++) {
        int info = op->factor(op->ctx, *sigma);
        if (info == 0)
            return NTK_OK;
        if (info < 0)
            return ntk_error_set(err, NTK_EFAILED, "the factorization of A + shift: illegal "
                                 "argument %d", -info);
        *sigma *= 10.0;
    }
    return ntk_error_set(err, NTK_ENUMERIC,
                         "the training kernel plus shift %.3g is not positive definite", *sigma);
}

/* W ← (A + σI)⁻¹ W for the n×nb column-major W, L the Cholesky factor in A's
 * lower triangle. dtrsm directly: LAPACKE_dpotrs would scan the factor for
 * NaNs on every call, as much memory traffic as the solve itself. */
static void shifted_solve(const double *L, size_t n, double *W, size_t nb)
{
    /* One column: dtrsv streams the factor at 2.6× the rate of a one-column
     * dtrsm (n = 6000, 29 steps: 0.30 s against 0.78 s, quiet machine). */
    if (nb == 1) {
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, L, (int)n, W,
                    1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, L, (int)n, W, 1);
        return;
    }
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)nb,
                1.0, L, (int)n, W, (int)n);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)nb,
                1.0, L, (int)n, W, (int)n);
}

/* Within a block, plain loops rather than BLAS level 1: a step makes ~nb²
 * of these n-long calls, and a threaded BLAS call each costs a wake-up of
 * the other thread (on shared cores, a scheduling slice). */
static double dot(const double *x, const double *y, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

/* Orthonormalize the nb columns of W against Q[:, 0:p) and among
 * themselves, appending the directions that survive deflation at Q[:, p...)
 * (at most cap − p). c1 (rows c_lo..p of Qᵀ W, leading dimension ldc, the
 * projection's last two blocks: all of Qᵀ W but rounding, by the symmetric
 * three-term recurrence) is the first Gram–Schmidt pass; the second is a
 * full pass against all of Q, which keeps Q orthonormal to rounding (c1
 * NULL, for inexact solves: two full passes). tmp:
 * cap×nb. Returns how many columns were added. */
static size_t extend_basis(double *Q, size_t n, size_t p, size_t cap, double *W, size_t nb,
                           const double *c1, size_t ldc, size_t c_lo, double *tmp, double *norm0)
{
    for (size_t j = 0; j < nb; j++)
        norm0[j] = sqrt(dot(W + j * n, W + j * n, n));
    if (p > 0 && c1)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)nb, (int)(p - c_lo),
                    -1.0, Q + c_lo * n, (int)n, c1 + c_lo, (int)ldc, 1.0, W, (int)n);
    for (int pass = c1 ? 1 : 0; p > 0 && pass < 2; pass++) {
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)p, (int)nb, (int)n, 1.0, Q,
                    (int)n, W, (int)n, 0.0, tmp, (int)p);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)nb, (int)p, -1.0, Q,
                    (int)n, tmp, (int)p, 1.0, W, (int)n);
    }
    size_t added = 0;
    for (size_t j = 0; j < nb && p + added < cap; j++) {
        double *w = W + j * n;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < added; i++) {
                const double *q = Q + (p + i) * n;
                double c = dot(q, w, n);
                for (size_t r = 0; r < n; r++)
                    w[r] -= c * q[r];
            }
        double nrm = sqrt(dot(w, w, n));
        if (!(nrm > KRYLOV_DEFLATE * norm0[j]) || nrm == 0.0)
            continue;
        double *q = Q + (p + added) * n;
        for (size_t i = 0; i < n; i++)
            q[i] = w[i] / nrm;
        added++;
    }
    return added;
}

/* The small problem: eigenpairs of the projection, and for each scale the
 * coordinates (in the basis) of the coefficients and of the training fits. */
typedef struct {
    size_t cap, k, nf;
    const double *s;
    const double *off; /* per case: ridge added on top of A's (NULL: none) */
    double sigma, lambda;
    int of_inverse; /* 1: T projects (A + σI)⁻¹; 0: T projects A */
    double *T;     /* cap×cap projection Qᵀ(A + σI)⁻¹Q (or QᵀAQ), leading dimension cap */
    double *U;     /* p×p eigenvectors (scratch) */
    double *theta; /* p Ritz values of (A + σI)⁻¹ */
    double *b;     /* QᵀY, cap×k (leading dimension cap) */
    double *z;     /* Uᵀb, p×k */
    double *h;     /* z scaled for every scale: p × 2·nf·k */
    double *cur, *prev; /* 2·nf blocks of cap×k (one cap × 2·nf·k matrix):
                         * coefficient and fit coordinates of each scale */
} krylov_small;

static double rel_change(const double *cur, const double *prev, size_t p, size_t cap, size_t k)
{
    double num = 0.0, den = 0.0;
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < p; i++) {
            double x = cur[i + c * cap], d = x - prev[i + c * cap];
            num += d * d;
            den += x * x;
        }
    return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

/* Coordinates for the basis of dimension p; returns the largest relative
 * change against the previous call's (over every scale, coefficients and
 * fits), or NAN if the small eigendecomposition failed. */
static double small_solve(krylov_small *m, size_t p)
{
    for (size_t j = 0; j < p; j++)
        memcpy(m->U + j * p, m->T + j * m->cap, p * sizeof(double));
    /* One BLAS thread: dsyevd of a few hundred to a thousand rows is a stream
     * of small synchronizing calls, which on shared cores can cost 10× their
     * single-threaded time (n = 6000, k = 26: 2.9 s at load 16, 29.9 s at
     * load 22; n = 3000 back to back at load 18: 1.5–1.7 s on one thread,
     * 2.0–4.1 s on two). */
    int threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)p, m->U,
                                     (lapack_int)p, m->theta);
    openblas_set_num_threads(threads);
    if (info != 0)
        return NAN;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)p, (int)m->k, (int)p, 1.0, m->U,
                (int)p, m->b, (int)m->cap, 0.0, m->z, (int)p);
    /* Every scale's coefficient and fit weights side by side: one product
     * U·H for all of them (the small problem is re-solved as the space grows,
     * so it must stay cheap next to a step). */
    size_t blk = m->cap * m->k, w2 = 2 * m->nf * m->k;
    for (size_t f = 0; f < m->nf; f++) {
        double s = m->s[f];
        for (size_t i = 0; i < p; i++) {
            /* Ritz value of A; a non-positive θ is a direction (A + σI)⁻¹ all
             * but annihilates: a → ∞, where g = 0 and the fit is 1. */
            double th = m->theta[i];
            double a = !m->of_inverse ? th : th > 0.0 ? 1.0 / th - m->sigma : INFINITY;
            if (a < 0.0)
                a = 0.0; /* A is positive semidefinite */
            double dl = m->off ? m->off[f] : 0.0;
            a += dl; /* shift invariance: the same space serves A + δI */
            double g = isinf(a) ? 0.0 : ntk_flow_coefficient(a, s);
            double wf = s == 0.0 ? 0.0 : -expm1(-s * a) - (m->lambda + dl) * g;
            for (size_t c = 0; c < m->k; c++) {
                m->h[i + (2 * f * m->k + c) * p] = g * m->z[i + c * p];
                m->h[i + ((2 * f + 1) * m->k + c) * p] = wf * m->z[i + c * p];
            }
        }
    }
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)w2, (int)p, 1.0, m->U,
                (int)p, m->h, (int)p, 0.0, m->cur, (int)m->cap);
    double worst = 0.0;
    for (size_t b = 0; b < 2 * m->nf; b++) {
        double d = rel_change(m->cur + b * blk, m->prev + b * blk, p, m->cap, m->k);
        if (d > worst)
            worst = d;
    }
    double *t = m->cur;
    m->cur = m->prev;
    m->prev = t; /* the newest coordinates are now in prev */
    /* Rows past p must read as zero next time; only the first p of each
     * column were ever written (the rest of the cap-row blocks stay
     * untouched, so they cost no memory). */
    for (size_t c = 0; c < w2; c++)
        memset(m->cur + c * m->cap, 0, p * sizeof(double));
    return worst;
}

/* T[0:hi, lo:hi] = Q[:, 0:hi]ᵀ·A·Q[:, lo:hi] and its mirror (the
 * Rayleigh–Ritz projection of A for inexact solves); AX: n×(hi − lo). */
static void project_a(const krylov_op *op, const double *Q, size_t lo, size_t hi, double *T,
                      size_t cap, double *AX)
{
    size_t n = op->n, nb = hi - lo;
    if (nb == 0)
        return;
    op->apply(op->ctx, Q + lo * n, nb, AX);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)hi, (int)nb, (int)n, 1.0, Q,
                (int)n, AX, (int)n, 0.0, T + lo * cap, (int)cap);
    for (size_t j = lo; j < hi; j++)
        for (size_t i = 0; i < j; i++) {
            double v = i >= lo ? 0.5 * (T[i + j * cap] + T[j + i * cap]) : T[i + j * cap];
            T[i + j * cap] = T[j + i * cap] = v;
        }
}

/* The first process's value of x (op->agree), or x itself. */
static double agreed(const krylov_op *op, double x)
{
    if (op->agree)
        op->agree(op->ctx, &x, 1);
    return x;
}

ntk_status krylov_solve_op(const krylov_op *op, const double *Ycm, size_t k, const double *s,
                           const double *off, size_t nf, double reg_abs, double mean_diag,
                           double shift, double tol, size_t max_dim, double **coef, double **fit,
                           krylov_info *info, const ntk_progress *progress, ntk_error *err)
{
    memset(info, 0, sizeof *info);
    info->estimate = INFINITY;
    size_t n = op->n;
    if (tol <= 0.0)
        tol = op->tol_default > 0.0 ? op->tol_default : KRYLOV_TOL;
    double stall = op->stall > 0.0 ? op->stall : KRYLOV_STALL;
    int exact = op->apply == NULL;
    size_t cap = max_dim < n ? max_dim : n;
    if (cap < 1)
        cap = 1;
    double sigma = shift > 0.0 ? shift : krylov_default_shift(s, nf, mean_diag);

    krylov_small m = {.cap = cap, .k = k, .nf = nf, .s = s, .off = off, .lambda = reg_abs,
                      .of_inverse = exact};
    size_t blk = cap * k;
    double *AX = exact ? NULL : malloc(n * k * sizeof *AX);
    double *norm0 = malloc(k * sizeof *norm0);
    double *W = malloc(n * k * sizeof *W);
    double *tmp = malloc(blk * sizeof *tmp);
    double *Q = ntk_alloc_checked(n * cap * sizeof(double), "Krylov basis", err);
    m.T = calloc(cap * cap, sizeof(double));
    m.U = malloc(cap * cap * sizeof(double));
    m.theta = malloc(cap * sizeof(double));
    m.b = calloc(blk, sizeof(double));
    m.z = malloc(blk * sizeof(double));
    m.h = malloc(2 * nf * blk * sizeof(double) + 1);
    m.cur = calloc(2 * nf * blk + 1, sizeof(double));
    m.prev = calloc(2 * nf * blk + 1, sizeof(double));
    ntk_status st = NTK_OK;
    int factored = 0;
    if ((!exact && !AX) || !norm0 || !W || !tmp || !Q || !m.T || !m.U || !m.theta || !m.b || !m.z || !m.h ||
        !m.cur || !m.prev) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    ntk_progress_report(progress, "krylov factorization", 0, 1);
    double t0 = wall();
    st = factor_shifted(op, &sigma, err);
    info->seconds_factor = wall() - t0;
    factored = 1;
    if (st != NTK_OK)
        goto done;
    info->shift = m.sigma = sigma;

    memcpy(W, Ycm, n * k * sizeof *W);
    size_t plo = 0, lo = 0, hi = extend_basis(Q, n, 0, cap, W, k, NULL, 0, 0, tmp, norm0);
    if (hi > 0)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)hi, (int)k, (int)n, 1.0, Q,
                    (int)n, Ycm, (int)n, 0.0, m.b, (int)cap);
    if (!exact)
        project_a(op, Q, 0, hi, m.T, cap, AX);
    double last = INFINITY, before = INFINITY;
    size_t evals = 0, next_eval = 0, gap_last = 0;
    while (hi > lo) {
        size_t nb = hi - lo;
        memcpy(W, Q + lo * n, n * nb * sizeof *W);
        t0 = wall();
        double ts = wall();
        op->solve(op->ctx, W, nb);
        info->seconds_solves += wall() - ts;
        info->steps++;
        if (ntk_progress_report(progress, "krylov", info->steps, max_dim / k + 1)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            goto done;
        }
        /* Column block [lo, hi) of the projection, then its mirror: rows of
         * the previous and this block only — the older ones vanish, as
         * (A + σI)⁻¹ is symmetric and Q orthonormal (kept so by the full
         * second Gram–Schmidt pass). */
        double *Tc = exact ? m.T + lo * cap : NULL;
        if (exact) {
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)(hi - plo), (int)nb,
                        (int)n, 1.0, Q + plo * n, (int)n, W, (int)n, 0.0, Tc + plo, (int)cap);
            for (size_t j = lo; j < hi; j++)
                for (size_t i = 0; i < j; i++) {
                    double v = i >= lo ? 0.5 * (m.T[i + j * cap] + m.T[j + i * cap])
                                       : m.T[i + j * cap];
                    m.T[i + j * cap] = m.T[j + i * cap] = v;
                }
        }
        /* The small eigenproblem costs ~10p³ flops against a step's ~4n²k:
         * solved every step while it is under a fortieth of a step (dsyevd
         * runs far below the solves' rate, and the sum over the steps would
         * rival them), else when the space has grown by half (a quarter once
         * the change is below 1e-4) or reaches the
         * dimension where the convergence
         * rate so far predicts the tolerance (the estimate then compares
         * iterates further apart, which only makes it more conservative). */
        int eval = evals < 2 || hi >= cap || 100.0 * (double)hi * hi * hi <= (double)n * n * k ||
                   hi >= next_eval;
        if (eval) {
            info->seconds_steps += wall() - t0;
            t0 = wall();
            double d = agreed(op, small_solve(&m, hi));
            info->seconds_small += wall() - t0;
            t0 = wall();
            if (isnan(d)) {
                st = ntk_error_set(err, NTK_ENUMERIC, "the Krylov projection's eigensolver failed");
                goto done;
            }
            size_t prev_dim = info->dim;
            info->dim = hi;
            if (++evals > 1) {
                /* The change since the previous evaluation bounds the error
                 * of that iterate when convergence is fast, and the newer
                 * iterate is better still: by the convergence factor over
                 * the columns added since, taken from the last two changes
                 * (geometric convergence), with a safety factor of 10 and
                 * never above d. Without it the stop came one evaluation
                 * late — n = 6000, 26 targets: changes 1.4e-7, 1.1e-9, 1.3e-12
                 * at 850, 1075, 1200 columns, the iterate at 1075 already
                 * 1.3e-12 off, and the evaluation at 1200 the costliest.
                 * tests/check_solver_krylov.c checks it against the true
                 * error. */
                double est = d;
                if (evals > 2 && d < 0.5 * last && gap_last > 0)
                    est = fmin(d, 10.0 * d * pow(d / last, (double)(hi - prev_dim) /
                                                               (double)gap_last));
                gap_last = hi - prev_dim;
                info->estimate = est;
                if (info->estimate <= tol ||
                    (d < stall && d > 0.5 * last && (!exact || last > 0.5 * before))) {
                    info->converged = 1;
                    break;
                }
                next_eval = d > 1e-4 ? hi + (hi + 1) / 2 : hi + (hi + 3) / 4;
                if (d < last && hi > prev_dim) {
                    /* The dimension where the estimate, not the change,
                     * should reach a third of the tolerance: at D the
                     * change is d·ρ^(D−hi) and the estimate ten times that
                     * times ρ^(D−hi) again (ρ the rate per column so far).
                     * Aiming at the change alone came one evaluation late
                     * (letterrecognition 6000, 26 targets: estimates 1.5e-8
                     * at 850 columns, then 2.1e-11 at 1075; this aims at
                     * 1025). */
                    double rate = log(d / last) / (double)(hi - prev_dim);
                    double want = (double)hi + log(tol / (30.0 * d)) / (2.0 * rate);
                    if (want < (double)next_eval)
                        next_eval = want > (double)hi ? (size_t)want : hi + 1;
                }
            }
            before = last;
            last = d;
        }
        if (hi >= cap) {
            /* The whole space: the projection is A itself, exact up to
             * rounding (and for inexact solves, up to the products'). */
            if (hi >= n && eval)
                info->converged = 1;
            break;
        }
        size_t added = extend_basis(Q, n, hi, cap, W, nb, Tc, cap, plo, tmp, norm0);
        if (op->agree && (size_t)agreed(op, (double)added) != added) {
            st = ntk_error_set(err, NTK_EFAILED, "the processes' Krylov bases diverged");
            goto done;
        }
        if (!exact)
            project_a(op, Q, hi, hi + added, m.T, cap, AX);
        info->seconds_steps += wall() - t0;
        if (added == 0) {
            /* Invariant subspace: the projection is exact up to rounding. */
            if (!eval && isnan(small_solve(&m, hi))) {
                st = ntk_error_set(err, NTK_ENUMERIC, "the Krylov projection's eigensolver failed");
                goto done;
            }
            info->dim = hi;
            info->converged = 1;
            info->estimate = fmin(evals > 1 ? info->estimate : last, (double)n * 2.2e-16);
            break;
        }
        plo = lo;
        lo = hi;
        hi += added;
    }
    if (hi == 0) { /* Y = 0 */
        info->converged = 1;
        info->estimate = 0.0;
    }
    for (size_t f = 0; f < nf; f++)
        for (int w = 0; w < 2; w++) {
            double *dst = w ? (fit ? fit[f] : NULL) : coef[f];
            if (!dst)
                continue;
            if (info->dim == 0) {
                memset(dst, 0, n * k * sizeof *dst);
                continue;
            }
            /* Row-major n×k = column-major k×n = (coordinates)ᵀ·Qᵀ. */
            cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)k, (int)n, (int)info->dim,
                        1.0, m.prev + (2 * f + (size_t)w) * blk, (int)cap, Q, (int)n, 0.0, dst,
                        (int)k);
        }
done:
    if (factored)
        op->restore(op->ctx);
    free(AX);
    free(norm0);
    free(W);
    free(tmp);
    free(Q);
    free(m.T);
    free(m.U);
    free(m.theta);
    free(m.b);
    free(m.z);
    free(m.h);
    free(m.cur);
    free(m.prev);
    return st;
}

/* ------------------------------------------------- double matrix in place */

typedef struct {
    double *A; /* lower triangle: A + σI, then its factor; strict upper: A */
    double *diag;
    size_t n;
    double *X; /* row-major block for chol_thin (allocated at the first wide step) */
    size_t ldx;
} dense_ctx;

/* Blocks at least this wide go through chol_thin (2× dtrsm's rate at k = 8–26);
 * narrower ones are memory-bound either way. */
#define KRYLOV_THIN_MIN 4

static int dense_factor(void *ctx, double sigma)
{
    dense_ctx *d = ctx;
    set_lower(d->A, d->n, d->diag, sigma);
    return (int)LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)d->n, d->A, (lapack_int)d->n);
}

static void dense_solve(void *ctx, double *W, size_t nb)
{
    dense_ctx *d = ctx;
    size_t n = d->n;
    if (nb >= KRYLOV_THIN_MIN && !d->X) {
        d->ldx = chol_thin_ld(nb);
        d->X = aligned_alloc(64, n * d->ldx * sizeof(double));
        if (d->X)
            memset(d->X, 0, n * d->ldx * sizeof(double));
    }
    if (nb >= KRYLOV_THIN_MIN && d->X && nb <= d->ldx) {
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < nb; c++)
                d->X[i * d->ldx + c] = W[i + c * n];
        if (chol_thin_solve(d->A, n, d->X, d->ldx, nb) == 0) {
            for (size_t c = 0; c < nb; c++)
                for (size_t i = 0; i < n; i++)
                    W[i + c * n] = d->X[i * d->ldx + c];
            return;
        }
    }
    shifted_solve(d->A, n, W, nb);
}

static void dense_restore(void *ctx)
{
    dense_ctx *d = ctx;
    set_lower(d->A, d->n, d->diag, 0.0);
}

ntk_status krylov_solve(double *A, size_t n, const double *Ycm, size_t k, const double *s,
                        const double *off, size_t nf, double reg_abs, double mean_diag,
                        double shift, double tol, size_t max_dim, double **coef,
                        double **fit, krylov_info *info, const ntk_progress *progress,
                        ntk_error *err)
{
    dense_ctx d = {A, malloc(n * sizeof(double)), n, NULL, 0};
    if (!d.diag) {
        memset(info, 0, sizeof *info);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        d.diag[i] = A[i + i * n];
    krylov_op op = {.ctx = &d, .n = n, .factor = dense_factor, .solve = dense_solve,
                    .restore = dense_restore};
    ntk_status st = krylov_solve_op(&op, Ycm, k, s, off, nf, reg_abs, mean_diag, shift, tol,
                                    max_dim, coef, fit, info, progress, err);
    free(d.diag);
    free(d.X);
    return st;
}

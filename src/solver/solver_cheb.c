/* Chebyshev expansion of the gradient-flow matrix function for finite times
 * (see solver_cheb.h and ntk/solver.h), written once against the
 * solver_matrix hooks (solver_matrix.h) for every precision and engine. */
#include "solver_cheb.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/solver.h"
#include "solver_matrix.h"

/* Coefficients below CHEB_TOL·s are dropped (s = max g_s). The DCT that
 * computes them has rounding noise of about u·sqrt(M)·s, so the effective
 * threshold never goes below a few times that. */
#define CHEB_TOL 1e-14
#define CHEB_MIN_POINTS 64
#define CHEB_MAX_POINTS ((size_t)1 << 15)
/* The λ_max bound stops refining once a pass over A improves it by less than
 * this fraction, or after CHEB_BOUND_PASSES passes. */
#define CHEB_BOUND_GAIN 0.01
#define CHEB_BOUND_PASSES 6

/* y = |A|·d through the matrix's hook; with d = 1 the largest entry of y is
 * Gershgorin's bound. For any positive vector d, |λ| ≤ ρ(|A|) ≤
 * max_i (|A|d)_i / d_i (the ∞-norm of D⁻¹|A|D, D = diag d); each further pass
 * takes d from a power-iteration step on |A|, which drives the bound down
 * towards ρ(|A|) — λ_max itself when A is entrywise nonnegative, as ReLU NTK
 * matrices are. Stops when a pass gains under CHEB_BOUND_GAIN or after
 * CHEB_BOUND_PASSES, then pads for the rounding of the sums (relative
 * (n + 2)·u). */
ntk_status solver_spectral_bound(const solver_matrix *M, double *L, ntk_error *err)
{
    size_t n = M->n;
    double *d = malloc((n ? n : 1) * sizeof *d), *y = malloc((n ? n : 1) * sizeof *y);
    ntk_status st = !d || !y ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (M->agree)
        st = M->agree(M->ctx, st, err);
    double best = INFINITY;
    for (size_t i = 0; st == NTK_OK && i < n; i++)
        d[i] = 1.0;
    for (size_t it = 0; st == NTK_OK && it < CHEB_BOUND_PASSES; it++) {
        st = M->abs_product(M->ctx, d, y, err);
        if (st != NTK_OK)
            break;
        double bound = 0.0, ymax = 0.0;
        for (size_t i = 0; i < n; i++) {
            double ratio = y[i] / d[i];
            if (ratio > bound)
                bound = ratio;
            if (y[i] > ymax)
                ymax = y[i];
        }
        int small_gain = bound > (1.0 - CHEB_BOUND_GAIN) * best;
        if (bound < best)
            best = bound;
        if (!(ymax > 0.0) || small_gain)
            break;
        /* Next d: the power-iteration vector, kept away from 0 so that every
         * ratio stays finite (any positive d gives a valid bound). */
        for (size_t i = 0; i < n; i++) {
            double v = y[i] / ymax;
            d[i] = v > 1e-6 ? v : 1e-6;
        }
    }
    free(d);
    free(y);
    if (!(best > 0.0) || isinf(best))
        best = 1.0;
    *L = best * (1.0 + 1e-12 + (double)(n + 2) * 1.12e-16);
    return st;
}

void cheb_plan_free(cheb_plan *plan)
{
    if (!plan)
        return;
    if (plan->c)
        for (size_t t = 0; t < plan->nt; t++)
            free(plan->c[t]);
    free(plan->c);
    free(plan->deg);
    free(plan->tail);
    memset(plan, 0, sizeof *plan);
}

/* Coefficients of g_s on [0, L] from M Chebyshev points (DCT-II, cosines
 * from an exact-index table). Returns the number of coefficients kept
 * (degree + 1) in *deg and their tail, or *deg = SIZE_MAX if M points are too
 * few to resolve them. */
static int coefficients(double s, double L, size_t M, double *c, double *f, double *tab,
                        size_t *deg, double *tail)
{
    for (size_t q = 0; q < 4 * M; q++)
        tab[q] = cos(M_PI * (double)q / (2.0 * (double)M));
    for (size_t m = 0; m < M; m++) {
        double a = 0.5 * L * (1.0 + tab[2 * m + 1]); /* cos(π(m+½)/M) */
        f[m] = ntk_flow_coefficient(a, s);
    }
    for (size_t j = 0; j < M; j++) {
        double sum = 0.0;
        size_t step = 2 * j % (4 * M), idx = j % (4 * M); /* j·(2m+1) mod 4M */
        for (size_t m = 0; m < M; m++) {
            sum += f[m] * tab[idx];
            idx += step;
            if (idx >= 4 * M)
                idx -= 4 * M;
        }
        c[j] = 2.0 * sum / (double)M;
    }
    c[0] *= 0.5;
    double noise = 8.0 * 2.2e-16 * sqrt((double)M);
    double thr = (CHEB_TOL > noise ? CHEB_TOL : noise) * s;
    size_t last = 0;
    for (size_t j = 0; j < M; j++)
        if (fabs(c[j]) > thr)
            last = j;
    if (2 * last > M) {
        *deg = SIZE_MAX;
        return 0;
    }
    double t = 0.0;
    for (size_t j = last + 1; j < M; j++)
        t += fabs(c[j]);
    *deg = last;
    *tail = s > 0 ? t / s : 0.0;
    return 1;
}

ntk_status cheb_plan_make(double L, const double *s, size_t nt, size_t max_degree,
                          cheb_plan *plan, ntk_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->nt = nt;
    plan->deg = calloc(nt ? nt : 1, sizeof *plan->deg);
    plan->c = calloc(nt ? nt : 1, sizeof *plan->c);
    plan->tail = calloc(nt ? nt : 1, sizeof *plan->tail);
    if (!plan->deg || !plan->c || !plan->tail) {
        cheb_plan_free(plan);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    plan->L = L;
    size_t maxM = 2 * max_degree + 2;
    if (maxM > CHEB_MAX_POINTS)
        maxM = CHEB_MAX_POINTS;
    for (size_t t = 0; t < nt; t++) {
        if (!(s[t] > 0.0)) { /* t = 0: C = 0 */
            plan->c[t] = calloc(1, sizeof(double));
            if (!plan->c[t])
                goto nomem;
            plan->deg[t] = 0;
            continue;
        }
        /* Degree estimate sqrt(sL·ln(1/tol)) (Bernstein ellipse of e^{-sa}). */
        double est = sqrt(s[t] * L * 33.0) + 16.0;
        size_t M = CHEB_MIN_POINTS;
        while ((double)M < 2.0 * est && M < maxM)
            M *= 2;
        for (;;) {
            double *c = malloc(M * sizeof *c), *f = malloc(M * sizeof *f);
            double *tab = malloc(4 * M * sizeof *tab);
            if (!c || !f || !tab) {
                free(c);
                free(f);
                free(tab);
                goto nomem;
            }
            size_t d = 0;
            double tail = 0.0;
            int ok = coefficients(s[t], L, M, c, f, tab, &d, &tail);
            free(f);
            free(tab);
            if (ok && d <= max_degree) {
                plan->c[t] = c;
                plan->deg[t] = d;
                plan->tail[t] = tail;
                break;
            }
            free(c);
            if ((ok && d > max_degree) || 2 * M > maxM) {
                plan->degree = SIZE_MAX;
                return NTK_OK;
            }
            M *= 2;
        }
        if (plan->deg[t] > plan->degree)
            plan->degree = plan->deg[t];
    }
    return NTK_OK;
nomem:
    cheb_plan_free(plan);
    return ntk_error_set(err, NTK_ENOMEM, "out of memory");
}

void solver_cheb_finish(size_t n, size_t k, size_t ld, double alpha, const double *P, size_t ldp,
                        const double *B, double beta, double gamma, double *C, size_t nacc,
                        const double *coef, double *const *acc)
{
    for (size_t i = 0; i < n; i++) {
        double *cr = C + i * ld;
        const double *br = B + i * ld, *pr = P + i * ldp;
        for (size_t j = 0; j < k; j++) {
            double v = alpha * pr[j] + gamma * br[j];
            cr[j] = beta != 0.0 ? v + beta * cr[j] : v;
        }
        for (size_t q = 0; q < nacc; q++)
            for (size_t j = 0; j < k; j++)
                acc[q][i * k + j] += coef[q] * cr[j];
    }
}

/* The three-term recurrence on row-major blocks padded to ld doubles a row
 * (the layout the matrix's step wants), 64-byte aligned; out[t] serves as
 * the row-major n×k accumulator and is transposed to column-major at the
 * end. */
static ntk_status cheb_apply(const cheb_plan *plan, const solver_matrix *M, const double *Ycm,
                             size_t k, double **out, const ntk_progress *progress,
                             ntk_error *err)
{
    size_t n = M->n, len = n * k, D = plan->degree, nt = plan->nt;
    size_t ld = M->block_ld ? M->block_ld(k) : k;
    size_t bytes = (n * ld * sizeof(double) + 63) / 64 * 64;
    double *Tprev = aligned_alloc(64, bytes), *Tcur = aligned_alloc(64, bytes);
    double *coef = malloc((nt ? nt : 1) * sizeof *coef);
    double **acc = malloc((nt ? nt : 1) * sizeof *acc);
    ntk_status st = NTK_OK;
    if (!Tprev || !Tcur || !coef || !acc)
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory (Chebyshev blocks %zux%zu)", n, ld);
    if (M->agree)
        st = M->agree(M->ctx, st, err);
    if (st != NTK_OK)
        goto done;
    memset(Tprev, 0, bytes);
    memset(Tcur, 0, bytes);
    double L = plan->L;
    /* T_0 = Y */
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            Tprev[i * ld + c] = Ycm[i + c * n];
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++)
                out[t][i * k + c] = plan->c[t][0] * Tprev[i * ld + c];
    for (size_t j = 1; j <= D; j++) {
        if (j >= 2 && ntk_progress_report(progress, "chebyshev", j, D))
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
        if (M->agree)
            st = M->agree(M->ctx, st, err);
        if (st != NTK_OK)
            break;
        size_t nacc = 0;
        for (size_t t = 0; t < nt; t++)
            if (plan->deg[t] >= j) {
                coef[nacc] = plan->c[t][j];
                acc[nacc++] = out[t];
            }
        if (j == 1) {
            /* T_1 = Â Y = (2/L) A Y − Y */
            st = M->cheb_step(M->ctx, k, ld, 2.0 / L, Tprev, 0.0, -1.0, Tcur, nacc, coef, acc,
                              err);
            if (st != NTK_OK)
                break;
            continue;
        }
        /* T_j = (4/L) A T_{j−1} − T_{j−2} − 2 T_{j−1}, written over T_{j−2}. */
        st = M->cheb_step(M->ctx, k, ld, 4.0 / L, Tcur, -1.0, -2.0, Tprev, nacc, coef, acc, err);
        if (st != NTK_OK)
            break;
        double *sw = Tprev;
        Tprev = Tcur;
        Tcur = sw;
    }
    if (st == NTK_OK) {
        ntk_progress_report(progress, "chebyshev", D, D);
        /* Row-major accumulators to the column-major results. */
        for (size_t t = 0; t < nt; t++) {
            memcpy(Tcur, out[t], len * sizeof(double)); /* n·ld ≥ len */
            for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < k; c++)
                    out[t][i + c * n] = Tcur[i * k + c];
        }
    }
done:
    free(Tprev);
    free(Tcur);
    free(coef);
    free(acc);
    return st;
}

ntk_status solver_chebyshev(const solver_matrix *M, const double *s, size_t nf,
                            const double *Ycm, size_t k, double reg_abs, size_t max_degree,
                            double **coef, double **fit, cheb_plan *plan, int *declined,
                            const ntk_progress *progress, ntk_error *err)
{
    *declined = 0;
    memset(plan, 0, sizeof *plan);
    size_t n = M->n, len = n * k;
    ntk_progress_report(progress, "chebyshev plan", 0, 1);
    double L = 1.0;
    ntk_status st = solver_spectral_bound(M, &L, err);
    if (st != NTK_OK)
        return st;
    st = cheb_plan_make(L, s, nf, max_degree, plan, err);
    if (M->agree)
        st = M->agree(M->ctx, st, err);
    if (st != NTK_OK)
        return st;
    if (plan->degree == SIZE_MAX) {
        *declined = 1;
        return NTK_OK;
    }
    st = cheb_apply(plan, M, Ycm, k, coef, progress, err);
    if (st != NTK_OK || !fit || !M->product)
        return st;
    /* f_t at the training inputs: Θ C = A C − λ C, every time in one product
     * when the coefficient blocks are contiguous. */
    int contiguous = 1;
    for (size_t f = 1; f < nf; f++)
        contiguous &= coef[f] == coef[0] + f * len && fit[f] == fit[0] + f * len;
    for (size_t f = 0; f < nf && st == NTK_OK; f += contiguous ? nf : 1) {
        size_t w = contiguous ? nf * k : k;
        st = M->product(M->ctx, coef[f], w, fit[f], err);
        for (size_t i = 0; st == NTK_OK && i < w * n; i++)
            fit[f][i] -= reg_abs * coef[f][i];
    }
    return st;
}

/* Chebyshev expansion of the gradient-flow matrix function for finite times
 * (see solver_cheb.h and ntk/solver.h). */
#include "solver_cheb.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/solver.h"

/* Coefficients below CHEB_TOL·s are dropped (s = max g_s). The DCT that
 * computes them has rounding noise of about u·sqrt(M)·s, so the effective
 * threshold never goes below a few times that. */
#define CHEB_TOL 1e-14
#define CHEB_MIN_POINTS 64
#define CHEB_MAX_POINTS ((size_t)1 << 15)

double cheb_gershgorin(const double *A, size_t n)
{
    double best = 0.0;
#pragma omp parallel for reduction(max : best) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double *r = A + i * n;
        double sum = 0.0;
        for (size_t j = 0; j < n; j++)
            sum += fabs(r[j]);
        if (sum > best)
            best = sum;
    }
    return best;
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

ntk_status cheb_plan_make(const double *A, size_t n, const double *s, size_t nt,
                          size_t max_degree, cheb_plan *plan, ntk_error *err)
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
    double L = cheb_gershgorin(A, n);
    if (!(L > 0.0))
        L = 1.0;
    L *= 1.0 + 1e-12;
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

static void axpy_block(double a, const double *x, double *y, size_t len)
{
    for (size_t i = 0; i < len; i++)
        y[i] += a * x[i];
}

ntk_status cheb_apply(const cheb_plan *plan, const double *A, size_t n, const double *Ycm,
                      size_t k, double **out, const ntk_progress *progress, ntk_error *err)
{
    size_t len = n * k, D = plan->degree;
    double *Tprev = ntk_alloc_checked(len * sizeof(double), "Chebyshev block", err);
    double *Tcur = ntk_alloc_checked(len * sizeof(double), "Chebyshev block", err);
    if (!Tprev || !Tcur) {
        free(Tprev);
        free(Tcur);
        return err && err->status ? err->status : NTK_ENOMEM;
    }
    double L = plan->L;
    ntk_status st = NTK_OK;
    /* T_0 = Y */
    memcpy(Tprev, Ycm, len * sizeof(double));
    for (size_t t = 0; t < plan->nt; t++)
        for (size_t i = 0; i < len; i++)
            out[t][i] = plan->c[t][0] * Ycm[i];
    if (D >= 1) {
        /* T_1 = Â Y = (2/L) A Y − Y */
        memcpy(Tcur, Ycm, len * sizeof(double));
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 2.0 / L,
                    A, (int)n, Ycm, (int)n, -1.0, Tcur, (int)n);
        for (size_t t = 0; t < plan->nt; t++)
            if (plan->deg[t] >= 1)
                axpy_block(plan->c[t][1], Tcur, out[t], len);
    }
    for (size_t j = 2; j <= D; j++) {
        if (ntk_progress_report(progress, "chebyshev", j, D)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            break;
        }
        /* T_{j} = (4/L) A T_{j−1} − 2 T_{j−1} − T_{j−2}, written over T_{j−2}. */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 4.0 / L,
                    A, (int)n, Tcur, (int)n, -1.0, Tprev, (int)n);
        axpy_block(-2.0, Tcur, Tprev, len);
        double *sw = Tprev;
        Tprev = Tcur;
        Tcur = sw;
        for (size_t t = 0; t < plan->nt; t++)
            if (plan->deg[t] >= j)
                axpy_block(plan->c[t][j], Tcur, out[t], len);
    }
    ntk_progress_report(progress, "chebyshev", D, D);
    free(Tprev);
    free(Tcur);
    return st;
}

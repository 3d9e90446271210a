/* θ-tables for quadrature activations: for one pair of variances (q1, q2),
 * T and T' as functions of θ = acos ρ ∈ [0, π], interpolated by piecewise
 * Chebyshev series on M equal panels. M doubles until the last two
 * coefficients of every panel are below the tolerance. Working in θ rather
 * than ρ keeps the functions smooth at ρ = ±1 (relu-like T' is linear in θ
 * but has infinite slope in ρ). */
#include <math.h>
#include <stdlib.h>

#include "kernel_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define P NTK_TAB_P
#define M_START 2
#define M_MAX 1024

void ntk_theta_table_free(ntk_theta_table *t)
{
    if (!t)
        return;
    free(t->coef);
    t->coef = NULL;
    t->M = 0;
}

/* Coefficients of the degree P−1 Chebyshev interpolant through values at the
 * Chebyshev points of the first kind x_m = cos(π(m+½)/P). */
static void cheb_coef(const double *val, double *c)
{
    for (int j = 0; j < P; j++) {
        double s = 0;
        for (int m = 0; m < P; m++)
            s += val[m] * cos(M_PI * j * (m + 0.5) / P);
        c[j] = s * (2.0 / P);
    }
    c[0] *= 0.5;
}

int ntk_theta_table_build(ntk_theta_table *t, const ntk_activation *act, double q1, double q2,
                          double tol, int threads)
{
    t->coef = NULL;
    t->M = 0;
    double T11, P11, T22, P22;
    ntk_quad_same(act, q1, &T11, &P11);
    ntk_quad_same(act, q2, &T22, &P22);
    double scT = sqrt(fabs(T11 * T22)), scP = sqrt(fabs(P11 * P22));
    if (!(scT > 1e-300))
        scT = 1e-300;
    if (!(scP > 1e-300))
        scP = 1e-300;
    double xm[P];
    for (int m = 0; m < P; m++)
        xm[m] = cos(M_PI * (m + 0.5) / P);

    for (int M = M_START; M <= M_MAX; M *= 2) {
        double *val = malloc(sizeof(double) * 2 * (size_t)M * P);
        double *coef = malloc(sizeof(double) * 2 * (size_t)M * P);
        if (!val || !coef) {
            free(val);
            free(coef);
            return -1;
        }
        double h = M_PI / M;
        int nn = M * P;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads > 0 ? threads : 1)
        for (int k = 0; k < nn; k++) {
            int pnl = k / P, m = k % P;
            double th = h * (pnl + 0.5 * (1 + xm[m]));
            ntk_quad_dual(act, q1, q2, cos(th), &val[2 * k], &val[2 * k + 1]);
        }
        double err = 0;
        for (int pnl = 0; pnl < M; pnl++) {
            double vt[P], vp[P];
            for (int m = 0; m < P; m++) {
                vt[m] = val[2 * (pnl * P + m)];
                vp[m] = val[2 * (pnl * P + m) + 1];
            }
            double *ct = coef + (size_t)pnl * 2 * P, *cp = ct + P;
            cheb_coef(vt, ct);
            cheb_coef(vp, cp);
            double et = (fabs(ct[P - 1]) + fabs(ct[P - 2])) / scT;
            double ep = (fabs(cp[P - 1]) + fabs(cp[P - 2])) / scP;
            if (et > err)
                err = et;
            if (ep > err)
                err = ep;
        }
        free(val);
        if (err <= tol || M == M_MAX) {
            t->M = M;
            t->inv_h = M / M_PI;
            t->coef = coef;
            t->err = err;
            return 0;
        }
        free(coef);
    }
    return -1; /* not reached */
}

void ntk_theta_table_eval(const ntk_theta_table *t, double theta, double *T, double *Tp)
{
    double y = theta * t->inv_h;
    int pnl = (int)y;
    if (pnl < 0)
        pnl = 0;
    if (pnl > t->M - 1)
        pnl = t->M - 1;
    double x = 2 * (y - pnl) - 1, x2 = 2 * x;
    const double *ct = t->coef + (size_t)pnl * 2 * P, *cp = ct + P;
    double b1 = 0, b2 = 0, d1 = 0, d2 = 0;
    for (int j = P - 1; j >= 1; j--) {
        double b0 = ct[j] + x2 * b1 - b2;
        double d0 = cp[j] + x2 * d1 - d2;
        b2 = b1;
        b1 = b0;
        d2 = d1;
        d1 = d0;
    }
    *T = ct[0] + x * b1 - b2;
    *Tp = cp[0] + x * d1 - d2;
}

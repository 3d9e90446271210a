/* Quadrature for dual activations without a closed form:
 *   T = E[φ(u)φ(v)], T' = E[φ'(u)φ'(v)],  u = σ1·z1,  v = σ2·(ρ·z1 + s·z2),  s = √(1−ρ²),
 * z1, z2 independent standard normal. Nested composite Gauss–Legendre on
 * [−Z, Z]²: the outer panels (z1) are split at z1 = 0 (where u and the mean
 * of v change sign) and graded geometrically toward it down to the width of
 * the smoothed kink, s/|ρ|; the inner panels (z2) are split where v = 0 and
 * graded toward it down to 1/(σ2·s). Panels far out in the Gaussian tails use
 * fewer nodes. See docs/kernel.md for the measured accuracy. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define QZ 8.75          /* truncation: N(8.75)/N(0) ≈ 2.5e-17 */
#define GL_N 10          /* nodes per panel near the centre */
#define GL_NT 6          /* nodes per panel in the tails */
#define TAIL_Z 5.5       /* panels entirely beyond this |z| use GL_NT nodes */
#define HMAX 1.25        /* widest panel */
#define MAXP 128         /* panels per side at most */
#define MAXNODES (2 * MAXP * GL_N)
#define S_MIN 1e-11      /* below this s, v is taken proportional to u */

static double gl_x[GL_N], gl_w[GL_N], glt_x[GL_NT], glt_w[GL_NT];
static pthread_once_t gl_once = PTHREAD_ONCE_INIT;

/* Gauss–Legendre nodes and weights on [−1, 1] by Newton's method. */
static void gauss_legendre(int n, double *x, double *w)
{
    for (int i = 0; i < n; i++) {
        double z = cos(M_PI * (i + 0.75) / (n + 0.5)), pp = 1;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = z;
            for (int k = 2; k <= n; k++) {
                double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            pp = n * (z * p1 - p0) / (z * z - 1);
            double dz = p1 / pp;
            z -= dz;
            if (fabs(dz) < 1e-16)
                break;
        }
        /* recompute derivative at the converged node */
        double p0 = 1, p1 = z;
        for (int k = 2; k <= n; k++) {
            double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }
        pp = n * (z * p1 - p0) / (z * z - 1);
        x[i] = z;
        w[i] = 2 / ((1 - z * z) * pp * pp);
    }
}

static void gl_init(void)
{
    gauss_legendre(GL_N, gl_x, gl_w);
    gauss_legendre(GL_NT, glt_x, glt_w);
}

/* Append the nodes of panel [a, b] (weights include the standard normal
 * density). Returns the new count. */
static int add_panel(double a, double b, double *x, double *w, int cnt)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a);
    int tail = fmin(fabs(a), fabs(b)) >= TAIL_Z;
    const double *nx = tail ? glt_x : gl_x, *nw = tail ? glt_w : gl_w;
    int n = tail ? GL_NT : GL_N;
    for (int i = 0; i < n; i++) {
        double z = c + h * nx[i];
        x[cnt] = z;
        w[cnt] = h * nw[i] * exp(-0.5 * z * z) * (1 / sqrt(2 * M_PI));
        cnt++;
    }
    return cnt;
}

/* Composite rule on [−QZ, QZ] with a breakpoint at c (if inside) and panels
 * graded from width h0 at c, doubling with the distance, up to HMAX. */
static int build_rule(double c, double h0, double hmax, double *x, double *w)
{
    if (!(hmax > 0) || hmax > HMAX)
        hmax = HMAX;
    if (hmax < QZ / (MAXP / 2))
        hmax = QZ / (MAXP / 2);
    if (!(h0 > 0))
        h0 = HMAX;
    if (h0 < 1e-13) /* keeps the graded panels well below MAXP per side */
        h0 = 1e-13;
    if (h0 > hmax)
        h0 = hmax;
    int cnt = 0;
    double start = c < -QZ ? -QZ : c > QZ ? QZ : c;
    /* right of start */
    double t = start;
    int np = 0;
    while (t < QZ && np < MAXP) {
        double dist = t - c;
        double hw = dist > h0 ? dist : h0;
        if (hw > hmax)
            hw = hmax;
        double e = t + hw;
        if (e > QZ || np == MAXP - 1)
            e = QZ;
        cnt = add_panel(t, e, x, w, cnt);
        t = e;
        np++;
    }
    /* left of start */
    t = start;
    np = 0;
    while (t > -QZ && np < MAXP) {
        double dist = c - t;
        double hw = dist > h0 ? dist : h0;
        if (hw > hmax)
            hw = hmax;
        double e = t - hw;
        if (e < -QZ || np == MAXP - 1)
            e = -QZ;
        cnt = add_panel(e, t, x, w, cnt);
        t = e;
        np++;
    }
    return cnt;
}

/* Angular frequency of an oscillating activation (sin/cos: |b|), else 0:
 * panels are kept narrower than 2.5 radians of its period. */
static double act_freq(const ntk_activation *act)
{
    if (act->kind == NTK_ACT_SIN || act->kind == NTK_ACT_COS)
        return fabs(act->p[1]);
    return 0;
}

static double cap_for(double omega, double scale)
{
    double t = omega * scale;
    return t > 0 ? 2.5 / t : HMAX;
}

void ntk_quad_same(const ntk_activation *act, double q, double *T, double *Tp)
{
    pthread_once(&gl_once, gl_init);
    double *buf = malloc(sizeof(double) * 4 * MAXNODES);
    if (!buf) {
        *T = *Tp = NAN;
        return;
    }
    double *x = buf, *w = x + MAXNODES, *f = w + MAXNODES, *fp = f + MAXNODES;
    double sg = sqrt(q > 0 ? q : 0);
    int n = build_rule(0, 0.5 * (sg > 1 ? 1 / sg : 1), cap_for(act_freq(act), sg), x, w);
    for (int i = 0; i < n; i++)
        x[i] *= sg;
    ntk_act_eval(act, x, f, fp, (size_t)n);
    double s0 = 0, s1 = 0;
    for (int i = 0; i < n; i++) {
        s0 += w[i] * f[i] * f[i];
        s1 += w[i] * fp[i] * fp[i];
    }
    *T = s0;
    *Tp = s1;
    free(buf);
}

void ntk_quad_dual(const ntk_activation *act, double q1, double q2, double rho, double *T,
                   double *Tp)
{
    pthread_once(&gl_once, gl_init);
    double s1 = sqrt(q1 > 0 ? q1 : 0), s2 = sqrt(q2 > 0 ? q2 : 0);
    if (!(rho <= 1))
        rho = 1;
    if (!(rho >= -1))
        rho = -1;
    if (s1 == 0 || s2 == 0)
        rho = 0;
    double s = sqrt((1 - rho) * (1 + rho));
    double om = act_freq(act);
    double *buf = malloc(sizeof(double) * 10 * MAXNODES);
    if (!buf) {
        *T = *Tp = NAN;
        return;
    }
    double *x1 = buf, *w1 = x1 + MAXNODES, *u = w1 + MAXNODES, *fu = u + MAXNODES,
           *fpu = fu + MAXNODES, *x2 = fpu + MAXNODES, *w2 = x2 + MAXNODES, *v = w2 + MAXNODES,
           *fv = v + MAXNODES, *fpv = fv + MAXNODES;

    if (s < S_MIN) {
        /* v = sign(ρ)·(σ2/σ1)·u up to O(s): one-dimensional */
        double h0 = 1;
        if (s1 > 1)
            h0 = 1 / s1;
        if (s2 > 1 && 1 / s2 < h0)
            h0 = 1 / s2;
        int n = build_rule(0, 0.5 * h0, cap_for(om, s1 > s2 ? s1 : s2), x1, w1);
        double sgn = rho < 0 ? -1 : 1;
        for (int i = 0; i < n; i++) {
            u[i] = s1 * x1[i];
            v[i] = sgn * s2 * x1[i];
        }
        ntk_act_eval(act, u, fu, fpu, (size_t)n);
        ntk_act_eval(act, v, fv, fpv, (size_t)n);
        double a = 0, b = 0;
        for (int i = 0; i < n; i++) {
            a += w1[i] * fu[i] * fv[i];
            b += w1[i] * fpu[i] * fpv[i];
        }
        *T = a;
        *Tp = b;
        free(buf);
        return;
    }
    /* outer rule: graded toward z1 = 0 down to the smoothed-kink width s/|ρ| */
    double h0 = 1;
    if (s1 > 1)
        h0 = 1 / s1;
    if (rho != 0 && s / fabs(rho) < h0)
        h0 = s / fabs(rho);
    double sc = s1 > s2 * fabs(rho) ? s1 : s2 * fabs(rho);
    int n1 = build_rule(0, 0.5 * h0, cap_for(om, sc), x1, w1);
    for (int i = 0; i < n1; i++)
        u[i] = s1 * x1[i];
    ntk_act_eval(act, u, fu, fpu, (size_t)n1);

    double hin = 1;
    if (s2 * s > 1)
        hin = 1 / (s2 * s);
    double cin = cap_for(om, s2 * s);
    double accT = 0, accP = 0;
    for (int i = 0; i < n1; i++) {
        /* inner: v = σ2 (ρ z1 + s z2) vanishes at z2 = −ρ z1 / s */
        double m = rho * x1[i];
        int n2 = build_rule(-m / s, 0.5 * hin, cin, x2, w2);
        for (int k = 0; k < n2; k++)
            v[k] = s2 * (m + s * x2[k]);
        ntk_act_eval(act, v, fv, fpv, (size_t)n2);
        double g = 0, gp = 0;
        for (int k = 0; k < n2; k++) {
            g += w2[k] * fv[k];
            gp += w2[k] * fpv[k];
        }
        accT += w1[i] * fu[i] * g;
        accP += w1[i] * fpu[i] * gp;
    }
    *T = accT;
    *Tp = accP;
    free(buf);
}

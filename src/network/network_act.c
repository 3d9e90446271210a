/* Pointwise activations φ and φ' for the finite-width network (see
 * ntk/network.h). Written independently of the kernel module's own code so
 * that Monte Carlo comparisons of the network against the analytic kernel
 * check one implementation against another. */
#include <math.h>

#include "ntk/network.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* neural-tangents' Sigmoid_like = Erf(a=0.5, b=1/2.4020563531719796, c=0.5). */
#define SIGMOID_LIKE_B (1.0 / 2.4020563531719796)

/* Logistic function without overflow for large |x|. */
static double sigm(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* Piecewise linear a·min(x,0) + b·max(x,0) (relu, leaky relu, abrelu, abs).
 * Branch-free selects so the loop vectorizes: signs of pre-activations are
 * random, and a branch per entry mispredicts half the time. */
static void piecewise(double a, double b, const double *x, double *f, double *fp, size_t n)
{
    double mid = 0.5 * (a + b);
    if (f && fp) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            double s = v > 0 ? b : a;
            s = v == 0 ? mid : s;
            fp[i] = s;
            f[i] = s * v;
        }
    } else if (f) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            f[i] = (v > 0 ? b : a) * v;
        }
    } else if (fp) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            double s = v > 0 ? b : a;
            fp[i] = v == 0 ? mid : s;
        }
    }
}

/* a·erf(b·x) + c */
static void erf_act(double a, double b, double c, const double *x, double *f, double *fp,
                    size_t n)
{
    double k = 2.0 * a * b / sqrt(M_PI);
    for (size_t i = 0; i < n; i++) {
        double u = b * x[i];
        if (fp)
            fp[i] = k * exp(-u * u);
        if (f)
            f[i] = a * erf(u) + c;
    }
}

/* a·sin(b·x + c) */
static void sin_act(double a, double b, double c, const double *x, double *f, double *fp,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double u = b * x[i] + c;
        if (fp)
            fp[i] = a * b * cos(u);
        if (f)
            f[i] = a * sin(u);
    }
}

/* Every loop reads x[i] before writing f[i] and fp[i], so f (or fp) may
 * alias x. */
void ntk_network_act(const ntk_activation *act, const double *x, double *f, double *fp, size_t n)
{
    const double *p = act->p;
    switch (act->kind) {
    case NTK_ACT_RELU: piecewise(0.0, 1.0, x, f, fp, n); return;
    case NTK_ACT_LEAKY_RELU: piecewise(p[0], 1.0, x, f, fp, n); return;
    case NTK_ACT_ABRELU: piecewise(p[0], p[1], x, f, fp, n); return;
    case NTK_ACT_ABS: piecewise(-1.0, 1.0, x, f, fp, n); return;
    case NTK_ACT_ERF: erf_act(p[0], p[1], p[2], x, f, fp, n); return;
    case NTK_ACT_SIGMOID_LIKE: erf_act(0.5, SIGMOID_LIKE_B, 0.5, x, f, fp, n); return;
    case NTK_ACT_SIN: sin_act(p[0], p[1], p[2], x, f, fp, n); return;
    case NTK_ACT_COS: sin_act(p[0], p[1], p[2] + M_PI / 2, x, f, fp, n); return;
    case NTK_ACT_GELU:
        /* x·Φ(x), Φ the standard normal distribution function */
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            double Phi = 0.5 * erfc(-v * M_SQRT1_2);
            if (fp)
                fp[i] = Phi + v * exp(-0.5 * v * v) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
            if (f)
                f[i] = v * Phi;
        }
        return;
    case NTK_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (fp)
                fp[i] = 1.0;
            if (f)
                f[i] = v;
        }
        return;
    case NTK_ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            double t = tanh(x[i]);
            if (fp)
                fp[i] = 1.0 - t * t;
            if (f)
                f[i] = t;
        }
        return;
    case NTK_ACT_SOFTPLUS:
        /* log(1 + e^x), stable for both signs */
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (fp)
                fp[i] = sigm(v);
            if (f)
                f[i] = (v > 0 ? v : 0.0) + log1p(exp(-fabs(v)));
        }
        return;
    case NTK_ACT_SWISH:
        for (size_t i = 0; i < n; i++) {
            double v = x[i], s = sigm(v);
            if (fp)
                fp[i] = s + v * s * (1.0 - s);
            if (f)
                f[i] = v * s;
        }
        return;
    case NTK_ACT_ELU:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (fp)
                fp[i] = v > 0 ? 1.0 : v < 0 ? p[0] * exp(v) : 0.5 * (1.0 + p[0]);
            if (f)
                f[i] = v > 0 ? v : p[0] * expm1(v);
        }
        return;
    case NTK_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            double s = sigm(x[i]);
            if (fp)
                fp[i] = s * (1.0 - s);
            if (f)
                f[i] = s;
        }
        return;
    case NTK_ACT_CUSTOM:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (fp)
                fp[i] = act->dphi(v, act->ctx);
            if (f)
                f[i] = act->phi(v, act->ctx);
        }
        return;
    }
}

/* kernel_tile.c — the elementwise hot loops of the kernel recursion, the one
 * file compiled with -ffast-math -fno-finite-math-only (Makefile FAST_SRCS).
 *
 * Each function applies one activation's dual and the following Dense layer
 * to a row segment in place. Loops are `omp simd` so that gcc vectorizes them
 * and calls glibc's libmvec for acos/asin/atan/exp. glibc declares those
 * vector variants only when __FAST_MATH__ is defined, which
 * -fno-finite-math-only turns off, so the declarations are repeated here.
 * Every loop is compiled three times (baseline x86-64-v2, AVX2+FMA, AVX-512)
 * and the best one for the CPU is chosen once at run time; the per-entry work
 * has no function-pointer calls. No validity checks live here: inputs are
 * checked in kernel.c, and no NaN/Inf can arise from valid inputs (ρ is
 * clamped into [−1, 1]). */
#include <math.h>
#include <string.h>

#include "kernel_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

__attribute__((__simd__("notinbranch"))) extern double acos(double);
__attribute__((__simd__("notinbranch"))) extern double asin(double);
__attribute__((__simd__("notinbranch"))) extern double atan(double);
__attribute__((__simd__("notinbranch"))) extern double exp(double);

#define INV_2PI (1.0 / (2.0 * M_PI))
#define CLAMP1(r) r = (r) > 1.0 ? 1.0 : (r); r = (r) < -1.0 ? -1.0 : (r)

/* Dense update after the activation: K ← σ_w² T + σ_b²; Θ ← tr·K + σ_w² T' Θ. */
#define DENSE_TH                                                                   \
    double kn = sw2 * T + sb2;                                                     \
    Th[j] = tr * kn + sw2 * tp * Th[j];                                            \
    K[j] = kn;
#define DENSE_K K[j] = sw2 * T + sb2;

#define ABRELU_LOOP(DENSE)                                                         \
    _Pragma("omp simd") for (size_t j = 0; j < n; j++)                             \
    {                                                                              \
        double r = K[j] * isq1 * isq2[j];                                          \
        CLAMP1(r);                                                                 \
        double th = acos(r);                                                       \
        double s = sqrt((1.0 - r) * (1.0 + r));                                    \
        double tp = A - f * th;                                                    \
        double T = f * s * sq1 * sq2[j] + tp * K[j];                               \
        (void)tp;                                                                  \
        DENSE                                                                      \
    }

#define ERF_LOOP(DENSE)                                                            \
    _Pragma("omp simd") for (size_t j = 0; j < n; j++)                             \
    {                                                                              \
        double ia = ia1 * ia2[j];                                                  \
        double r = two_b2 * K[j] * ia;                                             \
        CLAMP1(r);                                                                 \
        double T = a2t * asin(r) + c2;                                             \
        double tp = erf_tp * ia / sqrt((1.0 - r) * (1.0 + r));                     \
        (void)tp;                                                                  \
        DENSE                                                                      \
    }

#define GELU_LOOP(DENSE)                                                           \
    _Pragma("omp simd") for (size_t j = 0; j < n; j++)                             \
    {                                                                              \
        double k = K[j];                                                           \
        double pp = p1 * (q2[j] + 1.0);                                            \
        double prod = q1 * q2[j];                                                  \
        double d2 = pp - k * k;                                                    \
        double d = sqrt(d2);                                                       \
        double ang = atan(k / d);                                                  \
        double T = ((k * k + prod * d2) / (pp * d) + k * ang) * INV_2PI + 0.25 * k; \
        double tp = 0.25 + ang * INV_2PI +                                         \
                    k * INV_2PI / d * (1.0 / d2 + (1.0 - prod) / pp + 1.0);        \
        (void)tp;                                                                  \
        DENSE                                                                      \
    }

#define SIN_LOOP(DENSE)                                                            \
    _Pragma("omp simd") for (size_t j = 0; j < n; j++)                             \
    {                                                                              \
        double k = K[j];                                                           \
        double hs = -0.5 * (q1 + q2[j]);                                           \
        double s1 = exp(b2 * (k + hs));                                            \
        double s2 = exp(b2 * (hs - k)) * cos2c;                                    \
        double T = ha2 * (s1 - s2);                                                \
        double tp = ha2 * b2 * (s1 + s2);                                          \
        (void)tp;                                                                  \
        DENSE                                                                      \
    }

#define IDENT_LOOP(DENSE)                                                          \
    _Pragma("omp simd") for (size_t j = 0; j < n; j++)                             \
    {                                                                              \
        double T = K[j];                                                           \
        double tp = 1.0;                                                           \
        (void)tp;                                                                  \
        DENSE                                                                      \
    }

#define COMMON_PAR                                                                 \
    const double sw2 = p->sw2, sb2 = p->sb2, tr = p->trained ? 1.0 : 0.0;          \
    (void)tr;

#define DEFINE_OPS(SUF, ATTR, NAME)                                                \
    ATTR static void abrelu_##SUF(size_t n, double *restrict K, double *restrict Th, \
                                  const double *restrict isq2,                     \
                                  const double *restrict sq2, double isq1,         \
                                  double sq1, const ntk_layer_par *p)              \
    {                                                                              \
        COMMON_PAR                                                                 \
        const double A = p->A, f = p->f;                                           \
        if (Th) {                                                                  \
            ABRELU_LOOP(DENSE_TH)                                                  \
        } else {                                                                   \
            ABRELU_LOOP(DENSE_K)                                                   \
        }                                                                          \
    }                                                                              \
    ATTR static void erf_##SUF(size_t n, double *restrict K, double *restrict Th,  \
                               const double *restrict ia2, double ia1,             \
                               const ntk_layer_par *p)                             \
    {                                                                              \
        COMMON_PAR                                                                 \
        const double two_b2 = p->two_b2, a2t = p->a2 * (2.0 / M_PI), c2 = p->c2,   \
                     erf_tp = p->erf_tp;                                           \
        if (Th) {                                                                  \
            ERF_LOOP(DENSE_TH)                                                     \
        } else {                                                                   \
            ERF_LOOP(DENSE_K)                                                      \
        }                                                                          \
    }                                                                              \
    ATTR static void gelu_##SUF(size_t n, double *restrict K, double *restrict Th, \
                                const double *restrict q2, double q1,              \
                                const ntk_layer_par *p)                            \
    {                                                                              \
        COMMON_PAR                                                                 \
        const double p1 = q1 + 1.0;                                                \
        if (Th) {                                                                  \
            GELU_LOOP(DENSE_TH)                                                    \
        } else {                                                                   \
            GELU_LOOP(DENSE_K)                                                     \
        }                                                                          \
    }                                                                              \
    ATTR static void sin_##SUF(size_t n, double *restrict K, double *restrict Th,  \
                               const double *restrict q2, double q1,               \
                               const ntk_layer_par *p)                             \
    {                                                                              \
        COMMON_PAR                                                                 \
        const double b2 = p->b2, ha2 = 0.5 * p->a2, cos2c = p->cos2c;              \
        if (Th) {                                                                  \
            SIN_LOOP(DENSE_TH)                                                     \
        } else {                                                                   \
            SIN_LOOP(DENSE_K)                                                      \
        }                                                                          \
    }                                                                              \
    ATTR static void ident_##SUF(size_t n, double *restrict K, double *restrict Th, \
                                 const ntk_layer_par *p)                           \
    {                                                                              \
        COMMON_PAR                                                                 \
        if (Th) {                                                                  \
            IDENT_LOOP(DENSE_TH)                                                   \
        } else {                                                                   \
            IDENT_LOOP(DENSE_K)                                                    \
        }                                                                          \
    }                                                                              \
    ATTR static void theta_##SUF(size_t n, const double *restrict K,               \
                                 double *restrict theta,                           \
                                 const double *restrict isq2, double isq1)         \
    {                                                                              \
        _Pragma("omp simd") for (size_t j = 0; j < n; j++)                         \
        {                                                                          \
            double r = K[j] * isq1 * isq2[j];                                      \
            CLAMP1(r);                                                             \
            theta[j] = acos(r);                                                    \
        }                                                                          \
    }                                                                              \
    static const ntk_layer_ops ops_##SUF = {abrelu_##SUF, erf_##SUF, gelu_##SUF,   \
                                            sin_##SUF,    ident_##SUF, theta_##SUF, \
                                            NAME};

DEFINE_OPS(base, , "baseline")
DEFINE_OPS(avx2, __attribute__((target("avx2,fma"))), "avx2")
DEFINE_OPS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma"))), "avx512")

const ntk_layer_ops *ntk_layer_ops_named(const char *isa)
{
    __builtin_cpu_init();
    if (strcmp(isa, "baseline") == 0)
        return &ops_base;
    if (strcmp(isa, "avx2") == 0)
        return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? &ops_avx2
                                                                                 : NULL;
    if (strcmp(isa, "avx512") == 0)
        return (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
                __builtin_cpu_supports("fma"))
                   ? &ops_avx512
                   : NULL;
    return NULL;
}

const ntk_layer_ops *ntk_layer_ops_get(void)
{
    const ntk_layer_ops *o = ntk_layer_ops_named("avx512");
    if (!o)
        o = ntk_layer_ops_named("avx2");
    if (!o)
        o = &ops_base;
    return o;
}

void ntk_layer_table(size_t n, double *restrict K, double *restrict Th,
                     const double *restrict theta, const ntk_theta_table *const *tabs,
                     const ntk_layer_par *p)
{
    const double sw2 = p->sw2, sb2 = p->sb2, tr = p->trained ? 1.0 : 0.0;
    for (size_t j = 0; j < n; j++) {
        const ntk_theta_table *t = tabs[j];
        double y = theta[j] * t->inv_h;
        int pnl = (int)y;
        pnl = pnl < 0 ? 0 : pnl > t->M - 1 ? t->M - 1 : pnl;
        double x = 2 * (y - pnl) - 1, x2 = 2 * x;
        const double *ct = t->coef + (size_t)pnl * 2 * NTK_TAB_P, *cp = ct + NTK_TAB_P;
        double b1 = 0, b2 = 0, d1 = 0, d2 = 0;
        for (int k = NTK_TAB_P - 1; k >= 1; k--) {
            double b0 = ct[k] + x2 * b1 - b2;
            double d0 = cp[k] + x2 * d1 - d2;
            b2 = b1;
            b1 = b0;
            d2 = d1;
            d1 = d0;
        }
        double T = ct[0] + x * b1 - b2;
        double tp = cp[0] + x * d1 - d2;
        double kn = sw2 * T + sb2;
        if (Th)
            Th[j] = tr * kn + sw2 * tp * Th[j];
        K[j] = kn;
    }
}

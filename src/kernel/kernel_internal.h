/* kernel_internal.h — shared internals of the kernel module (activation.c,
 * quadrature.c, kernel_table.c, kernel_tile.c, kernel.c). Not installed. */
#ifndef NTK_KERNEL_INTERNAL_H
#define NTK_KERNEL_INTERNAL_H

#include <stddef.h>

#include "ntk/kernel.h"

/* How a layer's dual activation is evaluated. */
typedef enum {
    NTK_DUAL_ABRELU = 0, /* a·min(x,0) + b·max(x,0): relu, leaky_relu, abrelu, abs */
    NTK_DUAL_ERF,        /* a·erf(b·x) + c: erf, sigmoid_like                       */
    NTK_DUAL_GELU,       /* x·Φ(x)                                                  */
    NTK_DUAL_SIN,        /* a·sin(b·x + c): sin, cos (c + π/2)                      */
    NTK_DUAL_IDENTITY,   /* x                                                       */
    NTK_DUAL_QUAD        /* no closed form (or forced): quadrature                  */
} ntk_dual_kind;

/* A resolved activation: which dual to use, its parameters, and the activation
 * itself (for quadrature, with the parameters of sigmoid_like filled in). */
typedef struct {
    ntk_dual_kind kind;
    double a, b, c;
    ntk_activation act;
} ntk_dual_spec;

/* Resolve an activation (assumed valid, see ntk_arch_check). */
void ntk_dual_spec_init(ntk_dual_spec *sp, const ntk_activation *act);

/* φ and φ' at n points (either output may be NULL). */
void ntk_act_eval(const ntk_activation *act, const double *x, double *f, double *fp, size_t n);

/* Closed-form dual (sp->kind != NTK_DUAL_QUAD) for a valid covariance. With
 * same != 0 the inputs are identical: q22 and q12 are taken equal to q11. */
void ntk_dual_closed(const ntk_dual_spec *sp, double q11, double q22, double q12, int same,
                     double *T, double *Tp);

/* Quadrature duals. ntk_quad_dual: (u,v) ~ N(0, [[q1, ρ√(q1q2)], [ρ√(q1q2), q2]]),
 * ρ ∈ [−1, 1]. ntk_quad_same: u = v ~ N(0, q). Accuracy ~1e-13 relative to
 * √(T(q1,q1)·T(q2,q2)) for the built-in activations (docs/kernel.md). */
void ntk_quad_dual(const ntk_activation *act, double q1, double q2, double rho,
                   double *T, double *Tp);
void ntk_quad_same(const ntk_activation *act, double q, double *T, double *Tp);

/* Any dual (closed or quadrature) for one pair; same as above. */
void ntk_dual_any(const ntk_dual_spec *sp, double q1, double q2, double q12, int same,
                  double *T, double *Tp);

/* ---- θ-tables: T(θ), T'(θ) for one pair of variances (q1, q2), θ = acos ρ ∈ [0, π],
 * piecewise Chebyshev on M equal panels of NTK_TAB_P points each. */
#define NTK_TAB_P 16
typedef struct {
    int M;            /* number of panels */
    double inv_h;     /* M / π */
    double *coef;     /* M × NTK_TAB_P × 2: per panel, Chebyshev coefficients of T then T' */
    double err;       /* estimated interpolation error relative to the scale */
} ntk_theta_table;

/* Build a table for (q1, q2) to relative accuracy tol (of √(T11·T22) and
 * √(T'11·T'22)), using up to `threads` OpenMP threads. Returns 0 on success,
 * -1 on allocation failure. */
int ntk_theta_table_build(ntk_theta_table *t, const ntk_activation *act, double q1, double q2,
                          double tol, int threads);
void ntk_theta_table_free(ntk_theta_table *t);
/* Evaluate one table at θ (scalar; the tile loop inlines the same code). */
void ntk_theta_table_eval(const ntk_theta_table *t, double theta, double *T, double *Tp);

/* ---- Vectorized elementwise layers (kernel_tile.c, the one fast-math file).
 * Each applies the activation dual and the following Dense layer to a row
 * segment of n entries in place: K ← σ_w²·T + σ_b², and if Th != NULL,
 * Θ ← (trained ? K_new : 0) + σ_w²·T'·Θ. "1" values belong to the row, the
 * arrays to the columns. */
typedef struct {
    double sw2, sb2;
    int trained;
    /* activation constants */
    double A, f;       /* abrelu: (a²+b²)/2, (a−b)²/(2π) */
    double a2, c2, b2; /* erf/sin: a², c², b²; erf: 2b² in two_b2 */
    double two_b2, erf_tp, cos2c;
} ntk_layer_par;

typedef struct {
    void (*abrelu)(size_t n, double *K, double *Th, const double *isq2, const double *sq2,
                   double isq1, double sq1, const ntk_layer_par *p);
    void (*erf)(size_t n, double *K, double *Th, const double *ia2, double ia1,
                const ntk_layer_par *p);
    void (*gelu)(size_t n, double *K, double *Th, const double *q2, double q1,
                 const ntk_layer_par *p);
    void (*sin)(size_t n, double *K, double *Th, const double *q2, double q1,
                const ntk_layer_par *p);
    void (*identity)(size_t n, double *K, double *Th, const ntk_layer_par *p);
    /* θ = acos(clamp(K·isq1·isq2)) into theta[] */
    void (*theta)(size_t n, const double *K, double *theta, const double *isq2, double isq1);
    const char *isa; /* "avx512", "avx2" or "baseline" */
} ntk_layer_ops;

/* The fastest implementation for this CPU (chosen once). */
const ntk_layer_ops *ntk_layer_ops_get(void);
/* A specific implementation, for tests: "avx512", "avx2", "baseline"
 * (NULL if the CPU lacks it or the name is unknown). */
const ntk_layer_ops *ntk_layer_ops_named(const char *isa);

/* Table layer: T, T' from θ[] (see theta above) and per-column tables. */
void ntk_layer_table(size_t n, double *K, double *Th, const double *theta,
                     const ntk_theta_table *const *tabs, const ntk_layer_par *p);

#endif

/* ntk/kernel.h — the infinite-width NNGP kernel K and Neural Tangent Kernel Θ
 * of fully connected networks, in closed form (or by quadrature for
 * activations without one).
 *
 * Conventions (neural-tangents stax, parameterization 'ntk'):
 *   Σ⁰(x,x') = ⟨x,x'⟩/d;  the network is L × [Dense, φ] then a Dense readout.
 *   Dense:      K ← σ_w²·K + σ_b²;   Θ ← K_new + σ_w²·Θ   (Θ = 0 before the first Dense)
 *   Activation: K ← E[φ(u)φ(v)],     Θ ← E[φ'(u)φ'(v)]·Θ, (u,v) ~ N(0, [[K11,K12],[K12,K22]])
 * Identical inputs use correlation exactly 1.
 */
#ifndef NTK_KERNEL_H
#define NTK_KERNEL_H

#include <stddef.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NTK_ACT_RELU = 0,
    NTK_ACT_LEAKY_RELU,   /* p[0] = α (slope for x < 0)                      */
    NTK_ACT_ABRELU,       /* p[0] = a (slope x<0), p[1] = b (slope x>0)       */
    NTK_ACT_ABS,
    NTK_ACT_ERF,          /* a·erf(b·x) + c: p[0]=a, p[1]=b, p[2]=c (1,1,0)   */
    NTK_ACT_SIGMOID_LIKE, /* neural-tangents' erf-based sigmoid               */
    NTK_ACT_GELU,
    NTK_ACT_SIN,          /* a·sin(b·x + c): p = a, b, c (1,1,0)              */
    NTK_ACT_COS,          /* a·cos(b·x + c) ... implemented as sin with c+π/2 */
    NTK_ACT_IDENTITY,
    NTK_ACT_TANH,         /* quadrature */
    NTK_ACT_SOFTPLUS,     /* quadrature */
    NTK_ACT_SWISH,        /* x·sigmoid(x), quadrature (alias silu)            */
    NTK_ACT_ELU,          /* p[0] = α (1), quadrature                          */
    NTK_ACT_SIGMOID,      /* logistic, quadrature                              */
    NTK_ACT_CUSTOM        /* user C function and derivative, quadrature        */
} ntk_act_kind;

/* An activation φ. For NTK_ACT_CUSTOM, phi and dphi are called with ctx. */
typedef struct {
    ntk_act_kind kind;
    double p[3];
    double (*phi)(double x, void *ctx);
    double (*dphi)(double x, void *ctx);
    void *ctx;
    /* 0: closed form when one exists, else quadrature (automatic choice of
     * θ-tables or per-entry quadrature, see docs/kernel.md);
     * 1: quadrature even when a closed form exists (tests), automatic choice;
     * 2: quadrature, θ-tables always; 3: quadrature, exact per-entry always. */
    int force_quadrature;
} ntk_activation;

/* Set *act to `kind` with its default parameters (leaky_relu α = 0.01,
 * abrelu a = 0, b = 1, erf/sin/cos a = 1, b = 1, c = 0, elu α = 1), no custom
 * functions and force_quadrature = 0. Use it rather than a zeroed struct:
 * parameters are used exactly as given (a zeroed erf would be φ ≡ 0). */
NTK_API void ntk_activation_init(ntk_activation *act, ntk_act_kind kind);

/* Parse "relu", "leaky_relu:0.1", "abrelu:0.1,1", "erf", "erf:a,b,c", "gelu",
 * "sin", "cos", "identity", "tanh", "softplus", "swish", "silu", "elu",
 * "elu:α", "sigmoid", "sigmoid_like", "abs". NTK_EINPUT names the text on
 * failure. */
NTK_API ntk_status ntk_activation_parse(const char *text, ntk_activation *out, ntk_error *err);

/* Canonical text of an activation (parsable by ntk_activation_parse). */
NTK_API void ntk_activation_format(const ntk_activation *act, char *buf, size_t size);

/* Names of the built-in activations, NULL-terminated (for --help). */
NTK_API extern const char *const ntk_activation_names[];

typedef enum { NTK_KIND_NTK = 0, NTK_KIND_NNGP = 1 } ntk_kernel_kind;

/* A fully connected architecture. */
typedef struct {
    int depth;              /* L ≥ 0 hidden Dense+φ layers, then the readout */
    ntk_activation act;
    double w_std;           /* σ_w (default √2) */
    double b_std;           /* σ_b (default 0) */
    int fixed_layers;       /* F: the first F Dense layers are not trained (0..depth) */
} ntk_arch;

/* Defaults: depth 1, relu, σ_w = √2, σ_b = 0, no fixed layers. */
NTK_API void ntk_arch_init(ntk_arch *a);

/* Check an architecture; returns NULL if valid, else a static message
 * (LIBLINEAR's check_parameter habit). */
NTK_API const char *ntk_arch_check(const ntk_arch *a);

/* Options for evaluation. */
typedef struct {
    int threads;            /* OpenMP threads; 0 = library default */
    ntk_progress progress;  /* optional progress reports ("kernel" stage) */
} ntk_kernel_options;

/* Evaluate the kernel of `kind` between the rows of X1 (n1×d, row-major) and
 * X2 (n2×d). Pass X2 = NULL for the symmetric X1×X1 case (one triangle is
 * computed, the full n1×n1 matrix is written). out is n1×n2 (n1×n1 if X2 is
 * NULL), row-major, allocated by the caller; no other n×n memory is used. */
NTK_API ntk_status ntk_kernel_eval(const ntk_arch *a, ntk_kernel_kind kind,
                           const double *X1, size_t n1, const double *X2, size_t n2,
                           size_t d, double *out, const ntk_kernel_options *opt,
                           ntk_error *err);

/* Every depth at once: for l = 0..a->depth, if ntk[l] (resp. nngp[l]) is
 * non-NULL it receives the n1×n2 NTK (resp. NNGP) of the network with l
 * hidden layers (same σ_w, σ_b, activation; fixed layers min(F, l)), i.e.
 * the readout applied after layer l. Arrays may be NULL. */
NTK_API ntk_status ntk_kernel_eval_depths(const ntk_arch *a, const double *X1, size_t n1,
                                  const double *X2, size_t n2, size_t d,
                                  double **ntk, double **nngp,
                                  const ntk_kernel_options *opt, ntk_error *err);

/* The dual activation for one 2×2 covariance: T = E[φ(u)φ(v)],
 * Tp = E[φ'(u)φ'(v)] for (u,v) ~ N(0, [[q11,q12],[q12,q22]]). `same` = 1
 * asserts u and v are the same input (correlation exactly 1). */
NTK_API ntk_status ntk_dual(const ntk_activation *act, double q11, double q22, double q12, int same,
                    double *T, double *Tp, ntk_error *err);

#ifdef __cplusplus
}
#endif
#endif

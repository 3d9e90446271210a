/* ntk/network.h — finite-width fully connected networks in NTK
 * parameterization, trained by full-batch gradient descent, and their
 * empirical Neural Tangent Kernel: the finite counterpart of ntk/kernel.h,
 * used to check the infinite-width predictor against networks one can train.
 *
 * Architecture (the same ntk_arch as the kernel module): Dense layers
 * l = 0..L, with L = arch.depth; layer l maps n_l inputs to n_{l+1} outputs,
 * n_0 = d (encoded features), n_1..n_L = width, n_{L+1} = k (outputs):
 *
 *     z_l = (σ_w/√n_l)·h_l·W_l + σ_b·b_l,   h_0 = x,  h_{l+1} = φ(z_l),  f(x) = z_L,
 *
 * with every entry of W_l (n_l × n_{l+1}) and b_l (n_{l+1}) drawn from N(0,1)
 * by ntk_rng_normal (seeded: W_0 row-major, b_0, W_1, b_1, ...). The first
 * arch.fixed_layers Dense layers are not trained. As the width grows the
 * empirical NTK at initialization tends to ntk_kernel_eval's NTK (kind NTK)
 * for the same arch, and gradient descent tends to the linearized predictor.
 *
 * Training: full-batch gradient descent on the loss
 *
 *     L(θ) = c · ½ Σ_{i,j} (f_j(x_i;θ) − o_ij − y_ij)²,
 *
 * c = 1 for NTK_TIME_SUM and c = 1/(n·k) for NTK_TIME_MEAN, with step η:
 * θ ← θ − η ∇L(θ). o is an optional offset, normally f(X;θ₀), so that the
 * *centered* network f(x;θ) − f(x;θ₀) is what is fitted (it starts from the
 * zero function, exactly as the NTK predictor). Linearized, s steps give
 * f − y ← (I − η c Θ)^s (f₀ − y) ≈ e^{−η c Θ s}(f₀ − y): s steps correspond to
 * time t = s in ntk/solver.h's predictor with the same lr η and time scale,
 * i.e. `ntk compare --times` counts steps and means what `ntk eval --times`
 * means. The step is stable only for η c < 2/λ_max(Θ) (see ntk_lambda_max).
 *
 * Empirical NTK: Θ̂(x,x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ over the trained
 * parameters. A Dense layer's per-example Jacobian is the outer product
 * (σ_w/√n_l)·h_l(x) ⊗ g_l(x) (plus σ_b·g_l(x) for the bias), g_l = ∂f/∂z_l, so
 *
 *     Θ̂ = Σ_{trained l} ((σ_w²/n_l)·H_l H_lᵀ + σ_b²) ⊙ (G_l G_lᵀ),
 *
 * computed with BLAS from the n × n_l factors H_l, G_l: the n × P Jacobian is
 * never materialized (its memory is that of a forward pass). With k outputs,
 * Θ̂ is the mean of the k diagonal output blocks (as neural-tangents'
 * trace_axes=(-1,), which averages the trace over the output axis), or one
 * chosen output's block; the off-diagonal blocks tend to 0.
 *
 * All matrices are row-major doubles; rows are examples. Functions return
 * NTK_OK or fill err; nothing is printed. BLAS (cblas_dgemm) does the heavy
 * work and is batched over all rows; elementwise work uses OpenMP.
 */
#ifndef NTK_NETWORK_H
#define NTK_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/common.h"
#include "ntk/kernel.h"
#include "ntk/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A network: the architecture, layer sizes and parameters. The fields are
 * readable (tests perturb W/b directly); create and free with the functions
 * below. */
typedef struct {
    ntk_arch arch;     /* copy of the architecture (depth L, φ, σ_w, σ_b, F) */
    size_t d, width, k;
    int n_layers;      /* L + 1 Dense layers */
    size_t *fan;       /* n_layers + 1 sizes: fan[0] = d, fan[1..L] = width, fan[L+1] = k */
    double **W;        /* W[l]: fan[l] × fan[l+1], row-major, entries ~ N(0,1) at init */
    double **b;        /* b[l]: fan[l+1] */
    uint64_t seed;
} ntk_network;

/* Create a network with L = a->depth hidden layers of `width` units, d inputs
 * and k outputs, parameters drawn from N(0,1) with ntk_rng seeded by `seed`
 * (the same seed always gives the same network). The arch is checked with
 * ntk_arch_check; d, width (if depth > 0) and k must be positive. Memory is
 * allocated with ntk_alloc_checked (a message names the size on failure). */
NTK_API ntk_status ntk_network_create(const ntk_arch *a, size_t d, size_t width, size_t k,
                              uint64_t seed, ntk_network **out, ntk_error *err);

/* Free a network (NULL is fine). */
NTK_API void ntk_network_free(ntk_network *net);

/* Number of trainable parameters (W and b of the Dense layers l ≥ F). */
NTK_API size_t ntk_network_n_params(const ntk_network *net);

/* Copy the trainable parameters into theta (ntk_network_n_params values, in
 * the order W_F, b_F, W_{F+1}, b_{F+1}, ..., each row-major), or set them
 * from theta. Used by tests and finite-difference checks. */
NTK_API void ntk_network_get_params(const ntk_network *net, double *theta);
NTK_API void ntk_network_set_params(ntk_network *net, const double *theta);

/* Outputs f(X;θ) for n rows of X (n×d) into out (n×k). Works in row blocks
 * whose activations take at most about 64 MiB. */
NTK_API ntk_status ntk_network_forward(const ntk_network *net, const double *X, size_t n, double *out,
                               ntk_error *err);

/* The gradient of Σ_{i,j} C_ij·f_j(x_i;θ) with respect to the trainable
 * parameters (a vector–Jacobian product with cotangent C, n×k), written to
 * grad (ntk_network_n_params values, same order as ntk_network_get_params).
 * With C = c·(f − o − y) this is ∇L of the training loss. */
NTK_API ntk_status ntk_network_vjp(const ntk_network *net, const double *X, size_t n, const double *C,
                           double *grad, ntk_error *err);

/* Options for gradient descent. */
typedef struct {
    double lr;                  /* η > 0 */
    ntk_time_scale time_scale;  /* loss ½Σ (c = 1) or ½·mean over n·k entries */
    ntk_progress progress;      /* optional: stage "gd", done/total steps */
} ntk_gd_params;

/* Defaults: lr 1, time scale sum, no progress. */
NTK_API void ntk_gd_params_init(ntk_gd_params *p);

/* Run `steps` steps of full-batch gradient descent on the n training rows
 * (X n×d, targets Y n×k, optional offset O n×k subtracted from the outputs,
 * NULL for none), updating net in place. Each step is one forward and one
 * backward pass over all rows: three dgemm per hidden-to-hidden layer, the
 * weights updated in place by the last one (no gradient copy is stored).
 * If loss is non-NULL it receives the loss L(θ) before the last step (the
 * loss after the steps needs one more forward pass). A non-finite loss stops
 * with NTK_ENUMERIC ("diverged at step s": lower the learning rate).
 * Memory: about 3·n·width doubles per hidden layer. */
NTK_API ntk_status ntk_network_train(ntk_network *net, const double *X, size_t n, const double *Y,
                             const double *O, size_t steps, const ntk_gd_params *p,
                             double *loss, ntk_error *err);

/* The empirical NTK Θ̂(X1, X2) (n1×n2, row-major) of the trainable
 * parameters, or Θ̂(X1, X1) when X2 is NULL (then n2 is ignored and the
 * result is exactly symmetric). `output` = −1: mean over the k diagonal
 * output blocks; 0..k−1: that output's block. Computed layer by layer from
 * the activations and backpropagated output gradients (see the top of this
 * file); memory about 2·(n1+n2)·width doubles per hidden layer. */
NTK_API ntk_status ntk_network_entk(const ntk_network *net, const double *X1, size_t n1,
                            const double *X2, size_t n2, int output, double *out, ntk_error *err);

/* The full Jacobian ∂f_j(x_i)/∂θ for one output j, as an n × P matrix
 * (P = ntk_network_n_params, columns in get_params order). Meant for small
 * networks in tests (explicit Jacobian products); memory n·P doubles. */
NTK_API ntk_status ntk_network_jacobian(const ntk_network *net, const double *X, size_t n, int output,
                                double *J, ntk_error *err);

/* Largest eigenvalue of a symmetric positive semi-definite n×n matrix A by
 * power iteration with Rayleigh quotients (O(n²) per iteration; stops when the
 * estimate changes by less than 1e-10 relative, at most max_iter iterations,
 * 0 = 1000). The estimate never exceeds the true value; *iterations (may be
 * NULL) receives the count used. Gradient descent with step η·c is stable iff
 * η·c < 2/λ_max. */
NTK_API ntk_status ntk_lambda_max(const double *A, size_t n, int max_iter, double *lmax,
                          int *iterations, ntk_error *err);

/* ‖A − B‖_F / ‖B‖_F for m entries (‖A‖_F when B is zero). */
NTK_API double ntk_rel_frobenius(const double *A, const double *B, size_t m);

/* φ and φ' of an activation at n points (either output may be NULL); the
 * network's own implementation, independent of the kernel module, for every
 * ntk_act_kind (custom: act->phi / act->dphi). At a kink the derivative is
 * the mean of the one-sided slopes. */
NTK_API void ntk_network_act(const ntk_activation *act, const double *x, double *f, double *fp, size_t n);

#ifdef __cplusplus
}
#endif
#endif

/* Private to the library: pieces shared by nystrom.c and nystrom_centers.c. */
#ifndef NTK_NYSTROM_INTERNAL_H
#define NTK_NYSTROM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ntk/nystrom.h"

/* diag[i] = kernel(x_i, x_i) for the n rows of X, through small symmetric
 * blocks (the kernel module has no diagonal-only entry point; a 32-row block
 * costs 32 entries per row, noise next to the M per row of the cross kernel). */
ntk_status nystrom_diag(const ntk_arch *a, ntk_kernel_kind kind, const double *X, size_t n,
                        size_t d, int threads, double *diag, ntk_error *err);

/* Cholesky of K + εI in place (M×M column-major lower): ε = jitter_rel ×
 * mean diag K, escalated ×10 while dpotrf fails (up to 1e-2; 0 tries the bare
 * matrix first); *eps_out receives the ε used. */
ntk_status nystrom_factor_centers(double *K, size_t M, double jitter_rel, double *eps_out,
                                  ntk_error *err);

/* β_t = L⁻ᵀ V g_s(μ + λ) Vᵀ Z for every time of r (into r->coef, row-major
 * M×k blocks) from G = ΦᵀΦ (destroyed: becomes V), L and Z = ΦᵀY (M×k
 * column-major); r->reg_abs, mean_diag, times, n, k are read, eig_*,
 * most_negative, n_clamped and jitter written. */
ntk_status nystrom_flow(double *G, const double *L, const double *Z, const ntk_solve_params *sp,
                        ntk_nystrom_fit_result *r, ntk_error *err);

/* Every time is ∞: β = L⁻ᵀ (G + λI)⁻¹ Z by Cholesky, with the dense path's
 * jitter ladder (r->jitter). */
ntk_status nystrom_flow_cholesky(double *G, const double *L, const double *Z,
                                 ntk_nystrom_fit_result *r, ntk_error *err);

/* k-means centers (NTK_CENTERS_KMEANS, nystrom_kmeans.c): the clusters'
 * means into `means` (M×d, or NULL) and each one's nearest member row in idx;
 * *chosen ≤ M clusters (fewer when the pool has fewer distinct rows). */
ntk_status nystrom_select_kmeans(const double *X, size_t n, size_t d, size_t M, uint64_t seed,
                                 size_t *idx, double *means, size_t *chosen, ntk_error *err);

/* The first K positions of the seeded permutation that uniform selection
 * walks (the same draws as ntk_nystrom_select), in O(K) memory. */
ntk_status nystrom_uniform_candidates(size_t n, uint64_t seed, size_t K, size_t *out,
                                      ntk_error *err);

/* Uniform selection's walk over candidate rows Xc (K×d, row i is row
 * cand[i]): keep a row unless it equals one kept, until M are kept. */
ntk_status nystrom_uniform_walk(const double *Xc, const size_t *cand, size_t K, size_t d,
                                size_t M, size_t *idx, size_t *chosen, ntk_error *err);

#endif

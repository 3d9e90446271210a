/* Private to the solver: the matrix A = Θ + λI as the finite-time paths see
 * it, whatever its precision (double, float) or distribution (ntk-mpi).
 *
 * The paths themselves — the Chebyshev recurrence, the eigendecomposition's
 * application g_s(A)Y = V g_s(Λ) VᵀY, the spectral bound, the Krylov space
 * (solver_krylov.h) — are written once against these hooks; an
 * implementation supplies only what differs in arithmetic or storage: one
 * product with A, one pass of |A|, an eigensolver and products with its
 * eigenvectors. Blocks and vectors crossing the hooks are always double and
 * replicated (every process holds all of them). */
#ifndef NTK_SOLVER_MATRIX_H
#define NTK_SOLVER_MATRIX_H

#include <stddef.h>

#include "ntk/common.h"
#include "solver_cheb.h"
#include "solver_krylov.h"

typedef struct solver_matrix {
    void *ctx;
    size_t n;
    /* y = |A|·d (entrywise absolute values), for the λ_max bound. */
    ntk_status (*abs_product)(void *ctx, const double *d, double *y, ntk_error *err);
    /* One Chebyshev step on row-major n×k blocks with row stride ld:
     *   C ← alpha·A·B + beta·C + gamma·B,  then acc[q] += coef[q]·C
     * (acc row stride k) for q < nacc. */
    ntk_status (*cheb_step)(void *ctx, size_t k, size_t ld, double alpha, const double *B,
                            double beta, double gamma, double *C, size_t nacc,
                            const double *coef, double *const *acc, ntk_error *err);
    /* Row stride of the recurrence blocks for k columns (≥ k, a multiple
     * that keeps rows 64-byte aligned for a thin-block product); NULL: k. */
    size_t (*block_ld)(size_t k);
    /* F = A·C for column-major n×w blocks (the training fits Θ·C = A·C − λC);
     * NULL when the implementation computes its fits itself. */
    ntk_status (*product)(void *ctx, const double *C, size_t w, double *F, ntk_error *err);
    /* A ← its eigenvectors V (A is lost); w ← the eigenvalues, ascending. */
    ntk_status (*eigen)(void *ctx, double *w, ntk_error *err);
    /* After eigen: Out = V·X (trans 0) or Vᵀ·X (trans 1), column-major n×k. */
    ntk_status (*eigvec)(void *ctx, int trans, const double *X, size_t k, double *Out,
                         ntk_error *err);
    /* NULL in one process. Otherwise every process runs the path in
     * lockstep, and this returns the status all agree on (the first failure
     * anywhere, its message on every process). */
    ntk_status (*agree)(void *ctx, ntk_status st, ntk_error *err);
} solver_matrix;

/* The end of a Chebyshev step after its product P = A·B (row-major, row
 * stride ldp; may be C itself, with alpha 1 and beta 0):
 *   C ← alpha·P + beta·C + gamma·B,  then acc[q] += coef[q]·C
 * on n×k blocks of row stride ld (acc: row stride k). For the cheb_step
 * hooks that cannot fuse it into their product. */
void solver_cheb_finish(size_t n, size_t k, size_t ld, double alpha, const double *P, size_t ldp,
                        const double *B, double beta, double gamma, double *C, size_t nacc,
                        const double *coef, double *const *acc);

/* Rigorous upper bound on λ_max(A) (A symmetric PSD plus rounding):
 * Gershgorin, tightened by Collatz–Wielandt passes of |A|, padded for the
 * rounding of the sums (see solver_cheb.c). */
ntk_status solver_spectral_bound(const solver_matrix *M, double *L, ntk_error *err);

/* Finite scales s[0..nf) by the Chebyshev expansion on [0, L], L from
 * solver_spectral_bound: coef[f] ← g_{s_f}(A)·Y and, if fit is not NULL
 * (and M->product), fit[f] ← Θ·coef[f] = A·coef[f] − reg_abs·coef[f]; all
 * column-major n×k, Ycm too. If some scale needs a degree above
 * max_degree, returns NTK_OK with *declined = 1 and the outputs untouched.
 * plan (freed by the caller with cheb_plan_free, also on error) receives the
 * expansion for the record. */
ntk_status solver_chebyshev(const solver_matrix *M, const double *s, size_t nf,
                            const double *Ycm, size_t k, double reg_abs, size_t max_degree,
                            double **coef, double **fit, cheb_plan *plan, int *declined,
                            const ntk_progress *progress, ntk_error *err);

/* What the eigendecomposition found, for the solution's record. */
typedef struct {
    double eig_min, eig_max;  /* before clamping */
    double most_negative;     /* ≤ 0 */
    size_t n_clamped;         /* eigenvalues below 0 set to 0 */
    size_t n_null;            /* t = ∞ asked: eigenvalues at rounding level left out */
} solver_eigen_info;

/* Every scale s[0..ns) (s = +∞: t = ∞, the minimum-norm interpolant — the
 * flow's limit — with eigenvalues at rounding level, n·ε·λ_max, left out)
 * from one eigendecomposition of A (A is lost): coef[f] ← g_{s_f}(A)·Y and,
 * if fit is not NULL, fit[f] ← Θ·coef[f], through the eigenvectors
 * (Θ = A − reg_abs·I shares them). Column-major n×k throughout. */
ntk_status solver_eigen(const solver_matrix *M, const double *s, size_t ns, const double *Ycm,
                        size_t k, double reg_abs, double **coef, double **fit,
                        solver_eigen_info *info, const ntk_progress *progress, ntk_error *err);

#endif

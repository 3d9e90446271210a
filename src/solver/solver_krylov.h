/* Private to the solver: the shift-and-invert block Krylov path for finite
 * training times (see ntk/solver.h, NTK_SOLVE_KRYLOV).
 *
 * One Cholesky of A + σI, then block steps W = (A + σI)⁻¹ Q_j (two
 * triangular solves on n×k), fully reorthogonalized into an orthonormal
 * basis Q. The projection T = Qᵀ(A + σI)⁻¹Q is built column block by
 * column block (block tridiagonal: the last two blocks' rows), its
 * eigenpairs (θ, U) give Ritz values ã = 1/θ − σ of A, and for every
 * scale s
 *   C_s ≈ Q U g_s(ã) Uᵀ QᵀY,   Θ C_s ≈ Q U [(1 − e^{−sã}) − λ g_s(ã)] Uᵀ QᵀY.
 * The space does not depend on s, so one basis serves every time. */
#ifndef NTK_SOLVER_KRYLOV_H
#define NTK_SOLVER_KRYLOV_H

#include <stddef.h>

#include "ntk/common.h"

typedef struct {
    double shift;    /* σ actually factored with (after any retries) */
    size_t steps;    /* block steps (each: one n×k pair of triangular solves) */
    size_t dim;      /* basis dimension at the end */
    double estimate; /* a posteriori relative error estimate, max over times */
    int converged;   /* 1: estimate ≤ tolerance, or the space became invariant */
    double seconds_factor; /* wall time: the Cholesky of A + σI */
    double seconds_steps;  /* the triangular solves, projection and Gram–Schmidt */
    double seconds_solves; /* of which the solves (op->solve) */
    double seconds_small;  /* the small eigenproblems */
} krylov_info;

/* Default relative tolerance on the successive-iterate estimate. */
#define KRYLOV_TOL 1e-10

/* The shift used when the caller gives none: see solver_krylov.c. */
double krylov_default_shift(const double *s, size_t nf, double mean_diag);

/* The operator a Krylov space is built with: A (n×n symmetric positive
 * semidefinite, λ on its diagonal) held in some precision or distribution.
 * Every hook gets ctx. */
typedef struct krylov_op {
    void *ctx;
    size_t n;
    /* Factor A + σI: 0 on success, > 0 if it is not positive definite (the
     * caller retries with 10σ, A + σI rebuilt by the op), < 0 an illegal
     * argument. */
    int (*factor)(void *ctx, double sigma);
    /* W ← (A + σI)⁻¹ W for the column-major n×nb W (after factor). */
    void (*solve)(void *ctx, double *W, size_t nb);
    /* NULL when solve is exact to working precision: the projection is then
     * Qᵀ(A + σI)⁻¹Q, taken from the solves themselves. Otherwise (solves in
     * a lower precision) AX = A·X for the column-major n×nb X: the space is
     * still built from the solves, but projected on A itself (Rayleigh–Ritz
     * QᵀAQ), so inexact solves only cost convergence, not accuracy. */
    void (*apply)(void *ctx, const double *X, size_t nb, double *AX);
    /* Undo factor: A as it was (called once, after the last solve). */
    void (*restore)(void *ctx);
    /* NULL in one process. Otherwise every process runs krylov_solve_op in
     * lockstep and this replaces buf[0..count) by the first process's values:
     * the decisions (basis growth, stopping) are taken on its numbers. */
    void (*agree)(void *ctx, double *buf, size_t count);
    double tol_default; /* ≤ 0: KRYLOV_TOL */
    double stall;       /* estimate floor taken as converged when it stalls (≤ 0: 1e-9) */
} krylov_op;

/* For each of the nf cases f — scale s[f] (finite, ≥ 0) and, if off is not
 * NULL, an extra ridge δ = off[f] ≥ 0 (A_f = A + δI: the space is
 * shift-invariant) — coef[f] ← g_s(A_f)Y and, if fit is not NULL, fit[f] ←
 * (A_f − (λ + δ)I) g_s(A_f)Y = Θ g_s(A_f)Y, both row-major n×k (as
 * ntk_solution holds them: written in place, no copies). Ycm: column-major
 * n×k. reg_abs = λ. shift ≤ 0: the default. tol ≤ 0: the op's default. At
 * most max_dim basis columns (the result is then returned with converged =
 * 0 and its estimate). op->restore is called before returning whenever the
 * factorization was attempted. */
ntk_status krylov_solve_op(const krylov_op *op, const double *Ycm, size_t k, const double *s,
                           const double *off, size_t nf, double reg_abs, double mean_diag,
                           double shift, double tol, size_t max_dim, double **coef, double **fit,
                           krylov_info *info, const ntk_progress *progress, ntk_error *err);

/* krylov_solve_op with A: n×n symmetric, column-major (= row-major) in
 * double, diagonal already holding λ (reg_abs); it is factored in place and
 * restored before returning (its strict upper triangle is never written). */
ntk_status krylov_solve(double *A, size_t n, const double *Ycm, size_t k, const double *s,
                        const double *off, size_t nf, double reg_abs, double mean_diag,
                        double shift, double tol, size_t max_dim, double **coef,
                        double **fit, krylov_info *info, const ntk_progress *progress,
                        ntk_error *err);

#endif

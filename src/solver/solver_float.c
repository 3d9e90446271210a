/* The single-precision fit (see solver_float.h, ntk/model.h and
 * docs/precision.md).
 *
 * The training kernel Θ is held as an n×n float matrix (symmetric, so its
 * row-major storage is also column-major for LAPACK). It is evaluated in
 * double on row blocks of its lower triangle — rows r0..r0+b against rows
 * 0..r0+b, ~n²/2 entries in all like the symmetric evaluation — and rounded.
 * Every later pass over Θ (refinement residuals, training predictions)
 * evaluates the same blocks again in double, so the double Θ of the
 * residuals is exactly the matrix the float one rounds.
 *
 * t = ∞: spotrf of fl(Θ + λI) (jitter ladder below), then mixed-precision
 * iterative refinement: R = Y − (Θ + σI)·C in double, C ← C + (float solve
 * of R), until the normwise backward error
 *   η = max_c ‖R_c‖_∞ / (‖Θ + σI‖_∞·‖C_c‖_∞ + ‖Y_c‖_∞)
 * is at double rounding level (√n·2⁻⁵³, LAPACK's dsposv test), or a step
 * fails to halve ‖R‖_F, or refine_max steps are done; the iterate with the
 * smallest ‖R‖_F is kept. Each step contracts the error by about
 * cond(A)·u_f·(a modest factor) (u_f = 2⁻²⁴), so it needs cond(A) ≲ 1e7–1e9
 * in practice. When it does not converge (REFINE_ACCEPT below) the kernel is
 * too ill-conditioned for float: jitter τ = mean(diag Θ)·10^e, e =
 * FJ_FIRST_EXP … JITTER_LAST_EXP, is added to the target (σ = λ + τ) and to
 * the factored matrix, the smallest τ at which it converges is kept (the
 * solution is then double-accurate for Θ + (λ + τ)I, as the double path's
 * jitter), or, if none does, the iterate with the smallest residual.
 *
 * Finite times: the shared paths of solver_matrix.h (Chebyshev, Krylov,
 * eigen — the same code as the double solver and ntk-mpi) on the float
 * matrix: products by sgemm of fl(A) and a float copy of the block, the
 * recurrence, sums and eigenvalue functions in double; the eigensolver is
 * ssyevd (ssyevr when memory is short), after which t = ∞ evaluates the
 * kernel again for its Cholesky. */
#include "solver_float.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver_cheb.h"
#include "solver_internal.h"
#include "solver_krylov.h"
#include "solver_matrix.h"

/* Kernel row blocks: at most this many bytes of doubles (and at least
 * BLOCK_MIN_ROWS rows). */
#define BLOCK_BYTES ((size_t)64 << 20)
#define BLOCK_MIN_ROWS 128
/* Float jitter ladder: mean(diag)·10^e from here to JITTER_LAST_EXP; a
 * smaller jitter does not change a float diagonal (u_f = 6e-8). */
#define FJ_FIRST_EXP (-7)
/* The refined solve counts as converged when its backward error is below
 * REFINE_ACCEPT and its relative residual below REFINE_MAX_RESIDUAL: a stable
 * solve of a nonsingular system has ‖R‖/‖Y‖ ≤ η·(‖A‖‖C‖/‖Y‖ + 1), so a
 * larger residual at a tiny η means ‖C‖ blew up along a near-null direction
 * (a singular, inconsistent system: duplicate rows with other targets). */
#define REFINE_ACCEPT 1e-12
#define REFINE_MAX_RESIDUAL 1e-6
/* A step must shrink ‖R‖_F at least by this factor to go on. */
#define REFINE_STALL 0.5

typedef struct {
    const ntk_fit_problem *pb;
    size_t n, k;
    float *A;            /* n×n: fl(Θ + λI), then its factor or eigenvectors */
    double *diag;        /* Θ_ii + λ in double */
    double *K;           /* one kernel row block, block × n doubles */
    size_t block;
    double anorm;        /* ‖fl(Θ + λI)‖_∞, for the refinement's backward error */
    double seconds_pass; /* time in the double kernel passes */
} fctx;

/* ----------------------------------------------------------- kernel blocks */

typedef ntk_status (*block_fn)(fctx *c, void *arg, size_t r0, size_t b, size_t w,
                               ntk_error *err);

/* For each row block r0..r0+b: c->K (b×w row-major, w = r0 + b) = Θ(rows,
 * rows 0..w) in double, its diagonal square made exactly symmetric from its
 * lower triangle; then fn. */
static ntk_status for_blocks(fctx *c, const char *stage, block_fn fn, void *arg, ntk_error *err)
{
    const ntk_fit_problem *pb = c->pb;
    size_t n = c->n, d = pb->d;
    ntk_kernel_options kopt = {pb->threads, {NULL, NULL}};
    for (size_t r0 = 0; r0 < n; r0 += c->block) {
        size_t b = n - r0 < c->block ? n - r0 : c->block, w = r0 + b;
        if (ntk_progress_report(&pb->progress, stage, r0, n))
            return ntk_error_set(err, NTK_EFAILED, "interrupted");
        ntk_status st = ntk_kernel_eval(pb->arch, pb->kind, pb->X + r0 * d, b, pb->X, w, d, c->K,
                                        &kopt, err);
        if (st != NTK_OK)
            return st;
        double *K = c->K;
        for (size_t i = 0; i < b; i++)
            for (size_t j = i + 1; j < b; j++)
                K[i * w + r0 + j] = K[j * w + r0 + i];
        st = fn(c, arg, r0, b, w, err);
        if (st != NTK_OK)
            return st;
    }
    ntk_progress_report(&pb->progress, stage, n, n);
    return NTK_OK;
}

/* Round a block into the float matrix: its rows, and their strictly lower
 * part mirrored into the columns. */
static ntk_status fill_block(fctx *c, void *arg, size_t r0, size_t b, size_t w, ntk_error *err)
{
    (void)arg;
    size_t n = c->n, bad = SIZE_MAX;
    const double *K = c->K;
#pragma omp parallel for schedule(static) reduction(min : bad)
    for (size_t i = 0; i < b; i++) {
        const double *kr = K + i * w;
        float *ar = c->A + (r0 + i) * n;
        for (size_t j = 0; j < w; j++) {
            ar[j] = (float)kr[j];
            if (!isfinite(ar[j]) && i * w + j < bad)
                bad = i * w + j;
        }
        c->diag[r0 + i] = kr[r0 + i];
    }
    if (bad != SIZE_MAX) {
        size_t i = r0 + bad / w + 1, j = bad % w + 1;
        if (isfinite(K[bad]))
            return ntk_error_set(err, NTK_ENUMERIC,
                                 "the training kernel entry %g at (%zu, %zu) is beyond the "
                                 "single-precision range; use --precision double", K[bad], i, j);
        return ntk_error_set(err, NTK_ENUMERIC,
                             "the training kernel has a non-finite entry at (%zu, %zu)", i, j);
    }
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < r0; j++) {
        float *row = c->A + j * n + r0;
        for (size_t i = 0; i < b; i++)
            row[i] = (float)K[i * w + j];
    }
    return NTK_OK;
}

typedef struct {
    const double *W;
    size_t m;
    double *Out;
} mul_arg;

/* Out += (block's part of Θ)·W, both as its rows and as its mirrored columns. */
static ntk_status mul_block(fctx *c, void *arg, size_t r0, size_t b, size_t w, ntk_error *err)
{
    (void)err;
    mul_arg *a = arg;
    int n = (int)c->n, m = (int)a->m;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)b, m, (int)w, 1.0, c->K, (int)w,
                a->W, n, 1.0, a->Out + r0, n);
    if (r0)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)r0, m, (int)b, 1.0, c->K,
                    (int)w, a->W + r0, n, 1.0, a->Out, n);
    return NTK_OK;
}

/* Out = Θ·W in double (column-major n×m), Θ evaluated again block by block. */
static ntk_status theta_times(fctx *c, const double *W, size_t m, double *Out, ntk_error *err)
{
    double t0 = omp_get_wtime();
    memset(Out, 0, c->n * m * sizeof *Out);
    mul_arg a = {W, m, Out};
    ntk_status st = for_blocks(c, "kernel pass", mul_block, &a, err);
    c->seconds_pass += omp_get_wtime() - t0;
    return st;
}

/* ------------------------------------------------------------ float solves */

typedef struct {
    float *F1;        /* n×k float scratch */
} fsolver;

/* D = (A + shift·I)⁻¹·R through the float Cholesky factor in c->A, R and D
 * column-major n×k (may be the same array). R is scaled to max |R| = 1 for
 * the float round trip. */
static void float_apply(const fctx *c, const fsolver *fs, const double *R, double *D)
{
    size_t n = c->n, k = c->k, len = n * k;
    double scale = 0.0;
    for (size_t i = 0; i < len; i++)
        scale = fmax(scale, fabs(R[i]));
    if (!(scale > 0.0)) {
        memset(D, 0, len * sizeof *D);
        return;
    }
    for (size_t i = 0; i < len; i++)
        fs->F1[i] = (float)(R[i] / scale);
    LAPACKE_spotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, (lapack_int)k, c->A, (lapack_int)n,
                   fs->F1, (lapack_int)n);
    for (size_t i = 0; i < len; i++)
        D[i] = scale * (double)fs->F1[i];
}

/* ------------------------------------------------------------- refinement */

typedef struct {
    double *R, *D;        /* n×k: residual, correction */
    double *Cbest, *Fbest; /* n×k: best iterate and Θ·(it) */
} rbufs;

typedef struct {
    size_t steps;   /* corrections after the float solve, of the kept iterate */
    double res0;    /* ‖R‖_F/‖Y‖_F of the float solve alone */
    double res;     /* … of the kept iterate */
    double eta;     /* its backward error (1 for C = 0) */
} rstats;

/* Normwise backward error of C for (Θ + σI)C = Y with residual R, worst column. */
static double backward_error(const double *R, const double *C, const double *Y, size_t n, size_t k,
                             double anorm)
{
    double worst = 0.0;
    for (size_t col = 0; col < k; col++) {
        double r = 0.0, x = 0.0, y = 0.0;
        for (size_t i = col * n; i < (col + 1) * n; i++) {
            r = fmax(r, fabs(R[i]));
            x = fmax(x, fabs(C[i]));
            y = fmax(y, fabs(Y[i]));
        }
        double den = anorm * x + y;
        double e = den > 0.0 ? r / den : (r > 0.0 ? INFINITY : 0.0);
        if (!(e <= worst))
            worst = e; /* also takes NaN */
    }
    return worst;
}

static double frob(const double *x, size_t len)
{
    double s = 0.0;
    for (size_t i = 0; i < len; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/* Refine toward (Θ + σI)C = Y, σ = λ + shift, from C = 0. W (n×(k+extra),
 * column-major) holds C in its first k columns; its extra columns are
 * multiplied by Θ in the first pass only, into TW's. Keeps the iterate with
 * the smallest residual in b->Cbest / b->Fbest (Θ·C). */
static ntk_status refine(fctx *c, const fsolver *fs, double shift, double reg_abs, int max_steps,
                         const double *Y, double *W, double *TW, size_t extra, rbufs *b,
                         rstats *rs, ntk_error *err)
{
    size_t n = c->n, k = c->k, len = n * k;
    double sigma = reg_abs + shift, anorm = c->anorm + shift;
    double ynorm = frob(Y, len);
    double stop = sqrt((double)n) * DBL_EPSILON / 2;
    double *C = W;
    memset(C, 0, len * sizeof *C);
    memset(b->Cbest, 0, len * sizeof *b->Cbest);
    memset(b->Fbest, 0, len * sizeof *b->Fbest);
    memcpy(b->R, Y, len * sizeof *Y);
    rs->steps = 0;
    rs->res0 = rs->res = ynorm > 0 ? 1.0 : 0.0;
    rs->eta = ynorm > 0 ? 1.0 : 0.0;
    double prev = ynorm;
    if (!(ynorm > 0)) /* Y = 0: C = 0 for every time, and Θ·C = 0 */
        memset(TW, 0, n * (k + extra) * sizeof *TW);
    for (size_t step = 0; ynorm > 0; step++) {
        if (ntk_progress_report(&c->pb->progress, "refinement", step, (size_t)max_steps))
            return ntk_error_set(err, NTK_EFAILED, "interrupted");
        float_apply(c, fs, b->R, b->D);
        for (size_t i = 0; i < len; i++)
            C[i] += b->D[i];
        ntk_status st = theta_times(c, W, k + (step == 0 ? extra : 0), TW, err);
        if (st != NTK_OK)
            return st;
        for (size_t i = 0; i < len; i++)
            b->R[i] = Y[i] - TW[i] - sigma * C[i];
        double res = frob(b->R, len), eta = backward_error(b->R, C, Y, n, k, anorm);
        if (step == 0)
            rs->res0 = res / ynorm;
        if (res / ynorm < rs->res) {
            rs->eta = eta;
            rs->steps = step;
            rs->res = res / ynorm;
            memcpy(b->Cbest, C, len * sizeof *C);
            memcpy(b->Fbest, TW, len * sizeof *TW);
        }
        if (eta <= stop || step >= (size_t)max_steps || !(res <= REFINE_STALL * prev))
            break;
        prev = res;
    }
    ntk_progress_report(&c->pb->progress, "refinement", (size_t)max_steps, (size_t)max_steps);
    return NTK_OK;
}

static int converged(const rstats *rs)
{
    return rs->eta <= REFINE_ACCEPT && rs->res <= REFINE_MAX_RESIDUAL;
}

/* After spotrf('L') the strict upper triangle (column-major) is intact:
 * rebuild the lower one from it, with diagonal diag + shift. */
static void restore_lower_float(float *A, size_t n, const double *diag, double shift)
{
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t j = 0; j < n; j++) {
        A[j + j * n] = (float)(diag[j] + shift);
        for (size_t i = j + 1; i < n; i++)
            A[i + j * n] = A[j + i * n];
    }
}

/* t = ∞: the jitter ladder around the Cholesky factorization (in place of
 * c->A, which must hold fl(Θ + λI)) and refinement. The kept coefficients go
 * to Cinf, Θ·C to Finf. */
static ntk_status solve_inf(fctx *c, const fsolver *fs, const double *Y, double *W, double *TW,
                            size_t extra, rbufs *b, double *Cinf, double *Finf, ntk_solution *s,
                            ntk_error *err)
{
    size_t n = c->n, len = n * c->k;
    int max_steps = c->pb->refine_max;
    double scale = s->mean_diag > 0 ? s->mean_diag : 1.0;
    rstats best = {0, 0, 0, INFINITY}, rs;
    double tau = 0.0, best_tau = 0.0;
    for (int e = FJ_FIRST_EXP - 1; e <= JITTER_LAST_EXP; e++) {
        tau = e < FJ_FIRST_EXP ? 0.0 : scale * pow(10.0, e);
        if (e >= FJ_FIRST_EXP)
            restore_lower_float(c->A, n, c->diag, tau);
        ntk_progress_report(&c->pb->progress, "cholesky", 0, 1);
        lapack_int info = LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, c->A,
                                         (lapack_int)n);
        ntk_progress_report(&c->pb->progress, "cholesky", 1, 1);
        if (info < 0)
            return ntk_error_set(err, NTK_EFAILED, "spotrf: illegal argument %d", (int)-info);
        if (info > 0)
            continue;
        ntk_status st = refine(c, fs, tau, s->reg_abs, max_steps, Y, W, TW, extra, b, &rs, err);
        if (st != NTK_OK)
            return st;
        extra = 0;
        int conv = converged(&rs);
        if (conv || isinf(best.eta) || rs.res < best.res) {
            best = rs;
            best_tau = tau;
            memcpy(Cinf, b->Cbest, len * sizeof *Cinf);
            memcpy(Finf, b->Fbest, len * sizeof *Finf);
        }
        if (conv || max_steps == 0)
            break;
    }
    if (isinf(best.eta))
        return ntk_error_set(err, NTK_ENUMERIC,
                             "the training kernel is not positive definite in single precision "
                             "even with jitter %.3g (1e%d x mean diagonal) added; use --reg or "
                             "--precision double", tau, JITTER_LAST_EXP);
    s->jitter = best_tau;
    s->refine_iters = best.steps;
    s->refine_residual0 = best.res0;
    s->refine_residual = best.res;
    s->refine_converged = converged(&best);
    return NTK_OK;
}

/* ------------------------------------------------------------ finite times */

/* The float matrix as a solver_matrix (solver_matrix.h): the shared
 * Chebyshev and eigen paths with fl(A) — products by sgemm of fl(A) and a
 * float copy of the block, the recurrence, sums and eigenvalue functions in
 * double. */
typedef struct {
    fctx *c;
    float *F, *G; /* float scratch, n×cap each */
    double *D;    /* a product in double, n×cap */
    size_t cap;
} float_mat;

static ntk_status fm_scratch(float_mat *m, size_t k, ntk_error *err)
{
    if (k <= m->cap)
        return NTK_OK;
    free(m->F);
    free(m->G);
    free(m->D);
    m->F = malloc(m->c->n * k * sizeof *m->F);
    m->G = malloc(m->c->n * k * sizeof *m->G);
    m->D = malloc(m->c->n * k * sizeof *m->D);
    if (!m->F || !m->G || !m->D) {
        m->cap = 0;
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    m->cap = k;
    return NTK_OK;
}

/* Entries taken exactly, sums in double. */
static ntk_status fm_abs_product(void *ctx, const double *d, double *y, ntk_error *err)
{
    (void)err;
    const fctx *c = ((float_mat *)ctx)->c;
    size_t n = c->n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float *r = c->A + i * n;
        double sum = 0.0;
        for (size_t j = 0; j < n; j++)
            sum += fabs((double)r[j]) * d[j];
        y[i] = sum;
    }
    return NTK_OK;
}

static ntk_status fm_cheb_step(void *ctx, size_t k, size_t ld, double alpha, const double *B,
                               double beta, double gamma, double *C, size_t nacc,
                               const double *coef, double *const *acc, ntk_error *err)
{
    float_mat *m = ctx;
    size_t n = m->c->n;
    ntk_status st = fm_scratch(m, k, err);
    if (st != NTK_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            m->F[i * k + j] = (float)B[i * ld + j];
    /* fl(A) is symmetric: row-major fl(A)·F is the same product. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0f,
                m->c->A, (int)n, m->F, (int)k, 0.0f, m->G, (int)k);
    for (size_t i = 0; i < n * k; i++)
        m->D[i] = m->G[i];
    solver_cheb_finish(n, k, ld, alpha, m->D, k, B, beta, gamma, C, nacc, coef, acc);
    return NTK_OK;
}

/* Eigendecomposition in float, eigenvectors in place of c->A: ssyevd when its
 * workspace (2n² floats more) fits in available memory — its eigenvectors are
 * orthogonal to ~1e-6 where ssyevr's are to ~1e-5 —, else ssyevr (a second
 * n×n). */
static ntk_status fm_eigen(void *ctx, double *w, ntk_error *err)
{
    fctx *c = ((float_mat *)ctx)->c;
    size_t n = c->n, avail = ntk_memory_available();
    lapack_int N = (lapack_int)n, info = 0;
    float *wf = malloc(n * sizeof *wf);
    if (!wf)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    int done = 0;
    /* The workspace sizes are passed explicitly: LAPACK returns them from a
     * query as a float, which cannot hold 2n² + 6n + 1 exactly past n ≈ 2900. */
    size_t lwork = 2 * n * n + 6 * n + 1, liwork = 5 * n + 3;
    if (!avail || lwork * sizeof(float) < avail * 0.9) {
        float *work = malloc(lwork * sizeof *work);
        lapack_int *iwork = malloc(liwork * sizeof *iwork);
        if (work && iwork) {
            info = LAPACKE_ssyevd_work(LAPACK_COL_MAJOR, 'V', 'L', N, c->A, N, wf, work,
                                       (lapack_int)lwork, iwork, (lapack_int)liwork);
            done = 1;
        }
        free(work);
        free(iwork);
    }
    if (!done) {
        float *Z = ntk_alloc_checked(n * n * sizeof *Z, "eigenvectors (single precision)", err);
        lapack_int *isuppz = malloc(2 * n * sizeof *isuppz), mfound = 0;
        if (!Z || !isuppz) {
            free(Z);
            free(isuppz);
            free(wf);
            return err && err->status ? err->status
                                      : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
        info = LAPACKE_ssyevr(LAPACK_COL_MAJOR, 'V', 'A', 'L', N, c->A, N, 0, 0, 0, 0, 0.0f,
                              &mfound, wf, Z, N, isuppz);
        if (info == 0)
            memcpy(c->A, Z, n * n * sizeof *Z);
        free(Z);
        free(isuppz);
    }
    for (size_t i = 0; info == 0 && i < n; i++)
        w[i] = wf[i];
    free(wf);
    if (info != 0)
        return ntk_error_set(err, NTK_ENUMERIC,
                             "the single-precision eigendecomposition failed (info %d)",
                             (int)info);
    return NTK_OK;
}

/* Largest |x| over len values, 1 if all are 0 (the float round trips are
 * scaled by it: blocks can be far from float's range). */
static double max_abs(const double *x, size_t len)
{
    double m = 0.0;
    for (size_t i = 0; i < len; i++)
        m = fmax(m, fabs(x[i]));
    return m > 0.0 ? m : 1.0;
}

static ntk_status fm_eigvec(void *ctx, int trans, const double *X, size_t k, double *Out,
                            ntk_error *err)
{
    float_mat *m = ctx;
    size_t n = m->c->n, len = n * k;
    ntk_status st = fm_scratch(m, k, err);
    if (st != NTK_OK)
        return st;
    double scale = max_abs(X, len);
    for (size_t i = 0; i < len; i++)
        m->F[i] = (float)(X[i] / scale);
    cblas_sgemm(CblasColMajor, trans ? CblasTrans : CblasNoTrans, CblasNoTrans, (int)n, (int)k,
                (int)n, 1.0f, m->c->A, (int)n, m->F, (int)n, 0.0f, m->G, (int)n);
    for (size_t i = 0; i < len; i++)
        Out[i] = scale * (double)m->G[i];
    return NTK_OK;
}

static void float_matrix(float_mat *m, solver_matrix *M)
{
    memset(M, 0, sizeof *M);
    M->ctx = m;
    M->n = m->c->n;
    M->abs_product = fm_abs_product;
    M->cheb_step = fm_cheb_step;
    M->eigen = fm_eigen;
    M->eigvec = fm_eigvec;
    /* product NULL: the fits are taken with Θ in double (theta_times). */
}

/* The Krylov path (solver_krylov.c) on the float matrix: the shift-invert
 * solves by spotrf/strsm of fl(A) + σI, inexact to ~cond·u_f, so the space
 * is projected on fl(A) itself (ssymm of its intact upper triangle, the
 * diagonal put back from c->diag): the results are g_s of fl(A) within the
 * float product's rounding, the accuracy class of the float Chebyshev path
 * (docs/precision.md). */
typedef struct {
    fctx *c;
    float *F, *G; /* n×k float scratch */
} float_op;

static int fop_factor(void *ctx, double sigma)
{
    float_op *o = ctx;
    size_t n = o->c->n;
    restore_lower_float(o->c->A, n, o->c->diag, sigma);
    return (int)LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, o->c->A, (lapack_int)n);
}

static void fop_solve(void *ctx, double *W, size_t nb)
{
    float_op *o = ctx;
    size_t n = o->c->n, len = n * nb;
    double scale = max_abs(W, len);
    for (size_t i = 0; i < len; i++)
        o->F[i] = (float)(W[i] / scale);
    if (nb == 1) { /* strsv streams the factor faster than a one-column strsm */
        cblas_strsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, o->c->A,
                    (int)n, o->F, 1);
        cblas_strsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, o->c->A,
                    (int)n, o->F, 1);
    } else {
        cblas_strsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)nb, 1.0f, o->c->A, (int)n, o->F, (int)n);
        cblas_strsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n,
                    (int)nb, 1.0f, o->c->A, (int)n, o->F, (int)n);
    }
    for (size_t i = 0; i < len; i++)
        W[i] = scale * (double)o->F[i];
}

static void fop_apply(void *ctx, const double *X, size_t nb, double *AX)
{
    float_op *o = ctx;
    const fctx *c = o->c;
    size_t n = c->n, len = n * nb;
    double scale = max_abs(X, len);
    for (size_t i = 0; i < len; i++)
        o->F[i] = (float)(X[i] / scale);
    /* The factor holds the lower triangle and the diagonal; the strict upper
     * triangle is still fl(A). */
    cblas_ssymm(CblasColMajor, CblasLeft, CblasUpper, (int)n, (int)nb, 1.0f, c->A, (int)n, o->F,
                (int)n, 0.0f, o->G, (int)n);
    for (size_t col = 0; col < nb; col++)
        for (size_t i = 0; i < n; i++) {
            double dfix = (double)(float)c->diag[i] - (double)c->A[i + i * n];
            size_t q = i + col * n;
            AX[q] = scale * ((double)o->G[q] + dfix * (double)o->F[q]);
        }
}

static void fop_restore(void *ctx)
{
    float_op *o = ctx;
    restore_lower_float(o->c->A, o->c->n, o->c->diag, 0.0);
}

/* The float fit's finite-time paths for solver_finite_flow: results in
 * Cfin (column-major n×k per finite time); t = ∞ comes after, by
 * solve_inf. */
typedef struct {
    fctx *c;
    const double *sc;
    size_t nf;
    const double *Ycm;
    double *Cfin;
    ntk_solution *s;
    int refill; /* 1: c->A no longer holds fl(Θ + λI) (eigenvectors) */
} float_problem;

/* Column-major n×k result blocks of the finite times, in f->Cfin. */
static double **finite_blocks(const float_problem *f)
{
    double **out = malloc((f->nf ? f->nf : 1) * sizeof *out);
    for (size_t i = 0; out && i < f->nf; i++)
        out[i] = f->Cfin + i * f->c->n * f->c->k;
    return out;
}

static ntk_status fpath_chebyshev(void *ctx, size_t max_degree, int *declined, ntk_error *err)
{
    float_problem *f = ctx;
    float_mat m = {f->c, NULL, NULL, NULL, 0};
    solver_matrix M;
    float_matrix(&m, &M);
    double **out = finite_blocks(f);
    cheb_plan plan;
    memset(&plan, 0, sizeof plan);
    ntk_status st = out ? solver_chebyshev(&M, f->sc, f->nf, f->Ycm, f->c->k, f->s->reg_abs,
                                           max_degree, out, NULL, &plan, declined,
                                           &f->c->pb->progress, err)
                        : ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (st == NTK_OK && !*declined)
        solver_record_chebyshev(f->s, &plan);
    cheb_plan_free(&plan);
    free(out);
    free(m.F);
    free(m.G);
    free(m.D);
    return st;
}

static ntk_status fpath_eigen(void *ctx, ntk_error *err)
{
    float_problem *f = ctx;
    float_mat m = {f->c, NULL, NULL, NULL, 0};
    solver_matrix M;
    float_matrix(&m, &M);
    double **out = finite_blocks(f);
    solver_eigen_info info;
    ntk_status st = out ? solver_eigen(&M, f->sc, f->nf, f->Ycm, f->c->k, f->s->reg_abs, out,
                                       NULL, &info, &f->c->pb->progress, err)
                        : ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (st == NTK_OK)
        solver_record_eigen(f->s, &info);
    f->refill = 1; /* c->A holds eigenvectors (or is lost) */
    free(out);
    free(m.F);
    free(m.G);
    free(m.D);
    return st;
}

/* Smallest pole for the float factorization, × mean diag: below it fl(A) + σI
 * is about as ill-conditioned as float can factor, and the inexact solves
 * only slow the space down. */
#define FLOAT_SHIFT_FLOOR 1e-5
/* Tolerance and stall floor of the estimate in float: the projection's
 * rounding (u_f·‖A‖ on the Ritz values) moves the coefficients by ~u_f·s·λ_max
 * relative, which the estimate cannot see below. */
#define FLOAT_KRYLOV_TOL 1e-7
#define FLOAT_KRYLOV_STALL 1e-4

static ntk_status fpath_krylov(void *ctx, size_t max_dim, int may_decline, int *declined,
                               ntk_error *err)
{
    float_problem *f = ctx;
    fctx *c = f->c;
    size_t n = c->n, k = c->k, len = n * k, nf = f->nf;
    const ntk_solve_params *p = c->pb->solve;
    *declined = 0;
    float_op o = {c, malloc(len * sizeof(float)), malloc(len * sizeof(float))};
    double *rm = ntk_alloc_checked(nf * len * sizeof(double), "Krylov coefficients", err);
    double **out = malloc(nf * sizeof *out);
    ntk_status st = NTK_OK;
    if (!o.F || !o.G || !rm || !out) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nf; i++)
        out[i] = rm + i * len;
    krylov_op op = {.ctx = &o, .n = n, .factor = fop_factor, .solve = fop_solve,
                    .apply = fop_apply, .restore = fop_restore,
                    .tol_default = FLOAT_KRYLOV_TOL, .stall = FLOAT_KRYLOV_STALL};
    double md = f->s->mean_diag > 0.0 ? f->s->mean_diag : 1.0;
    double shift = p->krylov_shift > 0.0
                       ? p->krylov_shift
                       : fmax(krylov_default_shift(f->sc, nf, md), FLOAT_SHIFT_FLOOR * md);
    krylov_info info;
    st = krylov_solve_op(&op, f->Ycm, k, f->sc, NULL, nf, f->s->reg_abs, md, shift,
                         p->krylov_tol, max_dim, out, NULL, &info, &c->pb->progress, err);
    if (st != NTK_OK)
        goto done;
    if (may_decline && !info.converged) {
        *declined = 1;
        goto done;
    }
    for (size_t i = 0; i < nf; i++)
        solver_to_col_major(out[i], n, k, f->Cfin + i * len);
    solver_record_krylov(f->s, &info);
done:
    free(o.F);
    free(o.G);
    free(rm);
    free(out);
    return st;
}

/* ------------------------------------------------------------------- fit */

/* Fill c->A with fl(Θ + λI) (and c->diag, s->mean_diag, s->reg_abs, c->anorm). */
static ntk_status fill_kernel(fctx *c, ntk_solution *s, double *seconds, ntk_error *err)
{
    size_t n = c->n;
    double t0 = omp_get_wtime();
    ntk_status st = for_blocks(c, "kernel", fill_block, NULL, err);
    *seconds = omp_get_wtime() - t0;
    if (st != NTK_OK)
        return st;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += c->diag[i];
    s->mean_diag = sum / (double)n;
    const ntk_solve_params *p = c->pb->solve;
    s->reg_abs = p->reg_scale == NTK_REG_RELATIVE ? p->reg * s->mean_diag : p->reg;
    for (size_t i = 0; i < n; i++) {
        c->diag[i] += s->reg_abs;
        c->A[i * n + i] = (float)c->diag[i];
    }
    double best = 0.0;
#pragma omp parallel for reduction(max : best) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float *r = c->A + i * n;
        double row = 0.0;
        for (size_t j = 0; j < n; j++)
            row += fabs((double)r[j]);
        if (row > best)
            best = row;
    }
    c->anorm = best > 0.0 ? best : 1.0;
    return NTK_OK;
}

ntk_status solver_float_fit(const ntk_fit_problem *pb, ntk_solution **out,
                            double *seconds_kernel, ntk_error *err)
{
    *out = NULL;
    *seconds_kernel = 0.0;
    const ntk_solve_params *p = pb->solve;
    size_t n = pb->n, k = pb->k, len = n * k;
    ntk_status st = solver_check_problem(n, pb->Y, k, p, err);
    if (st != NTK_OK)
        return st;
    size_t nt = p->n_times, nf = 0;
    for (size_t t = 0; t < nt; t++)
        nf += !isinf(p->times[t]);
    if (p->method == NTK_SOLVE_CHOLESKY && nf)
        return ntk_error_set(err, NTK_EINPUT, "the Cholesky path serves only t = inf");

    ntk_solution *s = solver_solution_new(n, k, p, err);
    if (!s)
        return err ? err->status : NTK_ENOMEM;
    s->single_precision = 1;
    s->refine_converged = 1;
    fctx c = {pb, n, k, NULL, NULL, NULL, 0, 0.0, 0.0};
    c.block = BLOCK_BYTES / (sizeof(double) * n);
    if (c.block < BLOCK_MIN_ROWS)
        c.block = BLOCK_MIN_ROWS;
    if (c.block > n)
        c.block = n;
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu (single precision)", n, n);
    c.A = ntk_alloc_checked(n * n * sizeof *c.A, what, err);
    c.K = c.A ? ntk_alloc_checked(c.block * n * sizeof *c.K, "kernel row block", err) : NULL;
    size_t wcols = k * (1 + nf);
    double *Ycm = malloc(len * sizeof *Ycm);
    double *W = malloc(n * wcols * sizeof *W), *TW = malloc(n * wcols * sizeof *TW);
    double *sc = malloc((nf ? nf : 1) * sizeof *sc);
    double *Cinf = malloc(len * sizeof *Cinf), *Finf = malloc(len * sizeof *Finf);
    rbufs b = {malloc(len * sizeof(double)), malloc(len * sizeof(double)),
               malloc(len * sizeof(double)), malloc(len * sizeof(double))};
    fsolver fs = {malloc(len * sizeof(float))};
    c.diag = malloc(n * sizeof *c.diag);
    if (!c.A || !c.K) {
        st = err && err->status ? err->status : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    if (!Ycm || !W || !TW || !sc || !Cinf || !Finf || !b.R || !b.D || !b.Cbest || !b.Fbest ||
        !fs.F1 || !c.diag) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    st = fill_kernel(&c, s, seconds_kernel, err);
    if (st != NTK_OK)
        goto done;
    solver_to_col_major(pb->Y, n, k, Ycm);
    double *Cfin = W + len, *Ffin = TW + len; /* finite times, column-major n×k each */
    for (size_t t = 0, f = 0; t < nt; t++)
        if (!isinf(p->times[t]))
            sc[f++] = solver_time_scale(p, n, k, p->times[t]);

    if (nf) {
        float_problem fp = {&c, sc, nf, Ycm, Cfin, s, 0};
        solver_paths paths = {&fp, fpath_chebyshev, fpath_krylov, fpath_eigen};
        st = solver_finite_flow(&paths, p->method, n, k, err);
        if (st != NTK_OK)
            goto done;
        /* t = ∞ refines with a Cholesky factor: V·Λ⁻¹·Vᵀ from float
         * eigenvectors (orthogonal to ~1e-6) amplifies their error by
         * λ_max/λ_min and does not converge. Evaluate the kernel again. */
        if (fp.refill && nf < nt) {
            double t0 = omp_get_wtime(), sk = 0.0;
            st = fill_kernel(&c, s, &sk, err);
            c.seconds_pass += omp_get_wtime() - t0;
            if (st != NTK_OK)
                goto done;
        }
    }
    size_t extra = s->train_pred ? k * nf : 0;
    if (nf < nt)
        st = solve_inf(&c, &fs, Ycm, W, TW, extra, &b, Cinf, Finf, s, err);
    else if (extra)
        st = theta_times(&c, Cfin, extra, Ffin, err);
    if (st != NTK_OK)
        goto done;
    s->seconds_refine = c.seconds_pass;
    for (size_t t = 0, f = 0; t < nt; t++) {
        int inf = isinf(p->times[t]);
        solver_to_row_major(inf ? Cinf : Cfin + f * len, n, k, s->coef + t * len);
        if (s->train_pred)
            solver_to_row_major(inf ? Finf : Ffin + f * len, n, k, s->train_pred + t * len);
        f += !inf;
    }
done:
    free(c.A);
    free(c.K);
    free(c.diag);
    free(Ycm);
    free(W);
    free(TW);
    free(sc);
    free(Cinf);
    free(Finf);
    free(b.R);
    free(b.D);
    free(b.Cbest);
    free(b.Fbest);
    free(fs.F1);
    if (st != NTK_OK) {
        ntk_solution_free(s);
        return st;
    }
    *out = s;
    return NTK_OK;
}

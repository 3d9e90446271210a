/* Distributed fit: kernel tiles, ridge, pdpotrf/pdpotrs or pdsyevd, coefficients. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"
#include "scalapack.h"
#include "linalg/gemm_thin.h"        /* the single-process solver's thin-block product */
#include "solver/solver_cheb.h"      /* Chebyshev coefficients, as the single-process path */
#include "solver/solver_internal.h"  /* the jitter ladder and solutions of solver.c */
#include "solver/solver_krylov.h"    /* the Krylov path, with a distributed operator */
#include "solver/solver_matrix.h"    /* the Chebyshev and eigen paths, with a distributed matrix */

typedef struct {
    uint64_t n, d, k, n_times;
    wire_arch arch;
    double reg, lr;
    int reg_scale, time_scale, method, want_train, threads, refused;
} fit_header;

/* MPI counts are ints: broadcast large arrays in pieces. */
void bcast_doubles(double *buf, size_t count)
{
    const size_t piece = (size_t)1 << 27;
    for (size_t off = 0; off < count; off += piece) {
        size_t c = count - off < piece ? count - off : piece;
        MPI_Bcast(buf + off, (int)c, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    }
}

/* Memory: the plan's estimate for this rank, summed over the ranks that share
 * this node, against what the node has available. */
static ntk_status check_memory(const ntk_mpi_engine *e, const ntk_mpi_plan *plan, ntk_error *err)
{
    unsigned long long mine = plan->bytes_per_rank, node = 0;
    MPI_Allreduce(&mine, &node, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, e->node);
    size_t avail = ntk_memory_available();
    if (avail && (double)node > 0.9 * (double)avail)
        return ntk_error_set(err, NTK_ENOMEM,
                             "the fit needs %.2f GiB per rank (%.2f GiB for the %d ranks on this "
                             "node) but only %.2f GiB is available; run on more nodes",
                             (double)mine / 1073741824.0, (double)node / 1073741824.0,
                             e->ranks_per_node, (double)avail / 1073741824.0);
    return NTK_OK;
}

/* Local part of a replicated row-major n×k matrix, distributed as D. */
static void scatter_local(const ntk_mpi_engine *e, const dist *D, const double *rm, size_t k,
                          double *local)
{
    for (int j = 0; j < D->lc; j++) {
        size_t gj = dist_gcol(e, D, j);
        for (int i = 0; i < D->lr; i++)
            local[(size_t)i + (size_t)j * D->lld] = rm[dist_grow(e, D, i) * k + gj];
    }
}

/* Add `shift` to the locally held diagonal entries. */
static void add_diagonal(const ntk_mpi_engine *e, const dist *D, double *A, double shift)
{
    for (int j = 0; j < D->lc; j++) {
        size_t gj = dist_gcol(e, D, j);
        for (int i = 0; i < D->lr; i++)
            if (dist_grow(e, D, i) == gj)
                A[(size_t)i + (size_t)j * D->lld] += shift;
    }
}

typedef struct {
    ntk_mpi_engine *e;
    fit_header h;
    ntk_arch arch;
    ntk_kernel_kind kind;
    const double *X, *Y; /* replicated */
    const double *times;
    dist D;              /* the n×n kernel */
    double *A;
    ntk_solution *s;     /* rank 0 only */
    double reg_abs, mean_diag;
    const ntk_progress *progress;
    ntk_solve_params sp; /* lr and time scale, as received */
} fit_ctx;

static ntk_status kernel_tiles(fit_ctx *c, double shift, ntk_error *err)
{
    ntk_status st = dist_kernel(c->e, &c->D, &c->arch, c->kind, c->X, c->X, (size_t)c->h.d, c->A,
                                c->h.threads > 0 ? c->h.threads : 0, c->progress, err);
    if (st == NTK_OK && shift != 0.0)
        add_diagonal(c->e, &c->D, c->A, shift);
    return st;
}

static ntk_status fit_cholesky(fit_ctx *c, ntk_error *err)
{
    ntk_mpi_engine *e = c->e;
    int n = (int)c->h.n, k = (int)c->h.k, one = 1, info = 0;
    double jitter = 0.0;
    int exp10 = JITTER_FIRST_EXP;
    ntk_status st = NTK_OK;
    ntk_progress_report(c->progress, "cholesky", 0, 1);
    for (;;) {
        pdpotrf_("L", &n, c->A, &one, &one, c->D.desc, &info, 1);
        int worst = 0;
        MPI_Allreduce(&info, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (worst == 0)
            break;
        if (worst < 0 || info < 0) {
            st = ntk_error_set(err, NTK_EFAILED, "pdpotrf: illegal argument %d", -info);
            break;
        }
        if ((st = solver_jitter_next(c->mean_diag, &exp10, &jitter, err)) != NTK_OK)
            break;
        /* pdpotrf overwrote the lower triangle: evaluate the tiles again. */
        st = kernel_tiles(c, c->reg_abs + jitter, err);
        if (engine_agree(e, st, err) != NTK_OK)
            return err ? err->status : NTK_EFAILED;
    }
    ntk_progress_report(c->progress, "cholesky", 1, 1);
    if (engine_agree(e, st, err) != NTK_OK)
        return err ? err->status : NTK_EFAILED;
    dist B;
    dist_init(e, n, k, c->D.nb, &B);
    double *Bl = malloc((size_t)B.lld * (size_t)(B.lc > 0 ? B.lc : 1) * sizeof *Bl);
    double *full = e->rank == 0 ? malloc((size_t)n * (size_t)k * sizeof *full) : NULL;
    st = !Bl || (e->rank == 0 && !full) ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (engine_agree(e, st, err) != NTK_OK) {
        free(Bl);
        free(full);
        return err ? err->status : NTK_EFAILED;
    }
    scatter_local(e, &B, c->Y, (size_t)k, Bl);
    pdpotrs_("L", &n, &k, c->A, &one, &one, c->D.desc, Bl, &one, &one, B.desc, &info, 1);
    st = info ? ntk_error_set(err, NTK_EFAILED, "pdpotrs failed (info %d)", info) : NTK_OK;
    if (engine_agree(e, st, err) == NTK_OK) {
        dist_gather(e, &B, Bl, full);
        if (e->rank == 0) {
            ntk_solution *s = c->s;
            s->jitter = jitter;
            double shift = c->reg_abs + jitter;
            size_t len = (size_t)n * (size_t)k;
            for (size_t t = 0; t < s->n_times; t++) {
                if (!isinf(s->times[t]))
                    continue; /* finite times came from the Chebyshev expansion */
                double *C = s->coef + t * len;
                solver_to_row_major(full, (size_t)n, (size_t)k, C);
                if (s->train_pred)
                    for (size_t i = 0; i < len; i++)
                        s->train_pred[t * len + i] = c->Y[i] - shift * C[i];
            }
        }
    }
    free(Bl);
    free(full);
    return err && err->status ? err->status : NTK_OK;
}

/* Y = A·T for the distributed symmetric A and a replicated n×k block T
 * (row-major), Y replicated: each rank multiplies its tile by the rows of T it
 * needs with the thin-block product of the single-process solver (its tile,
 * read row-major, is the block A[cols, rows] by symmetry), the partial rows
 * are summed across ranks. Per rank: 2·tile·k flops at about the dgemm peak
 * and one allreduce of n×k doubles. */
static ntk_status dist_symm_thin(const fit_ctx *c, const double *T, size_t k, double *Tr,
                                 double *P, double *Y, ntk_error *err)
{
    const ntk_mpi_engine *e = c->e;
    const dist *D = &c->D;
    size_t n = (size_t)c->h.n, lr = (size_t)D->lr, lc = (size_t)D->lc;
    memset(Y, 0, n * k * sizeof *Y);
    if (lr > 0 && lc > 0) {
        for (size_t i = 0; i < lr; i++)
            memcpy(Tr + i * k, T + dist_grow(e, D, (int)i) * k, k * sizeof *Tr);
        if (gemm_thin(lc, lr, k, 1.0, c->A, (size_t)D->lld, Tr, k, 0.0, P, k) != 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)lc, (int)k, (int)lr, 1.0,
                        c->A, D->lld, Tr, (int)k, 0.0, P, (int)k);
        for (size_t j = 0; j < lc; j++) {
            double *dst = Y + dist_gcol(e, D, (int)j) * k;
            for (size_t q = 0; q < k; q++)
                dst[q] = P[j * k + q];
        }
    }
    /* MPI counts are ints: sum in pieces. */
    const size_t piece = (size_t)1 << 27;
    for (size_t off = 0; off < n * k; off += piece) {
        size_t cnt = n * k - off < piece ? n * k - off : piece;
        if (MPI_Allreduce(MPI_IN_PLACE, Y + off, (int)cnt, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
            return ntk_error_set(err, NTK_EFAILED, "MPI_Allreduce failed");
    }
    return NTK_OK;
}

/* The distributed matrix as a solver_matrix (src/solver/solver_matrix.h):
 * the Chebyshev and eigen paths of the single-process solver, run by every
 * rank in lockstep on replicated n×k blocks. A product is dist_symm_thin
 * (one allreduce of n×k), a pass of |A| sums the tiles' rows across ranks,
 * the eigensolver is pdsyevd (eigenvectors in a second tile) and products
 * with its eigenvectors are pdgemm, gathered and broadcast. */
typedef struct {
    fit_ctx *c;
    double *Tr, *P; /* local scratch, lmax × cap */
    double *R;      /* replicated n × cap */
    size_t cap;
    double *Z;      /* eigenvectors (local tile), after eigen */
} mpi_mat;

static ntk_status mm_scratch(mpi_mat *m, size_t k, ntk_error *err)
{
    ntk_status st = NTK_OK;
    if (k > m->cap) {
        const dist *D = &m->c->D;
        size_t n = (size_t)m->c->h.n, lmax = (size_t)(D->lr > D->lc ? D->lr : D->lc);
        free(m->Tr);
        free(m->P);
        free(m->R);
        m->Tr = malloc((lmax ? lmax : 1) * k * sizeof *m->Tr);
        m->P = malloc((lmax ? lmax : 1) * k * sizeof *m->P);
        m->R = malloc(n * k * sizeof *m->R);
        m->cap = m->Tr && m->P && m->R ? k : 0;
        if (!m->cap)
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    return engine_agree(m->c->e, st, err);
}

static ntk_status mm_agree(void *ctx, ntk_status st, ntk_error *err)
{
    return engine_agree(((mpi_mat *)ctx)->c->e, st, err);
}

/* Each rank's tile rows, summed across the ranks holding each row's pieces. */
static ntk_status mm_abs_product(void *ctx, const double *d, double *y, ntk_error *err)
{
    const fit_ctx *c = ((mpi_mat *)ctx)->c;
    const dist *D = &c->D;
    size_t n = (size_t)c->h.n;
    memset(y, 0, n * sizeof *y);
    for (int j = 0; j < D->lc; j++) {
        double dj = d[dist_gcol(c->e, D, j)];
        for (int i = 0; i < D->lr; i++)
            y[dist_grow(c->e, D, i)] += fabs(c->A[(size_t)i + (size_t)j * D->lld]) * dj;
    }
    ntk_status st = MPI_Allreduce(MPI_IN_PLACE, y, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) ==
                            MPI_SUCCESS
                        ? NTK_OK
                        : ntk_error_set(err, NTK_EFAILED, "MPI_Allreduce failed");
    return engine_agree(c->e, st, err);
}

static ntk_status mm_cheb_step(void *ctx, size_t k, size_t ld, double alpha, const double *B,
                               double beta, double gamma, double *C, size_t nacc,
                               const double *coef, double *const *acc, ntk_error *err)
{
    mpi_mat *m = ctx;
    size_t n = (size_t)m->c->h.n;
    ntk_status st = mm_scratch(m, k, err);
    if (st == NTK_OK)
        st = engine_agree(m->c->e, dist_symm_thin(m->c, B, k, m->Tr, m->P, m->R, err), err);
    if (st != NTK_OK)
        return st;
    (void)ld; /* block_ld is NULL: ld = k */
    solver_cheb_finish(n, k, k, alpha, m->R, k, B, beta, gamma, C, nacc, coef, acc);
    return NTK_OK;
}

/* F = A·C (column-major n×w): C transposed into F, the product into R,
 * transposed back into F. */
static ntk_status mm_product(void *ctx, const double *C, size_t w, double *F, ntk_error *err)
{
    mpi_mat *m = ctx;
    size_t n = (size_t)m->c->h.n;
    ntk_status st = mm_scratch(m, w, err);
    if (st != NTK_OK)
        return st;
    solver_to_row_major(C, n, w, F);
    st = engine_agree(m->c->e, dist_symm_thin(m->c, F, w, m->Tr, m->P, m->R, err), err);
    if (st == NTK_OK)
        solver_to_col_major(m->R, n, w, F);
    return st;
}

static ntk_status mm_eigen(void *ctx, double *w, ntk_error *err)
{
    mpi_mat *m = ctx;
    fit_ctx *c = m->c;
    ntk_mpi_engine *e = c->e;
    int n = (int)c->h.n, one = 1, info = 0;
    size_t tile = (size_t)c->D.lld * (size_t)(c->D.lc > 0 ? c->D.lc : 1);
    double *work = NULL;
    int *iwork = NULL;
    m->Z = malloc(tile * sizeof *m->Z);
    ntk_status st = !m->Z ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (engine_agree(e, st, err) != NTK_OK)
        return err->status;
    double wq = 0;
    int iq = 0, lwork = -1, liwork = -1;
    pdsyevd_("V", "L", &n, c->A, &one, &one, c->D.desc, w, m->Z, &one, &one, c->D.desc, &wq,
             &lwork, &iq, &liwork, &info, 1, 1);
    lwork = (int)fmin(wq * 1.01 + 64, 2147483647.0);
    liwork = iq > 1 ? iq : 1;
    work = malloc((size_t)lwork * sizeof *work);
    iwork = malloc((size_t)liwork * sizeof *iwork);
    st = !work || !iwork ? ntk_error_set(err, NTK_ENOMEM, "out of memory (pdsyevd workspace)")
                         : NTK_OK;
    if (engine_agree(e, st, err) == NTK_OK) {
        pdsyevd_("V", "L", &n, c->A, &one, &one, c->D.desc, w, m->Z, &one, &one, c->D.desc,
                 work, &lwork, iwork, &liwork, &info, 1, 1);
        st = info ? ntk_error_set(err, NTK_ENUMERIC,
                                  "the eigendecomposition failed (pdsyevd info %d)", info)
                  : NTK_OK;
        st = engine_agree(e, st, err);
    }
    free(work);
    free(iwork);
    return err && err->status ? err->status : st;
}

/* Out = Z·X or Zᵀ·X by pdgemm on the distributed block, gathered on rank 0
 * and broadcast. */
static ntk_status mm_eigvec(void *ctx, int trans, const double *X, size_t k, double *Out,
                            ntk_error *err)
{
    mpi_mat *m = ctx;
    fit_ctx *c = m->c;
    ntk_mpi_engine *e = c->e;
    int n = (int)c->h.n, kk = (int)k, one = 1;
    dist Yd;
    dist_init(e, n, kk, c->D.nb, &Yd);
    size_t ytile = (size_t)Yd.lld * (size_t)(Yd.lc > 0 ? Yd.lc : 1);
    double *Xl = malloc(ytile * sizeof *Xl), *Rl = malloc(ytile * sizeof *Rl);
    ntk_status st = !Xl || !Rl ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (st == NTK_OK)
        st = mm_scratch(m, k, err);
    else
        st = engine_agree(e, st, err);
    if (st == NTK_OK) {
        solver_to_row_major(X, (size_t)n, k, m->R);
        scatter_local(e, &Yd, m->R, k, Xl);
        double alpha = 1.0, beta = 0.0;
        pdgemm_(trans ? "T" : "N", "N", &n, &kk, &n, &alpha, m->Z, &one, &one, c->D.desc, Xl,
                &one, &one, Yd.desc, &beta, Rl, &one, &one, Yd.desc);
        dist_gather(e, &Yd, Rl, e->rank == 0 ? Out : NULL);
        bcast_doubles(Out, (size_t)n * k);
    }
    free(Xl);
    free(Rl);
    return st;
}

static void mpi_matrix(mpi_mat *m, solver_matrix *M)
{
    memset(M, 0, sizeof *M);
    M->ctx = m;
    M->n = (size_t)m->c->h.n;
    M->abs_product = mm_abs_product;
    M->cheb_step = mm_cheb_step;
    M->product = mm_product;
    M->eigen = mm_eigen;
    M->eigvec = mm_eigvec;
    M->agree = mm_agree;
}

static void mpi_mat_free(mpi_mat *m)
{
    free(m->Tr);
    free(m->P);
    free(m->R);
    free(m->Z);
}

/* The times of the job for a shared path (all, or the finite ones), their
 * slots, the targets column-major and result blocks on every rank (rank 0
 * copies them into the solution). */
typedef struct {
    size_t ns, *slot;
    double *sc, *Ycm, *buf, **blk; /* blk[0..ns): coefficients; blk[ns..2ns): fits or NULL */
} mpi_times;

static ntk_status times_init(fit_ctx *c, int finite_only, mpi_times *t, ntk_error *err)
{
    size_t n = (size_t)c->h.n, k = (size_t)c->h.k, nt = (size_t)c->h.n_times, len = n * k;
    memset(t, 0, sizeof *t);
    t->slot = malloc(nt * sizeof *t->slot);
    t->sc = malloc(nt * sizeof *t->sc);
    t->Ycm = malloc(len * sizeof *t->Ycm);
    t->blk = malloc(2 * nt * sizeof *t->blk);
    t->buf = malloc(2 * nt * len * sizeof *t->buf);
    ntk_status st = !t->slot || !t->sc || !t->Ycm || !t->blk || !t->buf
                        ? ntk_error_set(err, NTK_ENOMEM, "out of memory")
                        : NTK_OK;
    if (engine_agree(c->e, st, err) != NTK_OK)
        return err->status;
    for (size_t q = 0; q < nt; q++)
        if (!finite_only || !isinf(c->times[q])) {
            t->sc[t->ns] = solver_time_scale(&c->sp, n, k, c->times[q]);
            t->slot[t->ns++] = q;
        }
    for (size_t f = 0; f < t->ns; f++) {
        t->blk[f] = t->buf + f * len;
        t->blk[t->ns + f] = c->h.want_train ? t->buf + (t->ns + f) * len : NULL;
    }
    solver_to_col_major(c->Y, n, k, t->Ycm);
    return NTK_OK;
}

/* Rank 0: the result blocks into the solution (row-major). */
static void times_store(const fit_ctx *c, const mpi_times *t)
{
    size_t n = (size_t)c->h.n, k = (size_t)c->h.k, len = n * k;
    if (c->e->rank != 0)
        return;
    for (size_t f = 0; f < t->ns; f++) {
        solver_to_row_major(t->blk[f], n, k, c->s->coef + t->slot[f] * len);
        if (c->h.want_train)
            solver_to_row_major(t->blk[t->ns + f], n, k, c->s->train_pred + t->slot[f] * len);
    }
}

static void times_free(mpi_times *t)
{
    free(t->slot);
    free(t->sc);
    free(t->Ycm);
    free(t->blk);
    free(t->buf);
}

/* Finite times by the shared Chebyshev path (A only read, so t = ∞ can
 * factor it afterwards). *declined (nothing done) past max_degree. */
static ntk_status fit_chebyshev(fit_ctx *c, size_t max_degree, int *declined, ntk_error *err)
{
    *declined = 0;
    mpi_times t;
    ntk_status st = times_init(c, 1, &t, err);
    mpi_mat m = {c, NULL, NULL, NULL, 0, NULL};
    solver_matrix M;
    mpi_matrix(&m, &M);
    cheb_plan plan;
    memset(&plan, 0, sizeof plan);
    if (st == NTK_OK)
        st = solver_chebyshev(&M, t.sc, t.ns, t.Ycm, (size_t)c->h.k, c->reg_abs, max_degree,
                              t.blk, c->h.want_train ? t.blk + t.ns : NULL, &plan, declined,
                              c->progress, err);
    if (st == NTK_OK && !*declined) {
        times_store(c, &t);
        if (c->e->rank == 0)
            solver_record_chebyshev(c->s, &plan);
    }
    cheb_plan_free(&plan);
    mpi_mat_free(&m);
    times_free(&t);
    return err && err->status ? err->status : st;
}

/* Every time, t = ∞ included (the minimum-norm interpolant on a singular
 * kernel, as the single-process solver), by the shared eigen path. */
static ntk_status fit_eigen(fit_ctx *c, ntk_error *err)
{
    mpi_times t;
    ntk_status st = times_init(c, 0, &t, err);
    mpi_mat m = {c, NULL, NULL, NULL, 0, NULL};
    solver_matrix M;
    mpi_matrix(&m, &M);
    solver_eigen_info info;
    if (st == NTK_OK)
        st = solver_eigen(&M, t.sc, t.ns, t.Ycm, (size_t)c->h.k, c->reg_abs, t.blk,
                          c->h.want_train ? t.blk + t.ns : NULL, &info, c->progress, err);
    if (st == NTK_OK) {
        times_store(c, &t);
        if (c->e->rank == 0)
            solver_record_eigen(c->s, &info);
    }
    mpi_mat_free(&m);
    times_free(&t);
    return err && err->status ? err->status : st;
}

/* The Krylov path of src/solver/solver_krylov.c with the distributed matrix: every
 * rank runs it in lockstep on replicated n×k blocks and a replicated basis;
 * the shift-invert solve is pdpotrf of A + σI (once) and pdpotrs per step,
 * its result gathered and broadcast from rank 0 (so every rank extends the
 * same basis), and the stopping decisions are rank 0's (agree). pdpotrf
 * overwrites A's lower triangle: the tiles are evaluated again afterwards if
 * t = ∞ or the eigen fallback needs A. */
typedef struct {
    fit_ctx *c;
    int intact;   /* c->A holds Θ + λI */
    double *Bl;   /* local tile of an n×k block */
} mpi_kop;

static int mk_factor(void *ctx, double sigma)
{
    mpi_kop *o = ctx;
    fit_ctx *c = o->c;
    int n = (int)c->h.n, one = 1, info = 0, worst = 0;
    if (o->intact) {
        add_diagonal(c->e, &c->D, c->A, sigma);
    } else {
        ntk_error e2 = {0};
        if (engine_agree(c->e, kernel_tiles(c, c->reg_abs + sigma, &e2), &e2) != NTK_OK)
            return -1;
    }
    o->intact = 0;
    pdpotrf_("L", &n, c->A, &one, &one, c->D.desc, &info, 1);
    MPI_Allreduce(&info, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int least = 0;
    MPI_Allreduce(&info, &least, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return least < 0 ? least : worst;
}

static void mk_solve(void *ctx, double *W, size_t nb)
{
    mpi_kop *o = ctx;
    fit_ctx *c = o->c;
    ntk_mpi_engine *e = c->e;
    int n = (int)c->h.n, m = (int)nb, one = 1, info = 0;
    dist B;
    dist_init(e, n, m, c->D.nb, &B);
    for (int j = 0; j < B.lc; j++) {
        size_t gj = dist_gcol(e, &B, j);
        for (int i = 0; i < B.lr; i++)
            o->Bl[(size_t)i + (size_t)j * B.lld] = W[dist_grow(e, &B, i) + gj * (size_t)n];
    }
    pdpotrs_("L", &n, &m, c->A, &one, &one, c->D.desc, o->Bl, &one, &one, B.desc, &info, 1);
    dist_gather(e, &B, o->Bl, e->rank == 0 ? W : NULL);
    bcast_doubles(W, (size_t)n * nb);
}

static void mk_restore(void *ctx)
{
    (void)ctx; /* lazily: fit_krylov evaluates the tiles again if needed */
}

static void mk_agree(void *ctx, double *buf, size_t count)
{
    (void)ctx;
    MPI_Bcast(buf, (int)count, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

static int any_infinite(const fit_ctx *c)
{
    for (size_t t = 0; t < (size_t)c->h.n_times; t++)
        if (isinf(c->times[t]))
            return 1;
    return 0;
}

static ntk_status fit_krylov(fit_ctx *c, size_t max_dim, int may_decline, int *declined,
                             ntk_error *err)
{
    ntk_mpi_engine *e = c->e;
    size_t n = (size_t)c->h.n, k = (size_t)c->h.k, nt = (size_t)c->h.n_times, nf = 0,
           len = n * k;
    *declined = 0;
    /* The basis is replicated: at most as many columns as keep it within
     * this rank's tile of A. */
    size_t tile = (size_t)c->D.lld * (size_t)(c->D.lc > 0 ? c->D.lc : 1);
    size_t most = tile / n > k ? tile / n : k;
    if (max_dim > most)
        max_dim = most;
    dist Bk;
    dist_init(e, (int)n, (int)k, c->D.nb, &Bk);
    mpi_kop o = {c, 1, malloc((size_t)Bk.lld * (size_t)(Bk.lc > 0 ? Bk.lc : 1) * sizeof(double))};
    double *sc = malloc(nt * sizeof *sc), *Ycm = malloc(len * sizeof *Ycm);
    double **out = malloc(2 * nt * sizeof *out);
    double *scratch = e->rank == 0 ? NULL : malloc(2 * nt * len * sizeof *scratch + 1);
    size_t *slot = malloc(nt * sizeof *slot);
    ntk_status st = !o.Bl || !sc || !Ycm || !out || !slot || (e->rank != 0 && !scratch)
                        ? ntk_error_set(err, NTK_ENOMEM, "out of memory")
                        : NTK_OK;
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;
    for (size_t t = 0; t < nt; t++)
        if (!isinf(c->times[t])) {
            sc[nf] = solver_time_scale(&c->sp, n, k, c->times[t]);
            slot[nf++] = t;
        }
    int want_fit = c->h.want_train != 0;
    for (size_t f = 0; f < nf; f++) {
        out[f] = e->rank == 0 ? c->s->coef + slot[f] * len : scratch + f * len;
        out[nf + f] = !want_fit        ? NULL
                      : e->rank == 0 ? c->s->train_pred + slot[f] * len
                                     : scratch + (nt + f) * len;
    }
    solver_to_col_major(c->Y, n, k, Ycm);
    krylov_op op = {.ctx = &o, .n = n, .factor = mk_factor, .solve = mk_solve,
                    .restore = mk_restore, .agree = mk_agree};
    krylov_info info;
    /* No progress callback: an interruption seen by rank 0 alone would
     * leave the others waiting in the lockstep. */
    st = krylov_solve_op(&op, Ycm, k, sc, NULL, nf, c->reg_abs, c->mean_diag, 0.0, 0.0, max_dim,
                         out, want_fit ? out + nf : NULL, &info, NULL, err);
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;
    *declined = may_decline && !info.converged;
    if (!*declined && e->rank == 0)
        solver_record_krylov(c->s, &info);
    if (!o.intact && (*declined || any_infinite(c))) {
        st = kernel_tiles(c, c->reg_abs, err);
        if (engine_agree(e, st, err) != NTK_OK)
            goto done;
    }
    if (!*declined && any_infinite(c))
        st = fit_cholesky(c, err);
done:
    free(o.Bl);
    free(sc);
    free(Ycm);
    free(out);
    free(scratch);
    free(slot);
    return err && err->status ? err->status : st;
}

/* The three finite-time paths for solver_finite_flow (the rule shared with
 * the single-process solver); each also serves t = ∞ afterwards. */
static ntk_status mp_chebyshev(void *ctx, size_t max_degree, int *declined, ntk_error *err)
{
    fit_ctx *c = ctx;
    ntk_status st = fit_chebyshev(c, max_degree, declined, err);
    if (st == NTK_OK && !*declined && any_infinite(c))
        st = fit_cholesky(c, err);
    return st;
}

static ntk_status mp_krylov(void *ctx, size_t max_dim, int may_decline, int *declined,
                            ntk_error *err)
{
    return fit_krylov(ctx, max_dim, may_decline, declined, err);
}

static ntk_status mp_eigen(void *ctx, ntk_error *err)
{
    fit_ctx *c = ctx;
    /* pdsyevd needs three more tiles: check them now. */
    ntk_mpi_plan ep;
    ntk_mpi_engine_plan(c->e, (size_t)c->h.n, (size_t)c->h.k, 1, &ep);
    ntk_status st = check_memory(c->e, &ep, err);
    if (engine_agree(c->e, st, err) != NTK_OK)
        return err ? err->status : st;
    return fit_eigen(c, err);
}

ntk_status mpi_fit_job(ntk_mpi_engine *e, const ntk_fit_problem *pb, ntk_solution **out,
                       double *seconds_kernel, ntk_error *err)
{
    *out = NULL;
    *seconds_kernel = 0.0;
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.e = e;
    ntk_status st = NTK_OK;
    if (e->rank == 0) {
        c.h.n = pb->n;
        c.h.d = pb->d;
        c.h.k = pb->k;
        c.h.n_times = pb->solve->n_times;
        wire_arch_pack(pb->arch, pb->kind, &c.h.arch);
        c.h.reg = pb->solve->reg;
        c.h.lr = pb->solve->lr;
        c.h.reg_scale = (int)pb->solve->reg_scale;
        c.h.time_scale = (int)pb->solve->time_scale;
        c.h.method = (int)pb->solve->method;
        c.h.want_train = pb->solve->want_train_predictions;
        c.h.threads = pb->threads;
        const char *msg = ntk_solve_params_check(pb->solve);
        if (pb->arch->act.kind == NTK_ACT_CUSTOM)
            msg = "custom C activations cannot be sent to other ranks";
        if (!msg && (pb->n > INT32_MAX / 2 || pb->n * pb->k > INT32_MAX))
            msg = "too many rows or outputs for 32-bit ScaLAPACK indices";
        if (msg) {
            c.h.refused = 1;
            st = ntk_error_set(err, NTK_EINPUT, "%s", msg);
        }
    }
    MPI_Bcast(&c.h, (int)sizeof c.h, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (c.h.refused)
        return e->rank == 0 ? st : NTK_EINPUT;
    size_t n = (size_t)c.h.n, d = (size_t)c.h.d, k = (size_t)c.h.k, nt = (size_t)c.h.n_times;
    double *X = NULL, *Y = NULL, *times = NULL;
    if (e->rank == 0) {
        c.X = pb->X;
        c.Y = pb->Y;
        c.times = pb->solve->times;
        c.progress = &pb->progress;
    } else {
        X = malloc(n * d * sizeof *X + 1);
        Y = malloc(n * k * sizeof *Y + 1);
        times = malloc(nt * sizeof *times + 1);
        c.X = X;
        c.Y = Y;
        c.times = times;
    }
    /* A rank that cannot hold the data says so before the broadcasts, and
     * every rank leaves the job together with that error. */
    if (e->rank != 0 && (!X || !Y || !times))
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory for the training data (%zu x %zu)",
                           n, d);
    if ((st = engine_agree(e, st, err)) != NTK_OK)
        goto done;
    bcast_doubles((double *)c.times, nt);
    bcast_doubles((double *)c.X, n * d);
    bcast_doubles((double *)c.Y, n * k);
    wire_arch_unpack(&c.h.arch, &c.arch, &c.kind);
    ntk_solve_params_init(&c.sp);
    c.sp.lr = c.h.lr;
    c.sp.time_scale = (ntk_time_scale)c.h.time_scale;
    engine_prepare(e, c.h.threads);

    int finite = 0;
    for (size_t t = 0; t < nt; t++)
        finite |= !isinf(c.times[t]);
    /* The kernel tile first; the eigen path's extra tiles are checked when
     * it is chosen (the Chebyshev path needs none). */
    ntk_mpi_plan plan;
    ntk_mpi_engine_plan(e, n, k, c.h.method == NTK_SOLVE_EIGEN, &plan);
    if (e->rank == 0 && e->on_plan)
        e->on_plan(e->on_plan_ctx, &plan, n);
    st = check_memory(e, &plan, err);
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;
    dist_init(e, (int)n, (int)n, plan.nb, &c.D);
    c.A = malloc((size_t)c.D.lld * (size_t)(c.D.lc > 0 ? c.D.lc : 1) * sizeof *c.A);
    if (e->rank == 0)
        c.s = solver_solution_new(n, k, pb->solve, err);
    st = !c.A || (e->rank == 0 && !c.s) ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_OK;
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;

    double t0 = omp_get_wtime();
    st = kernel_tiles(&c, 0.0, err);
    if (st == NTK_OK)
        for (size_t i = 0; i < (size_t)c.D.lld * (size_t)c.D.lc && st == NTK_OK; i++)
            if (!isfinite(c.A[i]))
                st = ntk_error_set(err, NTK_ENUMERIC, "the training kernel has a non-finite entry");
    MPI_Barrier(MPI_COMM_WORLD);
    *seconds_kernel = omp_get_wtime() - t0;
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;

    double sum = 0.0, total = 0.0;
    for (int j = 0; j < c.D.lc; j++) {
        size_t gj = dist_gcol(e, &c.D, j);
        for (int i = 0; i < c.D.lr; i++)
            if (dist_grow(e, &c.D, i) == gj)
                sum += c.A[(size_t)i + (size_t)j * c.D.lld];
    }
    MPI_Allreduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    c.mean_diag = total / (double)n;
    c.reg_abs = c.h.reg_scale == NTK_REG_RELATIVE ? c.h.reg * c.mean_diag : c.h.reg;
    add_diagonal(e, &c.D, c.A, c.reg_abs);
    if (c.s) {
        c.s->mean_diag = c.mean_diag;
        c.s->reg_abs = c.reg_abs;
    }
    if (!finite && c.h.method != NTK_SOLVE_EIGEN) {
        st = fit_cholesky(&c, err);
    } else {
        solver_paths paths = {&c, mp_chebyshev, mp_krylov, mp_eigen};
        st = solver_finite_flow(&paths, (ntk_solve_method)c.h.method, n, k, err);
    }
done:
    free(c.A);
    free(X);
    free(Y);
    free(times);
    if (st != NTK_OK || (err && err->status != NTK_OK)) {
        ntk_solution_free(c.s);
        return err && err->status ? err->status : st;
    }
    *out = c.s;
    return NTK_OK;
}

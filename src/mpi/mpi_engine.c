/* The ScaLAPACK engine: grid, job protocol and collective error handling. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi_internal.h"
#include "scalapack.h"

/* The job number, from rank 0 to all. Non-blocking with a sleeping wait on
 * the serving ranks: between jobs (rank 0 reading files, selecting,
 * reporting) they sleep instead of spinning in MPI's busy-wait, so rank 0
 * keeps the node's cores. */
static int job_bcast(int rank, int job)
{
    MPI_Request req;
    if (MPI_Ibcast(&job, 1, MPI_INT, 0, MPI_COMM_WORLD, &req) != MPI_SUCCESS)
        return -1;
    if (rank == 0) {
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        return job;
    }
    int done = 0;
    struct timespec nap = {0, 1000000}; /* 1 ms */
    for (;;) {
        if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        if (done)
            return job;
        nanosleep(&nap, NULL);
    }
}

static ntk_status engine_fit(const ntk_engine *eng, const ntk_fit_problem *pb, ntk_solution **out,
                             double *seconds_kernel, ntk_error *err)
{
    ntk_mpi_engine *e = eng->ctx;
    job_bcast(0, JOB_FIT);
    return mpi_fit_job(e, pb, out, seconds_kernel, err);
}

static ntk_status engine_predict(const ntk_engine *eng, const ntk_model *m, const double *X,
                                 size_t rows, double *scores, int threads,
                                 const ntk_progress *progress, ntk_error *err)
{
    ntk_mpi_engine *e = eng->ctx;
    job_bcast(0, JOB_PREDICT);
    return mpi_predict_job(e, m, X, rows, scores, threads, progress, err);
}

static ntk_status engine_stream(const ntk_engine *eng, const char *path,
                                const ntk_read_options *ro, const ntk_encode_options *eo,
                                const ntk_train_params *p, ntk_model **out, size_t *n_train,
                                ntk_error *err)
{
    ntk_mpi_engine *e = eng->ctx;
    job_bcast(0, JOB_STREAM);
    mpi_stream_args in = {path, ro, eo, p};
    return mpi_stream_job(e, &in, out, n_train, err);
}

static ntk_status engine_nystrom(const ntk_engine *eng, const ntk_arch *a, ntk_kernel_kind kind,
                                 const double *X, size_t n, size_t d, const double *Y, size_t k,
                                 const ntk_solve_params *sp, const ntk_nystrom_params *np,
                                 int threads, ntk_nystrom_fit_result **out, ntk_error *err)
{
    ntk_mpi_engine *e = eng->ctx;
    mpi_nystrom_args in = {a, kind, X, Y, n, d, k, sp, np, threads};
    job_bcast(0, JOB_NYSTROM);
    return mpi_nystrom_job(e, &in, out, err);
}

/* Most square grid with nprow ≤ npcol. */
static void auto_grid(int size, int *p, int *q)
{
    int best = 1;
    for (int r = 1; r * r <= size; r++)
        if (size % r == 0)
            best = r;
    *p = best;
    *q = size / best;
}

ntk_status ntk_mpi_engine_create(int nprow, int npcol, int nb, ntk_mpi_engine **out,
                                 ntk_error *err)
{
    *out = NULL;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (nprow < 0 || npcol < 0 || nb < 0)
        return ntk_error_set(err, NTK_EINPUT, "grid and block size must be positive");
    if ((nprow > 0) != (npcol > 0))
        return ntk_error_set(err, NTK_EINPUT, "give both grid dimensions (PxQ)");
    if (nprow > 0 && (long)nprow * npcol != size)
        return ntk_error_set(err, NTK_EINPUT,
                             "the grid %dx%d needs %d ranks but %d were started", nprow, npcol,
                             nprow * npcol, size);
    ntk_mpi_engine *e = calloc(1, sizeof *e);
    if (!e)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    e->rank = rank;
    e->size = size;
    e->want_nb = nb;
    if (nprow > 0) {
        e->nprow = nprow;
        e->npcol = npcol;
    } else {
        auto_grid(size, &e->nprow, &e->npcol);
    }
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &e->node);
    MPI_Comm_size(e->node, &e->ranks_per_node);
    Cblacs_get(-1, 0, &e->ctxt);
    Cblacs_gridinit(&e->ctxt, "Row", e->nprow, e->npcol);
    int p, q;
    Cblacs_gridinfo(e->ctxt, &p, &q, &e->myrow, &e->mycol);
    e->engine.name = "scalapack";
    e->engine.fit = engine_fit;
    e->engine.predict = engine_predict;
    e->engine.nystrom_fit = engine_nystrom;
    e->engine.train_stream = engine_stream;
    e->engine.ctx = e;
    *out = e;
    return NTK_OK;
}

int ntk_mpi_engine_rank(const ntk_mpi_engine *e)
{
    return e->rank;
}

void ntk_mpi_engine_grid(const ntk_mpi_engine *e, int *nprow, int *npcol)
{
    *nprow = e->nprow;
    *npcol = e->npcol;
}

const ntk_engine *ntk_mpi_engine_get(ntk_mpi_engine *e)
{
    return &e->engine;
}

void ntk_mpi_engine_on_plan(ntk_mpi_engine *e, ntk_mpi_plan_fn fn, void *ctx)
{
    e->on_plan = fn;
    e->on_plan_ctx = ctx;
}

ntk_status ntk_mpi_serve(ntk_mpi_engine *e)
{
    for (;;) {
        int job = job_bcast(e->rank, JOB_STOP);
        if (job < 0)
            return NTK_EFAILED;
        ntk_error err = {0};
        if (job == JOB_FIT) {
            ntk_solution *s = NULL;
            double sk = 0;
            mpi_fit_job(e, NULL, &s, &sk, &err);
            ntk_solution_free(s);
        } else if (job == JOB_PREDICT) {
            mpi_predict_job(e, NULL, NULL, 0, NULL, 0, NULL, &err);
        } else if (job == JOB_STREAM) {
            ntk_model *m = NULL;
            size_t n = 0;
            mpi_stream_job(e, NULL, &m, &n, &err);
            ntk_model_free(m);
        } else if (job == JOB_NYSTROM) {
            ntk_nystrom_fit_result *r = NULL;
            mpi_nystrom_job(e, NULL, &r, &err);
            ntk_nystrom_fit_result_free(r);
        } else {
            return NTK_OK;
        }
    }
}

void ntk_mpi_engine_stop(ntk_mpi_engine *e)
{
    if (e->rank == 0)
        job_bcast(0, JOB_STOP);
}

void ntk_mpi_engine_free(ntk_mpi_engine *e)
{
    if (!e)
        return;
    Cblacs_gridexit(e->ctxt);
    MPI_Comm_free(&e->node);
    free(e);
}

int engine_block(const ntk_mpi_engine *e, size_t n)
{
    if (e->want_nb > 0)
        return e->want_nb;
    int maxpq = e->nprow > e->npcol ? e->nprow : e->npcol;
    int nb = 128;
    while (nb > 8 && (size_t)nb * (size_t)maxpq * 2 > n)
        nb /= 2;
    return nb;
}

void ntk_mpi_engine_plan(const ntk_mpi_engine *e, size_t n, size_t k, int eigen,
                         ntk_mpi_plan *plan)
{
    int nb = engine_block(e, n);
    size_t blocks = (n + (size_t)nb - 1) / (size_t)nb;
    size_t br = (blocks + (size_t)e->nprow - 1) / (size_t)e->nprow;
    size_t bc = (blocks + (size_t)e->npcol - 1) / (size_t)e->npcol;
    plan->nprow = e->nprow;
    plan->npcol = e->npcol;
    plan->nb = nb;
    plan->local_rows = br * (size_t)nb < n ? br * (size_t)nb : n;
    plan->local_cols = bc * (size_t)nb < n ? bc * (size_t)nb : n;
    size_t tile = plan->local_rows * plan->local_cols * sizeof(double);
    /* replicated inputs and n×k blocks: X is small next to the kernel; count
     * Y, coefficients and the gathered results generously. */
    size_t small = 8 * n * (k + 4) * sizeof(double);
    /* pdsyevd: eigenvectors (another tile) + its workspace, about
     * 2·NP·NQ doubles = two more tiles (LWORK ≥ 1 + 6N + 2·NP·NQ + …). */
    plan->bytes_per_rank_eigen = tile * 4 + small;
    plan->bytes_per_rank = eigen ? plan->bytes_per_rank_eigen : tile + small;
    plan->ranks_per_node = e->ranks_per_node;
}

void engine_prepare(ntk_mpi_engine *e, int threads)
{
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = (int)(cores > 0 ? cores : 1) / e->ranks_per_node;
        if (threads < 1)
            threads = 1;
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
}

ntk_status engine_agree(const ntk_mpi_engine *e, ntk_status st, ntk_error *err)
{
    int mine = st != NTK_OK ? e->rank : INT_MAX, first = INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX)
        return NTK_OK;
    struct {
        int status;
        char msg[NTK_ERROR_MSG_SIZE];
    } w;
    memset(&w, 0, sizeof w);
    if (e->rank == first) {
        w.status = (int)st;
        if (err)
            memcpy(w.msg, err->msg, sizeof w.msg);
    }
    MPI_Bcast(&w, (int)sizeof w, MPI_BYTE, first, MPI_COMM_WORLD);
    w.msg[sizeof w.msg - 1] = '\0';
    if (err) {
        err->status = (ntk_status)w.status;
        if (first != 0 && w.msg[0])
            snprintf(err->msg, sizeof err->msg, "rank %d: %.990s", first, w.msg);
        else
            memcpy(err->msg, w.msg, sizeof w.msg);
    }
    return (ntk_status)w.status;
}

void wire_arch_pack(const ntk_arch *a, ntk_kernel_kind kind, wire_arch *w)
{
    memset(w, 0, sizeof *w);
    w->depth = a->depth;
    w->fixed_layers = a->fixed_layers;
    w->act_kind = (int)a->act.kind;
    w->force_quadrature = a->act.force_quadrature;
    w->kind = (int)kind;
    memcpy(w->act_p, a->act.p, sizeof w->act_p);
    w->w_std = a->w_std;
    w->b_std = a->b_std;
}

void wire_arch_unpack(const wire_arch *w, ntk_arch *a, ntk_kernel_kind *kind)
{
    ntk_arch_init(a);
    ntk_activation_init(&a->act, (ntk_act_kind)w->act_kind);
    a->depth = w->depth;
    a->fixed_layers = w->fixed_layers;
    a->act.force_quadrature = w->force_quadrature;
    memcpy(a->act.p, w->act_p, sizeof w->act_p);
    a->w_std = w->w_std;
    a->b_std = w->b_std;
    *kind = (ntk_kernel_kind)w->kind;
}

int dist_init(const ntk_mpi_engine *e, int m, int n, int nb, dist *D)
{
    int zero = 0, info = 0;
    D->m = m;
    D->n = n;
    D->nb = nb;
    D->lr = numroc_(&m, &nb, &e->myrow, &zero, &e->nprow);
    D->lc = numroc_(&n, &nb, &e->mycol, &zero, &e->npcol);
    D->lld = D->lr > 1 ? D->lr : 1;
    descinit_(D->desc, &m, &n, &nb, &nb, &zero, &zero, &e->ctxt, &D->lld, &info);
    return info;
}

size_t dist_grow(const ntk_mpi_engine *e, const dist *D, int l)
{
    size_t b = (size_t)(l / D->nb);
    return (b * (size_t)e->nprow + (size_t)e->myrow) * (size_t)D->nb + (size_t)(l % D->nb);
}

size_t dist_gcol(const ntk_mpi_engine *e, const dist *D, int l)
{
    size_t b = (size_t)(l / D->nb);
    return (b * (size_t)e->npcol + (size_t)e->mycol) * (size_t)D->nb + (size_t)(l % D->nb);
}

ntk_status dist_kernel(const ntk_mpi_engine *e, const dist *D, const ntk_arch *a,
                       ntk_kernel_kind kind, const double *XR, const double *XC, size_t d,
                       double *local, int threads, const ntk_progress *progress, ntk_error *err)
{
    if (D->lr == 0 || D->lc == 0)
        return NTK_OK;
    double *R = malloc((size_t)D->lr * d * sizeof *R + 1);
    double *C = malloc((size_t)D->lc * d * sizeof *C + 1);
    if (!R || !C) {
        free(R);
        free(C);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (int l = 0; l < D->lr; l++)
        memcpy(R + (size_t)l * d, XR + dist_grow(e, D, l) * d, d * sizeof *R);
    for (int l = 0; l < D->lc; l++)
        memcpy(C + (size_t)l * d, XC + dist_gcol(e, D, l) * d, d * sizeof *C);
    /* Row-major lc×lr of Θ(column rows, row rows) is the column-major local
     * tile with leading dimension lr (the kernel is symmetric in its two
     * arguments). */
    ntk_kernel_options opt = {threads, progress ? *progress : (ntk_progress){NULL, NULL}};
    ntk_status st = ntk_kernel_eval(a, kind, C, (size_t)D->lc, R, (size_t)D->lr, d, local, &opt,
                                    err);
    free(R);
    free(C);
    return st;
}

int dist_gather(const ntk_mpi_engine *e, const dist *D, const double *local, double *full)
{
    int cnt = D->lr * D->lc;
    int *counts = NULL, *displs = NULL, *coords = NULL;
    double *buf = NULL;
    int me[2] = {e->myrow, e->mycol};
    if (e->rank == 0) {
        counts = malloc((size_t)e->size * sizeof *counts);
        displs = malloc((size_t)e->size * sizeof *displs);
        coords = malloc(2 * (size_t)e->size * sizeof *coords);
    }
    MPI_Gather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(me, 2, MPI_INT, coords, 2, MPI_INT, 0, MPI_COMM_WORLD);
    long total = 0;
    if (e->rank == 0) {
        for (int r = 0; r < e->size; r++) {
            displs[r] = (int)total;
            total += counts[r];
        }
        buf = malloc((size_t)(total > 0 ? total : 1) * sizeof *buf);
    }
    /* packed local tile (lld may exceed lr only when lr = 0) */
    double *pack = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *pack);
    for (int j = 0; j < D->lc; j++)
        memcpy(pack + (size_t)j * D->lr, local + (size_t)j * D->lld, (size_t)D->lr * sizeof *pack);
    MPI_Gatherv(pack, cnt, MPI_DOUBLE, buf, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(pack);
    if (e->rank == 0) {
        int zero = 0;
        for (int r = 0; r < e->size; r++) {
            int pr = coords[2 * r], pc = coords[2 * r + 1];
            int lr = numroc_(&D->m, &D->nb, &pr, &zero, &e->nprow);
            int lc = numroc_(&D->n, &D->nb, &pc, &zero, &e->npcol);
            const double *src = buf + displs[r];
            for (int j = 0; j < lc; j++) {
                size_t gj = ((size_t)(j / D->nb) * (size_t)e->npcol + (size_t)pc) * (size_t)D->nb +
                            (size_t)(j % D->nb);
                for (int i = 0; i < lr; i++) {
                    size_t gi = ((size_t)(i / D->nb) * (size_t)e->nprow + (size_t)pr) *
                                    (size_t)D->nb + (size_t)(i % D->nb);
                    full[gi + gj * (size_t)D->m] = src[(size_t)i + (size_t)j * lr];
                }
            }
        }
    }
    free(buf);
    free(counts);
    free(displs);
    free(coords);
    return 0;
}

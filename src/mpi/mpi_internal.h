/* Internals of the ScaLAPACK engine (ntk/mpi.h). */
#ifndef NTK_MPI_INTERNAL_H
#define NTK_MPI_INTERNAL_H

#include <mpi.h>
#include <stddef.h>

#include "ntk/kernel.h"
#include "ntk/model.h"
#include "ntk/nystrom.h"
#include "ntk/mpi.h"
#include "ntk/solver.h"

/* Jobs rank 0 broadcasts to the serving ranks. */
enum { JOB_STOP = 0, JOB_FIT = 1, JOB_PREDICT = 2, JOB_NYSTROM = 3, JOB_STREAM = 4 };

struct ntk_mpi_engine {
    ntk_engine engine;        /* what rank 0 hands to the model code */
    int rank, size;
    int want_prow, want_pcol, want_nb; /* as requested (0 = automatic) */
    int ctxt;                 /* BLACS context of the grid (-1 before the first job) */
    int nprow, npcol, myrow, mycol;
    int ranks_per_node;
    MPI_Comm node;            /* ranks sharing this node's memory */
    ntk_mpi_plan_fn on_plan;
    void *on_plan_ctx;
};

/* The architecture and kernel kind as sent to every rank (no pointers:
 * custom C activations cannot cross processes and are refused). */
typedef struct {
    int depth, fixed_layers, act_kind, force_quadrature, kind;
    double act_p[3], w_std, b_std;
} wire_arch;

void wire_arch_pack(const ntk_arch *a, ntk_kernel_kind kind, wire_arch *w);
void wire_arch_unpack(const wire_arch *w, ntk_arch *a, ntk_kernel_kind *kind);

/* Block-cyclic layout of an m×n matrix on the engine's grid, nb×nb blocks,
 * first block on process (0, 0). */
typedef struct {
    int m, n, nb;
    int lr, lc, lld;          /* local rows, columns, leading dimension */
    int desc[9];
} dist;

int dist_init(const ntk_mpi_engine *e, int m, int n, int nb, dist *D);
/* Global index (0-based) of local row / column l. */
size_t dist_grow(const ntk_mpi_engine *e, const dist *D, int l);
size_t dist_gcol(const ntk_mpi_engine *e, const dist *D, int l);

/* Block size for a problem of n rows on this grid (the request, or automatic). */
int engine_block(const ntk_mpi_engine *e, size_t n);
/* Make sure the BLACS grid exists (first job) and set per-rank threads. */
void engine_prepare(ntk_mpi_engine *e, int threads);

/* Local tiles of Θ(XR rows, XC rows) for a distributed matrix D whose rows
 * index XR and columns XC (both replicated, row-major, d columns). */
ntk_status dist_kernel(const ntk_mpi_engine *e, const dist *D, const ntk_arch *a,
                       ntk_kernel_kind kind, const double *XR, const double *XC, size_t d,
                       double *local, int threads, const ntk_progress *progress, ntk_error *err);

/* Gather a distributed matrix to rank 0 as a dense column-major m×n array
 * (`full` only on rank 0). */
int dist_gather(const ntk_mpi_engine *e, const dist *D, const double *local, double *full);

/* Broadcast count doubles from rank 0, in pieces (MPI counts are ints). */
void bcast_doubles(double *buf, size_t count);

/* Collective status: every rank passes its own; all return the worst, and the
 * message of the lowest failing rank lands in err on every rank. */
ntk_status engine_agree(const ntk_mpi_engine *e, ntk_status st, ntk_error *err);

/* The jobs, run by every rank: rank 0 passes the problem, the others NULL
 * (they receive it). */
ntk_status mpi_fit_job(ntk_mpi_engine *e, const ntk_fit_problem *pb, ntk_solution **out,
                       double *seconds_kernel, ntk_error *err);
ntk_status mpi_predict_job(ntk_mpi_engine *e, const ntk_model *m, const double *X, size_t rows,
                           double *scores, int threads, const ntk_progress *progress,
                           ntk_error *err);

/* A Nyström fit's inputs on rank 0 (mpi_nystrom.c, #21). */
typedef struct {
    const ntk_arch *arch;
    ntk_kernel_kind kind;
    const double *X, *Y;
    size_t n, d, k;
    const ntk_solve_params *sp;
    const ntk_nystrom_params *np;
    int threads;
} mpi_nystrom_args;

/* The Nyström job, run by every rank (rank 0 passes `in`, the others NULL);
 * *out is set on rank 0 only. */
ntk_status mpi_nystrom_job(ntk_mpi_engine *e, const mpi_nystrom_args *in,
                           ntk_nystrom_fit_result **out, ntk_error *err);

/* The split hook of ntk_nystrom_split (ctx: the engine): agree on the
 * status, then sum buf over the ranks in MPI-sized pieces. */
ntk_status mpi_split_sum(void *ctx, ntk_status st, double *buf, size_t count, ntk_error *err);

/* ntk_model_train_stream across the ranks (mpi_stream.c, #21): rank 0
 * passes the file and options, the others NULLs; *out is set on rank 0. */
typedef struct {
    const char *path;
    const ntk_read_options *ro;
    const ntk_encode_options *eo;
    const ntk_train_params *p;
} mpi_stream_args;
ntk_status mpi_stream_job(ntk_mpi_engine *e, const mpi_stream_args *in, ntk_model **out,
                          size_t *n_train, ntk_error *err);

#endif

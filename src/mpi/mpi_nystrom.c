/* The Nyström fit across ranks (#21): rank 0 broadcasts the problem, every
 * rank evaluates the cross kernel of its own contiguous share of the rows, and
 * the library's split hook (ntk_nystrom_split) sums the M×M Gram, Θ(X,C)ᵀY and
 * the training predictions with MPI_Allreduce. Rank 0 draws the centers and
 * keeps the result; the M×M solve is repeated on every rank (it is small). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

typedef struct {
    uint64_t n, d, k, n_times, centers, seed, block_rows, residual_rows;
    wire_arch arch;
    double reg, lr, jitter;
    int reg_scale, time_scale, want_train, threads, selection, keep_cross, refused;
} nys_header;

ntk_status mpi_split_sum(void *ctx, ntk_status st, double *buf, size_t count, ntk_error *err)
{
    const ntk_mpi_engine *e = ctx;
    st = engine_agree(e, st, err);
    if (st != NTK_OK)
        return st;
    const size_t piece = (size_t)1 << 27;
    for (size_t off = 0; off < count; off += piece) {
        size_t c = count - off < piece ? count - off : piece;
        MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)c, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
    return NTK_OK;
}

ntk_status mpi_nystrom_job(ntk_mpi_engine *e, const mpi_nystrom_args *in,
                           ntk_nystrom_fit_result **out, ntk_error *err)
{
    *out = NULL;
    nys_header h;
    memset(&h, 0, sizeof h);
    ntk_status st = NTK_OK;
    if (e->rank == 0) {
        h.n = in->n;
        h.d = in->d;
        h.k = in->k;
        h.n_times = in->sp->n_times;
        wire_arch_pack(in->arch, in->kind, &h.arch);
        h.reg = in->sp->reg;
        h.lr = in->sp->lr;
        h.reg_scale = (int)in->sp->reg_scale;
        h.time_scale = (int)in->sp->time_scale;
        h.want_train = in->sp->want_train_predictions;
        h.threads = in->threads;
        h.centers = in->np->centers;
        h.seed = in->np->seed;
        h.block_rows = in->np->block_rows;
        h.residual_rows = in->np->residual_rows;
        h.selection = (int)in->np->selection;
        h.keep_cross = in->np->keep_cross;
        h.jitter = in->np->jitter;
        if (in->arch->act.kind == NTK_ACT_CUSTOM) {
            h.refused = 1;
            st = ntk_error_set(err, NTK_EINPUT,
                               "custom C activations cannot be sent to other ranks");
        }
    }
    MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (h.refused)
        return e->rank == 0 ? st : NTK_EINPUT;
    size_t n = (size_t)h.n, d = (size_t)h.d, k = (size_t)h.k, nt = (size_t)h.n_times;
    double *X = NULL, *Y = NULL, *times = NULL;
    const double *Xp, *Yp, *tp;
    if (e->rank == 0) {
        Xp = in->X;
        Yp = in->Y;
        tp = in->sp->times;
    } else {
        X = malloc(n * d * sizeof *X + 1);
        Y = malloc(n * k * sizeof *Y + 1);
        times = malloc(nt * sizeof *times + 1);
        if (!X || !Y || !times)
            abort(); /* cannot take part in the broadcasts below: nothing sensible left */
        Xp = X;
        Yp = Y;
        tp = times;
    }
    bcast_doubles((double *)tp, nt);
    bcast_doubles((double *)Xp, n * d);
    bcast_doubles((double *)Yp, n * k);
    ntk_arch arch;
    ntk_kernel_kind kind;
    wire_arch_unpack(&h.arch, &arch, &kind);
    ntk_solve_params sp;
    ntk_solve_params_init(&sp);
    sp.reg = h.reg;
    sp.lr = h.lr;
    sp.reg_scale = (ntk_reg_scale)h.reg_scale;
    sp.time_scale = (ntk_time_scale)h.time_scale;
    sp.times = tp;
    sp.n_times = nt;
    sp.want_train_predictions = h.want_train;
    if (e->rank == 0)
        sp.progress = in->sp->progress;
    ntk_nystrom_params np;
    ntk_nystrom_params_init(&np);
    np.centers = (size_t)h.centers;
    np.seed = h.seed;
    np.block_rows = (size_t)h.block_rows;
    np.residual_rows = (size_t)h.residual_rows;
    np.selection = (ntk_center_method)h.selection;
    np.keep_cross = h.keep_cross;
    np.jitter = h.jitter;
    size_t r = (size_t)e->rank, P = (size_t)e->size;
    ntk_nystrom_split split = {n * r / P, n * (r + 1) / P, e->rank == 0, mpi_split_sum, e, 0, 0};
    np.split = &split;
    engine_prepare(e, h.threads);
    ntk_nystrom_fit_result *res = NULL;
    st = ntk_nystrom_fit(&arch, kind, Xp, n, d, Yp, k, &sp, &np, h.threads, &res, err);
    if (e->rank == 0)
        *out = res;
    else
        ntk_nystrom_fit_result_free(res);
    free(X);
    free(Y);
    free(times);
    return st;
}

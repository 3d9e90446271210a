/* Distributed prediction: test-kernel row blocks as block-cyclic matrices,
 * times the coefficients with pdgemm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"
#include "scalapack.h"

/* Per-rank bytes of one test-kernel block (like the single-process 64 MiB). */
#define BLOCK_BYTES_PER_RANK ((size_t)64 << 20)

typedef struct {
    uint64_t n, d, k, n_times, rows;
    wire_arch arch;
    int threads, refused;
} predict_header;

ntk_status mpi_predict_job(ntk_mpi_engine *e, const ntk_model *m, const double *Xt, size_t rows,
                           double *scores, int threads, const ntk_progress *progress,
                           ntk_error *err)
{
    predict_header h;
    memset(&h, 0, sizeof h);
    ntk_status st = NTK_OK;
    if (e->rank == 0) {
        h.n = m->n;
        h.d = m->d;
        h.k = m->k;
        h.n_times = m->n_times;
        h.rows = rows;
        h.threads = threads;
        wire_arch_pack(&m->arch, m->kind, &h.arch);
        if (m->arch.act.kind == NTK_ACT_CUSTOM) {
            h.refused = 1;
            st = ntk_error_set(err, NTK_EINPUT, "custom C activations cannot be sent to other ranks");
        } else if (m->n > INT32_MAX / 2 || m->k * m->n_times > INT32_MAX / 2) {
            h.refused = 1;
            st = ntk_error_set(err, NTK_EINPUT, "too many rows for 32-bit ScaLAPACK indices");
        }
    }
    MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (h.refused)
        return e->rank == 0 ? st : NTK_EINPUT;
    size_t n = (size_t)h.n, d = (size_t)h.d, k = (size_t)h.k, nt = (size_t)h.n_times;
    size_t kt = k * nt;
    double *MX = NULL, *coef = NULL, *X = NULL, *Cl = NULL, *Kl = NULL, *Fl = NULL, *full = NULL;
    if (e->rank == 0) {
        MX = m->X;
        coef = m->coef;
        X = (double *)Xt;
    } else {
        MX = malloc(n * d * sizeof *MX + 1);
        coef = malloc(nt * n * k * sizeof *coef + 1);
        X = malloc((size_t)h.rows * d * sizeof *X + 1);
    }
    /* A rank that cannot hold the inputs says so before the broadcasts, and
     * every rank leaves the job together with that error. */
    if (e->rank != 0 && (!MX || !coef || !X))
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory for the model (%zu x %zu) and rows",
                           n, d);
    if ((st = engine_agree(e, st, err)) != NTK_OK)
        goto done;
    bcast_doubles(MX, n * d);
    bcast_doubles(coef, nt * n * k);
    bcast_doubles(X, (size_t)h.rows * d);
    rows = (size_t)h.rows;
    ntk_arch arch;
    ntk_kernel_kind kind;
    wire_arch_unpack(&h.arch, &arch, &kind);
    engine_prepare(e, h.threads);

    int nb = engine_block(e, n);
    size_t block = BLOCK_BYTES_PER_RANK * (size_t)e->size / (sizeof(double) * (n ? n : 1));
    if (block < (size_t)nb)
        block = (size_t)nb;
    if (block > rows)
        block = rows;
    dist Cd;
    dist_init(e, (int)n, (int)kt, nb, &Cd);
    Cl = malloc((size_t)Cd.lld * (size_t)(Cd.lc > 0 ? Cd.lc : 1) * sizeof *Cl);
    /* the largest block's local tiles */
    dist Kmax, Fmax;
    dist_init(e, (int)block, (int)n, nb, &Kmax);
    dist_init(e, (int)block, (int)kt, nb, &Fmax);
    Kl = malloc((size_t)Kmax.lld * (size_t)(Kmax.lc > 0 ? Kmax.lc : 1) * sizeof *Kl);
    Fl = malloc((size_t)Fmax.lld * (size_t)(Fmax.lc > 0 ? Fmax.lc : 1) * sizeof *Fl);
    full = e->rank == 0 ? malloc(block * kt * sizeof *full + 1) : NULL;
    st = !Cl || !Kl || !Fl || (e->rank == 0 && !full)
             ? ntk_error_set(err, NTK_ENOMEM, "out of memory (test kernel block)")
             : NTK_OK;
    if (engine_agree(e, st, err) != NTK_OK)
        goto done;
    for (int j = 0; j < Cd.lc; j++) {
        size_t gj = dist_gcol(e, &Cd, j), t = gj / k, cc = gj % k;
        for (int i = 0; i < Cd.lr; i++)
            Cl[(size_t)i + (size_t)j * Cd.lld] = coef[t * n * k + dist_grow(e, &Cd, i) * k + cc];
    }
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        int b = (int)(rows - r0 < block ? rows - r0 : block);
        if (e->rank == 0 && ntk_progress_report(progress, "predict", r0, rows))
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
        dist Kd, Fd;
        dist_init(e, b, (int)n, nb, &Kd);
        dist_init(e, b, (int)kt, nb, &Fd);
        if (st == NTK_OK)
            st = dist_kernel(e, &Kd, &arch, kind, X + r0 * d, MX, d, Kl, h.threads, NULL, err);
        if (engine_agree(e, st, err) != NTK_OK)
            goto done;
        int one = 1, nn = (int)n, ktt = (int)kt;
        double alpha = 1.0, beta = 0.0;
        pdgemm_("N", "N", &b, &ktt, &nn, &alpha, Kl, &one, &one, Kd.desc, Cl, &one, &one, Cd.desc,
                &beta, Fl, &one, &one, Fd.desc);
        dist_gather(e, &Fd, Fl, full);
        if (e->rank == 0)
            for (size_t t = 0; t < nt; t++)
                for (size_t i = 0; i < (size_t)b; i++)
                    for (size_t cc = 0; cc < k; cc++)
                        scores[(t * rows + r0 + i) * k + cc] = full[i + (t * k + cc) * (size_t)b];
    }
    if (e->rank == 0)
        ntk_progress_report(progress, "predict", rows, rows);
done:
    free(Cl);
    free(Kl);
    free(Fl);
    free(full);
    if (e->rank != 0) {
        free(MX);
        free(coef);
        free(X);
    }
    return err && err->status ? err->status : NTK_OK;
}

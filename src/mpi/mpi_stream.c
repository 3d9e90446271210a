/* ntk_model_train_stream across the ranks (#21): rank 0 sends the file name
 * and the options; every rank reads the file itself (encoder and targets:
 * the same on all), evaluates the cross kernel of its own share of the rows
 * (ntk_nystrom_split with parts = ranks) and the Gram is summed by
 * MPI_Allreduce; rank 0 keeps the model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"
#include "ntk/stream.h"

#define STREAM_CHUNK_ROWS 65536

typedef struct {
    uint64_t centers, seed, block_rows, residual_rows, n_times, text_len;
    wire_arch arch;
    double reg, lr, jitter;
    int reg_scale, time_scale, threads, selection, keep_cross, target_scaling, solver;
    int delimiter, has_header, no_target, task, missing, standardize;
    int has_target, has_drop, has_cat;
} stream_header;

/* The path and the three option strings, NUL-separated. */
static char *pack_text(const mpi_stream_args *in, size_t *len)
{
    const char *s[4] = {in->path, in->eo->target, in->eo->drop, in->eo->categorical};
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += (s[i] ? strlen(s[i]) : 0) + 1;
    char *t = malloc(n);
    if (!t)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        size_t l = s[i] ? strlen(s[i]) : 0;
        memcpy(t + o, s[i] ? s[i] : "", l + 1);
        o += l + 1;
    }
    *len = n;
    return t;
}

static void pack_header(const mpi_stream_args *in, stream_header *h)
{
    const ntk_train_params *p = in->p;
    h->centers = p->nystrom.centers;
    h->seed = p->nystrom.seed;
    h->block_rows = p->nystrom.block_rows;
    h->residual_rows = p->nystrom.residual_rows;
    h->n_times = p->solve.n_times;
    wire_arch_pack(&p->arch, p->kind, &h->arch);
    h->reg = p->solve.reg;
    h->lr = p->solve.lr;
    h->jitter = p->nystrom.jitter;
    h->reg_scale = (int)p->solve.reg_scale;
    h->time_scale = (int)p->solve.time_scale;
    h->threads = p->threads;
    h->selection = (int)p->nystrom.selection;
    h->keep_cross = p->nystrom.keep_cross;
    h->target_scaling = p->target_scaling;
    h->solver = (int)p->solver;
    h->delimiter = in->ro->delimiter;
    h->has_header = in->ro->has_header;
    h->no_target = in->eo->no_target;
    h->task = (int)in->eo->task;
    h->missing = (int)in->eo->missing;
    h->standardize = (int)in->eo->standardize;
    h->has_target = in->eo->target != NULL;
    h->has_drop = in->eo->drop != NULL;
    h->has_cat = in->eo->categorical != NULL;
}

static void unpack(const stream_header *h, const char *text, const double *times,
                   ntk_read_options *ro, ntk_encode_options *eo, ntk_train_params *p)
{
    const char *s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = text;
        text += strlen(text) + 1;
    }
    ntk_read_options_init(ro);
    ro->delimiter = (char)h->delimiter;
    ro->has_header = h->has_header;
    ntk_encode_options_init(eo);
    eo->target = h->has_target ? s[1] : NULL;
    eo->drop = h->has_drop ? s[2] : NULL;
    eo->categorical = h->has_cat ? s[3] : NULL;
    eo->no_target = h->no_target;
    eo->task = (ntk_task)h->task;
    eo->missing = (ntk_missing_policy)h->missing;
    eo->standardize = (ntk_standardize)h->standardize;
    ntk_train_params_init(p);
    wire_arch_unpack(&h->arch, &p->arch, &p->kind);
    p->solve.reg = h->reg;
    p->solve.lr = h->lr;
    p->solve.reg_scale = (ntk_reg_scale)h->reg_scale;
    p->solve.time_scale = (ntk_time_scale)h->time_scale;
    p->solve.times = times;
    p->solve.n_times = (size_t)h->n_times;
    p->threads = h->threads;
    p->target_scaling = h->target_scaling;
    p->solver = (ntk_solver_choice)h->solver;
    p->nystrom.centers = (size_t)h->centers;
    p->nystrom.seed = h->seed;
    p->nystrom.block_rows = (size_t)h->block_rows;
    p->nystrom.residual_rows = (size_t)h->residual_rows;
    p->nystrom.selection = (ntk_center_method)h->selection;
    p->nystrom.keep_cross = h->keep_cross;
    p->nystrom.jitter = h->jitter;
}

ntk_status mpi_stream_job(ntk_mpi_engine *e, const mpi_stream_args *in, ntk_model **out,
                          size_t *n_train, ntk_error *err)
{
    *out = NULL;
    *n_train = 0;
    stream_header h;
    memset(&h, 0, sizeof h);
    char *text = NULL;
    size_t text_len = 0;
    int refused = 0;
    if (e->rank == 0) {
        pack_header(in, &h);
        text = pack_text(in, &text_len);
        h.text_len = text ? text_len : 0;
        refused = !text || in->p->arch.act.kind == NTK_ACT_CUSTOM;
    }
    MPI_Bcast(&refused, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (refused) {
        free(text);
        return e->rank == 0 ? ntk_error_set(err, NTK_EINPUT, "this fit cannot be sent to the "
                                                             "other ranks (custom activation?)")
                            : NTK_EINPUT;
    }
    MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, MPI_COMM_WORLD);
    double *times = malloc(h.n_times * sizeof *times + 1);
    if (e->rank != 0)
        text = malloc(h.text_len + 1);
    if (!times || !text)
        abort(); /* cannot take part in the broadcasts below */
    if (e->rank == 0)
        memcpy(times, in->p->solve.times, h.n_times * sizeof *times);
    bcast_doubles(times, h.n_times);
    MPI_Bcast(text, (int)h.text_len, MPI_CHAR, 0, MPI_COMM_WORLD);
    ntk_read_options ro;
    ntk_encode_options eo;
    ntk_train_params p;
    unpack(&h, text, times, &ro, &eo, &p);
    if (e->rank == 0)
        p.progress = in->p->progress;
    ntk_nystrom_split split = {0, 0, e->rank == 0, mpi_split_sum, e, (size_t)e->rank,
                               (size_t)e->size};
    p.nystrom.split = &split;
    engine_prepare(e, h.threads);
    ntk_csv_reader *r = NULL;
    ntk_status st = ntk_csv_reader_open(text, &ro, STREAM_CHUNK_ROWS, &r, err);
    ntk_model *m = NULL;
    if (st == NTK_OK)
        st = ntk_model_train_stream(r, &eo, &p, &m, n_train, err);
    else
        mpi_split_sum(e, st, NULL, 0, err); /* the others learn of it at the centers */
    ntk_csv_reader_free(r);
    free(times);
    free(text);
    if (e->rank == 0 && st == NTK_OK) {
        /* The times belong to this job: the model keeps its own copy. */
        *out = m;
    } else {
        ntk_model_free(m);
    }
    return st;
}

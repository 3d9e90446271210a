/* ntk_model_train_stream (ntk/stream.h): a model trained from a CSV file
 * read in chunks — pass 1 the encoder, pass 2 the targets, then the
 * streamed Nyström fit reading encoded row blocks (its own passes). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ntk/stream.h"

/* Encoded training rows chunk by chunk: the row stream of the fit. */
typedef struct {
    ntk_csv_reader *r;
    const ntk_encoder *enc;
    ntk_dataset *ds;      /* the current chunk, encoded */
    size_t at;            /* its next row */
} enc_stream;

static ntk_status es_rewind(void *ctx, ntk_error *err)
{
    enc_stream *s = ctx;
    ntk_dataset_free(s->ds);
    s->ds = NULL;
    s->at = 0;
    return ntk_csv_reader_rewind(s->r, err);
}

/* The next encoded chunk with at least one row; *ds NULL at the end. */
static ntk_status es_chunk(enc_stream *s, ntk_error *err)
{
    ntk_dataset_free(s->ds);
    s->ds = NULL;
    s->at = 0;
    for (;;) {
        ntk_table *t = NULL;
        ntk_status st = ntk_csv_reader_next(s->r, &t, err);
        if (st != NTK_OK || !t)
            return st;
        st = ntk_encoder_apply_chunk(s->enc, t, 1, &s->ds, err);
        ntk_table_free(t);
        if (st != NTK_OK || s->ds->n > 0)
            return st;
        ntk_dataset_free(s->ds);
        s->ds = NULL;
    }
}

static ntk_status es_read(void *ctx, double *X, size_t max, size_t *got, ntk_error *err)
{
    enc_stream *s = ctx;
    *got = 0;
    if (!s->ds || s->at == s->ds->n) {
        ntk_status st = es_chunk(s, err);
        if (st != NTK_OK || !s->ds)
            return st;
    }
    size_t d = s->ds->d, b = s->ds->n - s->at < max ? s->ds->n - s->at : max;
    memcpy(X, s->ds->X + s->at * d, b * d * sizeof *X);
    s->at += b;
    *got = b;
    return NTK_OK;
}

/* Pass 2: every training row's encoded target, in order. */
static ntk_status read_targets(enc_stream *s, size_t n, double *y, ntk_error *err)
{
    size_t i = 0;
    ntk_status st = es_rewind(s, err);
    while (st == NTK_OK && (st = es_chunk(s, err)) == NTK_OK && s->ds) {
        if (s->ds->n > n - i)
            return ntk_error_set(err, NTK_EINPUT, "the file changed while it was read");
        memcpy(y + i, s->ds->y, s->ds->n * sizeof *y);
        i += s->ds->n;
    }
    if (st == NTK_OK && i != n)
        st = ntk_error_set(err, NTK_EINPUT, "the file changed while it was read");
    return st;
}

static const char *stream_refusal(const ntk_train_params *p)
{
    if (p->loss != NTK_LOSS_SQUARE)
        return "the hinge loss cannot be trained from a stream (--stream needs the square loss)";
    if (p->solver == NTK_SOLVER_DENSE)
        return "a streamed fit uses the Nystrom path (--solver dense cannot stream)";
    if (p->engine)
        return "a streamed fit runs in this process (engines: ntk_engine.train_stream)";
    if (p->precision != NTK_PRECISION_DOUBLE)
        return "a streamed fit computes in double (--precision float cannot stream)";
    return ntk_train_params_check(p);
}

/* A split training that fails before its fit still meets the other
 * processes at the fit's first meeting point (the centers), where they all
 * learn of the failure and stop. */
static ntk_status sync_failure(const ntk_train_params *p, ntk_status st, ntk_error *err)
{
    const ntk_nystrom_split *sp = p->nystrom.split;
    if (sp && sp->sync) {
        ntk_error mine = *err;
        sp->sync(sp->ctx, st, NULL, 0, err);
        *err = mine;
    }
    return st;
}

ntk_status ntk_model_train_stream(ntk_csv_reader *r, const ntk_encode_options *eo,
                                  const ntk_train_params *p, ntk_model **out, size_t *n_train,
                                  ntk_error *err)
{
    *out = NULL;
    *n_train = 0;
    const char *msg = stream_refusal(p);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    ntk_encoder *enc = NULL;
    size_t n = 0;
    ntk_status st = ntk_encoder_fit_stream(r, eo, &enc, &n, err);
    if (st != NTK_OK)
        return sync_failure(p, st, err);
    ntk_model *m = model_new(enc, p, err);
    if (!m)
        return sync_failure(p, NTK_ENOMEM, err);
    enc_stream es = {r, enc, NULL, 0};
    ntk_dataset tds = {0};
    double *Y = NULL;
    int fitted = 0; /* the fit met the other processes itself */
    if ((st = model_init_square(m, p, n, enc->n_features, err)) != NTK_OK)
        goto done;
    m->n_train = n;
    tds.n = n;
    tds.d = enc->n_features;
    tds.y = ntk_alloc_checked((n ? n : 1) * sizeof *tds.y, "training targets", err);
    st = tds.y ? read_targets(&es, n, tds.y, err) : NTK_ENOMEM;
    if (st == NTK_OK && !(Y = model_targets(&tds, m, p->target_scaling, err)))
        st = err && err->status ? err->status : NTK_ENOMEM;
    free(tds.y);
    if (st != NTK_OK)
        goto done;
    ntk_solve_params sp = p->solve;
    sp.want_train_predictions = 0;
    sp.progress = p->progress;
    ntk_row_stream rs = {&es, es_read, es_rewind};
    ntk_nystrom_fit_result *res = NULL;
    ntk_nystrom_params np = p->nystrom;
    ntk_nystrom_split split;
    if (np.split && np.split->parts > 0) {
        /* This process's share, now that n is known. */
        split = *np.split;
        split.row_begin = n * split.part / split.parts;
        split.row_end = n * (split.part + 1) / split.parts;
        np.split = &split;
    }
    double t0 = omp_get_wtime();
    fitted = 1;
    st = ntk_nystrom_fit_stream(&m->arch, m->kind, &rs, n, m->d, Y, m->k, &sp, &np, p->threads,
                                &res, err);
    if (st == NTK_OK)
        model_adopt_nystrom(m, res, t0, NULL);
done:
    if (st != NTK_OK && !fitted)
        sync_failure(p, st, err);
    ntk_dataset_free(es.ds);
    free(Y);
    if (st != NTK_OK) {
        ntk_model_free(m);
        return st;
    }
    *out = m;
    *n_train = n;
    return NTK_OK;
}

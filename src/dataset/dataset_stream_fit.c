/* ntk_encoder_fit_stream (ntk/stream.h): the encoder fitted chunk by chunk
 * with the statistics of ntk_encoder_fit carried from one chunk to the next
 * (dataset_fit.h), plus what the table used to give at the end: the distinct
 * texts of each column (levels, class labels, the row-names rule), kept in
 * hash sets of at most DS_STREAM_LEVELS_MAX texts. */
#include "dataset_fit.h"
#include "ntk/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- text sets */

typedef struct {
    char **key;
    size_t *count;
    size_t n, cap;
    int lost;      /* more than DS_STREAM_LEVELS_MAX texts: given up */
    int repeat;    /* a text came twice (before it was given up) */
} text_set;

static uint64_t text_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void set_clear(text_set *ts)
{
    for (size_t i = 0; i < ts->cap; i++)
        free(ts->key[i]);
    free(ts->key);
    free(ts->count);
    ts->key = NULL;
    ts->count = NULL;
    ts->n = ts->cap = 0;
}

/* 0 when out of memory. */
static int set_add(text_set *ts, const char *s)
{
    if (ts->lost)
        return 1;
    if (2 * (ts->n + 1) > ts->cap) {
        size_t nc = ts->cap ? 2 * ts->cap : 64;
        char **k = calloc(nc, sizeof *k);
        size_t *c = calloc(nc, sizeof *c);
        if (!k || !c) {
            free(k);
            free(c);
            return 0;
        }
        for (size_t i = 0; i < ts->cap; i++)
            if (ts->key[i]) {
                size_t h = (size_t)text_hash(ts->key[i]) & (nc - 1);
                while (k[h])
                    h = (h + 1) & (nc - 1);
                k[h] = ts->key[i];
                c[h] = ts->count[i];
            }
        free(ts->key);
        free(ts->count);
        ts->key = k;
        ts->count = c;
        ts->cap = nc;
    }
    size_t h = (size_t)text_hash(s) & (ts->cap - 1);
    while (ts->key[h] && strcmp(ts->key[h], s) != 0)
        h = (h + 1) & (ts->cap - 1);
    if (ts->key[h]) {
        ts->count[h]++;
        ts->repeat = 1;
        return 1;
    }
    if (ts->n == DS_STREAM_LEVELS_MAX) {
        set_clear(ts);
        ts->lost = 1;
        return 1;
    }
    if (!(ts->key[h] = ds_strdup(s)))
        return 0;
    ts->count[h] = 1;
    ts->n++;
    return 1;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* The set as sorted levels and counts (as ds_distinct_levels gives them),
 * "" first counted `lead` times when lead > 0. The set is emptied. */
static int set_levels(text_set *ts, size_t lead, char ***levels, size_t **counts, size_t *n)
{
    size_t total = ts->n + (lead > 0);
    char ***slot = malloc((ts->n ? ts->n : 1) * sizeof *slot);
    char **lv = calloc(total ? total : 1, sizeof *lv);
    size_t *cnt = malloc((total ? total : 1) * sizeof *cnt);
    if (!slot || !lv || !cnt) {
        free(slot);
        free(lv);
        free(cnt);
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < ts->cap; i++)
        if (ts->key[i])
            slot[m++] = &ts->key[i];
    qsort(slot, m, sizeof *slot, cmp_key);
    size_t o = 0;
    if (lead > 0) {
        cnt[o] = lead;
        if (!(lv[o++] = ds_strdup(""))) {
            free(slot);
            free(lv);
            free(cnt);
            return 0;
        }
    }
    for (size_t i = 0; i < m; i++) {
        cnt[o] = ts->count[slot[i] - ts->key];
        lv[o++] = *slot[i];
        *slot[i] = NULL;
    }
    free(slot);
    set_clear(ts);
    *levels = lv;
    *counts = cnt;
    *n = total;
    return 1;
}

/* ---------------------------------------------------------------- the fit */

typedef struct {
    ntk_encoder *enc;
    int *role;
    unsigned char *drop, *cat;
    col_stats *st;
    text_set *sets;        /* per column (the target's: class labels) */
    ds_target_state ts;
    size_t *used;
    size_t used_cap, n_used, nc;
    ntk_table *head;       /* the first chunk: names for the messages */
} stream_fit;

/* After a chunk's scan: copy what points into the chunk. */
static ntk_status keep_refs(stream_fit *f, const ntk_table *t, ntk_error *err)
{
    for (size_t c = 0; c < f->nc; c++) {
        col_stats *s = &f->st[c];
        s->streamed = 1;
        if (s->text0 && !s->text0_copy) {
            if (!(s->text0_copy = ds_strdup(s->text0)))
                return ntk_error_set(err, NTK_ENOMEM, "out of memory");
            s->text0 = s->text0_copy;
        }
        if (s->first_missing != SIZE_MAX && !s->missing_ref.text) {
            s->missing_ref.line = ds_cell_line(t, s->first_missing, c);
            s->missing_ref.text = ds_strdup(t->cells[s->first_missing * t->n_cols + c]);
            if (!s->missing_ref.text)
                return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
        if (s->first_nonfinite != SIZE_MAX && !s->nonfinite_ref.text) {
            s->nonfinite_ref.line = ds_cell_line(t, s->first_nonfinite, c);
            s->nonfinite_ref.text = ds_strdup(t->cells[s->first_nonfinite * t->n_cols + c]);
            if (!s->nonfinite_ref.text)
                return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
    }
    return NTK_OK;
}

static ntk_status fit_chunk(stream_fit *f, const ntk_table *t, const ntk_encode_options *opt,
                            ntk_error *err)
{
    if (t->n_rows > f->used_cap) {
        free(f->used);
        f->used_cap = t->n_rows;
        if (!(f->used = malloc(f->used_cap * sizeof *f->used)))
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    size_t n = t->n_rows;
    ntk_status s = NTK_OK;
    if (f->enc->has_target)
        s = ds_target_scan(t, opt, f->enc, &f->ts, f->used, &n, err);
    else
        for (size_t r = 0; r < n; r++)
            f->used[r] = r;
    if (s != NTK_OK)
        return s;
    f->n_used += n;
    ds_scan_columns(t, f->used, n, f->role, f->st);
    if ((s = keep_refs(f, t, err)) != NTK_OK)
        return s;
    /* Distinct present texts of every column that may need them. */
    for (size_t c = 0; c < f->nc; c++) {
        if (f->role[c] == ROLE_DROP)
            continue;
        text_set *ts = &f->sets[c];
        for (size_t i = 0; i < n && !ts->lost; i++) {
            const char *cell = t->cells[f->used[i] * t->n_cols + c];
            if (!ds_is_missing(cell) && !set_add(ts, cell))
                return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
    }
    return NTK_OK;
}

static ntk_status fit_end(stream_fit *f, const ntk_encode_options *opt, ntk_error *err)
{
    ntk_status s = NTK_OK;
    if (f->enc->has_target) {
        size_t tc = f->enc->target_column;
        text_set *ls = &f->sets[tc];
        char **lv = NULL;
        size_t *cnt = NULL, k = 0;
        if (!ls->lost && !set_levels(ls, 0, &lv, &cnt, &k))
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        s = ds_target_finish(f->head, opt, f->cat[tc], f->enc, &f->ts,
                             ls->lost ? NULL : (const char **)lv, k, err);
        for (size_t i = 0; i < k; i++)
            free(lv[i]);
        free(lv);
        free(cnt);
        if (s != NTK_OK)
            return s;
    }
    for (size_t c = 0; c < f->nc; c++) {
        col_stats *st = &f->st[c];
        text_set *ts = &f->sets[c];
        st->streamed = 1;
        if (f->role[c] != ROLE_FEATURE)
            continue;
        st->distinct = ts->repeat ? 0 : ts->lost ? -1 : 1;
        st->levels_lost = ts->lost;
        if (!ts->lost && !set_levels(ts, st->n_missing, &st->levels, &st->counts, &st->n_levels))
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    return ds_fit_finish(f->head, opt, f->enc, f->role, f->cat, f->st, NULL, f->n_used, err);
}

ntk_status ntk_encoder_fit_stream(ntk_csv_reader *r, const ntk_encode_options *opt,
                                  ntk_encoder **out, size_t *n_rows, ntk_error *err)
{
    ntk_encode_options defaults;
    if (!opt) {
        ntk_encode_options_init(&defaults);
        opt = &defaults;
    }
    *out = NULL;
    *n_rows = 0;
    stream_fit f;
    memset(&f, 0, sizeof f);
    ntk_status s = ntk_csv_reader_rewind(r, err);
    if (s == NTK_OK)
        s = ntk_csv_reader_next(r, &f.head, err);
    if (s == NTK_OK && !f.head)
        s = ntk_error_set(err, NTK_EINPUT, "(input): no data");
    if (s != NTK_OK)
        return s;
    size_t nc = f.nc = f.head->n_cols;
    f.enc = calloc(1, sizeof *f.enc);
    f.role = calloc(nc, sizeof *f.role);
    f.drop = calloc(nc, 1);
    f.cat = calloc(nc, 1);
    f.st = calloc(nc, sizeof *f.st);
    f.sets = calloc(nc, sizeof *f.sets);
    if (!f.enc || !f.role || !f.drop || !f.cat || !f.st || !f.sets ||
        !(f.enc->columns = calloc(nc, sizeof *f.enc->columns)))
        s = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (s == NTK_OK)
        s = ds_fit_setup(f.head, opt, f.enc, f.role, f.drop, f.cat, err);
    if (s == NTK_OK) {
        ds_stats_init(f.st, nc);
        s = fit_chunk(&f, f.head, opt, err);
    }
    while (s == NTK_OK) {
        ntk_table *t = NULL;
        s = ntk_csv_reader_next(r, &t, err);
        if (s != NTK_OK || !t)
            break;
        s = fit_chunk(&f, t, opt, err);
        ntk_table_free(t);
    }
    if (s == NTK_OK)
        s = fit_end(&f, opt, err);
    ds_stats_free(f.st, nc);
    for (size_t c = 0; f.sets && c < nc; c++)
        set_clear(&f.sets[c]);
    free(f.sets);
    ds_target_state_free(&f.ts);
    free(f.used);
    free(f.role);
    free(f.drop);
    free(f.cat);
    ntk_table_free(f.head);
    if (s != NTK_OK) {
        ntk_encoder_free(f.enc);
        return s;
    }
    *out = f.enc;
    *n_rows = f.n_used;
    return NTK_OK;
}

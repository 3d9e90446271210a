/* libFuzzer harness for the dataset module: parse arbitrary bytes as CSV,
 * then fit and apply encoders with several option sets, and split/fold the
 * labels. The LAST input byte selects the read options (so seed files parse
 * from their first byte); the rest is the CSV text.
 *
 * Build and run with `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 * Besides sanitizer reports, the harness traps on broken invariants: a
 * failure without a one-line message, a table with NULL cells or decreasing
 * line numbers, non-finite encoded values, labels out of range. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/stream.h"

#define CHECK(cond)              \
    do {                         \
        if (!(cond))             \
            __builtin_trap();    \
    } while (0)

static void check_error(ntk_status st, const ntk_error *err)
{
    CHECK(st != NTK_OK);
    CHECK(err->status == st);
    CHECK(err->msg[0] != '\0');
    CHECK(strchr(err->msg, '\n') == NULL);
}

static void check_table(const ntk_table *t)
{
    CHECK(t->n_rows > 0 && t->n_cols > 0);
    for (size_t j = 0; j < t->n_cols; j++)
        CHECK(t->names[j] != NULL);
    for (size_t r = 0; r < t->n_rows; r++) {
        CHECK(t->line[r] >= 1);
        if (r)
            CHECK(t->line[r] >= t->line[r - 1]); /* a bare CR may end two records on one line */
        for (size_t j = 0; j < t->n_cols; j++)
            CHECK(t->cells[r * t->n_cols + j] != NULL);
    }
}

static void check_dataset(const ntk_encoder *enc, const ntk_dataset *ds, const ntk_table *t,
                          int with_target)
{
    CHECK(ds->d == enc->n_features);
    CHECK(ds->n >= 1 && ds->n <= t->n_rows);
    for (size_t i = 0; i < ds->n * ds->d; i++)
        CHECK(isfinite(ds->X[i]));
    for (size_t i = 0; i < ds->n; i++) {
        CHECK(ds->source_row[i] < t->n_rows);
        if (i)
            CHECK(ds->source_row[i] > ds->source_row[i - 1]);
    }
    if (with_target && enc->has_target) {
        CHECK(ds->y != NULL);
        for (size_t i = 0; i < ds->n; i++) {
            CHECK(isfinite(ds->y[i]));
            if (enc->task == NTK_TASK_CLASSIFICATION)
                CHECK(ds->y[i] >= 0 && ds->y[i] < (double)enc->n_classes);
        }
    } else {
        CHECK(ds->y == NULL);
        CHECK(ds->n == t->n_rows);
    }
}

static void splits(const ntk_encoder *enc, const ntk_dataset *ds)
{
    if (!ds->y || ds->n < 2)
        return;
    int cls = enc->task == NTK_TASK_CLASSIFICATION;
    size_t *tr, *te, ntr, nte;
    ntk_error err;
    ntk_error_clear(&err);
    if (ntk_split_train_test(ds->n, cls ? ds->y : NULL, enc->n_classes, 0.3, 1, &tr, &ntr, &te,
                             &nte, &err) == NTK_OK) {
        CHECK(ntr + nte == ds->n && nte >= 1 && ntr >= 1);
        free(tr);
        free(te);
    }
    size_t k = ds->n < 5 ? ds->n : 5;
    size_t *fold = malloc(ds->n * sizeof *fold);
    if (fold && ntk_kfold_assign(ds->n, cls ? ds->y : NULL, enc->n_classes, k, 2, fold, &err) ==
                    NTK_OK)
        for (size_t i = 0; i < ds->n; i++)
            CHECK(fold[i] < k);
    free(fold);
}

static void encode_with(const ntk_table *t, const ntk_encode_options *o)
{
    ntk_encoder *enc = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_encoder_fit(t, o, &enc, &err);
    if (st != NTK_OK) {
        check_error(st, &err);
        CHECK(enc == NULL);
        return;
    }
    CHECK(enc->n_features >= 1);
    for (int with_target = 1; with_target >= 0; with_target--) {
        ntk_dataset *ds = NULL;
        ntk_error_clear(&err);
        st = ntk_encoder_apply(enc, t, with_target, &ds, &err);
        /* The training rows always encode with their own encoder; without
         * the target, rows skipped in fitting (missing target) may hold
         * cells that do not fit the fitted types, a proper input error. */
        if (st != NTK_OK) {
            CHECK(!with_target && st == NTK_EINPUT);
            check_error(st, &err);
            continue;
        }
        check_dataset(enc, ds, t, with_target);
        if (with_target)
            splits(enc, ds);
        ntk_dataset_free(ds);
    }
    /* Apply to the second half of the rows as a "test" table. */
    if (t->n_rows >= 2) {
        size_t n = t->n_rows / 2;
        size_t *rows = malloc(n * sizeof *rows);
        for (size_t i = 0; i < n; i++)
            rows[i] = t->n_rows - n + i;
        ntk_table *sub = NULL;
        ntk_error_clear(&err);
        if (ntk_table_subset(t, rows, n, &sub, &err) == NTK_OK) {
            ntk_dataset *ds = NULL;
            st = ntk_encoder_apply(enc, sub, 1, &ds, &err);
            if (st == NTK_OK)
                ntk_dataset_free(ds);
            else
                check_error(st, &err);
            ntk_table_free(sub);
        }
        free(rows);
    }
    ntk_encoder_free(enc);
}

/* The chunked reader (ntk/stream.h) must give the records of the whole
 * parse, or fail when it fails; the streamed encoder fit must fail when the
 * in-memory fit fails and otherwise equal it bit for bit. */
static void stream_matches(const char *data, size_t size, const ntk_read_options *ro,
                           const ntk_table *t, size_t chunk, const ntk_encode_options *o)
{
    ntk_csv_reader *r = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_csv_reader_open_memory(data, size, "fuzz.csv", ro, chunk, &r, &err);
    if (st != NTK_OK) {
        check_error(st, &err);
        CHECK(t == NULL);
        return;
    }
    size_t row = 0;
    ntk_table *c = NULL;
    while ((st = ntk_csv_reader_next(r, &c, &err)) == NTK_OK && c) {
        check_table(c);
        /* Without a whole parse the chunks before the bad record still come;
         * the reader must fail later. */
        CHECK(!t || (c->n_cols == t->n_cols && row + c->n_rows <= t->n_rows));
        for (size_t i = 0; t && i < c->n_rows; i++, row++) {
            CHECK(c->line[i] == t->line[row]);
            for (size_t j = 0; j < c->n_cols; j++)
                CHECK(strcmp(c->cells[i * c->n_cols + j], t->cells[row * t->n_cols + j]) == 0);
        }
        ntk_table_free(c);
    }
    CHECK(t || st != NTK_OK);
    if (st != NTK_OK) {
        check_error(st, &err);
        /* A duplicate header name is reported with the first chunk. */
        CHECK(t == NULL || strstr(err.msg, "duplicate column name"));
        ntk_csv_reader_free(r);
        return;
    }
    CHECK(t != NULL && row == t->n_rows);
    ntk_encoder *e1 = NULL, *e2 = NULL;
    size_t n = 0;
    ntk_error_clear(&err);
    ntk_status s1 = ntk_encoder_fit(t, o, &e1, &err);
    ntk_error_clear(&err);
    ntk_status s2 = ntk_encoder_fit_stream(r, o, &e2, &n, &err);
    CHECK((s1 == NTK_OK) == (s2 == NTK_OK) || (s1 == NTK_OK && s2 == NTK_EINPUT));
    if (s1 == NTK_OK && s2 == NTK_OK) {
        CHECK(e1->n_features == e2->n_features && e1->task == e2->task &&
              e1->n_classes == e2->n_classes);
        CHECK(memcmp(e1->feature_mean, e2->feature_mean, e1->n_features * sizeof(double)) == 0);
        CHECK(memcmp(e1->feature_scale, e2->feature_scale, e1->n_features * sizeof(double)) == 0);
        for (size_t j = 0; j < e1->n_columns; j++)
            CHECK(e1->columns[j].type == e2->columns[j].type &&
                  e1->columns[j].n_levels == e2->columns[j].n_levels);
    }
    ntk_encoder_free(e1);
    ntk_encoder_free(e2);
    ntk_csv_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[size - 1];
    size--;
    static const char delims[4] = {',', '\t', ';', ' '};
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ro.delimiter = delims[ctl & 3];
    ro.has_header = (ctl & 4) ? 0 : 1;
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_table_parse((const char *)data, size, "fuzz.csv", &ro, &t, &err);
    ntk_encode_options so;
    ntk_encode_options_init(&so);
    stream_matches((const char *)data, size, &ro, st == NTK_OK ? t : NULL, 1 + (ctl >> 6) * 3, &so);
    if (st != NTK_OK) {
        check_error(st, &err);
        CHECK(t == NULL);
        return 0;
    }
    check_table(t);
    size_t c;
    ntk_table_find_column(t, "1", &c, &err);

    ntk_encode_options o;
    ntk_encode_options_init(&o);
    encode_with(t, &o);
    if (ctl & 8) {
        ntk_encode_options_init(&o);
        o.no_target = 1;
        o.missing = NTK_MISSING_ERROR;
        o.standardize = NTK_STANDARDIZE_NONE;
        encode_with(t, &o);
    }
    if (ctl & 16) {
        ntk_encode_options_init(&o);
        o.target = "1";
        o.task = NTK_TASK_CLASSIFICATION;
        o.categorical = "2, 3";
        o.drop = t->n_cols > 3 ? "4" : NULL;
        encode_with(t, &o);
    }
    if (ctl & 32) {
        ntk_encode_options_init(&o);
        o.task = NTK_TASK_REGRESSION;
        o.target = t->names[0];
        encode_with(t, &o);
    }
    ntk_table_free(t);
    return 0;
}

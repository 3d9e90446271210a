/* Model files: a versioned, checksummed, explicitly little-endian binary
 * format (see ntk/model.h).
 *
 * Layout: "NTKMODEL" | u32 version | u64 payload size | payload | u64 FNV-1a
 * of all preceding bytes. Every integer and double is written byte by byte in
 * little-endian order, so files move between machines. The reader checks the
 * checksum before parsing and every count against the bytes that remain
 * before allocating, so hostile files cannot make it allocate wildly. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file_atomic.h"
#include "ntk/model.h"

#define MAGIC "NTKMODEL"
#define MAGIC_LEN 8
/* Version 2 (the hinge loss): the payload starts with u32 loss; the square
 * loss then has version 1's body exactly; the hinge loss omits the
 * coefficient block and appends its SVM section (put_svm). Version 1 files
 * (no loss field, always square) still load. */
#define FORMAT_VERSION 2u
#define FORMAT_VERSION_MIN 1u
#define HEADER_LEN (MAGIC_LEN + 4 + 8)
#define MAX_STRING ((uint64_t)1 << 20)

/* ------------------------------------------------------------- writing */

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int failed;
} wbuf;

static void put_bytes(wbuf *w, const void *src, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *np = realloc(w->p, cap);
        if (!np) {
            w->failed = 1;
            return;
        }
        w->p = np;
        w->cap = cap;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void put_u64(wbuf *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, 8);
}

static void put_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, 4);
}

static void put_f64(wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(w, u);
}

static void put_str(wbuf *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u64(w, n);
    put_bytes(w, s, n);
}

static void put_f64s(wbuf *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_f64(w, v[i]);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void put_encoder(wbuf *w, const ntk_encoder *e)
{
    put_u64(w, e->n_columns);
    for (size_t c = 0; c < e->n_columns; c++) {
        const ntk_encoded_column *col = &e->columns[c];
        put_str(w, col->name);
        put_u32(w, (uint32_t)col->type);
        put_str(w, col->drop_reason);
        put_u64(w, col->n_missing);
        put_u64(w, col->n_levels);
        for (size_t l = 0; l < col->n_levels; l++)
            put_str(w, col->levels[l]);
        put_u64(w, col->first_feature);
        put_u64(w, col->n_features);
        put_f64(w, col->fill);
    }
    put_u32(w, (uint32_t)e->has_target);
    put_u64(w, e->target_column);
    put_u32(w, (uint32_t)e->task);
    put_u64(w, e->n_classes);
    for (size_t c = 0; c < e->n_classes; c++)
        put_str(w, e->class_labels[c]);
    put_u64(w, e->n_features);
    put_f64s(w, e->feature_mean, e->n_features);
    put_f64s(w, e->feature_scale, e->n_features);
    put_u32(w, (uint32_t)e->missing);
    put_u32(w, (uint32_t)e->standardize);
}

/* ---- Nystrom section (#21). Optional, after every version-1 field, written
 * only for Nystrom fits (dense files are unchanged):
 *   "NYS1" | u64 training rows | u32 center selection | f64 center jitter |
 *   u64 residual rows | f64 residual mean | f64 residual ÷ mean diag
 * The centers and β_t are the version-1 "training inputs" and coefficients. */
#define NYSTROM_TAG "NYS1"

static void put_nystrom(wbuf *w, const ntk_model *m)
{
    if (!m->nystrom)
        return;
    put_bytes(w, NYSTROM_TAG, 4);
    put_u64(w, m->n_train);
    put_u32(w, (uint32_t)m->center_selection);
    put_f64(w, m->jitter_centers);
    put_u64(w, m->residual_rows);
    put_f64(w, m->residual_mean);
    put_f64(w, m->residual_rel);
}
/* ---- end Nystrom section */
/* The hinge section: C, eps, class weights (u32 flag, then k doubles),
 * u64 pair count P, P biases, u64 SMO iterations, f64 final KKT gap, u64
 * support-vector count, then per support vector (increasing training-row
 * index): u64 row index and its P coefficients y·α. */
static void put_svm(wbuf *w, const ntk_model *m)
{
    const ntk_svm_model *s = m->svm;
    size_t P = s->n_pairs;
    put_f64(w, m->svm_C);
    put_f64(w, m->svm_eps);
    put_u32(w, m->class_weight != NULL);
    if (m->class_weight)
        put_f64s(w, m->class_weight, m->k);
    put_u64(w, P);
    put_f64s(w, s->bias, P);
    put_u64(w, s->iterations);
    put_f64(w, s->max_gap);
    put_u64(w, s->n_sv);
    for (size_t i = 0; i < s->n; i++) {
        const double *c = s->coef + i * P;
        size_t q = 0;
        while (q < P && c[q] == 0.0)
            q++;
        if (q == P)
            continue;
        put_u64(w, i);
        put_f64s(w, c, P);
    }
}

ntk_status ntk_model_serialize(const ntk_model *m, unsigned char **buf, size_t *size,
                               ntk_error *err)
{
    *buf = NULL;
    *size = 0;
    if (m->arch.act.kind == NTK_ACT_CUSTOM)
        return ntk_error_set(err, NTK_EINPUT,
                             "a model with a custom activation function cannot be saved");
    wbuf w = {0};
    put_bytes(&w, MAGIC, MAGIC_LEN);
    put_u32(&w, FORMAT_VERSION);
    put_u64(&w, 0); /* payload size, patched below */
    size_t start = w.len;

    int hinge = m->loss == NTK_LOSS_HINGE;
    put_u32(&w, (uint32_t)m->loss);
    put_encoder(&w, m->encoder);
    put_u32(&w, (uint32_t)m->arch.depth);
    put_u32(&w, (uint32_t)m->arch.act.kind);
    put_f64s(&w, m->arch.act.p, 3);
    put_f64(&w, m->arch.w_std);
    put_f64(&w, m->arch.b_std);
    put_u32(&w, (uint32_t)m->arch.fixed_layers);
    put_u32(&w, (uint32_t)m->kind);
    put_f64(&w, m->reg);
    put_u32(&w, (uint32_t)m->reg_scale);
    put_f64(&w, m->reg_abs);
    put_f64(&w, m->lr);
    put_u32(&w, (uint32_t)m->time_scale);
    put_u64(&w, m->n_times);
    put_f64s(&w, m->times, m->n_times);
    put_u32(&w, (uint32_t)m->task);
    put_u64(&w, m->k);
    put_f64(&w, m->y_mean);
    put_f64(&w, m->y_scale);
    put_u64(&w, m->n);
    put_u64(&w, m->d);
    put_f64s(&w, m->X, m->n * m->d);
    if (!hinge)
        put_f64s(&w, m->coef, m->n_times * m->n * m->k);
    put_f64(&w, m->jitter);
    put_f64(&w, m->most_negative);
    put_f64(&w, m->mean_diag);
    put_u64(&w, m->n_clamped);
    put_nystrom(&w, m);
    if (hinge)
        put_svm(&w, m);
    if (w.failed) {
        free(w.p);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory while serializing the model");
    }
    uint64_t payload = w.len - start;
    for (int i = 0; i < 8; i++)
        w.p[MAGIC_LEN + 4 + i] = (unsigned char)(payload >> (8 * i));
    put_u64(&w, fnv1a(w.p, w.len));
    if (w.failed) {
        free(w.p);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory while serializing the model");
    }
    *buf = w.p;
    *size = w.len;
    return NTK_OK;
}

/* ------------------------------------------------------------- reading */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    const char *name;
    ntk_error *err;
    int failed;
} rbuf;

static int need(rbuf *r, uint64_t n, const char *what)
{
    if (r->failed)
        return 0;
    if (n > r->len - r->pos) {
        ntk_error_set(r->err, NTK_EINPUT,
                      "%s: model file is truncated or corrupt (reading %s at byte %zu)", r->name,
                      what, r->pos);
        r->failed = 1;
        return 0;
    }
    return 1;
}

static uint64_t get_u64(rbuf *r, const char *what)
{
    if (!need(r, 8, what))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += 8;
    return v;
}

static uint32_t get_u32(rbuf *r, const char *what)
{
    if (!need(r, 4, what))
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)r->p[r->pos + i] << (8 * i);
    r->pos += 4;
    return v;
}

static double get_f64(rbuf *r, const char *what)
{
    uint64_t u = get_u64(r, what);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void corrupt(rbuf *r, const char *what)
{
    if (!r->failed)
        ntk_error_set(r->err, NTK_EINPUT, "%s: model file is corrupt (%s)", r->name, what);
    r->failed = 1;
}

/* A count whose items take at least `item_bytes` each must fit in what is left. */
static size_t get_count(rbuf *r, uint64_t item_bytes, const char *what)
{
    uint64_t n = get_u64(r, what);
    if (r->failed)
        return 0;
    if (item_bytes && n > (r->len - r->pos) / item_bytes) {
        corrupt(r, what);
        return 0;
    }
    return (size_t)n;
}

static char *get_str(rbuf *r, const char *what)
{
    uint64_t n = get_u64(r, what);
    if (r->failed)
        return NULL;
    if (n > MAX_STRING || !need(r, n, what))
        return corrupt(r, what), NULL;
    char *s = malloc(n + 1);
    if (!s) {
        ntk_error_set(r->err, NTK_ENOMEM, "out of memory");
        r->failed = 1;
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = '\0';
    if (memchr(s, '\0', n)) {
        free(s);
        return corrupt(r, what), NULL;
    }
    r->pos += n;
    return s;
}

static double *get_f64s(rbuf *r, size_t n, const char *what)
{
    if (n && n > (r->len - r->pos) / 8)
        return corrupt(r, what), NULL;
    if (r->failed)
        return NULL;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        ntk_error_set(r->err, NTK_ENOMEM, "out of memory");
        r->failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = get_f64(r, what);
    return v;
}

static ntk_encoder *get_encoder(rbuf *r)
{
    ntk_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        ntk_error_set(r->err, NTK_ENOMEM, "out of memory");
        r->failed = 1;
        return NULL;
    }
    e->n_columns = get_count(r, 8 + 4 + 8 + 8 + 8 + 8 + 8 + 8, "column count");
    e->columns = calloc(e->n_columns ? e->n_columns : 1, sizeof *e->columns);
    if (!e->columns) {
        e->n_columns = 0;
        corrupt(r, "column count");
        return e;
    }
    size_t features = 0;
    for (size_t c = 0; c < e->n_columns && !r->failed; c++) {
        ntk_encoded_column *col = &e->columns[c];
        col->name = get_str(r, "column name");
        col->type = (ntk_column_type)get_u32(r, "column type");
        if (col->type > NTK_COL_DROPPED)
            corrupt(r, "column type");
        col->drop_reason = get_str(r, "drop reason");
        col->n_missing = get_u64(r, "missing count");
        col->n_levels = get_count(r, 8, "level count");
        col->levels = calloc(col->n_levels ? col->n_levels : 1, sizeof *col->levels);
        if (!col->levels) {
            col->n_levels = 0;
            corrupt(r, "levels");
            break;
        }
        for (size_t l = 0; l < col->n_levels && !r->failed; l++)
            col->levels[l] = get_str(r, "level");
        col->first_feature = get_u64(r, "feature index");
        col->n_features = get_u64(r, "feature count");
        col->fill = get_f64(r, "fill value");
        if (!r->failed && ((col->n_features > 0 && col->first_feature != features) ||
                           col->n_features > (col->type == NTK_COL_CATEGORICAL ? col->n_levels : 1)))
            corrupt(r, "feature layout");
        features += col->n_features;
    }
    e->has_target = (int)get_u32(r, "target flag");
    e->target_column = get_u64(r, "target column");
    e->task = (ntk_task)get_u32(r, "task");
    e->n_classes = get_count(r, 8, "class count");
    e->class_labels = calloc(e->n_classes ? e->n_classes : 1, sizeof *e->class_labels);
    if (!e->class_labels) {
        e->n_classes = 0;
        corrupt(r, "class count");
    }
    for (size_t c = 0; c < e->n_classes && !r->failed; c++)
        e->class_labels[c] = get_str(r, "class label");
    e->n_features = get_count(r, 16, "feature count");
    e->feature_mean = get_f64s(r, e->n_features, "feature means");
    e->feature_scale = get_f64s(r, e->n_features, "feature scales");
    e->missing = (ntk_missing_policy)get_u32(r, "missing policy");
    e->standardize = (ntk_standardize)get_u32(r, "standardization");
    if (!r->failed) {
        if (e->n_features != features)
            corrupt(r, "feature count");
        else if (e->has_target && e->target_column >= e->n_columns)
            corrupt(r, "target column");
        else if (e->task != NTK_TASK_REGRESSION && e->task != NTK_TASK_CLASSIFICATION)
            corrupt(r, "task");
        else if (e->standardize != NTK_STANDARDIZE_ZSCORE &&
                 e->standardize != NTK_STANDARDIZE_NONE &&
                 e->standardize != NTK_STANDARDIZE_BALANCED)
            corrupt(r, "standardization");
        else if (e->task == NTK_TASK_CLASSIFICATION && e->n_classes < 2)
            corrupt(r, "class count");
    }
    return e;
}

/* Through the model file's encoder codec: one definition of what an encoder
 * holds, so a copy cannot miss a field the file keeps. */
ntk_status ntk_encoder_copy(const ntk_encoder *enc, ntk_encoder **out, ntk_error *err)
{
    *out = NULL;
    wbuf w = {0};
    put_encoder(&w, enc);
    if (w.failed) {
        free(w.p);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory copying the encoder");
    }
    rbuf r = {w.p, w.len, 0, "encoder copy", err, 0};
    ntk_encoder *c = get_encoder(&r);
    free(w.p);
    if (r.failed) {
        ntk_encoder_free(c);
        return err && err->status ? err->status : NTK_EFAILED;
    }
    *out = c;
    return NTK_OK;
}

/* ---- Nystrom section (#21): see put_nystrom. */
static void get_nystrom(rbuf *r, ntk_model *m)
{
    m->n_train = m->n;
    if (r->failed || r->len - r->pos < 4 || memcmp(r->p + r->pos, NYSTROM_TAG, 4) != 0)
        return;
    r->pos += 4;
    m->nystrom = 1;
    m->n_train = get_u64(r, "Nystrom training rows");
    uint32_t sel = get_u32(r, "Nystrom center selection");
    m->center_selection = (ntk_center_method)sel;
    m->jitter_centers = get_f64(r, "Nystrom center jitter");
    m->residual_rows = get_u64(r, "Nystrom residual rows");
    m->residual_mean = get_f64(r, "Nystrom residual");
    m->residual_rel = get_f64(r, "Nystrom relative residual");
    if (!r->failed && (sel > NTK_CENTERS_KMEANS || m->n_train < m->n))
        corrupt(r, "Nystrom section");
}
/* ---- end Nystrom section */
static void get_svm(rbuf *r, ntk_model *m)
{
    m->svm_C = get_f64(r, "SVM cost");
    m->svm_eps = get_f64(r, "SVM tolerance");
    uint32_t has_w = get_u32(r, "class weight flag");
    if (r->failed)
        return;
    if (!(m->svm_C > 0) || !(m->svm_eps > 0) || has_w > 1 || m->k < 2)
        return corrupt(r, "SVM parameters");
    if (has_w) {
        m->class_weight = get_f64s(r, m->k, "class weights");
        for (size_t c = 0; m->class_weight && c < m->k; c++)
            if (!(m->class_weight[c] > 0))
                return corrupt(r, "class weights");
    }
    size_t P = get_count(r, 8, "pair count");
    if (r->failed)
        return;
    if (P != m->k * (m->k - 1) / 2)
        return corrupt(r, "pair count");
    ntk_svm_model *s = calloc(1, sizeof *s);
    if (!s) {
        ntk_error_set(r->err, NTK_ENOMEM, "out of memory");
        r->failed = 1;
        return;
    }
    m->svm = s;
    s->k = m->k;
    s->n = m->n;
    s->n_pairs = P;
    s->bias = get_f64s(r, P, "SVM biases");
    s->iterations = get_u64(r, "SVM iterations");
    s->max_gap = get_f64(r, "SVM gap");
    s->n_sv = get_count(r, 8 * (P + 1), "support vector count");
    if (r->failed)
        return;
    if (s->n_sv > m->n)
        return corrupt(r, "support vector count");
    s->coef = calloc(m->n * P, sizeof *s->coef);
    if (!s->coef) {
        ntk_error_set(r->err, NTK_ENOMEM, "out of memory");
        r->failed = 1;
        return;
    }
    uint64_t prev = 0;
    for (size_t v = 0; v < s->n_sv && !r->failed; v++) {
        uint64_t i = get_u64(r, "support vector index");
        if (r->failed)
            break;
        if (i >= m->n || (v > 0 && i <= prev))
            return corrupt(r, "support vector index");
        prev = i;
        for (size_t q = 0; q < P; q++)
            s->coef[i * P + q] = get_f64(r, "support vector coefficient");
    }
}

ntk_status ntk_model_deserialize(const unsigned char *buf, size_t size, const char *name,
                                 ntk_model **out, ntk_error *err)
{
    *out = NULL;
    if (size < HEADER_LEN + 8 || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return ntk_error_set(err, NTK_EINPUT, "%s: not an ntk model file (bad magic number)",
                             name);
    rbuf r = {buf, size, MAGIC_LEN, name, err, 0};
    uint32_t version = get_u32(&r, "version");
    if (version < FORMAT_VERSION_MIN || version > FORMAT_VERSION)
        return ntk_error_set(err, NTK_EINPUT,
                             "%s: model format version %u is not supported (this ntk reads "
                             "versions %u to %u)", name, version, FORMAT_VERSION_MIN,
                             FORMAT_VERSION);
    uint64_t payload = get_u64(&r, "payload size");
    if (payload != size - HEADER_LEN - 8)
        return ntk_error_set(err, NTK_EINPUT,
                             "%s: model file is truncated or has trailing bytes (%zu bytes, "
                             "header says %llu)", name, size,
                             (unsigned long long)(payload + HEADER_LEN + 8));
    uint64_t stored = 0;
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)buf[size - 8 + i] << (8 * i);
    if (stored != fnv1a(buf, size - 8))
        return ntk_error_set(err, NTK_EINPUT, "%s: model file is corrupt (checksum mismatch)",
                             name);
    r.len = size - 8;

    ntk_model *m = calloc(1, sizeof *m);
    if (!m)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    m->loss = version >= 2 ? (ntk_loss)get_u32(&r, "loss") : NTK_LOSS_SQUARE;
    if (m->loss != NTK_LOSS_SQUARE && m->loss != NTK_LOSS_HINGE)
        corrupt(&r, "loss");
    int hinge = m->loss == NTK_LOSS_HINGE;
    m->encoder = get_encoder(&r);
    m->arch.depth = (int)get_u32(&r, "depth");
    m->arch.act.kind = (ntk_act_kind)get_u32(&r, "activation");
    for (int i = 0; i < 3; i++)
        m->arch.act.p[i] = get_f64(&r, "activation parameter");
    m->arch.w_std = get_f64(&r, "w_std");
    m->arch.b_std = get_f64(&r, "b_std");
    m->arch.fixed_layers = (int)get_u32(&r, "fixed layers");
    m->kind = (ntk_kernel_kind)get_u32(&r, "kernel kind");
    m->reg = get_f64(&r, "reg");
    m->reg_scale = (ntk_reg_scale)get_u32(&r, "reg scale");
    m->reg_abs = get_f64(&r, "reg");
    m->lr = get_f64(&r, "lr");
    m->time_scale = (ntk_time_scale)get_u32(&r, "time scale");
    m->n_times = get_count(&r, 8, "time count");
    m->times = get_f64s(&r, m->n_times, "times");
    m->task = (ntk_task)get_u32(&r, "task");
    m->k = get_count(&r, 0, "outputs");
    m->y_mean = get_f64(&r, "target mean");
    m->y_scale = get_f64(&r, "target scale");
    m->n = get_count(&r, 0, "rows");
    m->d = get_count(&r, 0, "features");
    if (!r.failed) {
        /* Checked multiplication: n·d and n_times·n·k must fit in the file. */
        size_t left = (r.len - r.pos) / 8;
        if ((m->d && m->n > left / m->d) || m->k == 0 ||
            (m->n && m->k > left / m->n) ||
            (m->n * m->k != 0 && m->n_times > left / (m->n * m->k)))
            corrupt(&r, "matrix sizes");
    }
    if (!r.failed) {
        m->X = get_f64s(&r, m->n * m->d, "training inputs");
        if (!hinge)
            m->coef = get_f64s(&r, m->n_times * m->n * m->k, "coefficients");
    }
    m->jitter = get_f64(&r, "jitter");
    m->most_negative = get_f64(&r, "eigenvalue");
    m->mean_diag = get_f64(&r, "mean diagonal");
    m->n_clamped = get_u64(&r, "clamp count");
    get_nystrom(&r, m);
    if (hinge && !r.failed)
        get_svm(&r, m);
    if (!r.failed && r.pos != r.len)
        corrupt(&r, "trailing bytes");
    if (!r.failed) {
        const char *why = ntk_arch_check(&m->arch);
        if (m->arch.act.kind == NTK_ACT_CUSTOM || m->arch.act.kind > NTK_ACT_CUSTOM)
            why = "activation";
        if (why)
            corrupt(&r, why);
        else if (m->kind != NTK_KIND_NTK && m->kind != NTK_KIND_NNGP)
            corrupt(&r, "kernel kind");
        else if (m->task != m->encoder->task)
            corrupt(&r, "task");
        else if (m->d != m->encoder->n_features)
            corrupt(&r, "feature count");
        else if (m->k != (m->task == NTK_TASK_CLASSIFICATION ? m->encoder->n_classes : 1))
            corrupt(&r, "output count");
        else if (m->n == 0 || m->n_times == 0)
            corrupt(&r, "empty model");
        else if (hinge && (m->task != NTK_TASK_CLASSIFICATION || m->n_times != 1))
            corrupt(&r, "hinge model layout");
    }
    if (r.failed) {
        ntk_model_free(m);
        return err ? err->status : NTK_EINPUT;
    }
    *out = m;
    return NTK_OK;
}

ntk_status ntk_model_save(const ntk_model *model, const char *path, ntk_error *err)
{
    unsigned char *buf = NULL;
    size_t size = 0;
    ntk_status st = ntk_model_serialize(model, &buf, &size, err);
    if (st == NTK_OK)
        st = ntk_file_write_atomic(path, buf, size, err);
    free(buf);
    return st;
}

ntk_status ntk_model_load(const char *path, ntk_model **out, ntk_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ntk_error_set(err, NTK_EINPUT, "cannot open model %s: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    ntk_status st = NTK_OK;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                st = ntk_error_set(err, NTK_ENOMEM, "out of memory reading %s", path);
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = ntk_error_set(err, NTK_EINPUT, "cannot read model %s: %s", path,
                                   strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st == NTK_OK)
        st = ntk_model_deserialize(buf, len, path, out, err);
    free(buf);
    return st;
}

/* Applying a fitted encoder to a table: column matching, target reading and
 * the encoded matrix (see ntk/dataset.h). */
#include "dataset_internal.h"
#include "ntk/stream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntk_dataset_free(ntk_dataset *ds)
{
    if (!ds)
        return;
    free(ds->X);
    free(ds->y);
    free(ds->source_row);
    free(ds);
}

static void free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ntk_encoder_free(ntk_encoder *enc)
{
    if (!enc)
        return;
    if (enc->columns) {
        for (size_t j = 0; j < enc->n_columns; j++) {
            ntk_encoded_column *c = &enc->columns[j];
            free(c->name);
            free(c->drop_reason);
            free_strings(c->levels, c->n_levels);
        }
        free(enc->columns);
    }
    free_strings(enc->class_labels, enc->n_classes);
    free(enc->feature_mean);
    free(enc->feature_scale);
    free(enc);
}

static int cmp_str_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

/* Index of s in the sorted array v[0..n-1], or SIZE_MAX. */
static size_t find_sorted(char *const *v, size_t n, const char *s)
{
    if (!n)
        return SIZE_MAX;
    char *const *hit = bsearch(s, v, n, sizeof *v, cmp_str_key);
    return hit ? (size_t)(hit - v) : SIZE_MAX;
}

static ntk_status cell_error(ntk_error *err, const ntk_table *t, size_t r, size_t c,
                             const char *what)
{
    char lab[200], snip[160];
    const char *cell = t->cells[r * t->n_cols + c];
    ds_column_label(lab, sizeof lab, t->names[c], c);
    ds_snippet(snip, sizeof snip, cell, strlen(cell));
    return ntk_error_set(err, NTK_EINPUT, "%s: line %zu, %s: %s, found %s",
                         t->path ? t->path : "(input)", ds_cell_line(t, r, c), lab, what, snip);
}

static ntk_status missing_error(ntk_error *err, const ntk_table *t, size_t r, size_t c,
                                const char *what)
{
    char lab[200], snip[160];
    const char *cell = t->cells[r * t->n_cols + c];
    ds_column_label(lab, sizeof lab, t->names[c], c);
    ds_snippet(snip, sizeof snip, cell, strlen(cell));
    return ntk_error_set(err, NTK_EINPUT, "%s: line %zu, %s: missing %s %s (--missing error)",
                         t->path ? t->path : "(input)", ds_cell_line(t, r, c), lab, what, snip);
}

ntk_status ds_encode(const ntk_encoder *enc, const ntk_table *t, const size_t *colmap,
                     int with_target, int standardize, ntk_dataset **out, ntk_error *err)
{
    return ds_encode_rows(enc, t, colmap, with_target, standardize, 0, out, err);
}

ntk_status ds_encode_rows(const ntk_encoder *enc, const ntk_table *t, const size_t *colmap,
                          int with_target, int standardize, int allow_empty, ntk_dataset **out,
                          ntk_error *err)
{
    *out = NULL;
    const char *file = t->path ? t->path : "(input)";
    const size_t d = enc->n_features, tn = t->n_cols;
    const int use_target = with_target && enc->has_target;
    const int classify = enc->task == NTK_TASK_CLASSIFICATION;
    ntk_dataset *ds = calloc(1, sizeof *ds);
    size_t *keep = malloc((t->n_rows ? t->n_rows : 1) * sizeof *keep);
    double *yv = use_target ? malloc((t->n_rows ? t->n_rows : 1) * sizeof *yv) : NULL;
    if (!ds || !keep || (use_target && !yv)) {
        free(ds);
        free(keep);
        free(yv);
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", file);
    }
    ntk_status s = NTK_OK;
    size_t n = 0;
    const size_t tc = use_target ? colmap[enc->target_column] : 0;
    for (size_t r = 0; r < t->n_rows && s == NTK_OK; r++) {
        if (use_target) {
            const char *cell = t->cells[r * tn + tc];
            int mk = ds_missing_kind(cell);
            double v = 0;
            if (mk == DS_MISSING_NAN) {
                s = cell_error(err, t, r, tc, "the target is NaN (write an empty field or NA for a "
                                              "missing target)");
                break;
            }
            if (mk == DS_MISSING) {
                if (enc->missing == NTK_MISSING_ERROR) {
                    s = missing_error(err, t, r, tc, "target");
                    break;
                }
                ds->n_skipped_target++;
                continue;
            }
            if (classify) {
                size_t k = find_sorted(enc->class_labels, enc->n_classes, cell);
                if (k == SIZE_MAX) {
                    ds->n_unseen_labels++;
                    continue;
                }
                v = (double)k;
            } else {
                int st = ds_parse_number(cell, &v);
                if (st == DS_NUM_NONFINITE) {
                    s = cell_error(err, t, r, tc, "the target is not a finite number");
                    break;
                }
                if (st != DS_NUM_OK) {
                    s = cell_error(err, t, r, tc, "the regression target must be a number");
                    break;
                }
            }
            yv[n] = v;
        }
        keep[n++] = r;
    }
    if (s == NTK_OK && n == 0 && !allow_empty)
        s = ntk_error_set(err, NTK_EINPUT,
                          "%s: no usable rows (%zu with a missing target, %zu with a class label "
                          "not seen in training)",
                          file, ds->n_skipped_target, ds->n_unseen_labels);
    if (s == NTK_OK) {
        char what[128];
        snprintf(what, sizeof what, "encoded data %zux%zu", n, d);
        size_t bytes = n * (d ? d : 1) * sizeof(double);
        if (d && bytes / d / sizeof(double) != n)
            s = ntk_error_set(err, NTK_ENOMEM, "%s: %s is too large", file, what);
        else if (!(ds->X = ntk_alloc_checked(bytes, what, err)))
            s = NTK_ENOMEM;
        else if (!(ds->source_row = malloc(n * sizeof *ds->source_row)))
            s = ntk_error_set(err, NTK_ENOMEM, "%s: out of memory", file);
        if (s == NTK_OK)
            ds_advise_huge(ds->X, bytes);
    }
    for (size_t i = 0; i < n && s == NTK_OK; i++) {
        size_t r = keep[i];
        double *row = ds->X + i * d;
        memset(row, 0, d * sizeof *row);
        ds->source_row[i] = r;
        for (size_t j = 0; j < enc->n_columns && s == NTK_OK; j++) {
            const ntk_encoded_column *col = &enc->columns[j];
            if (col->type == NTK_COL_DROPPED || col->n_features == 0)
                continue;
            const size_t c = colmap[j];
            const char *cell = t->cells[r * tn + c];
            double v;
            switch (col->type) {
            case NTK_COL_NUMERIC: {
                int st = ds_parse_number(cell, &v);
                if (st == DS_NUM_OK) {
                    row[col->first_feature] = v;
                } else if (ds_is_missing(cell)) {
                    if (enc->missing == NTK_MISSING_ERROR)
                        s = missing_error(err, t, r, c, "value");
                    row[col->first_feature] = col->fill;
                } else if (st == DS_NUM_NONFINITE) {
                    s = cell_error(err, t, r, c, "numbers must be finite");
                } else {
                    s = cell_error(err, t, r, c, "expected a number (the column is numeric)");
                }
                break;
            }
            case NTK_COL_BOOLEAN:
                if (ds_parse_bool(cell, &v)) {
                    row[col->first_feature] = v;
                } else if (ds_is_missing(cell)) {
                    if (enc->missing == NTK_MISSING_ERROR)
                        s = missing_error(err, t, r, c, "value");
                    row[col->first_feature] = col->fill;
                } else {
                    s = cell_error(err, t, r, c,
                                   "expected a boolean (TRUE/FALSE, yes/no, y/n; the column is "
                                   "boolean)");
                }
                break;
            case NTK_COL_CATEGORICAL: {
                size_t k;
                if (ds_is_missing(cell)) {
                    if (enc->missing == NTK_MISSING_ERROR) {
                        s = missing_error(err, t, r, c, "value");
                        break;
                    }
                    k = col->n_levels && col->levels[0][0] == '\0' ? 0 : SIZE_MAX;
                } else {
                    k = find_sorted(col->levels, col->n_levels, cell);
                }
                if (k == SIZE_MAX || k >= col->n_features)
                    ds->n_unseen_levels++;
                else
                    row[col->first_feature + k] = 1.0;
                break;
            }
            case NTK_COL_DROPPED:
                break;
            }
        }
        if (standardize && s == NTK_OK)
            for (size_t f = 0; f < d; f++)
                row[f] = (row[f] - enc->feature_mean[f]) / enc->feature_scale[f];
    }
    free(keep);
    if (s != NTK_OK) {
        free(yv);
        ntk_dataset_free(ds);
        return s;
    }
    ds->n = n;
    ds->d = d;
    if (use_target) {
        double *y2 = realloc(yv, (n ? n : 1) * sizeof *y2);
        ds->y = y2 ? y2 : yv;
    }
    *out = ds;
    return NTK_OK;
}

/* Match the encoder's columns to t's: by name, or by position for unnamed
 * columns. Columns not needed (dropped; the target without with_target) may
 * be absent and map to SIZE_MAX. */
static ntk_status match_columns(const ntk_encoder *enc, const ntk_table *t, int with_target,
                                size_t *colmap, ntk_error *err)
{
    const char *file = t->path ? t->path : "(input)";
    for (size_t j = 0; j < enc->n_columns; j++) {
        const ntk_encoded_column *col = &enc->columns[j];
        int is_target = enc->has_target && j == enc->target_column;
        int needed = is_target ? with_target : col->type != NTK_COL_DROPPED;
        colmap[j] = SIZE_MAX;
        if (col->name[0]) {
            /* Names are unique: try the same position first (the usual case),
             * which keeps wide files linear rather than quadratic. */
            if (j < t->n_cols && strcmp(t->names[j], col->name) == 0)
                colmap[j] = j;
            for (size_t c = 0; c < t->n_cols && colmap[j] == SIZE_MAX; c++)
                if (strcmp(t->names[c], col->name) == 0) {
                    colmap[j] = c;
                    break;
                }
        } else if (j < t->n_cols && t->names[j][0] == '\0') {
            colmap[j] = j;
        }
        if (needed && colmap[j] == SIZE_MAX) {
            char lab[200];
            ds_column_label(lab, sizeof lab, col->name, j);
            return ntk_error_set(err, NTK_EINPUT, "%s: %s %s of the training data is missing",
                                 file, is_target ? "target" : "feature", lab);
        }
    }
    return NTK_OK;
}

static ntk_status apply(const ntk_encoder *enc, const ntk_table *t, int with_target,
                        int allow_empty, ntk_dataset **out, ntk_error *err)
{
    *out = NULL;
    size_t *colmap = malloc((enc->n_columns ? enc->n_columns : 1) * sizeof *colmap);
    if (!colmap)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_status s = match_columns(enc, t, with_target, colmap, err);
    if (s == NTK_OK)
        s = ds_encode_rows(enc, t, colmap, with_target,
                           enc->standardize != NTK_STANDARDIZE_NONE, allow_empty, out, err);
    free(colmap);
    return s;
}

ntk_status ntk_encoder_apply(const ntk_encoder *enc, const ntk_table *t, int with_target,
                             ntk_dataset **out, ntk_error *err)
{
    return apply(enc, t, with_target, 0, out, err);
}

ntk_status ntk_encoder_apply_chunk(const ntk_encoder *enc, const ntk_table *t, int with_target,
                                   ntk_dataset **out, ntk_error *err)
{
    return apply(enc, t, with_target, 1, out, err);
}

/* Fitting an encoder on a training table: target and task, column types,
 * levels, imputation values and standardization (rules in ntk/dataset.h). */
#include "dataset_fit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntk_encode_options_init(ntk_encode_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->task = NTK_TASK_AUTO;
    opt->missing = NTK_MISSING_IMPUTE;
    opt->standardize = NTK_STANDARDIZE_BALANCED;
}

const char *ntk_column_type_name(ntk_column_type type)
{
    switch (type) {
    case NTK_COL_NUMERIC: return "numeric";
    case NTK_COL_BOOLEAN: return "boolean";
    case NTK_COL_CATEGORICAL: return "categorical";
    case NTK_COL_DROPPED: return "dropped";
    }
    return "unknown";
}

const char *ntk_task_name(ntk_task task)
{
    switch (task) {
    case NTK_TASK_AUTO: return "auto";
    case NTK_TASK_REGRESSION: return "regression";
    case NTK_TASK_CLASSIFICATION: return "classification";
    }
    return "unknown";
}

static inline void welford(double *mean, double *m2, size_t *k, double v)
{
    double d = v - *mean;
    *mean += d / (double)++*k;
    *m2 += d * (v - *mean);
}

static const char *file_of(const ntk_table *t) { return t->path ? t->path : "(input)"; }

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted distinct copies of the texts v[0..n-1] (v is sorted in place).
 * `lead_empty` places an extra "" first, counted `lead_count` times. With
 * `counts`, *counts receives a malloc'ed count per level. Returns the number
 * of levels or SIZE_MAX when out of memory. */
size_t ds_distinct_levels(const char **v, size_t n, int lead_empty, size_t lead_count,
                              char ***out, size_t **counts)
{
    qsort(v, n, sizeof *v, cmp_str);
    size_t k = 0;
    size_t *run = malloc((n + 1) * sizeof *run);
    if (!run)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(v[i], v[i - 1]) != 0) {
            v[k] = v[i];
            run[k++] = 1;
        } else {
            run[k - 1]++;
        }
    }
    size_t total = k + (lead_empty ? 1 : 0);
    char **lv = calloc(total ? total : 1, sizeof *lv);
    size_t *cnt = counts ? malloc((total ? total : 1) * sizeof *cnt) : NULL;
    if (!lv || (counts && !cnt)) {
        free(lv);
        free(cnt);
        free(run);
        return SIZE_MAX;
    }
    size_t o = 0;
    if (lead_empty) {
        if (cnt)
            cnt[o] = lead_count;
        if (!(lv[o++] = ds_strdup("")))
            goto oom;
    }
    for (size_t i = 0; i < k; i++) {
        if (cnt)
            cnt[o] = run[i];
        if (!(lv[o++] = ds_strdup(v[i])))
            goto oom;
    }
    free(run);
    *out = lv;
    if (counts)
        *counts = cnt;
    return total;
oom:
    for (size_t q = 0; q < o; q++)
        free(lv[q]);
    free(lv);
    free(cnt);
    free(run);
    return SIZE_MAX;
}

/* Resolve a comma-separated list of column references, setting mark[c] = 1. */
static ntk_status mark_list(const ntk_table *t, const char *list, const char *what,
                            unsigned char *mark, ntk_error *err)
{
    if (!list)
        return NTK_OK;
    char *copy = ds_strdup(list);
    if (!copy)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ntk_status s = NTK_OK;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && s == NTK_OK;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t l = strlen(tok);
        while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
            tok[--l] = '\0';
        if (!l)
            continue;
        size_t c;
        ntk_error e2;
        ntk_error_clear(&e2);
        if (ntk_table_find_column(t, tok, &c, &e2) != NTK_OK)
            s = ntk_error_set(err, NTK_EINPUT, "%s: %s", what, e2.msg);
        else
            mark[c] = 1;
    }
    free(copy);
    return s;
}

void ds_stats_init(col_stats *st, size_t nc)
{
    for (size_t c = 0; c < nc; c++) {
        col_stats *s = &st[c];
        memset(s, 0, sizeof *s);
        s->first_missing = s->first_nonfinite = s->first_nonnumber = SIZE_MAX;
        s->numeric = s->boolean = 1;
        s->num_const = s->bool_const = s->text_const = 1;
    }
}

void ds_scan_columns(const ntk_table *t, const size_t *used, size_t n_used, const int *role,
                     col_stats *st)
{
    const size_t nc = t->n_cols;
    for (size_t i = 0; i < n_used; i++) {
        const size_t r = used[i];
        char *const *row = t->cells + r * nc;
        for (size_t c = 0; c < nc; c++) {
            if (role[c] == ROLE_TARGET)
                continue;
            col_stats *s = &st[c];
            const char *cell = row[c];
            double v;
            int num = DS_NUM_INVALID;
            if (s->numeric || s->boolean) {
                num = ds_parse_number(cell, &v);
                if (num == DS_NUM_OK) {
                    if (s->n_present == 0)
                        s->num0 = v;
                    else if (v != s->num0)
                        s->num_const = 0;
                    welford(&s->num_mean, &s->num_m2, &s->n_num, v);
                    s->boolean = 0;
                    goto present;
                }
            }
            if (ds_is_missing(cell)) {
                if (s->n_missing++ == 0)
                    s->first_missing = r;
                continue;
            }
            if (num == DS_NUM_NONFINITE) {
                if (s->first_nonfinite == SIZE_MAX)
                    s->first_nonfinite = r;
                s->boolean = 0;
            } else if (s->numeric) {
                s->numeric = 0;
                s->first_nonnumber = r;
            }
            if (s->boolean) {
                if (ds_parse_bool(cell, &v)) {
                    if (s->n_present == 0)
                        s->bool0 = v;
                    else if (v != s->bool0)
                        s->bool_const = 0;
                    welford(&s->bool_mean, &s->bool_m2, &s->n_bool, v);
                } else {
                    s->boolean = 0;
                }
            }
        present:
            if (s->n_present == 0)
                s->text0 = cell;
            else if (s->text_const && strcmp(cell, s->text0) != 0)
                s->text_const = 0;
            s->n_present++;
        }
    }
}

/* All present and pairwise distinct (for the row-names rule). */
static int all_distinct(const ntk_table *t, size_t c, const size_t *used, size_t n_used,
                        int *oom)
{
    const char **v = malloc((n_used ? n_used : 1) * sizeof *v);
    if (!v) {
        *oom = 1;
        return 0;
    }
    for (size_t i = 0; i < n_used; i++)
        v[i] = t->cells[used[i] * t->n_cols + c];
    qsort(v, n_used, sizeof *v, cmp_str);
    int ok = 1;
    for (size_t i = 1; i < n_used && ok; i++)
        if (strcmp(v[i], v[i - 1]) == 0)
            ok = 0;
    free(v);
    return ok;
}

static ntk_status set_reason(ntk_encoded_column *col, const char *why, ntk_error *err)
{
    col->type = NTK_COL_DROPPED;
    free(col->drop_reason);
    col->drop_reason = ds_strdup(why);
    return col->drop_reason ? NTK_OK : ntk_error_set(err, NTK_ENOMEM, "out of memory");
}

/* Error at cell (r, c) with a message prefix and the cell's text. */
static ntk_status cell_fail(ntk_error *err, const ntk_table *t, size_t r, size_t c, const char *what)
{
    char lab[200], snip[160];
    const char *cell = t->cells[r * t->n_cols + c];
    ds_column_label(lab, sizeof lab, t->names[c], c);
    ds_snippet(snip, sizeof snip, cell, strlen(cell));
    return ntk_error_set(err, NTK_EINPUT, "%s: line %zu, %s: %s: %s", file_of(t),
                         ds_cell_line(t, r, c), lab, what, snip);
}

/* Error at a column's first missing / non-finite cell: its row in t, or
 * (streamed) the line and text recorded when it was seen. */
static ntk_status stat_fail(ntk_error *err, const ntk_table *t, const col_stats *s, int nonfinite,
                            size_t c, const char *what)
{
    if (!s->streamed)
        return cell_fail(err, t, nonfinite ? s->first_nonfinite : s->first_missing, c, what);
    const ds_cell_ref *ref = nonfinite ? &s->nonfinite_ref : &s->missing_ref;
    char lab[200], snip[160];
    ds_column_label(lab, sizeof lab, t->names[c], c);
    ds_snippet(snip, sizeof snip, ref->text ? ref->text : "", ref->text ? strlen(ref->text) : 0);
    return ntk_error_set(err, NTK_EINPUT, "%s: line %zu, %s: %s: %s", file_of(t), ref->line, lab,
                         what, snip);
}

static ntk_status ref_set(ds_cell_ref *ref, const ntk_table *t, size_t r, size_t c, ntk_error *err)
{
    ref->line = ds_cell_line(t, r, c);
    ref->text = ds_strdup(t->cells[r * t->n_cols + c]);
    return ref->text ? NTK_OK : ntk_error_set(err, NTK_ENOMEM, "out of memory");
}

/* The target cells of rows r0..t->n_rows−1: rows with a target appended to
 * used (as row indices of t), the first non-number and infinity recorded. */
ntk_status ds_target_scan(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                          ds_target_state *ts, size_t *used, size_t *n_used, ntk_error *err)
{
    const size_t tc = enc->target_column, nc = t->n_cols;
    ntk_encoded_column *col = &enc->columns[tc];
    size_t n = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *cell = t->cells[r * nc + tc];
        int mk = ds_missing_kind(cell);
        if (mk == DS_MISSING_NAN)
            return cell_fail(err, t, r, tc,
                             "the target is NaN (write an empty field or NA for a missing target)");
        if (mk == DS_MISSING) {
            if (opt->missing == NTK_MISSING_ERROR)
                return cell_fail(err, t, r, tc, "missing target value (--missing error)");
            col->n_missing++;
            continue;
        }
        double v;
        int st = ds_parse_number(cell, &v);
        ntk_status s = NTK_OK;
        if (st == DS_NUM_NONFINITE && !ts->inf.text)
            s = ref_set(&ts->inf, t, r, tc, err);
        if (st == DS_NUM_INVALID && !ts->nonnum.text)
            s = ref_set(&ts->nonnum, t, r, tc, err);
        if (s != NTK_OK)
            return s;
        used[n++] = r;
    }
    *n_used = n;
    ts->n += n;
    return NTK_OK;
}

void ds_target_state_free(ds_target_state *ts)
{
    free(ts->inf.text);
    free(ts->nonnum.text);
}

/* Task and labels once every target cell is seen; labels: the present
 * target texts (v[0..nv−1], any order, repeats allowed; sorted in place). */
ntk_status ds_target_finish(const ntk_table *t, const ntk_encode_options *opt, int forced_cat,
                            ntk_encoder *enc, const ds_target_state *ts, const char **v,
                            size_t nv, ntk_error *err)
{
    const size_t tc = enc->target_column;
    char lab[200];
    if (t->names[tc][0])
        ds_snippet(lab, sizeof lab, t->names[tc], strlen(t->names[tc]));
    else
        snprintf(lab, sizeof lab, "column %zu (unnamed)", tc + 1);
    if (ts->n == 0)
        return ntk_error_set(err, NTK_EINPUT, "%s: target %s has no values (every row is missing it)",
                             file_of(t), lab);
    int numeric = !ts->nonnum.text;
    ntk_task task = opt->task;
    if (task == NTK_TASK_AUTO)
        task = (numeric && !forced_cat) ? NTK_TASK_REGRESSION : NTK_TASK_CLASSIFICATION;
    enc->task = task;
    char snip[160];
    if (task == NTK_TASK_REGRESSION) {
        if (!numeric) {
            ds_snippet(snip, sizeof snip, ts->nonnum.text, strlen(ts->nonnum.text));
            return ntk_error_set(err, NTK_EINPUT,
                                 "%s: target %s is not numeric (line %zu: %s); use --task "
                                 "classification for class labels",
                                 file_of(t), lab, ts->nonnum.line, snip);
        }
        if (ts->inf.text) {
            char clab[200];
            ds_column_label(clab, sizeof clab, t->names[tc], tc);
            ds_snippet(snip, sizeof snip, ts->inf.text, strlen(ts->inf.text));
            return ntk_error_set(err, NTK_EINPUT, "%s: line %zu, %s: %s: %s", file_of(t),
                                 ts->inf.line, clab, "the target is not a finite number", snip);
        }
        return NTK_OK;
    }
    if (!v)
        return ntk_error_set(err, NTK_EINPUT, "%s: target %s has more than %d distinct values: "
                             "too many classes to stream", file_of(t), lab, DS_STREAM_LEVELS_MAX);
    size_t k = ds_distinct_levels(v, nv, 0, 0, &enc->class_labels, NULL);
    if (k == SIZE_MAX)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    enc->n_classes = k;
    if (k < 2) {
        ds_snippet(snip, sizeof snip, enc->class_labels[0], strlen(enc->class_labels[0]));
        return ntk_error_set(err, NTK_EINPUT,
                             "%s: target %s has a single class %s; classification needs at least "
                             "two (use --task regression for a numeric target)",
                             file_of(t), lab, snip);
    }
    return NTK_OK;
}

/* Target of a table in memory: rows to use, task, labels. */
static ntk_status fit_target(const ntk_table *t, const ntk_encode_options *opt, int forced_cat,
                             ntk_encoder *enc, size_t *used, size_t *n_used, ntk_error *err)
{
    ds_target_state ts = {0};
    ntk_status s = ds_target_scan(t, opt, enc, &ts, used, n_used, err);
    const char **v = NULL;
    if (s == NTK_OK && !(v = malloc((*n_used ? *n_used : 1) * sizeof *v)))
        s = ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (s == NTK_OK) {
        for (size_t i = 0; i < *n_used; i++)
            v[i] = t->cells[used[i] * t->n_cols + enc->target_column];
        s = ds_target_finish(t, opt, forced_cat, enc, &ts, v, *n_used, err);
    }
    free(v);
    ds_target_state_free(&ts);
    return s;
}

/* Values near the double range (|v| ~ 1e154 and beyond) overflow the running
 * sums of squares: redo mean and spread on v / max|v|. */
static void rescaled_moments(const ntk_table *t, size_t c, const size_t *used, size_t n_used,
                             col_stats *s)
{
    double m = 0, v, mean = 0, m2 = 0;
    size_t k = 0;
    for (size_t i = 0; i < n_used; i++)
        if (ds_parse_number(t->cells[used[i] * t->n_cols + c], &v) == DS_NUM_OK && fabs(v) > m)
            m = fabs(v);
    if (!(m > 0) || !isfinite(m))
        return;
    for (size_t i = 0; i < n_used; i++)
        if (ds_parse_number(t->cells[used[i] * t->n_cols + c], &v) == DS_NUM_OK)
            welford(&mean, &m2, &k, v / m);
    s->std_mean = mean * m;
    s->std_m2 = m2;
    s->std_unit = m;
}

/* Decide the type of feature column c from its statistics. */
static ntk_status type_column(const ntk_table *t, size_t c, col_stats *s, int forced_cat,
                              const size_t *used, size_t n_used, const ntk_encode_options *opt,
                              ntk_encoded_column *col, ntk_error *err)
{
    char lab[200];
    ds_column_label(lab, sizeof lab, t->names[c], c);
    col->n_missing = s->n_missing;
    /* Row names: an unnamed first column of distinct values in a named header. */
    if (c == 0 && !forced_cat && t->names[0][0] == '\0' && s->n_missing == 0) {
        int named = 0;
        for (size_t j = 1; j < t->n_cols && !named; j++)
            named = t->names[j][0] != '\0';
        int oom = 0;
        if (named && s->streamed && s->distinct < 0)
            return ntk_error_set(err, NTK_EINPUT,
                                 "%s: %s: an unnamed first column with more than %d distinct "
                                 "values cannot be checked for row names while streaming; name "
                                 "it, or drop it with --drop 1",
                                 file_of(t), lab, DS_STREAM_LEVELS_MAX);
        if (named && (s->streamed ? s->distinct > 0 : all_distinct(t, c, used, n_used, &oom)))
            return set_reason(col, "row names", err);
        if (oom)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    if (s->n_present == 0)
        return ntk_error_set(err, NTK_EINPUT,
                             "%s: %s has no values (every cell is missing); drop it with --drop %zu",
                             file_of(t), lab, c + 1);
    int constant;
    if (forced_cat || (!s->numeric && !s->boolean)) {
        col->type = NTK_COL_CATEGORICAL;
        constant = s->text_const;
    } else if (s->numeric) {
        if (s->first_nonfinite != SIZE_MAX)
            return stat_fail(err, t, s, 1, c, "numbers must be finite");
        col->type = NTK_COL_NUMERIC;
        constant = s->num_const;
        col->fill = s->std_mean = s->num_mean;
        s->std_m2 = s->num_m2;
        if ((!isfinite(s->num_mean) || !isfinite(s->num_m2)) && s->streamed)
            return ntk_error_set(err, NTK_EINPUT, "%s: %s: values near the double range "
                                 "(|v| > 1e150) are not supported while streaming",
                                 file_of(t), lab);
        if (!isfinite(s->num_mean) || !isfinite(s->num_m2))
            rescaled_moments(t, c, used, n_used, s);
        col->fill = s->std_mean;
    } else {
        col->type = NTK_COL_BOOLEAN;
        constant = s->bool_const;
        col->fill = s->std_mean = s->bool_mean;
        s->std_m2 = s->bool_m2;
    }
    if (constant && s->n_missing == 0) {
        col->fill = 0;
        return set_reason(col, "constant", err);
    }
    if (s->n_missing && opt->missing == NTK_MISSING_ERROR)
        return stat_fail(err, t, s, 0, c, "missing value (--missing error)");
    if (col->type == NTK_COL_CATEGORICAL && s->streamed) {
        if (s->levels_lost)
            return ntk_error_set(err, NTK_EINPUT, "%s: %s: categorical with more than %d "
                                 "distinct values: not supported while streaming",
                                 file_of(t), lab, DS_STREAM_LEVELS_MAX);
        col->levels = s->levels;
        s->levels = NULL;
        s->level_count = s->counts;
        s->counts = NULL;
        col->n_levels = col->n_features = s->n_levels;
    } else if (col->type == NTK_COL_CATEGORICAL) {
        const char **v = malloc((n_used ? n_used : 1) * sizeof *v);
        if (!v)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n_used; i++) {
            const char *cell = t->cells[used[i] * t->n_cols + c];
            if (!ds_is_missing(cell))
                v[m++] = cell;
        }
        size_t k = ds_distinct_levels(v, m, s->n_missing > 0, s->n_missing, &col->levels,
                                   &s->level_count);
        free(v);
        if (k == SIZE_MAX)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        col->n_levels = k;
        col->n_features = k;
    } else {
        col->n_features = 1;
    }
    return NTK_OK;
}

/* Means and scales of the encoded training features, from the statistics
 * of the typing pass: a numeric or boolean feature after mean imputation has
 * the mean of its present values and M2/n as variance (imputed cells add no
 * deviation); a one-hot feature with share p has mean p and variance p(1-p)
 * (zscore), or scale √2 (balanced: a change of category at distance 1).
 * A feature constant on the training rows gets scale 1. */
static ntk_status fit_standardization(ntk_encoder *enc, const col_stats *st, size_t n_used,
                                      ntk_error *err)
{
    const size_t d = enc->n_features;
    enc->feature_mean = calloc(d, sizeof(double));
    enc->feature_scale = malloc(d * sizeof(double));
    if (!enc->feature_mean || !enc->feature_scale)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t f = 0; f < d; f++)
        enc->feature_scale[f] = 1.0;
    if (enc->standardize == NTK_STANDARDIZE_NONE)
        return NTK_OK;
    const double n = (double)n_used;
    for (size_t j = 0; j < enc->n_columns; j++) {
        const ntk_encoded_column *col = &enc->columns[j];
        const col_stats *s = &st[j];
        size_t f0 = col->first_feature;
        if (col->type == NTK_COL_NUMERIC || col->type == NTK_COL_BOOLEAN) {
            double sd = sqrt(s->std_m2 / n);
            if (s->std_unit > 0)
                sd *= s->std_unit;
            enc->feature_mean[f0] = s->std_mean;
            enc->feature_scale[f0] = sd > 0 && isfinite(sd) ? sd : 1.0;
        } else if (col->type == NTK_COL_CATEGORICAL) {
            for (size_t k = 0; k < col->n_levels; k++) {
                double p = (double)s->level_count[k] / n;
                double sd = enc->standardize == NTK_STANDARDIZE_BALANCED ? sqrt(2.0)
                                                                         : sqrt(p * (1.0 - p));
                enc->feature_mean[f0 + k] = p;
                enc->feature_scale[f0 + k] = sd > 0 ? sd : 1.0;
            }
        }
    }
    return NTK_OK;
}

/* Everything of the fit that needs the header only: column names, the
 * --drop / --categorical lists, the target column. */
ntk_status ds_fit_setup(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                        int *role, unsigned char *drop, unsigned char *cat, ntk_error *err)
{
    const size_t nc = t->n_cols;
    ntk_status s = NTK_OK;
    enc->n_columns = nc;
    enc->missing = opt->missing;
    enc->standardize = opt->standardize;
    for (size_t j = 0; j < nc; j++)
        if (!(enc->columns[j].name = ds_strdup(t->names[j])))
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if ((s = mark_list(t, opt->drop, "--drop", drop, err)) != NTK_OK ||
        (s = mark_list(t, opt->categorical, "--categorical", cat, err)) != NTK_OK)
        return s;
    if (!opt->no_target) {
        size_t tc = nc - 1;
        if (opt->target) {
            ntk_error e2;
            ntk_error_clear(&e2);
            if (ntk_table_find_column(t, opt->target, &tc, &e2) != NTK_OK)
                return ntk_error_set(err, NTK_EINPUT, "unknown target: %s", e2.msg);
        }
        if (drop[tc]) {
            char lab[200];
            ds_column_label(lab, sizeof lab, t->names[tc], tc);
            return ntk_error_set(err, NTK_EINPUT, "--drop: %s is the target (choose another with "
                                                  "--target, or use --no-target)", lab);
        }
        enc->has_target = 1;
        enc->target_column = tc;
        role[tc] = ROLE_TARGET;
        if ((s = set_reason(&enc->columns[tc], "target", err)) != NTK_OK)
            return s;
    } else {
        enc->task = opt->task == NTK_TASK_AUTO ? NTK_TASK_REGRESSION : opt->task;
    }
    for (size_t j = 0; j < nc; j++)
        if (drop[j])
            role[j] = ROLE_DROP;
    return NTK_OK;
}

ntk_status ds_fit_finish(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder *enc,
                         const int *role, const unsigned char *cat, col_stats *st,
                         const size_t *used, size_t n_used, ntk_error *err)
{
    const size_t nc = t->n_cols;
    ntk_status s = NTK_OK;
    size_t d = 0;
    for (size_t j = 0; j < nc && s == NTK_OK; j++) {
        ntk_encoded_column *col = &enc->columns[j];
        if (role[j] == ROLE_TARGET)
            continue;
        if (role[j] == ROLE_DROP) {
            col->n_missing = st[j].n_missing;
            s = set_reason(col, "--drop", err);
            continue;
        }
        s = type_column(t, j, &st[j], cat[j], used, n_used, opt, col, err);
        col->first_feature = d;
        d += col->n_features;
    }
    if (s != NTK_OK)
        return s;
    if (d == 0)
        return ntk_error_set(err, NTK_EINPUT,
                             "%s: no feature columns left (every column is the target, dropped "
                             "or constant over the %zu training row%s)",
                             file_of(t), n_used, n_used == 1 ? "" : "s");
    enc->n_features = d;
    return fit_standardization(enc, st, n_used, err);
}

ntk_status ntk_encoder_fit(const ntk_table *t, const ntk_encode_options *opt, ntk_encoder **out,
                           ntk_error *err)
{
    ntk_encode_options defaults;
    if (!opt) {
        ntk_encode_options_init(&defaults);
        opt = &defaults;
    }
    *out = NULL;
    const size_t nc = t->n_cols;
    if (nc == 0 || t->n_rows == 0)
        return ntk_error_set(err, NTK_EINPUT, "%s: no data", file_of(t));
    ntk_encoder *enc = calloc(1, sizeof *enc);
    int *role = calloc(nc, sizeof *role);
    unsigned char *drop = calloc(nc, 1), *cat = calloc(nc, 1);
    size_t *used = malloc(t->n_rows * sizeof *used);
    col_stats *st = calloc(nc, sizeof *st);
    ntk_status s = NTK_OK;
    if (!enc || !role || !drop || !cat || !used || !st ||
        !(enc->columns = calloc(nc, sizeof *enc->columns))) {
        s = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    if ((s = ds_fit_setup(t, opt, enc, role, drop, cat, err)) != NTK_OK)
        goto done;
    size_t n_used = t->n_rows;
    if (enc->has_target) {
        if ((s = fit_target(t, opt, cat[enc->target_column], enc, used, &n_used, err)) != NTK_OK)
            goto done;
    } else {
        for (size_t r = 0; r < t->n_rows; r++)
            used[r] = r;
    }
    ds_stats_init(st, nc);
    ds_scan_columns(t, used, n_used, role, st);
    s = ds_fit_finish(t, opt, enc, role, cat, st, used, n_used, err);
done:
    ds_stats_free(st, nc);
    free(role);
    free(drop);
    free(cat);
    free(used);
    if (s != NTK_OK) {
        ntk_encoder_free(enc);
        return s;
    }
    *out = enc;
    return NTK_OK;
}

void ds_stats_free(col_stats *st, size_t nc)
{
    if (!st)
        return;
    for (size_t j = 0; j < nc; j++) {
        col_stats *s = &st[j];
        free(s->level_count);
        free(s->text0_copy);
        free(s->missing_ref.text);
        free(s->nonfinite_ref.text);
        for (size_t k = 0; s->levels && k < s->n_levels; k++)
            free(s->levels[k]);
        free(s->levels);
        free(s->counts);
    }
    free(st);
}

/* Tables built from columns held in memory (see ntk_table_from_columns in
 * ntk/dataset.h): the bridge for bindings (Python's numpy arrays and pandas
 * DataFrames), so that in-memory data goes through the same encoder as a CSV
 * file and lands on the same numbers.
 *
 * Numbers are written with 17 significant digits, which the encoder's strtod
 * reads back as the identical double; that is what makes a model fitted from
 * memory and one fitted from the CSV holding the same values agree bit for
 * bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

/* Text of one numeric cell: "" for NaN (missing), "inf"/"-inf" for
 * infinities (the encoder refuses them, naming the cell), else %.17g. */
static size_t format_number(double v, char *buf, size_t size)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return 0;
    }
    if (isinf(v))
        return (size_t)snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
    return (size_t)snprintf(buf, size, "%.17g", v);
}

static const char *text_cell(const ntk_column_data *c, size_t r)
{
    const char *s = c->text[r];
    return s ? s : "";
}

ntk_status ntk_table_from_columns(const ntk_column_data *cols, size_t n_cols, size_t n_rows,
                                  const char *name, ntk_table **out, ntk_error *err)
{
    *out = NULL;
    if (!name)
        name = "(data)";
    if (n_cols == 0 || n_rows == 0)
        return ntk_error_set(err, NTK_EINPUT, "%s: no data (%zu rows, %zu columns)", name, n_rows,
                             n_cols);
    for (size_t j = 0; j < n_cols; j++) {
        if (!cols[j].name || (!cols[j].values) == (!cols[j].text))
            return ntk_error_set(err, NTK_EINPUT, "%s: column %zu needs a name and either "
                                 "numbers or texts", name, j + 1);
        for (size_t i = 0; i < j; i++)
            if (cols[j].name[0] && strcmp(cols[i].name, cols[j].name) == 0)
                return ntk_error_set(err, NTK_EINPUT, "%s: duplicate column name '%s' "
                                     "(columns %zu and %zu)", name, cols[j].name, i + 1, j + 1);
    }
    /* Arena size first: names, then every cell with its NUL. */
    char num[40];
    size_t bytes = 0;
    for (size_t j = 0; j < n_cols; j++)
        bytes += strlen(cols[j].name) + 1;
    for (size_t r = 0; r < n_rows; r++)
        for (size_t j = 0; j < n_cols; j++) {
            const ntk_column_data *c = &cols[j];
            size_t len = c->values ? format_number(c->values[r * c->stride], num, sizeof num)
                                   : strlen(text_cell(c, r));
            if (len > DS_FIELD_MAX)
                return ntk_error_set(err, NTK_EINPUT, "%s: row %zu, column '%s': field longer "
                                     "than 1 MiB", name, r + 1, c->name);
            bytes += len + 1;
        }
    ntk_table *t = ds_table_alloc();
    if (!t)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    ds_table_impl *ti = (ds_table_impl *)t;
    t->path = ds_strdup(name);
    t->n_rows = n_rows;
    t->n_cols = n_cols;
    t->names = malloc(n_cols * sizeof *t->names);
    t->cells = malloc(n_rows * n_cols * sizeof *t->cells);
    t->line = malloc(n_rows * sizeof *t->line);
    ti->arena = malloc(bytes);
    if (!t->path || !t->names || !t->cells || !t->line || !ti->arena) {
        ntk_table_free(t);
        return ntk_error_set(err, NTK_ENOMEM, "%s: out of memory (%zu rows)", name, n_rows);
    }
    char *p = ti->arena;
    for (size_t j = 0; j < n_cols; j++) {
        size_t len = strlen(cols[j].name);
        memcpy(p, cols[j].name, len + 1);
        t->names[j] = p;
        p += len + 1;
    }
    for (size_t r = 0; r < n_rows; r++) {
        /* As the CSV this table would be written as: the header is line 1. */
        t->line[r] = r + 2;
        for (size_t j = 0; j < n_cols; j++) {
            const ntk_column_data *c = &cols[j];
            size_t len;
            if (c->values) {
                len = format_number(c->values[r * c->stride], p, 40);
            } else {
                const char *s = text_cell(c, r);
                len = strlen(s);
                memcpy(p, s, len + 1);
            }
            t->cells[r * n_cols + j] = p;
            p += len + 1;
        }
    }
    *out = t;
    return NTK_OK;
}

/* Row subsets of a table (see ntk_table_subset in ntk/dataset.h).
 *
 * The subset is built by writing the chosen rows as fully quoted CSV and
 * parsing that text, so it is owned exactly like any table the reader makes
 * and ntk_table_free needs no special case. Original line numbers and the
 * file name are carried over, so later messages still point into the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/dataset.h"

static void put_cell(FILE *f, const char *s, int last)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
    fputc(last ? '\n' : ',', f);
}

ntk_status ntk_table_subset(const ntk_table *t, const size_t *idx, size_t n, ntk_table **out,
                            ntk_error *err)
{
    *out = NULL;
    for (size_t r = 0; r < n; r++)
        if (idx[r] >= t->n_rows)
            return ntk_error_set(err, NTK_EINPUT, "row index %zu out of range", idx[r]);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t c = 0; c < t->n_cols; c++)
        put_cell(f, t->names[c], c + 1 == t->n_cols);
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < t->n_cols; c++)
            put_cell(f, t->cells[idx[r] * t->n_cols + c], c + 1 == t->n_cols);
    if (fclose(f) != 0) {
        free(buf);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    ntk_read_options opt;
    ntk_read_options_init(&opt);
    opt.delimiter = ',';
    opt.has_header = 1;
    ntk_table *s = NULL;
    ntk_status st = ntk_table_parse(buf, size, t->path ? t->path : "", &opt, &s, err);
    free(buf);
    if (st != NTK_OK)
        return st;
    if (s->n_rows != n || s->n_cols != t->n_cols) {
        ntk_table_free(s);
        return ntk_error_set(err, NTK_EFAILED, "internal error: table subset changed shape");
    }
    for (size_t r = 0; r < n; r++)
        s->line[r] = t->line[idx[r]];
    *out = s;
    return NTK_OK;
}

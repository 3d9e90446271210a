/* Column references on a read table (see ntk/dataset.h). */
#include "dataset_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

ntk_status ntk_table_find_column(const ntk_table *t, const char *ref, size_t *index,
                                 ntk_error *err)
{
    const char *file = t->path ? t->path : "(input)";
    if (!ref || !ref[0])
        return ntk_error_set(err, NTK_EINPUT, "empty column reference (give a column name or a "
                                              "1-based index)");
    for (size_t j = 0; j < t->n_cols; j++) {
        if (t->names[j][0] && strcmp(t->names[j], ref) == 0) {
            *index = j;
            return NTK_OK;
        }
    }
    char snip[160];
    ds_snippet(snip, sizeof snip, ref, strlen(ref));
    if (all_digits(ref)) {
        errno = 0;
        unsigned long long v = strtoull(ref, NULL, 10);
        if (errno == 0 && v >= 1 && v <= t->n_cols) {
            *index = (size_t)v - 1;
            return NTK_OK;
        }
        return ntk_error_set(err, NTK_EINPUT, "column %s is out of range: %s has %zu column%s "
                                              "(indices are 1-based)",
                             snip, file, t->n_cols, t->n_cols == 1 ? "" : "s");
    }
    /* List (a few of) the names to help spot a typo. */
    char list[400];
    size_t o = 0;
    list[0] = '\0';
    for (size_t j = 0; j < t->n_cols && o + 60 < sizeof list; j++) {
        char q[64];
        if (t->names[j][0])
            ds_snippet(q, 48, t->names[j], strlen(t->names[j]));
        else
            snprintf(q, sizeof q, "%zu (unnamed)", j + 1);
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", q);
        if (j + 1 < t->n_cols && o + 60 >= sizeof list)
            snprintf(list + o, sizeof list - o, ", ...");
    }
    return ntk_error_set(err, NTK_EINPUT, "no column %s in %s (columns: %s)", snip, file, list);
}

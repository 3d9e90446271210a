/* Reading the UCI collection for the benchmark programs (see uci_common.h). */
#include "uci_common.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of whitespace-separated row indices, all below n: NULL if the
 * line is missing, empty or names a row past the end. */
static size_t *index_line(FILE *f, size_t n, size_t *count)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    *count = 0;
    if (len <= 0) {
        free(line);
        return NULL;
    }
    size_t *v = malloc(((size_t)len / 2 + 1) * sizeof *v), k = 0;
    char *p = line, *end;
    for (;;) {
        unsigned long x = strtoul(p, &end, 10);
        if (end == p)
            break;
        if (x >= n) {
            k = 0;
            break;
        }
        v[k++] = x;
        p = end;
    }
    free(line);
    if (!k) {
        free(v);
        return NULL;
    }
    *count = k;
    return v;
}

int uci_set_load(const char *dir, const char *name, uci_set *s, char *msg, size_t len)
{
    memset(s, 0, sizeof *s);
    char path[4096];
    ntk_error err = {0};
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ro.delimiter = '\t';
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    eo.drop = "1";
    eo.task = NTK_TASK_CLASSIFICATION;
    eo.standardize = NTK_STANDARDIZE_NONE; /* standardized by Fernández-Delgado et al. */
    snprintf(path, sizeof path, "%s/%s/%s_R.dat", dir, name, name);
    if (ntk_table_read(path, &ro, &s->t, &err) != NTK_OK ||
        ntk_encoder_fit(s->t, &eo, &s->enc, &err) != NTK_OK ||
        ntk_encoder_apply(s->enc, s->t, 1, &s->ds, &err) != NTK_OK) {
        snprintf(msg, len, "%s", err.msg);
        return -1;
    }
    const char *files[2] = {"conxuntos.dat", "conxuntos_kfold.dat"};
    for (int fi = 0, li = 0; fi < 2; fi++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, name, files[fi]);
        FILE *f = fopen(path, "r");
        for (int l = 0; l < (fi ? 8 : 2); l++, li++)
            if (!f || !(s->idx[li] = index_line(f, s->ds->n, &s->cnt[li]))) {
                snprintf(msg, len, "%s: missing or bad index line %d", path, l + 1);
                if (f)
                    fclose(f);
                return -1;
            }
        fclose(f);
    }
    return 0;
}

void uci_set_free(uci_set *s)
{
    for (int i = 0; i < 10; i++)
        free(s->idx[i]);
    ntk_dataset_free(s->ds);
    ntk_encoder_free(s->enc);
    ntk_table_free(s->t);
    memset(s, 0, sizeof *s);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **uci_set_names(const char *dir, const char *only, size_t *count)
{
    char **names = NULL;
    size_t n = 0;
    if (only) {
        char *copy = strdup(only), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(tok);
        }
        free(copy);
        *count = n;
        return names;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "uci-benchmark: cannot open %s\n", dir);
        *count = 0;
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s/conxuntos_kfold.dat", dir, e->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        fclose(f);
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    if (names)
        qsort(names, n, sizeof *names, by_name);
    *count = n;
    return names;
}

void uci_names_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

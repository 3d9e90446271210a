/* Train/test splits and k-fold assignment, stratified by class and
 * deterministic for a seed (see ntk/dataset.h). */
#include "dataset_internal.h"

#include "ntk/rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Check labels and group row indices by class: rows of class c are
 * by_class[start[c] .. start[c+1]-1], in increasing order. */
static ntk_status group_by_class(size_t n, const double *labels, size_t n_classes,
                                 size_t **by_class, size_t **start, ntk_error *err)
{
    if (n_classes == 0)
        return ntk_error_set(err, NTK_EINPUT, "split: labels given with zero classes");
    for (size_t i = 0; i < n; i++) {
        double v = labels[i];
        if (!(v >= 0) || v != floor(v) || v >= (double)n_classes)
            return ntk_error_set(err, NTK_EINPUT,
                                 "split: label %g of row %zu is not a class index in 0..%zu", v, i,
                                 n_classes - 1);
    }
    size_t *st = calloc(n_classes + 1, sizeof *st);
    size_t *bc = malloc((n ? n : 1) * sizeof *bc);
    size_t *pos = malloc(n_classes * sizeof *pos);
    if (!st || !bc || !pos) {
        free(st);
        free(bc);
        free(pos);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        st[(size_t)labels[i] + 1]++;
    for (size_t c = 0; c < n_classes; c++)
        st[c + 1] += st[c];
    memcpy(pos, st, n_classes * sizeof *pos);
    for (size_t i = 0; i < n; i++)
        bc[pos[(size_t)labels[i]]++] = i;
    free(pos);
    *by_class = bc;
    *start = st;
    return NTK_OK;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Test rows per class: proportional (largest remainder), keeping at least
 * one training row in every class that has two or more rows whenever the
 * requested test size allows it. */
static void allocate_test(const size_t *count, size_t k, size_t n, size_t n_test, size_t *t)
{
    size_t assigned = 0;
    for (size_t c = 0; c < k; c++) {
        size_t cap = count[c] >= 2 ? count[c] - 1 : 0;
        size_t q = (size_t)floor((double)n_test * (double)count[c] / (double)n);
        t[c] = q < cap ? q : cap;
        assigned += t[c];
    }
    /* Hand out the rest one row at a time, largest remainder first (ties to
     * the lower class), under caps that loosen in three stages. */
    for (int stage = 0; stage < 3 && assigned < n_test; stage++) {
        while (assigned < n_test) {
            size_t best = SIZE_MAX;
            double best_rem = -INFINITY;
            for (size_t c = 0; c < k; c++) {
                size_t cap = stage == 0 ? (count[c] >= 2 ? count[c] - 1 : 0)
                           : stage == 1 ? (count[c] >= 2 ? count[c] - 1 : count[c])
                                        : count[c];
                if (t[c] >= cap)
                    continue;
                double rem = (double)n_test * (double)count[c] / (double)n - (double)t[c];
                if (rem > best_rem) {
                    best_rem = rem;
                    best = c;
                }
            }
            if (best == SIZE_MAX)
                break;
            t[best]++;
            assigned++;
        }
    }
}

ntk_status ntk_split_train_test(size_t n, const double *labels, size_t n_classes,
                                double test_frac, uint64_t seed, size_t **train_idx,
                                size_t *n_train, size_t **test_idx, size_t *n_test,
                                ntk_error *err)
{
    *train_idx = *test_idx = NULL;
    *n_train = *n_test = 0;
    if (n < 2)
        return ntk_error_set(err, NTK_EINPUT, "cannot split %zu row%s into train and test", n,
                             n == 1 ? "" : "s");
    if (!(test_frac > 0 && test_frac < 1))
        return ntk_error_set(err, NTK_EINPUT, "test fraction must be between 0 and 1 (exclusive), "
                                              "got %g", test_frac);
    size_t nt = (size_t)llround(test_frac * (double)n);
    if (nt < 1)
        nt = 1;
    if (nt > n - 1)
        nt = n - 1;
    size_t *tr = malloc(n * sizeof *tr), *te = malloc(n * sizeof *te);
    if (!tr || !te) {
        free(tr);
        free(te);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    size_t a = 0, b = 0;
    if (!labels) {
        for (size_t i = 0; i < n; i++)
            tr[i] = i;
        ntk_rng_shuffle(&rng, tr, n);
        memcpy(te, tr, nt * sizeof *te);
        memmove(tr, tr + nt, (n - nt) * sizeof *tr);
        a = n - nt;
        b = nt;
    } else {
        size_t *bc, *st;
        ntk_status s = group_by_class(n, labels, n_classes, &bc, &st, err);
        if (s != NTK_OK) {
            free(tr);
            free(te);
            return s;
        }
        size_t *count = malloc(n_classes * sizeof *count), *tc = malloc(n_classes * sizeof *tc);
        if (!count || !tc) {
            free(count);
            free(tc);
            free(bc);
            free(st);
            free(tr);
            free(te);
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
        for (size_t c = 0; c < n_classes; c++)
            count[c] = st[c + 1] - st[c];
        allocate_test(count, n_classes, n, nt, tc);
        for (size_t c = 0; c < n_classes; c++) {
            size_t *rows = bc + st[c];
            ntk_rng_shuffle(&rng, rows, count[c]);
            for (size_t i = 0; i < count[c]; i++) {
                if (i < tc[c])
                    te[b++] = rows[i];
                else
                    tr[a++] = rows[i];
            }
        }
        free(count);
        free(tc);
        free(bc);
        free(st);
    }
    qsort(tr, a, sizeof *tr, cmp_size);
    qsort(te, b, sizeof *te, cmp_size);
    *train_idx = tr;
    *n_train = a;
    *test_idx = te;
    *n_test = b;
    return NTK_OK;
}

ntk_status ntk_kfold_assign(size_t n, const double *labels, size_t n_classes, size_t k,
                            uint64_t seed, size_t *fold, ntk_error *err)
{
    if (k < 2)
        return ntk_error_set(err, NTK_EINPUT, "k-fold needs at least 2 folds, got %zu", k);
    if (k > n)
        return ntk_error_set(err, NTK_EINPUT, "cannot make %zu folds from %zu row%s", k, n,
                             n == 1 ? "" : "s");
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    size_t *order, *st = NULL;
    if (labels) {
        /* Classes one after another, each shuffled: dealing this order round
         * robin gives every fold its share of every class (±1) and fold sizes
         * that differ by at most one. */
        ntk_status s = group_by_class(n, labels, n_classes, &order, &st, err);
        if (s != NTK_OK)
            return s;
        for (size_t c = 0; c < n_classes; c++)
            ntk_rng_shuffle(&rng, order + st[c], st[c + 1] - st[c]);
        free(st);
    } else {
        order = malloc(n * sizeof *order);
        if (!order)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        ntk_rng_shuffle(&rng, order, n);
    }
    /* A random relabelling of the folds so the larger ones are not always first. */
    size_t *perm = malloc(k * sizeof *perm);
    if (!perm) {
        free(order);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t f = 0; f < k; f++)
        perm[f] = f;
    ntk_rng_shuffle(&rng, perm, k);
    for (size_t i = 0; i < n; i++)
        fold[order[i]] = perm[i % k];
    free(perm);
    free(order);
    return NTK_OK;
}

ntk_status ntk_table_split_train_test(const ntk_table *t, const ntk_encode_options *opt,
                                      double test_frac, uint64_t seed, ntk_table **train,
                                      ntk_table **test, ntk_error *err)
{
    *train = *test = NULL;
    ntk_encoder *enc = NULL;
    ntk_dataset *all = NULL;
    size_t *itr = NULL, *ite = NULL, ntr = 0, nte = 0;
    ntk_status st = ntk_encoder_fit(t, opt, &enc, err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(enc, t, 1, &all, err);
    if (st == NTK_OK) {
        if (all->n < 2) {
            st = ntk_error_set(err, NTK_EINPUT, "%s: need at least 2 rows to split off a test "
                               "part", t->path);
        } else {
            int cls = enc->task == NTK_TASK_CLASSIFICATION;
            st = ntk_split_train_test(all->n, cls ? all->y : NULL, cls ? enc->n_classes : 0,
                                      test_frac, seed, &itr, &ntr, &ite, &nte, err);
        }
    }
    if (st == NTK_OK) {
        /* Split indices refer to encoded rows; map back to table rows. */
        for (size_t i = 0; i < ntr; i++)
            itr[i] = all->source_row[itr[i]];
        for (size_t i = 0; i < nte; i++)
            ite[i] = all->source_row[ite[i]];
        st = ntk_table_subset(t, itr, ntr, train, err);
        if (st == NTK_OK)
            st = ntk_table_subset(t, ite, nte, test, err);
    }
    if (st != NTK_OK) {
        ntk_table_free(*train);
        *train = NULL;
    }
    free(itr);
    free(ite);
    ntk_dataset_free(all);
    ntk_encoder_free(enc);
    return st;
}

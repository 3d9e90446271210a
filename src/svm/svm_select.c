/* Hinge-loss candidates for model selection: train on some rows of a kernel
 * over a whole data set, score on others (see ntk/svm.h). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/svm.h"

/* Test rows × training rows of K, gathered once per kernel. */
static double *gather(const double *K, size_t ld, const size_t *test, size_t n_test,
                      const size_t *train, size_t n_train, ntk_error *err)
{
    double *Kx = ntk_alloc_checked((n_test * n_train + 1) * sizeof *Kx,
                                   "SVM validation kernel", err);
    if (!Kx)
        return NULL;
    for (size_t r = 0; r < n_test; r++) {
        const double *row = K + test[r] * ld;
        for (size_t i = 0; i < n_train; i++)
            Kx[r * n_train + i] = row[train[i]];
    }
    return Kx;
}

static double score(const ntk_svm_model *m, const double *Kx, const size_t *labels,
                    const size_t *test, size_t n_test, double *dec, double *votes)
{
    ntk_svm_decision(m, Kx, n_test, m->n, dec);
    ntk_svm_votes(dec, n_test, m->k, votes);
    size_t right = 0;
    for (size_t r = 0; r < n_test; r++) {
        size_t best = 0;
        for (size_t c = 1; c < m->k; c++)
            if (votes[r * m->k + c] > votes[r * m->k + best])
                best = c;
        right += best == labels[test[r]];
    }
    return n_test ? (double)right / (double)n_test : 0.0;
}

ntk_status ntk_svm_accuracy(const ntk_svm_model *m, const double *K, size_t ld,
                            const size_t *train, const size_t *labels, const size_t *test,
                            size_t n_test, double *acc, ntk_error *err)
{
    double *Kx = gather(K, ld, test, n_test, train, m->n, err);
    double *dec = malloc((n_test * m->n_pairs + 1) * sizeof *dec);
    double *votes = malloc((n_test * m->k + 1) * sizeof *votes);
    ntk_status st = NTK_OK;
    if (!Kx || !dec || !votes)
        st = Kx ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_ENOMEM;
    else
        *acc = score(m, Kx, labels, test, n_test, dec, votes);
    free(Kx);
    free(dec);
    free(votes);
    return st;
}

ntk_status ntk_svm_validate(const double *K, size_t ld, const size_t *labels, size_t k,
                            const size_t *train, size_t n_train, const size_t *val,
                            size_t n_val, const double *C_grid, size_t n_C,
                            const ntk_svm_params *p, double *acc, size_t *best, ntk_error *err)
{
    size_t *ltrain = malloc((n_train + 1) * sizeof *ltrain);
    double *Kx = gather(K, ld, val, n_val, train, n_train, err);
    ntk_status *sts = calloc(n_C + 1, sizeof *sts);
    ntk_error *errs = calloc(n_C + 1, sizeof *errs);
    ntk_status st = NTK_OK;
    if (!ltrain || !Kx || !sts || !errs) {
        st = Kx ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n_train; i++)
        ltrain[i] = labels[train[i]];
    int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
    if ((size_t)threads > n_C)
        threads = (int)n_C;
    /* One C per thread, each training sequential: the same results whatever
     * the thread count. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t c = 0; c < n_C; c++) {
        ntk_svm_params q = *p;
        q.C = C_grid[c];
        q.threads = threads > 1 ? 1 : p->threads;
        ntk_svm_model *m = NULL;
        double *dec = malloc((n_val * k * k + 1) * sizeof *dec);
        double *votes = malloc((n_val * k + 1) * sizeof *votes);
        if (!dec || !votes)
            sts[c] = ntk_error_set(&errs[c], NTK_ENOMEM, "out of memory");
        else
            sts[c] = ntk_svm_train(K, ld, train, n_train, ltrain, k, &q, &m, &errs[c]);
        if (sts[c] == NTK_OK)
            acc[c] = score(m, Kx, labels, val, n_val, dec, votes);
        ntk_svm_model_free(m);
        free(dec);
        free(votes);
    }
    size_t b = 0;
    for (size_t c = 0; c < n_C; c++) {
        if (sts[c] != NTK_OK) {
            st = sts[c];
            if (err)
                *err = errs[c];
            goto done;
        }
        if (acc[c] > acc[b])
            b = c;
    }
    if (best)
        *best = b;
done:
    free(ltrain);
    free(Kx);
    free(sts);
    free(errs);
    return st;
}

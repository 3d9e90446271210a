/* Hinge-loss models: the C-SVM of ntk/svm.h behind ntk_model's train,
 * predict and decision-value calls. */
#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "model_svm.h"

ntk_status model_svm_train(const ntk_dataset *train, ntk_model *m, const ntk_train_params *p,
                           double **train_scores, ntk_error *err)
{
    if (p->engine)
        return ntk_error_set(err, NTK_EINPUT, "the hinge loss (--loss hinge) is not "
                             "implemented by the %s engine",
                             p->engine->name ? p->engine->name : "selected");
    if (p->precision != NTK_PRECISION_DOUBLE)
        return ntk_error_set(err, NTK_EINPUT, "the hinge loss (--loss hinge) needs "
                             "--precision double");
    if (m->encoder->task != NTK_TASK_CLASSIFICATION)
        return ntk_error_set(err, NTK_EINPUT, "the hinge loss (--loss hinge) needs a "
                             "classification target; this one is regression (epsilon-SVR is "
                             "not implemented: use --loss square, or --task classification)");
    size_t n = train->n, k = m->encoder->n_classes;
    const char *msg = ntk_svm_params_check(&p->svm, k);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    m->reg = 0;
    m->reg_scale = NTK_REG_ABSOLUTE;
    m->lr = p->solve.lr;
    m->time_scale = p->solve.time_scale;
    m->task = NTK_TASK_CLASSIFICATION;
    m->k = k;
    m->n = n;
    m->d = train->d;
    m->y_mean = 0;
    m->y_scale = 1;
    m->n_times = 1;
    m->svm_C = p->svm.C;
    m->svm_eps = p->svm.eps;
    m->times = malloc(sizeof *m->times);
    m->X = malloc(n * m->d * sizeof *m->X + 1);
    size_t *labels = malloc(n * sizeof *labels);
    if (p->svm.class_weight) {
        m->class_weight = malloc(k * sizeof *m->class_weight);
        if (m->class_weight)
            memcpy(m->class_weight, p->svm.class_weight, k * sizeof *m->class_weight);
    }
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", n, n);
    double *K = NULL, *Xs = NULL;
    size_t *perm = NULL;
    ntk_status st = NTK_OK;
    if (!m->times || !m->X || !labels || (p->svm.class_weight && !m->class_weight)) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    m->times[0] = INFINITY;
    memcpy(m->X, train->X, n * m->d * sizeof *m->X);
    /* The kernel is evaluated on the rows grouped by class (stable), so that
     * every one-vs-one pair reads two contiguous runs of each kernel row
     * (svm_smo.c); coefficients go back to the original order below. */
    perm = malloc(n * sizeof *perm);
    Xs = malloc(n * m->d * sizeof *Xs + 1);
    if (!perm || !Xs) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0, q = 0; c < k; c++)
        for (size_t i = 0; i < n; i++)
            if ((size_t)train->y[i] == c) {
                perm[q] = i;
                labels[q] = c;
                memcpy(Xs + q * m->d, train->X + i * m->d, m->d * sizeof *Xs);
                q++;
            }
    K = ntk_alloc_checked(n * n * sizeof *K, what, err);
    if (!K) {
        st = NTK_ENOMEM;
        goto done;
    }
    ntk_kernel_options kopt = {p->threads, p->progress};
    double t0 = omp_get_wtime();
    st = ntk_kernel_eval(&m->arch, m->kind, Xs, n, NULL, 0, m->d, K, &kopt, err);
    m->seconds_kernel = omp_get_wtime() - t0;
    if (st != NTK_OK)
        goto done;
    double md = 0;
    for (size_t i = 0; i < n; i++)
        md += K[i * n + i];
    m->mean_diag = md / (double)n;
    ntk_svm_params sp = p->svm;
    if (sp.threads == 0)
        sp.threads = p->threads;
    st = ntk_svm_train(K, n, NULL, n, labels, k, &sp, &m->svm, err);
    if (st == NTK_OK && train_scores) {
        size_t P = m->svm->n_pairs;
        double *dec = malloc(n * P * sizeof *dec), *votes = malloc(n * k * sizeof *votes);
        *train_scores = malloc(n * k * sizeof **train_scores);
        if (!dec || !votes || !*train_scores) {
            free(*train_scores);
            *train_scores = NULL;
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        } else {
            ntk_svm_decision(m->svm, K, n, n, dec);
            ntk_svm_votes(dec, n, k, votes);
            for (size_t q = 0; q < n; q++)
                memcpy(*train_scores + perm[q] * k, votes + q * k, k * sizeof *votes);
        }
        free(dec);
        free(votes);
    }
    if (st == NTK_OK) {
        /* Coefficient rows back to the training order. */
        size_t P = m->svm->n_pairs;
        double *coef = malloc(n * P * sizeof *coef);
        if (!coef) {
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        } else {
            for (size_t q = 0; q < n; q++)
                memcpy(coef + perm[q] * P, m->svm->coef + q * P, P * sizeof *coef);
            free(m->svm->coef);
            m->svm->coef = coef;
        }
    }
    m->seconds_solve = omp_get_wtime() - t0 - m->seconds_kernel;
done:
    free(K);
    free(Xs);
    free(perm);
    free(labels);
    return st;
}

typedef struct {
    const ntk_model *m;
    double *scores, *dec, *db;
} svm_block;

/* A block's pairwise decision values and, if asked, its votes. */
static void svm_block_scores(void *ctx, const double *Kb, size_t r0, size_t b)
{
    const svm_block *q = ctx;
    size_t P = q->m->svm->n_pairs;
    double *d = q->dec ? q->dec + r0 * P : q->db;
    ntk_svm_decision(q->m->svm, Kb, b, q->m->n, d);
    if (q->scores)
        ntk_svm_votes(d, b, q->m->k, q->scores + r0 * q->m->k);
}

ntk_status model_svm_predict(const ntk_model *m, const double *X, size_t rows, double *scores,
                             double *dec, int threads, const ntk_progress *progress,
                             ntk_error *err)
{
    svm_block q = {m, scores, dec, NULL};
    if (!dec) {
        q.db = malloc(model_block_rows(m, rows) * m->svm->n_pairs * sizeof *q.db + 1);
        if (!q.db)
            return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    ntk_status st = model_test_blocks(m, X, rows, threads, progress, svm_block_scores, &q, err);
    free(q.db);
    return st;
}

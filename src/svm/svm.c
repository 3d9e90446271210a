/* One-vs-one multiclass C-SVM on a precomputed kernel (see ntk/svm.h); the
 * two-class solver is in svm_smo.c. */
#include "ntk/svm.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

void ntk_svm_params_init(ntk_svm_params *p)
{
    memset(p, 0, sizeof *p);
    p->C = 1.0;
    p->eps = NTK_SVM_EPS_DEFAULT;
    p->shrinking = 1;
}

const char *ntk_svm_params_check(const ntk_svm_params *p, size_t k)
{
    if (!(p->C > 0) || !isfinite(p->C))
        return "the SVM cost C must be a finite number > 0";
    if (!(p->eps > 0) || !isfinite(p->eps))
        return "the SVM tolerance must be a finite number > 0";
    if (p->shrinking != 0 && p->shrinking != 1)
        return "SVM shrinking must be 0 or 1";
    if (p->threads < 0)
        return "the number of threads must be >= 0";
    if (k < 2)
        return "the SVM needs at least two classes";
    if (p->class_weight) {
        if (p->n_class_weight != k)
            return "the number of class weights must equal the number of classes";
        for (size_t c = 0; c < k; c++)
            if (!(p->class_weight[c] > 0) || !isfinite(p->class_weight[c]))
                return "class weights must be finite numbers > 0";
    }
    return NULL;
}

size_t ntk_svm_pair_index(size_t a, size_t b, size_t k)
{
    /* Pairs before row a: (k−1) + (k−2) + … + (k−a). */
    return a * (2 * k - a - 1) / 2 + (b - a - 1);
}

void ntk_svm_model_free(ntk_svm_model *m)
{
    if (!m)
        return;
    free(m->coef);
    free(m->bias);
    free(m);
}

typedef struct {
    size_t rows, q;
} svm_pair_job;

/* More rows first; ties in pair order. */
static int job_cmp(const void *x, const void *y)
{
    const svm_pair_job *a = x, *b = y;
    if (a->rows != b->rows)
        return a->rows > b->rows ? -1 : 1;
    return a->q < b->q ? -1 : a->q > b->q;
}

/* Solve pair (a, b): rows of class a (y = +1) then b (y = −1), original order. */
static ntk_status solve_pair(const double *K, size_t ld, const size_t *rows, size_t n,
                             const double *kdiag, const size_t *labels, size_t k, size_t a, size_t b,
                             const ntk_svm_params *p, ntk_svm_model *m, svm_binary_result *res,
                             ntk_error *err)
{
    size_t pi = ntk_svm_pair_index(a, b, k), P = m->n_pairs, l = 0;
    for (size_t i = 0; i < n; i++)
        l += labels[i] == a || labels[i] == b;
    memset(res, 0, sizeof *res);
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        na += labels[i] == a;
    if (na == 0 || na == l) {
        /* A class without rows never wins: every vote of the pair goes to the
         * other one (both empty: to b, as a zero decision value does). */
        m->bias[pi] = na ? 1.0 : l ? -1.0 : 0.0;
        return NTK_OK;
    }
    size_t *idx = malloc(l * sizeof *idx), *grows = malloc(l * sizeof *grows);
    double *y = malloc(l * sizeof *y), *Cb = malloc(l * sizeof *Cb);
    double *diag = malloc(l * sizeof *diag), *alpha = malloc(l * sizeof *alpha);
    ntk_status st = NTK_OK;
    if (!idx || !grows || !y || !Cb || !diag || !alpha) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory (SVM pair of %zu rows)", l);
        goto done;
    }
    size_t t = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t cls = pass ? b : a;
        double w = p->class_weight ? p->class_weight[cls] : 1.0;
        for (size_t i = 0; i < n; i++) {
            if (labels[i] != cls)
                continue;
            idx[t] = i;
            grows[t] = rows ? rows[i] : i;
            y[t] = pass ? -1.0 : 1.0;
            Cb[t] = p->C * w;
            diag[t] = kdiag[i];
            t++;
        }
    }
    svm_binary_problem pb = {K, ld, grows, l, y, Cb, diag, p->eps, p->shrinking, p->max_iter, 0};
    st = svm_solve_binary(&pb, alpha, res, err);
    if (st != NTK_OK)
        goto done;
    for (t = 0; t < l; t++)
        m->coef[idx[t] * P + pi] = y[t] * alpha[t];
    m->bias[pi] = res->b;
done:
    free(idx);
    free(grows);
    free(y);
    free(Cb);
    free(diag);
    free(alpha);
    return st;
}

ntk_status ntk_svm_train(const double *K, size_t ld, const size_t *rows, size_t n,
                         const size_t *labels, size_t k, const ntk_svm_params *p,
                         ntk_svm_model **out, ntk_error *err)
{
    *out = NULL;
    const char *msg = ntk_svm_params_check(p, k);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (n == 0)
        return ntk_error_set(err, NTK_EINPUT, "no training rows for the SVM");
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= k)
            return ntk_error_set(err, NTK_EINPUT, "SVM label %zu of row %zu is not below %zu",
                                 labels[i], i, k);
    ntk_svm_model *m = calloc(1, sizeof *m);
    if (!m)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    m->k = k;
    m->n = n;
    m->n_pairs = k * (k - 1) / 2;
    size_t P = m->n_pairs;
    m->coef = ntk_alloc_checked(n * P * sizeof *m->coef, "SVM coefficients", err);
    m->bias = calloc(P, sizeof *m->bias);
    svm_binary_result *res = calloc(P, sizeof *res);
    ntk_status *sts = calloc(P, sizeof *sts);
    ntk_error *errs = calloc(P, sizeof *errs);
    if (!m->coef || !m->bias || !res || !sts || !errs) {
        free(res);
        free(sts);
        free(errs);
        ntk_svm_model_free(m);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory (SVM with %zu pairs)", P);
    }
    memset(m->coef, 0, n * P * sizeof *m->coef);
    size_t *pa = malloc(P * sizeof *pa), *pbv = malloc(P * sizeof *pbv);
    /* K_ii once: each row is in k − 1 pairs, and every K_ii is a cache miss. */
    double *kdiag = malloc(n * sizeof *kdiag);
    if (!pa || !pbv || !kdiag) {
        free(pa);
        free(pbv);
        free(kdiag);
        free(res);
        free(sts);
        free(errs);
        ntk_svm_model_free(m);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        size_t g = rows ? rows[i] : i;
        kdiag[i] = K[g * ld + g];
    }
    for (size_t a = 0, q = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++, q++) {
            pa[q] = a;
            pbv[q] = b;
        }
    /* Largest pairs first, so that the threads finish together (each pair's
     * result does not depend on when it runs). */
    svm_pair_job *job = malloc(P * sizeof *job);
    size_t *cnt = calloc(k, sizeof *cnt);
    if (job && cnt) {
        for (size_t i = 0; i < n; i++)
            cnt[labels[i]]++;
        for (size_t q = 0; q < P; q++)
            job[q] = (svm_pair_job){cnt[pa[q]] + cnt[pbv[q]], q};
        qsort(job, P, sizeof *job, job_cmp);
        size_t *na = malloc(P * sizeof *na), *nb = malloc(P * sizeof *nb);
        if (na && nb) {
            for (size_t q = 0; q < P; q++) {
                na[q] = pa[job[q].q];
                nb[q] = pbv[job[q].q];
            }
            memcpy(pa, na, P * sizeof *pa);
            memcpy(pbv, nb, P * sizeof *pbv);
        }
        free(na);
        free(nb);
    }
    free(job);
    free(cnt);
    int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
    if ((size_t)threads > P)
        threads = (int)P;
    /* Pairs write disjoint columns of coef; each solve is sequential, so the
     * result does not depend on the number of threads. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t q = 0; q < P; q++) {
        size_t pi = ntk_svm_pair_index(pa[q], pbv[q], k); /* results in pair order */
        sts[pi] = solve_pair(K, ld, rows, n, kdiag, labels, k, pa[q], pbv[q], p, m, &res[pi],
                             &errs[pi]);
    }
    ntk_status st = NTK_OK;
    for (size_t q = 0; q < P; q++) {
        if (sts[q] != NTK_OK && st == NTK_OK) {
            st = sts[q];
            if (err)
                *err = errs[q];
        }
        m->iterations += res[q].iterations;
        m->max_gap = fmax(m->max_gap, res[q].gap);
        m->hit_max_iter |= res[q].hit_max_iter;
    }
    for (size_t i = 0; i < n; i++) {
        size_t q = 0;
        while (q < P && m->coef[i * P + q] == 0.0)
            q++;
        m->n_sv += q < P;
    }
    free(pa);
    free(pbv);
    free(kdiag);
    free(res);
    free(sts);
    free(errs);
    if (st != NTK_OK) {
        ntk_svm_model_free(m);
        return st;
    }
    *out = m;
    return NTK_OK;
}

/* Many classes: each pair has few support vectors and the dense product
 * would be mostly zeros (100 classes: 4950 pairs of ~2% of the rows), so
 * sum over each pair's nonzeros instead. */
static int decision_sparse(const ntk_svm_model *m, const double *Kx, size_t rows, size_t ldk,
                           double *dec)
{
    size_t n = m->n, P = m->n_pairs, nnz = 0;
    for (size_t i = 0; i < n * P; i++)
        nnz += m->coef[i] != 0.0;
    if (nnz * 4 > n * P)
        return 0;
    size_t *start = malloc((P + 1) * sizeof *start), *idx = malloc((nnz + 1) * sizeof *idx);
    double *val = malloc((nnz + 1) * sizeof *val);
    if (!start || !idx || !val) {
        free(start);
        free(idx);
        free(val);
        return 0;
    }
    for (size_t p = 0, q = 0; p < P; p++) {
        start[p] = q;
        for (size_t i = 0; i < n; i++)
            if (m->coef[i * P + p] != 0.0) {
                idx[q] = i;
                val[q++] = m->coef[i * P + p];
            }
        start[p + 1] = q;
    }
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        const double *k = Kx + r * ldk;
        for (size_t p = 0; p < P; p++) {
            double s = 0.0;
            for (size_t q = start[p]; q < start[p + 1]; q++)
                s += val[q] * k[idx[q]];
            dec[r * P + p] = s + m->bias[p];
        }
    }
    free(start);
    free(idx);
    free(val);
    return 1;
}

void ntk_svm_decision(const ntk_svm_model *m, const double *Kx, size_t rows, size_t ldk,
                      double *dec)
{
    size_t P = m->n_pairs;
    if (rows == 0 || decision_sparse(m, Kx, rows, ldk, dec))
        return;
    for (size_t r = 0; r < rows; r++)
        memcpy(dec + r * P, m->bias, P * sizeof *dec);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)P, (int)m->n, 1.0,
                Kx, (int)ldk, m->coef, (int)P, 1.0, dec, (int)P);
}

void ntk_svm_votes(const double *dec, size_t rows, size_t k, double *votes)
{
    size_t P = k * (k - 1) / 2;
    for (size_t r = 0; r < rows; r++) {
        double *v = votes + r * k;
        for (size_t c = 0; c < k; c++)
            v[c] = 0.0;
        const double *d = dec + r * P;
        for (size_t a = 0, q = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++, q++)
                v[d[q] > 0 ? a : b] += 1.0;
    }
}

/* Finite-width networks against the NTK predictor (see ntk/compare.h).
 * Moved from the command line (cmd_compare.c) so that `ntk compare` and the
 * Python package share one implementation; the CLI only parses and prints. */
#include "ntk/compare.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/metrics.h"
#include "ntk/network.h"

void ntk_compare_params_init(ntk_compare_params *p)
{
    memset(p, 0, sizeof *p);
    ntk_train_params_init(&p->train);
    p->seeds = 1;
}

/* Progress of one network's training, reported under one stage per seed. */
typedef struct {
    ntk_progress base;
    char stage[96];
    size_t offset, total;
} seed_progress;

static int seed_progress_fn(void *ctx, const char *stage, size_t done, size_t total)
{
    (void)stage;
    (void)total;
    seed_progress *sp = ctx;
    return ntk_progress_report(&sp->base, sp->stage, sp->offset + done, sp->total);
}

/* Error of scores (rows × k) against targets: RMSE for regression (scores in
 * original units), accuracy for classification. */
static double error_of(ntk_task task, size_t k, const double *y, const double *scores,
                       size_t rows, size_t *lab_buf, size_t *pred_buf)
{
    if (task == NTK_TASK_REGRESSION) {
        ntk_regression_metrics m;
        ntk_metrics_regression(y, scores, rows, &m);
        return m.rmse;
    }
    for (size_t i = 0; i < rows; i++)
        lab_buf[i] = (size_t)y[i];
    ntk_scores_to_labels(scores, rows, k, pred_buf);
    ntk_classification_metrics m;
    ntk_metrics_classification(lab_buf, pred_buf, rows, k, NULL, &m);
    return m.accuracy;
}

static double rmse_between(const double *a, const double *b, size_t m)
{
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return m ? sqrt(s / (double)m) : NAN;
}

/* What every width shares. */
typedef struct {
    const ntk_compare_params *p;
    const ntk_dataset *train, *test;
    const ntk_model *m;
    ntk_arch net_arch;
    ntk_task task;
    size_t n, nt, dim, k, n_times;
    size_t *steps_sorted;         /* distinct step counts, ascending */
    size_t *time_slot;            /* n_times: index into steps_sorted */
    size_t n_steps;
    double lr, c;
    const double *Y;              /* n × k scaled targets */
    const double *theta;          /* n × n analytic kernel (kind of the model) */
    const double *ntk_train_sc, *ntk_test_sc; /* n_times × n(t) × k, scaled units */
    const double *theta_test;     /* nt × n, raw mode only */
} compare_ctx;

static void to_original(const compare_ctx *cx, const double *sc, double *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = cx->task == NTK_TASK_REGRESSION ? sc[i] * cx->m->y_scale + cx->m->y_mean : sc[i];
}

/* Raw networks: the reference is the linearized predictor from the mean
 * initial function, f̄0 + Θ(·,X) C_t (Y − f̄0(X)); by linearity it is the NTK
 * prediction plus f̄0 minus the predictor applied to f̄0(X). Returns the
 * solution for f̄0(X) and its test outputs (n_times × nt × k). */
static ntk_status raw_reference(const compare_ctx *cx, const double *mf0tr, ntk_solution **sol,
                                double **ftest_f0, ntk_error *err)
{
    size_t n = cx->n, nt = cx->nt, k = cx->k;
    double *theta_copy = malloc(n * n * sizeof *theta_copy);
    *ftest_f0 = malloc(cx->n_times * nt * k * sizeof **ftest_f0);
    if (!theta_copy || !*ftest_f0) {
        free(theta_copy);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    memcpy(theta_copy, cx->theta, n * n * sizeof *theta_copy);
    ntk_solve_params sp2 = cx->p->train.solve;
    sp2.lr = cx->lr;
    sp2.want_train_predictions = 1;
    sp2.progress.fn = NULL;
    ntk_status st = ntk_solve(theta_copy, n, mf0tr, k, &sp2, sol, err);
    free(theta_copy);
    if (st != NTK_OK)
        return st;
    for (size_t t = 0; t < cx->n_times; t++)
        for (size_t i = 0; i < nt; i++)
            for (size_t q = 0; q < k; q++) {
                double s = 0;
                for (size_t j = 0; j < n; j++)
                    s += cx->theta_test[i * n + j] * (*sol)->coef[(t * n + j) * k + q];
                (*ftest_f0)[(t * nt + i) * k + q] = s;
            }
    return NTK_OK;
}

/* Train the seeds of one width and fill r. */
static ntk_status run_width(const compare_ctx *cx, size_t width, ntk_compare_width *r,
                            ntk_error *err)
{
    size_t n = cx->n, nt = cx->nt, k = cx->k, T = cx->n_steps;
    const ntk_compare_params *p = cx->p;
    double t0 = omp_get_wtime();
    ntk_status st = NTK_OK;
    double *f0tr = malloc(n * k * sizeof *f0tr), *f0te = malloc(nt * k * sizeof *f0te);
    double *f = malloc((n > nt ? n : nt) * k * sizeof *f);
    double *ptr = calloc(T * n * k, sizeof *ptr), *pte = calloc(T * nt * k, sizeof *pte);
    double *mf0tr = calloc(n * k, sizeof *mf0tr), *mf0te = calloc(nt * k, sizeof *mf0te);
    double *K0 = malloc(n * n * sizeof *K0), *KT = malloc(n * n * sizeof *KT);
    double *K0mean = calloc(n * n, sizeof *K0mean);
    double *ref_tr = malloc(n * k * sizeof *ref_tr), *ref_te = malloc(nt * k * sizeof *ref_te);
    double *o_tr = malloc(n * k * sizeof *o_tr), *o_te = malloc(nt * k * sizeof *o_te);
    size_t rows = n > nt ? n : nt;
    size_t *lab = malloc(rows * sizeof *lab), *pred = malloc(rows * sizeof *pred);
    double *ftest_f0 = NULL;
    ntk_solution *sol = NULL;
    ntk_network *net = NULL;
    memset(r, 0, sizeof *r);
    r->width = width;
    r->net_train = malloc(cx->n_times * sizeof(double));
    r->net_test = malloc(cx->n_times * sizeof(double));
    r->gap = malloc(cx->n_times * sizeof(double));
    r->ref_train = malloc(cx->n_times * sizeof(double));
    r->ref_test = malloc(cx->n_times * sizeof(double));
    r->seed_lambda_max = calloc((size_t)p->seeds, sizeof(double));
    if (!f0tr || !f0te || !f || !ptr || !pte || !mf0tr || !mf0te || !K0 || !KT || !K0mean ||
        !ref_tr || !ref_te || !o_tr || !o_te || !lab || !pred || !r->net_train || !r->net_test ||
        !r->gap || !r->ref_train || !r->ref_test || !r->seed_lambda_max) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory (width %zu)", width);
        goto done;
    }
    ntk_gd_params gp;
    ntk_gd_params_init(&gp);
    gp.lr = cx->lr;
    gp.time_scale = p->train.solve.time_scale;
    seed_progress sp = {p->progress, "", 0, cx->steps_sorted[T - 1]};
    gp.progress.fn = seed_progress_fn;
    gp.progress.ctx = &sp;
    double lam_sum = 0;
    for (int s = 0; s < p->seeds; s++) {
        snprintf(sp.stage, sizeof sp.stage, "width %zu, seed %d/%d: steps", width, s + 1,
                 p->seeds);
        st = ntk_network_create(&cx->net_arch, cx->dim, width, k, p->seed + (uint64_t)s, &net,
                                err);
        if (st != NTK_OK)
            goto done;
        if ((st = ntk_network_forward(net, cx->train->X, n, f0tr, err)) != NTK_OK ||
            (st = ntk_network_forward(net, cx->test->X, nt, f0te, err)) != NTK_OK ||
            (st = ntk_network_entk(net, cx->train->X, n, NULL, 0, -1, K0, err)) != NTK_OK)
            goto done;
        for (size_t i = 0; i < n * k; i++)
            mf0tr[i] += f0tr[i] / p->seeds;
        for (size_t i = 0; i < nt * k; i++)
            mf0te[i] += f0te[i] / p->seeds;
        for (size_t i = 0; i < n * n; i++)
            K0mean[i] += K0[i] / p->seeds;
        r->init_rel_dist += ntk_rel_frobenius(K0, cx->theta, n * n) / p->seeds;
        double lam;
        if ((st = ntk_lambda_max(K0, n, 0, &lam, NULL, err)) != NTK_OK)
            goto done;
        lam_sum += lam;
        r->seed_lambda_max[s] = lam;
        size_t done_steps = 0;
        for (size_t j = 0; j < T; j++) {
            sp.offset = done_steps;
            st = ntk_network_train(net, cx->train->X, n, cx->Y, p->raw ? NULL : f0tr,
                                   cx->steps_sorted[j] - done_steps, &gp, NULL, err);
            if (st != NTK_OK) {
                if (st == NTK_ENUMERIC && err) {
                    char why[NTK_ERROR_MSG_SIZE];
                    snprintf(why, sizeof why, "%s", err->msg);
                    ntk_error_set(err, NTK_ENUMERIC, "width %zu, seed %d: %s", width, s + 1, why);
                }
                goto done;
            }
            done_steps = cx->steps_sorted[j];
            if ((st = ntk_network_forward(net, cx->train->X, n, f, err)) != NTK_OK)
                goto done;
            for (size_t i = 0; i < n * k; i++)
                ptr[j * n * k + i] += (f[i] - (p->raw ? 0.0 : f0tr[i])) / p->seeds;
            if ((st = ntk_network_forward(net, cx->test->X, nt, f, err)) != NTK_OK)
                goto done;
            for (size_t i = 0; i < nt * k; i++)
                pte[j * nt * k + i] += (f[i] - (p->raw ? 0.0 : f0te[i])) / p->seeds;
        }
        if ((st = ntk_network_entk(net, cx->train->X, n, NULL, 0, -1, KT, err)) != NTK_OK)
            goto done;
        r->change_rel += ntk_rel_frobenius(KT, K0, n * n) / p->seeds;
        ntk_network_free(net);
        net = NULL;
    }
    r->lambda_max_init = lam_sum / p->seeds;
    r->init_rel_dist_mean = ntk_rel_frobenius(K0mean, cx->theta, n * n);
    if (p->raw && (st = raw_reference(cx, mf0tr, &sol, &ftest_f0, err)) != NTK_OK)
        goto done;
    for (size_t t = 0; t < cx->n_times; t++) {
        size_t j = cx->time_slot[t];
        const double *ntr = cx->ntk_train_sc + t * n * k, *nte = cx->ntk_test_sc + t * nt * k;
        for (size_t i = 0; i < n * k; i++)
            ref_tr[i] = ntr[i] + (p->raw ? mf0tr[i] - sol->train_pred[t * n * k + i] : 0.0);
        for (size_t i = 0; i < nt * k; i++)
            ref_te[i] = nte[i] + (p->raw ? mf0te[i] - ftest_f0[t * nt * k + i] : 0.0);
        to_original(cx, ref_tr, ref_tr, n * k);
        to_original(cx, ref_te, ref_te, nt * k);
        to_original(cx, ptr + j * n * k, o_tr, n * k);
        to_original(cx, pte + j * nt * k, o_te, nt * k);
        r->net_train[t] = error_of(cx->task, k, cx->train->y, o_tr, n, lab, pred);
        r->net_test[t] = error_of(cx->task, k, cx->test->y, o_te, nt, lab, pred);
        r->ref_train[t] = error_of(cx->task, k, cx->train->y, ref_tr, n, lab, pred);
        r->ref_test[t] = error_of(cx->task, k, cx->test->y, ref_te, nt, lab, pred);
        r->gap[t] = rmse_between(o_te, ref_te, nt * k);
    }
    r->seconds = omp_get_wtime() - t0;
done:
    ntk_network_free(net);
    ntk_solution_free(sol);
    free(ftest_f0);
    free(f0tr);
    free(f0te);
    free(f);
    free(ptr);
    free(pte);
    free(mf0tr);
    free(mf0te);
    free(K0);
    free(KT);
    free(K0mean);
    free(ref_tr);
    free(ref_te);
    free(o_tr);
    free(o_te);
    free(lab);
    free(pred);
    return st;
}

static void width_free(ntk_compare_width *r)
{
    free(r->net_train);
    free(r->net_test);
    free(r->gap);
    free(r->ref_train);
    free(r->ref_test);
    free(r->seed_lambda_max);
}

void ntk_compare_result_free(ntk_compare_result *r)
{
    if (!r)
        return;
    if (r->widths)
        for (size_t w = 0; w < r->n_widths; w++)
            width_free(&r->widths[w]);
    free(r->widths);
    free(r->times);
    ntk_model_free(r->model);
    free(r);
}

static ntk_status check_params(const ntk_compare_params *p, ntk_error *err)
{
    const char *msg = ntk_train_params_check(&p->train);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (p->n_widths == 0 || !p->widths)
        return ntk_error_set(err, NTK_EINPUT, "compare: no widths given");
    for (size_t w = 0; w < p->n_widths; w++)
        if (p->widths[w] < 1 || p->widths[w] > 1000000)
            return ntk_error_set(err, NTK_EINPUT, "widths must be integers in 1..1000000, got %zu",
                                 p->widths[w]);
    if (p->seeds < 1 || p->seeds > 10000)
        return ntk_error_set(err, NTK_EINPUT, "seeds must be in 1..10000, got %d", p->seeds);
    for (size_t i = 0; i < p->train.solve.n_times; i++) {
        double t = p->train.solve.times[i];
        if (!isfinite(t) || t != floor(t) || t > NTK_COMPARE_MAX_STEPS)
            return ntk_error_set(err, NTK_EINPUT, "times count gradient-descent steps: expected "
                                 "integers in 0..%.0f, got %g", NTK_COMPARE_MAX_STEPS, t);
    }
    return NTK_OK;
}

/* Distinct step counts in ascending order and each time's slot among them. */
static size_t sort_steps(const double *times, size_t n_times, size_t *steps, size_t *slot)
{
    size_t n_steps = 0;
    for (size_t t = 0; t < n_times; t++) {
        size_t s = (size_t)times[t], pos = 0;
        while (pos < n_steps && steps[pos] < s)
            pos++;
        if (pos == n_steps || steps[pos] != s) {
            memmove(steps + pos + 1, steps + pos, (n_steps - pos) * sizeof *steps);
            steps[pos] = s;
            n_steps++;
        }
    }
    for (size_t t = 0; t < n_times; t++)
        for (size_t j = 0; j < n_steps; j++)
            if (steps[j] == (size_t)times[t])
                slot[t] = j;
    return n_steps;
}

ntk_status ntk_compare_run(const ntk_dataset *train, const ntk_dataset *test, ntk_encoder *enc,
                           const ntk_compare_params *p, ntk_compare_result **out, ntk_error *err)
{
    *out = NULL;
    ntk_status st = check_params(p, err);
    if (st != NTK_OK) {
        ntk_encoder_free(enc);
        return st;
    }
    if (!train->y || !test->y || train->n == 0 || test->n == 0) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_EINPUT, "compare needs training and test rows with targets");
    }
    ntk_compare_result *res = calloc(1, sizeof *res);
    double *theta = NULL, *theta_test = NULL, *Y = NULL, *train_sc = NULL, *test_sc = NULL;
    size_t *steps = NULL, *slot = NULL;
    size_t n = train->n, nt = test->n, dim = train->d;
    ntk_task task = enc->task;
    size_t k = task == NTK_TASK_CLASSIFICATION ? enc->n_classes : 1;
    ntk_train_params tp = p->train;
    double cscale = tp.solve.time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    if (!res) {
        ntk_encoder_free(enc);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }

    /* The analytic kernel on the training rows: distances and λ_max. */
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", n, n);
    theta = ntk_alloc_checked(n * n * sizeof *theta, what, err);
    if (!theta) {
        st = NTK_ENOMEM;
        ntk_encoder_free(enc);
        goto done;
    }
    ntk_kernel_options kopt = {tp.threads, {NULL, NULL}};
    st = ntk_kernel_eval(&tp.arch, tp.kind, train->X, n, NULL, 0, dim, theta, &kopt, err);
    double lmax = 0;
    if (st == NTK_OK)
        st = ntk_lambda_max(theta, n, 0, &lmax, NULL, err);
    if (st == NTK_OK && !(lmax > 0))
        st = ntk_error_set(err, NTK_EINPUT, "the training kernel is zero: nothing can be trained");
    if (st == NTK_OK && !p->lr_given) {
        tp.solve.lr = 1.0 / (cscale * lmax);
    } else if (st == NTK_OK && tp.solve.lr * cscale * lmax >= 2.0) {
        st = ntk_error_set(err, NTK_EINPUT,
                           "--lr %g is too large for gradient descent: lr*c*lambda_max = %.4g >= 2 "
                           "(lambda_max of the training kernel = %.6g, c = %.3g); use --lr below "
                           "%.4g, or leave it out for 1/(c*lambda_max)",
                           tp.solve.lr, tp.solve.lr * cscale * lmax, lmax, cscale,
                           2.0 / (cscale * lmax));
    }
    if (st != NTK_OK) {
        ntk_encoder_free(enc);
        goto done;
    }

    /* The NTK predictor at the same times, through the model API. */
    tp.progress = p->progress;
    st = ntk_model_train(train, enc, &tp, &res->model, &train_sc, err);
    if (st == NTK_OK) {
        size_t cnt = res->model->n_times * nt * k;
        test_sc = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *test_sc, "test predictions", err);
        if (!test_sc)
            st = NTK_ENOMEM;
    }
    if (st == NTK_OK)
        st = ntk_model_predict(res->model, test->X, nt, test_sc, tp.threads, &p->progress, err);
    if (st == NTK_OK && p->raw) {
        snprintf(what, sizeof what, "test kernel %zux%zu", nt, n);
        theta_test = ntk_alloc_checked(nt * n * sizeof *theta_test, what, err);
        st = theta_test ? ntk_kernel_eval(&tp.arch, tp.kind, test->X, nt, train->X, n, dim,
                                          theta_test, &kopt, err)
                        : NTK_ENOMEM;
    }
    if (st != NTK_OK)
        goto done;
    const ntk_model *m = res->model;

    /* Scaled targets, exactly as the model saw them; NTK predictions back in
     * scaled units so both sides are combined in the same units. */
    size_t n_times = m->n_times;
    Y = malloc(n * k * sizeof *Y);
    steps = malloc(n_times * sizeof *steps);
    slot = malloc(n_times * sizeof *slot);
    res->widths = calloc(p->n_widths, sizeof *res->widths);
    res->times = malloc(n_times * sizeof *res->times);
    if (!Y || !steps || !slot || !res->widths || !res->times) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(res->times, m->times, n_times * sizeof *res->times);
    for (size_t i = 0; i < n; i++) {
        if (task == NTK_TASK_CLASSIFICATION)
            for (size_t q = 0; q < k; q++)
                Y[i * k + q] = ((size_t)train->y[i] == q ? 1.0 : 0.0) - 1.0 / (double)k;
        else
            Y[i] = (train->y[i] - m->y_mean) / m->y_scale;
    }
    if (task == NTK_TASK_REGRESSION) {
        for (size_t i = 0; i < n_times * n; i++)
            train_sc[i] = (train_sc[i] - m->y_mean) / m->y_scale;
        for (size_t i = 0; i < n_times * nt; i++)
            test_sc[i] = (test_sc[i] - m->y_mean) / m->y_scale;
    }
    size_t n_steps = sort_steps(m->times, n_times, steps, slot);
    res->task = task;
    res->n = n;
    res->n_test = nt;
    res->d = dim;
    res->k = k;
    res->n_times = n_times;
    res->lr = tp.solve.lr;
    res->c = cscale;
    res->lambda_max = lmax;
    res->seeds = p->seeds;
    res->raw = p->raw;

    ntk_compare_params pl = *p;
    pl.train = tp;
    compare_ctx cx = {&pl, train, test, m, tp.arch, task, n, nt, dim, k, n_times, steps, slot,
                      n_steps, tp.solve.lr, cscale, Y, theta, train_sc, test_sc, theta_test};
    if (tp.kind == NTK_KIND_NNGP)
        cx.net_arch.fixed_layers = cx.net_arch.depth; /* NNGP: only the readout is trained */
    for (size_t w = 0; w < p->n_widths; w++) {
        if (ntk_progress_report(&p->progress, "widths", w, p->n_widths)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            goto done;
        }
        st = run_width(&cx, p->widths[w], &res->widths[w], err);
        res->n_widths = w + 1;
        if (st != NTK_OK)
            goto done;
    }
    ntk_progress_report(&p->progress, "widths", p->n_widths, p->n_widths);
done:
    free(steps);
    free(slot);
    free(Y);
    free(theta);
    free(theta_test);
    free(train_sc);
    free(test_sc);
    if (st != NTK_OK) {
        ntk_compare_result_free(res);
        return st;
    }
    *out = res;
    return NTK_OK;
}

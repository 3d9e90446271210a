/* ntk demo — shared computations: the NTK predictor through the model API
 * (exactly what `ntk eval` computes), the default learning rate, and
 * centered finite networks trained by full-batch gradient descent (as
 * `ntk compare`). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "ntk/metrics.h"

int demo_choose_lr(demo_ctx *c, const double *theta, size_t n, size_t k, double *lambda_max)
{
    ntk_error err = {0};
    double lmax = 0;
    if (ntk_lambda_max(theta, n, 0, &lmax, NULL, &err) != NTK_OK)
        return cli_fail(c->cmd, &err);
    *lambda_max = lmax;
    if (!(lmax > 0)) {
        ntk_error_set(&err, NTK_EINPUT, "the training kernel is zero: nothing can be trained");
        return cli_fail(c->cmd, &err);
    }
    double cs = c->o.train.solve.time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    if (!c->lr_given) {
        c->o.train.solve.lr = 1.0 / (cs * lmax);
    } else if (c->o.train.solve.lr * cs * lmax >= 2.0) {
        return cli_usage(c->cmd, "--lr %g is too large for gradient descent: lr*c*lambda_max = "
                                 "%.4g >= 2; use --lr below %.4g, or leave it out for "
                                 "1/(c*lambda_max)",
                         c->o.train.solve.lr, c->o.train.solve.lr * cs * lmax,
                         2.0 / (cs * lmax));
    }
    return 0;
}

typedef struct {
    ntk_progress base;
    char stage[128];
    size_t offset, total;
} step_progress;

static int step_progress_fn(void *ctx, const char *stage, size_t done, size_t total)
{
    (void)stage;
    (void)total;
    step_progress *sp = ctx;
    return ntk_progress_report(&sp->base, sp->stage, sp->offset + done, sp->total);
}

ntk_status demo_net_train(const demo_net_job *job, size_t width, uint64_t seed, double *out,
                          double *K0, double *KT, ntk_network **net_out, ntk_error *err)
{
    size_t n = job->n, k = job->k, ne = job->ne;
    ntk_network *net = NULL;
    double *f0 = malloc(n * k * sizeof *f0), *f0e = malloc(ne * k * sizeof *f0e);
    double *fe = malloc(ne * k * sizeof *fe);
    ntk_status st = NTK_OK;
    if (!f0 || !f0e || !fe) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory (width %zu)", width);
        goto done;
    }
    if ((st = ntk_network_create(job->arch, job->d, width, k, seed, &net, err)) != NTK_OK ||
        (st = ntk_network_forward(net, job->X, n, f0, err)) != NTK_OK ||
        (st = ntk_network_forward(net, job->E, ne, f0e, err)) != NTK_OK)
        goto done;
    if (K0 && (st = ntk_network_entk(net, job->X, n, NULL, 0, -1, K0, err)) != NTK_OK)
        goto done;
    if (job->init_hook && (st = job->init_hook(net, job->hook_ctx, err)) != NTK_OK)
        goto done;
    ntk_gd_params gp;
    ntk_gd_params_init(&gp);
    gp.lr = job->lr;
    gp.time_scale = job->time_scale;
    step_progress sp = {cli_progress(), "", 0, job->ns ? job->steps[job->ns - 1] : 0};
    snprintf(sp.stage, sizeof sp.stage, "%s: steps", job->stage ? job->stage : "network");
    gp.progress.fn = step_progress_fn;
    gp.progress.ctx = &sp;
    size_t done_steps = 0;
    for (size_t j = 0; j < job->ns; j++) {
        sp.offset = done_steps;
        if (job->steps[j] > done_steps) {
            st = ntk_network_train(net, job->X, n, job->Y, f0, job->steps[j] - done_steps, &gp,
                                   NULL, err);
            if (st != NTK_OK) {
                if (st == NTK_ENUMERIC) {
                    char why[NTK_ERROR_MSG_SIZE];
                    snprintf(why, sizeof why, "%s", err->msg);
                    ntk_error_set(err, NTK_ENUMERIC, "width %zu, seed %llu: %s (lower --lr)",
                                  width, (unsigned long long)seed, why);
                }
                goto done;
            }
            done_steps = job->steps[j];
        }
        if ((st = ntk_network_forward(net, job->E, ne, fe, err)) != NTK_OK)
            goto done;
        for (size_t i = 0; i < ne * k; i++)
            out[j * ne * k + i] = fe[i] - f0e[i];
    }
    cli_progress_done();
    if (KT && (st = ntk_network_entk(net, job->X, n, NULL, 0, -1, KT, err)) != NTK_OK)
        goto done;
    if (net_out) {
        *net_out = net;
        net = NULL;
    }
done:
    cli_progress_done();
    ntk_network_free(net);
    free(f0);
    free(f0e);
    free(fe);
    return st;
}

void demo_fit_free(demo_fit *f)
{
    ntk_model_free(f->m);
    free(f->Y);
    free(f->train_sc);
    free(f->test_sc);
    free(f->theta);
    cli_data_free(&f->d);
    memset(f, 0, sizeof *f);
}

int demo_fit_load(demo_ctx *c, double test_frac, demo_fit *f)
{
    memset(f, 0, sizeof *f);
    int rc = cli_data_load(c->cmd, &c->o, c->train, NULL, test_frac, &f->d);
    if (rc)
        return rc;
    f->n = f->d.train->n;
    f->nt = f->d.test ? f->d.test->n : 0;
    f->dim = f->d.train->d;
    f->task = f->d.enc->task;
    f->k = f->task == NTK_TASK_CLASSIFICATION ? f->d.enc->n_classes : 1;
    ntk_error err = {0};
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", f->n, f->n);
    f->theta = ntk_alloc_checked(f->n * f->n * sizeof *f->theta, what, &err);
    ntk_kernel_options kopt = {c->o.threads, {NULL, NULL}};
    if (!f->theta ||
        ntk_kernel_eval(&c->o.train.arch, c->o.train.kind, f->d.train->X, f->n, NULL, 0, f->dim,
                        f->theta, &kopt, &err) != NTK_OK) {
        demo_fit_free(f);
        return cli_fail(c->cmd, &err);
    }
    rc = demo_choose_lr(c, f->theta, f->n, f->k, &f->lambda_max);
    if (rc)
        demo_fit_free(f);
    return rc;
}

int demo_fit_run(demo_ctx *c, demo_fit *f, const double *times, size_t n_times)
{
    ntk_error err = {0};
    ntk_train_params tp = c->o.train;
    tp.solve.times = times;
    tp.solve.n_times = n_times;
    tp.progress = cli_progress();
    ntk_encoder *enc = f->d.enc;
    f->d.enc = NULL; /* the model owns it from here */
    size_t n = f->n, nt = f->nt, k = f->k;
    ntk_status st = ntk_model_train(f->d.train, enc, &tp, &f->m, &f->train_sc, &err);
    if (st == NTK_OK && nt) {
        f->test_sc = ntk_alloc_checked(n_times * nt * k * sizeof *f->test_sc, "test predictions",
                                       &err);
        st = f->test_sc ? ntk_model_predict(f->m, f->d.test->X, nt, f->test_sc, c->o.threads,
                                            &tp.progress, &err)
                        : err.status;
    }
    cli_progress_done();
    if (st == NTK_OK && !(f->Y = malloc(n * k * sizeof *f->Y)))
        st = ntk_error_set(&err, NTK_ENOMEM, "out of memory");
    if (st != NTK_OK)
        return cli_fail(c->cmd, &err);
    if (f->m->jitter > 0 || f->m->n_clamped)
        cli_warn(c->cmd, "note: the training kernel is numerically singular (jitter %.3g, %zu "
                         "eigenvalues clamped)", f->m->jitter, f->m->n_clamped);
    for (size_t i = 0; i < n; i++) {
        if (f->task == NTK_TASK_CLASSIFICATION)
            for (size_t q = 0; q < k; q++)
                f->Y[i * k + q] = ((size_t)f->d.train->y[i] == q ? 1.0 : 0.0) - 1.0 / (double)k;
        else
            f->Y[i] = (f->d.train->y[i] - f->m->y_mean) / f->m->y_scale;
    }
    if (f->task == NTK_TASK_REGRESSION) {
        for (size_t i = 0; i < n_times * n; i++)
            f->train_sc[i] = (f->train_sc[i] - f->m->y_mean) / f->m->y_scale;
        for (size_t i = 0; i < n_times * nt; i++)
            f->test_sc[i] = (f->test_sc[i] - f->m->y_mean) / f->m->y_scale;
    }
    return 0;
}

double demo_error(const demo_fit *f, const double *y, const double *sc, size_t rows)
{
    if (f->task == NTK_TASK_REGRESSION) {
        double *p = malloc(rows * sizeof *p);
        if (!p)
            return NAN;
        for (size_t i = 0; i < rows; i++)
            p[i] = sc[i] * f->m->y_scale + f->m->y_mean;
        ntk_regression_metrics m;
        ntk_metrics_regression(y, p, rows, &m);
        free(p);
        return m.rmse;
    }
    size_t *lab = malloc(rows * sizeof *lab), *pred = malloc(rows * sizeof *pred);
    double acc = NAN;
    if (lab && pred) {
        for (size_t i = 0; i < rows; i++)
            lab[i] = (size_t)y[i];
        ntk_scores_to_labels(sc, rows, f->k, pred);
        ntk_classification_metrics m;
        ntk_metrics_classification(lab, pred, rows, f->k, NULL, &m);
        acc = m.accuracy;
    }
    free(lab);
    free(pred);
    return acc;
}

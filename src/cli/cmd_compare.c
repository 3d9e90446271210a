/* ntk compare — train finite-width networks by full-batch gradient descent
 * and compare them with the infinite-width NTK predictor at the same times:
 * errors of both, the gap between their test predictions, and how far the
 * networks' empirical kernels are from the analytic one (see docs/network.md).
 *
 * Time: `--times` counts gradient-descent steps with learning rate η (--lr)
 * on the loss chosen by --time-scale (sum: ½Σ(f−y)²; mean: ½·mean), which is
 * exactly the time t of `ntk eval` with the same --lr and --time-scale:
 * linearized, s steps multiply the residual by (I − ηcΘ)^s ≈ e^{−ηcΘs}. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_data.h"
#include "cli_format.h"
#include "cli_opts.h"
#include "cli_report.h"
#include "ntk/metrics.h"
#include "ntk/network.h"

enum { OPT_TRAIN = OPT_CMD_BASE, OPT_TEST, OPT_TEST_FRAC, OPT_WIDTHS, OPT_SEEDS, OPT_RAW };

static const struct option compare_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    {"test-frac", required_argument, NULL, OPT_TEST_FRAC},
    {"widths", required_argument, NULL, OPT_WIDTHS},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"raw", no_argument, NULL, OPT_RAW},
    {NULL, 0, NULL, 0},
};

#define DEFAULT_WIDTHS "64,256,1024"
#define DEFAULT_TIMES "0,10,100,1000"
#define MAX_STEPS 100000000.0

static void help(void)
{
    printf("usage: ntk compare --train A.csv (--test B.csv | --test-frac F) [options]\n\n"
           "Train finite-width networks (NTK parameterization, full-batch gradient descent) and\n"
           "compare them with the infinite-width NTK predictor at the same training times.\n"
           "For each width and time: network and NTK errors (RMSE or accuracy, as ntk eval)\n"
           "and the RMSE between their test predictions; for each width: the relative\n"
           "Frobenius distance of the networks' empirical kernel from the analytic one at\n"
           "initialization, and its relative change during training.\n\n"
           "  --train FILE         training data (CSV with a header row)\n"
           "  --test FILE          test data with the same columns\n"
           "  --test-frac F        or: hold out a fraction F of A (stratified), by --seed\n"
           "  --widths LIST        hidden widths, comma-separated (default " DEFAULT_WIDTHS ")\n"
           "  --seeds S            networks per width; their mean prediction is compared\n"
           "                       (seeds are --seed, --seed+1, ...; default 1)\n"
           "  --times LIST         gradient-descent steps (integers, default " DEFAULT_TIMES ");\n"
           "                       t steps with learning rate --lr on the --time-scale loss are\n"
           "                       time t of the NTK predictor, as in ntk eval\n"
           "  --lr ETA             learning rate (default 1/(c*lambda_max) of the analytic\n"
           "                       kernel, c = 1 for --time-scale sum, 1/(n*k) for mean);\n"
           "                       refused if ETA*c*lambda_max >= 2 (divergent steps)\n"
           "  --raw                compare the raw networks f(x) with the linearized predictor\n"
           "                       that starts from their initial function f0 (default: the\n"
           "                       centered networks f(x) - f0(x), starting from zero like\n"
           "                       the NTK predictor)\n"
           "  --format table|csv|json   report format (default table)\n"
           "  --quiet, --progress  silence warnings and progress / force progress\n\n"
           "%s\n%s\n"
           "Example:\n"
           "  ntk compare --train data/bostonhousing.csv --test-frac 0.25 --depth 2 \\\n"
           "      --widths 64,256,1024,4096 --times 10,100,1000 --seeds 2 --format json\n",
           cli_model_help, cli_data_help);
}

/* "64,256,1024" → positive integers. */
static int parse_widths(const char *cmd, const char *text, size_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == ',';
    size_t *v = malloc(cap * sizeof *v);
    if (!v)
        return 0;
    size_t k = 0;
    const char *p = text;
    for (;;) {
        char *end;
        long w = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || w < 1 || w > 1000000) {
            free(v);
            cli_usage(cmd, "--widths expects comma-separated integers in 1..1000000, got '%s'",
                      text);
            return 0;
        }
        v[k++] = (size_t)w;
        if (!*end)
            break;
        p = end + 1;
    }
    *out = v;
    *n = k;
    return 1;
}

/* Progress of one network's training, shown as one line per seed. */
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

/* Results for one width. */
typedef struct {
    size_t width;
    double *net_train, *net_test; /* n_times × error */
    double *gap;                  /* n_times: RMSE(net − reference) on the test rows */
    double *ref_train, *ref_test; /* n_times: errors of the reference (NTK or linearized) */
    double init_rel_dist;         /* mean over seeds of ‖Θ̂₀ − Θ‖/‖Θ‖ */
    double init_rel_dist_mean;    /* ‖mean Θ̂₀ − Θ‖/‖Θ‖ */
    double change_rel;            /* mean over seeds of ‖Θ̂_T − Θ̂₀‖/‖Θ̂₀‖ */
    double lambda_max_init;       /* mean over seeds of λ_max(Θ̂₀) */
    double seconds;
} width_result;

typedef struct {
    const char *cmd;
    const cli_model_opts *o;
    const cli_data *d;
    const ntk_model *m;
    ntk_arch net_arch;
    ntk_task task;
    size_t n, nt, dim, k, n_times;
    const double *times;          /* as requested */
    size_t *steps_sorted;         /* distinct step counts, ascending */
    size_t *time_slot;            /* n_times: index into steps_sorted */
    size_t n_steps;
    double lr, c, lambda_max;
    int seeds, raw;
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

/* Train the seeds of one width and fill r. */
static ntk_status run_width(const compare_ctx *cx, size_t width, width_result *r, ntk_error *err)
{
    size_t n = cx->n, nt = cx->nt, k = cx->k, T = cx->n_steps;
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
    double *theta_copy = NULL, *ftest_f0 = NULL;
    ntk_solution *sol = NULL;
    ntk_network *net = NULL;
    if (!f0tr || !f0te || !f || !ptr || !pte || !mf0tr || !mf0te || !K0 || !KT || !K0mean ||
        !ref_tr || !ref_te || !o_tr || !o_te || !lab || !pred) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory (width %zu)", width);
        goto done;
    }
    memset(r, 0, sizeof *r);
    r->width = width;
    ntk_gd_params gp;
    ntk_gd_params_init(&gp);
    gp.lr = cx->lr;
    gp.time_scale = cx->o->train.solve.time_scale;
    seed_progress sp = {cli_progress(), "", 0, cx->steps_sorted[T - 1]};
    gp.progress.fn = seed_progress_fn;
    gp.progress.ctx = &sp;
    double lam_sum = 0;
    for (int s = 0; s < cx->seeds; s++) {
        snprintf(sp.stage, sizeof sp.stage, "width %zu, seed %d/%d: steps", width, s + 1,
                 cx->seeds);
        st = ntk_network_create(&cx->net_arch, cx->dim, width, k, cx->o->seed + (uint64_t)s, &net,
                                err);
        if (st != NTK_OK)
            goto done;
        if ((st = ntk_network_forward(net, cx->d->train->X, n, f0tr, err)) != NTK_OK ||
            (st = ntk_network_forward(net, cx->d->test->X, nt, f0te, err)) != NTK_OK ||
            (st = ntk_network_entk(net, cx->d->train->X, n, NULL, 0, -1, K0, err)) != NTK_OK)
            goto done;
        for (size_t i = 0; i < n * k; i++)
            mf0tr[i] += f0tr[i] / cx->seeds;
        for (size_t i = 0; i < nt * k; i++)
            mf0te[i] += f0te[i] / cx->seeds;
        for (size_t i = 0; i < n * n; i++)
            K0mean[i] += K0[i] / cx->seeds;
        r->init_rel_dist += ntk_rel_frobenius(K0, cx->theta, n * n) / cx->seeds;
        double lam;
        if ((st = ntk_lambda_max(K0, n, 0, &lam, NULL, err)) != NTK_OK)
            goto done;
        lam_sum += lam;
        if (cx->lr * cx->c * lam >= 2.0)
            cli_warn(cx->cmd, "warning: width %zu, seed %d: lr*c*lambda_max of the network's own "
                              "kernel is %.3g >= 2: gradient descent may diverge",
                     width, s + 1, cx->lr * cx->c * lam);
        size_t done_steps = 0;
        for (size_t j = 0; j < T; j++) {
            sp.offset = done_steps;
            st = ntk_network_train(net, cx->d->train->X, n, cx->Y, cx->raw ? NULL : f0tr,
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
            if ((st = ntk_network_forward(net, cx->d->train->X, n, f, err)) != NTK_OK)
                goto done;
            for (size_t i = 0; i < n * k; i++)
                ptr[j * n * k + i] += (f[i] - (cx->raw ? 0.0 : f0tr[i])) / cx->seeds;
            if ((st = ntk_network_forward(net, cx->d->test->X, nt, f, err)) != NTK_OK)
                goto done;
            for (size_t i = 0; i < nt * k; i++)
                pte[j * nt * k + i] += (f[i] - (cx->raw ? 0.0 : f0te[i])) / cx->seeds;
        }
        if ((st = ntk_network_entk(net, cx->d->train->X, n, NULL, 0, -1, KT, err)) != NTK_OK)
            goto done;
        r->change_rel += ntk_rel_frobenius(KT, K0, n * n) / cx->seeds;
        ntk_network_free(net);
        net = NULL;
    }
    cli_progress_done();
    r->lambda_max_init = lam_sum / cx->seeds;
    r->init_rel_dist_mean = ntk_rel_frobenius(K0mean, cx->theta, n * n);

    /* Raw networks: the reference is the linearized predictor from the mean
     * initial function, f̄0 + Θ(·,X) C_t (Y − f̄0(X)); by linearity it is the
     * NTK prediction plus f̄0 minus the predictor applied to f̄0(X). */
    if (cx->raw) {
        theta_copy = malloc(n * n * sizeof *theta_copy);
        ftest_f0 = malloc(cx->n_times * nt * k * sizeof *ftest_f0);
        if (!theta_copy || !ftest_f0) {
            st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(theta_copy, cx->theta, n * n * sizeof *theta_copy);
        ntk_solve_params sp2 = cx->o->train.solve;
        sp2.lr = cx->lr;
        sp2.want_train_predictions = 1;
        sp2.progress.fn = NULL;
        if ((st = ntk_solve(theta_copy, n, mf0tr, k, &sp2, &sol, err)) != NTK_OK)
            goto done;
        for (size_t t = 0; t < cx->n_times; t++) {
            /* test: Θ(X*,X)·C_t(f̄0) */
            for (size_t i = 0; i < nt; i++)
                for (size_t q = 0; q < k; q++) {
                    double s = 0;
                    for (size_t j = 0; j < n; j++)
                        s += cx->theta_test[i * n + j] * sol->coef[(t * n + j) * k + q];
                    ftest_f0[(t * nt + i) * k + q] = s;
                }
        }
    }

    r->net_train = malloc(cx->n_times * sizeof(double));
    r->net_test = malloc(cx->n_times * sizeof(double));
    r->gap = malloc(cx->n_times * sizeof(double));
    r->ref_train = malloc(cx->n_times * sizeof(double));
    r->ref_test = malloc(cx->n_times * sizeof(double));
    if (!r->net_train || !r->net_test || !r->gap || !r->ref_train || !r->ref_test) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = 0; t < cx->n_times; t++) {
        size_t j = cx->time_slot[t];
        const double *ntr = cx->ntk_train_sc + t * n * k, *nte = cx->ntk_test_sc + t * nt * k;
        for (size_t i = 0; i < n * k; i++)
            ref_tr[i] = ntr[i] + (cx->raw ? mf0tr[i] - sol->train_pred[t * n * k + i] : 0.0);
        for (size_t i = 0; i < nt * k; i++)
            ref_te[i] = nte[i] + (cx->raw ? mf0te[i] - ftest_f0[t * nt * k + i] : 0.0);
        to_original(cx, ref_tr, ref_tr, n * k);
        to_original(cx, ref_te, ref_te, nt * k);
        to_original(cx, ptr + j * n * k, o_tr, n * k);
        to_original(cx, pte + j * nt * k, o_te, nt * k);
        r->net_train[t] = error_of(cx->task, k, cx->d->train->y, o_tr, n, lab, pred);
        r->net_test[t] = error_of(cx->task, k, cx->d->test->y, o_te, nt, lab, pred);
        r->ref_train[t] = error_of(cx->task, k, cx->d->train->y, ref_tr, n, lab, pred);
        r->ref_test[t] = error_of(cx->task, k, cx->d->test->y, ref_te, nt, lab, pred);
        r->gap[t] = rmse_between(o_te, ref_te, nt * k);
    }
    r->seconds = omp_get_wtime() - t0;
done:
    cli_progress_done();
    ntk_network_free(net);
    ntk_solution_free(sol);
    free(theta_copy);
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

static void width_result_free(width_result *r)
{
    free(r->net_train);
    free(r->net_test);
    free(r->gap);
    free(r->ref_train);
    free(r->ref_test);
}

static void write_report(FILE *f, const char *format, const compare_ctx *cx,
                         const width_result *res, size_t n_widths, double seconds_total)
{
    int reg = cx->task == NTK_TASK_REGRESSION;
    const char *ref = cx->raw ? "linearized" : "NTK";
    if (strcmp(format, "json") == 0) {
        fprintf(f, "{\"task\": \"%s\", \"metric\": \"%s\", \"n_train\": %zu, \"n_test\": %zu, "
                   "\"n_features\": %zu, \"seeds\": %d, \"centered\": %s, \"lr\": ",
                reg ? "regression" : "classification", reg ? "rmse" : "accuracy", cx->n, cx->nt,
                cx->dim, cx->seeds, cx->raw ? "false" : "true");
        cli_json_num(f, cx->lr);
        fputs(", \"lambda_max\": ", f);
        cli_json_num(f, cx->lambda_max);
        fputs(", \"model\": ", f);
        cli_report_model_json(f, cx->m, cx->o->train.target_scaling);
        fputs(", \"rows\": [", f);
        int first = 1;
        for (size_t w = 0; w < n_widths; w++)
            for (size_t t = 0; t < cx->n_times; t++) {
                const width_result *r = &res[w];
                fprintf(f, "%s{\"width\": %zu, \"t\": ", first ? "" : ", ", r->width);
                first = 0;
                cli_json_num(f, cx->times[t]);
                const double v[5] = {r->net_train[t], r->net_test[t], r->ref_train[t],
                                     r->ref_test[t], r->gap[t]};
                const char *names[5] = {"net_train", "net_test", "ntk_train", "ntk_test",
                                        "gap_rmse"};
                for (int q = 0; q < 5; q++) {
                    fprintf(f, ", \"%s\": ", names[q]);
                    cli_json_num(f, v[q]);
                }
                fputs("}", f);
            }
        fputs("], \"kernels\": [", f);
        for (size_t w = 0; w < n_widths; w++) {
            const width_result *r = &res[w];
            fprintf(f, "%s{\"width\": %zu, \"init_rel_dist\": ", w ? ", " : "", r->width);
            cli_json_num(f, r->init_rel_dist);
            fputs(", \"change_rel\": ", f);
            cli_json_num(f, r->change_rel);
            fputs(", \"init_rel_dist_of_mean\": ", f);
            cli_json_num(f, r->init_rel_dist_mean);
            fputs(", \"lambda_max_init\": ", f);
            cli_json_num(f, r->lambda_max_init);
            fputs(", \"seconds\": ", f);
            cli_json_num(f, r->seconds);
            fputs("}", f);
        }
        fputs("], \"seconds\": {\"ntk\": ", f);
        cli_json_num(f, cx->m->seconds_kernel + cx->m->seconds_solve);
        fputs(", \"total\": ", f);
        cli_json_num(f, seconds_total);
        fputs("}}\n", f);
        return;
    }
    if (strcmp(format, "csv") == 0) {
        fputs("width,t,net_train,net_test,ntk_train,ntk_test,gap_rmse,init_rel_dist,change_rel\n",
              f);
        for (size_t w = 0; w < n_widths; w++)
            for (size_t t = 0; t < cx->n_times; t++) {
                const width_result *r = &res[w];
                const double v[8] = {cx->times[t],     r->net_train[t], r->net_test[t],
                                     r->ref_train[t],  r->ref_test[t],  r->gap[t],
                                     r->init_rel_dist, r->change_rel};
                fprintf(f, "%zu", r->width);
                for (int q = 0; q < 8; q++) {
                    char b[40];
                    cli_fmt_num(b, sizeof b, v[q]);
                    fprintf(f, ",%s", b);
                }
                fputc('\n', f);
            }
        return;
    }
    char act[64];
    ntk_activation_format(&cx->m->arch.act, act, sizeof act);
    fprintf(f, "%s: %zu training rows, %zu test rows, %zu features; %s networks, %d seed%s per "
               "width\n",
            reg ? "regression" : "classification", cx->n, cx->nt, cx->dim,
            cx->raw ? "raw" : "centered", cx->seeds, cx->seeds == 1 ? "" : "s");
    fprintf(f, "model: %s, depth %d, %s, w_std %g, b_std %g, fixed layers %d; lr %g "
               "(lambda_max %.6g, lr*c*lambda_max %.3g), time scale %s, t = steps\n\n",
            cx->m->kind == NTK_KIND_NTK ? "NTK" : "NNGP", cx->m->arch.depth, act,
            cx->m->arch.w_std, cx->m->arch.b_std, cx->net_arch.fixed_layers, cx->lr,
            cx->lambda_max, cx->lr * cx->c * cx->lambda_max,
            cx->o->train.solve.time_scale == NTK_TIME_MEAN ? "mean" : "sum");
    const char *mname = reg ? "RMSE" : "acc";
    char h[4][32];
    snprintf(h[0], sizeof h[0], "net train %s", mname);
    snprintf(h[1], sizeof h[1], "net test %s", mname);
    snprintf(h[2], sizeof h[2], "%s train", ref);
    snprintf(h[3], sizeof h[3], "%s test", ref);
    fprintf(f, "%8s %10s  %14s %14s  %14s %14s  %12s\n", "width", "t", h[0], h[1], h[2], h[3],
            "gap RMSE");
    for (size_t w = 0; w < n_widths; w++)
        for (size_t t = 0; t < cx->n_times; t++) {
            const width_result *r = &res[w];
            char tb[40];
            cli_fmt_time(tb, sizeof tb, cx->times[t]);
            fprintf(f, "%8zu %10s  %14.6g %14.6g  %14.6g %14.6g  %12.4g\n", r->width, tb,
                    r->net_train[t], r->net_test[t], r->ref_train[t], r->ref_test[t], r->gap[t]);
        }
    fprintf(f, "\n%8s  %14s  %14s  %14s  %16s  %9s\n", "width", "|K0-K|/|K|", "|mean K0-K|/|K|",
            "|KT-K0|/|K0|", "lambda_max(K0)", "seconds");
    for (size_t w = 0; w < n_widths; w++) {
        const width_result *r = &res[w];
        fprintf(f, "%8zu  %14.4g  %14.4g  %14.4g  %16.6g  %9.2f\n", r->width, r->init_rel_dist,
                r->init_rel_dist_mean, r->change_rel, r->lambda_max_init, r->seconds);
    }
    fprintf(f, "\n(K: analytic kernel on the training rows; K0, KT: a network's empirical kernel "
               "at initialization and after the last step, mean over seeds.)\ntime: total "
               "%.2fs\n", seconds_total);
}

typedef struct {
    const char *train, *test;
    double test_frac;
    size_t *widths, n_widths;
    long seeds;
    int raw, lr_given, times_given;
} compare_args;

static int compare_option(const char *cmd, int id, const char *arg, void *ctx)
{
    compare_args *a = ctx;
    switch (id) {
    case OPT_TRAIN: a->train = arg; return 1;
    case OPT_TEST: a->test = arg; return 1;
    case OPT_RAW: a->raw = 1; return 1;
    case OPT_TEST_FRAC: return cli_parse_test_frac(cmd, arg, &a->test_frac) ? 1 : -1;
    case OPT_WIDTHS:
        free(a->widths);
        a->widths = NULL;
        return parse_widths(cmd, arg, &a->widths, &a->n_widths) ? 1 : -1;
    case OPT_SEEDS: return cli_parse_int(cmd, "--seeds", arg, 1, 10000, &a->seeds) ? 1 : -1;
    /* Noted here, then parsed by the shared model options. */
    case OPT_LR: a->lr_given = 1; return 0;
    case OPT_TIMES: a->times_given = 1; return 0;
    }
    return 0;
}

int ntk_cmd_compare(int argc, char **argv)
{
    const char *cmd = "compare";
    const struct option *tables[] = {compare_options, cli_model_options, cli_data_options,
                                     cli_general_options, NULL};
    cli_model_opts o;
    cli_opts_init(&o);
    compare_args a = {0};
    a.seeds = 1;
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(cmd, argc, argv, tables, "h", compare_option, &a, &o, NULL);
    const char *train = a.train, *test = a.test;
    double test_frac = a.test_frac;
    size_t *widths = a.widths, n_widths = a.n_widths;
    long seeds = a.seeds;
    int raw = a.raw, lr_given = a.lr_given, times_given = a.times_given;
    if (parsed == CLI_ARGS_HELP) {
        help();
        rc = CLI_EXIT_OK;
    }
    if (parsed != CLI_ARGS_OK)
        goto out;
    if (!train) {
        cli_usage(cmd, "--train FILE is required");
        goto out;
    }
    if (test && test_frac > 0) {
        cli_usage(cmd, "give either --test or --test-frac, not both");
        goto out;
    }
    if (!test && test_frac == 0) {
        cli_usage(cmd, "test data is required (--test FILE or --test-frac F)");
        goto out;
    }
    if (!widths && !parse_widths(cmd, DEFAULT_WIDTHS, &widths, &n_widths))
        goto out;
    if (!times_given) {
        double *t;
        size_t nt;
        if (!cli_parse_times(cmd, DEFAULT_TIMES, &t, &nt))
            goto out;
        free(o.times);
        o.times = t;
        o.train.solve.times = t;
        o.train.solve.n_times = nt;
    }
    for (size_t i = 0; i < o.train.solve.n_times; i++) {
        double t = o.train.solve.times[i];
        if (!isfinite(t) || t != floor(t) || t > MAX_STEPS) {
            cli_usage(cmd, "--times counts gradient-descent steps: expected integers in "
                           "0..%.0f, got %g",
                      MAX_STEPS, t);
            goto out;
        }
    }
    const char *msg = ntk_train_params_check(&o.train);
    if (msg) {
        cli_usage(cmd, "%s", msg);
        goto out;
    }
    if (o.train.solve.reg > 0)
        cli_warn(cmd, "warning: --reg adds a ridge to the NTK predictor only; the networks are "
                      "trained without one");
    cli_opts_apply_threads(&o);
    double t_start = omp_get_wtime();

    cli_data d;
    rc = cli_data_load(cmd, &o, train, test, test_frac, &d);
    if (rc)
        goto out;

    ntk_error err = {0};
    ntk_model *m = NULL;
    double *theta = NULL, *theta_test = NULL, *Y = NULL, *train_sc = NULL, *test_sc = NULL;
    size_t *steps = NULL, *slot = NULL;
    width_result *res = NULL;
    size_t n_done = 0;
    cli_output out_report = {0};
    ntk_status st = NTK_OK;
    size_t n = d.train->n, nt = d.test->n, dim = d.train->d;
    ntk_task task = d.enc->task;
    size_t k = task == NTK_TASK_CLASSIFICATION ? d.enc->n_classes : 1;
    double cscale = o.train.solve.time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;

    /* The analytic kernel on the training rows: distances and λ_max. */
    char what[96];
    snprintf(what, sizeof what, "training kernel %zux%zu", n, n);
    theta = ntk_alloc_checked(n * n * sizeof *theta, what, &err);
    if (!theta) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    ntk_kernel_options kopt = {o.threads, {NULL, NULL}};
    st = ntk_kernel_eval(&o.train.arch, o.train.kind, d.train->X, n, NULL, 0, dim, theta, &kopt,
                         &err);
    double lmax = 0;
    if (st == NTK_OK)
        st = ntk_lambda_max(theta, n, 0, &lmax, NULL, &err);
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (!(lmax > 0)) {
        err.status = NTK_EINPUT;
        snprintf(err.msg, sizeof err.msg, "the training kernel is zero: nothing can be trained");
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (!lr_given) {
        o.train.solve.lr = 1.0 / (cscale * lmax);
    } else if (o.train.solve.lr * cscale * lmax >= 2.0) {
        rc = cli_usage(cmd, "--lr %g is too large for gradient descent: lr*c*lambda_max = %.4g >= 2 "
                            "(lambda_max of the training kernel = %.6g, c = %.3g); use --lr below "
                            "%.4g, or leave it out for 1/(c*lambda_max)",
                       o.train.solve.lr, o.train.solve.lr * cscale * lmax, lmax, cscale,
                       2.0 / (cscale * lmax));
        goto done;
    }

    /* The NTK predictor at the same times, through the model API. */
    o.train.progress = cli_progress();
    ntk_encoder *enc = d.enc;
    d.enc = NULL; /* the model owns it from here */
    st = ntk_model_train(d.train, enc, &o.train, &m, &train_sc, &err);
    if (st == NTK_OK) {
        size_t cnt = m->n_times * nt * k;
        test_sc = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *test_sc, "test predictions", &err);
        if (!test_sc)
            st = err.status;
    }
    if (st == NTK_OK) {
        ntk_progress pr = cli_progress();
        st = ntk_model_predict(m, d.test->X, nt, test_sc, o.threads, &pr, &err);
    }
    cli_progress_done();
    if (st == NTK_OK && raw) {
        snprintf(what, sizeof what, "test kernel %zux%zu", nt, n);
        theta_test = ntk_alloc_checked(nt * n * sizeof *theta_test, what, &err);
        st = theta_test ? ntk_kernel_eval(&o.train.arch, o.train.kind, d.test->X, nt, d.train->X,
                                          n, dim, theta_test, &kopt, &err)
                        : NTK_ENOMEM;
    }
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (m->jitter > 0 || m->n_clamped)
        cli_warn(cmd, "warning: the training kernel is numerically singular (jitter %.3g, %zu "
                      "eigenvalues clamped)", m->jitter, m->n_clamped);

    /* Scaled targets, exactly as the model saw them; NTK predictions back in
     * scaled units so both sides are combined in the same units. */
    Y = malloc(n * k * sizeof *Y);
    size_t n_times = m->n_times;
    steps = malloc(n_times * sizeof *steps);
    slot = malloc(n_times * sizeof *slot);
    res = calloc(n_widths, sizeof *res);
    if (!Y || !steps || !slot || !res) {
        err.status = NTK_ENOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
        rc = cli_fail(cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (task == NTK_TASK_CLASSIFICATION)
            for (size_t q = 0; q < k; q++)
                Y[i * k + q] = ((size_t)d.train->y[i] == q ? 1.0 : 0.0) - 1.0 / (double)k;
        else
            Y[i] = (d.train->y[i] - m->y_mean) / m->y_scale;
    }
    if (task == NTK_TASK_REGRESSION) {
        for (size_t i = 0; i < n_times * n; i++)
            train_sc[i] = (train_sc[i] - m->y_mean) / m->y_scale;
        for (size_t i = 0; i < n_times * nt; i++)
            test_sc[i] = (test_sc[i] - m->y_mean) / m->y_scale;
    }
    /* Distinct step counts in ascending order; each time's slot among them. */
    size_t n_steps = 0;
    for (size_t t = 0; t < n_times; t++) {
        size_t s = (size_t)m->times[t], pos = 0;
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
            if (steps[j] == (size_t)m->times[t])
                slot[t] = j;

    compare_ctx cx = {cmd, &o, &d, m, o.train.arch, task, n, nt, dim, k, n_times, m->times,
                      steps, slot, n_steps, o.train.solve.lr, cscale, lmax, (int)seeds, raw, Y,
                      theta, train_sc, test_sc, theta_test};
    if (o.train.kind == NTK_KIND_NNGP)
        cx.net_arch.fixed_layers = cx.net_arch.depth; /* NNGP: only the readout is trained */
    for (size_t w = 0; w < n_widths; w++) {
        if (ntk_progress_report(&(ntk_progress){cli_progress().fn, NULL}, "widths", w, n_widths))
            break;
        st = run_width(&cx, widths[w], &res[w], &err);
        n_done = w + 1;
        if (st != NTK_OK) {
            rc = cli_fail(cmd, &err);
            goto done;
        }
    }
    ntk_progress_report(&(ntk_progress){cli_progress().fn, NULL}, "widths", n_widths, n_widths);
    cli_progress_done();

    if (cli_output_open(&out_report, NULL, &err) != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    write_report(out_report.f, o.format, &cx, res, n_widths, omp_get_wtime() - t_start);
    if (cli_output_commit(&out_report, &err) != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    if (out_report.f)
        cli_output_discard(&out_report);
    if (res)
        for (size_t w = 0; w < n_done; w++)
            width_result_free(&res[w]);
    free(res);
    free(steps);
    free(slot);
    free(Y);
    free(theta);
    free(theta_test);
    free(train_sc);
    free(test_sc);
    ntk_model_free(m);
    cli_data_free(&d);
out:
    free(widths);
    cli_opts_free(&o);
    return rc;
}

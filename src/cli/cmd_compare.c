/* ntk compare — finite-width networks trained by full-batch gradient descent
 * against the infinite-width NTK predictor at the same times. The experiment
 * is the library's (ntk/compare.h, shared with the Python package); this
 * command parses the options, loads the data, and prints the report. */
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
#include "ntk/compare.h"

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

static void write_report(FILE *f, const char *format, const ntk_compare_result *cx,
                         int target_scaling, double seconds_total)
{
    const ntk_compare_width *res = cx->widths;
    size_t n_widths = cx->n_widths;
    const ntk_model *model = cx->model;
    /* NNGP networks train only the readout: every hidden layer is fixed. */
    int fixed = model->kind == NTK_KIND_NNGP ? model->arch.depth : model->arch.fixed_layers;
    int reg = cx->task == NTK_TASK_REGRESSION;
    const char *ref = cx->raw ? "linearized" : "NTK";
    if (strcmp(format, "json") == 0) {
        fprintf(f, "{\"task\": \"%s\", \"metric\": \"%s\", \"n_train\": %zu, \"n_test\": %zu, "
                   "\"n_features\": %zu, \"seeds\": %d, \"centered\": %s, \"lr\": ",
                reg ? "regression" : "classification", reg ? "rmse" : "accuracy", cx->n, cx->n_test,
                cx->d, cx->seeds, cx->raw ? "false" : "true");
        cli_json_num(f, cx->lr);
        fputs(", \"lambda_max\": ", f);
        cli_json_num(f, cx->lambda_max);
        fputs(", \"model\": ", f);
        cli_report_model_json(f, model, target_scaling);
        fputs(", \"rows\": [", f);
        int first = 1;
        for (size_t w = 0; w < n_widths; w++)
            for (size_t t = 0; t < cx->n_times; t++) {
                const ntk_compare_width *r = &res[w];
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
            const ntk_compare_width *r = &res[w];
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
        cli_json_num(f, model->seconds_kernel + model->seconds_solve);
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
                const ntk_compare_width *r = &res[w];
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
    ntk_activation_format(&model->arch.act, act, sizeof act);
    fprintf(f, "%s: %zu training rows, %zu test rows, %zu features; %s networks, %d seed%s per "
               "width\n",
            reg ? "regression" : "classification", cx->n, cx->n_test, cx->d,
            cx->raw ? "raw" : "centered", cx->seeds, cx->seeds == 1 ? "" : "s");
    fprintf(f, "model: %s, depth %d, %s, w_std %g, b_std %g, fixed layers %d; lr %g "
               "(lambda_max %.6g, lr*c*lambda_max %.3g), time scale %s, t = steps\n\n",
            model->kind == NTK_KIND_NTK ? "NTK" : "NNGP", model->arch.depth, act,
            model->arch.w_std, model->arch.b_std, fixed, cx->lr,
            cx->lambda_max, cx->lr * cx->c * cx->lambda_max,
            model->time_scale == NTK_TIME_MEAN ? "mean" : "sum");
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
            const ntk_compare_width *r = &res[w];
            char tb[40];
            cli_fmt_time(tb, sizeof tb, cx->times[t]);
            fprintf(f, "%8zu %10s  %14.6g %14.6g  %14.6g %14.6g  %12.4g\n", r->width, tb,
                    r->net_train[t], r->net_test[t], r->ref_train[t], r->ref_test[t], r->gap[t]);
        }
    fprintf(f, "\n%8s  %14s  %14s  %14s  %16s  %9s\n", "width", "|K0-K|/|K|", "|mean K0-K|/|K|",
            "|KT-K0|/|K0|", "lambda_max(K0)", "seconds");
    for (size_t w = 0; w < n_widths; w++) {
        const ntk_compare_width *r = &res[w];
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

/* The warnings the experiment's results call for (the library never prints). */
static void warn_result(const char *cmd, const ntk_compare_result *r)
{
    if (r->model->jitter > 0 || r->model->n_clamped)
        cli_warn(cmd, "warning: the training kernel is numerically singular (jitter %.3g, %zu "
                      "eigenvalues clamped)", r->model->jitter, r->model->n_clamped);
    for (size_t w = 0; w < r->n_widths; w++)
        for (int s = 0; s < r->seeds; s++) {
            double v = r->lr * r->c * r->widths[w].seed_lambda_max[s];
            if (v >= 2.0)
                cli_warn(cmd, "warning: width %zu, seed %d: lr*c*lambda_max of the network's own "
                              "kernel is %.3g >= 2: gradient descent may diverge",
                         r->widths[w].width, s + 1, v);
        }
}

/* Usage checks and the defaults that depend on what was given; 0 after a
 * usage message. */
static int compare_check(const char *cmd, compare_args *a, cli_model_opts *o)
{
    if (!cli_data_check_args(cmd, a->train, a->test, a->test_frac, 1))
        return 0;
    if (!a->widths && !parse_widths(cmd, DEFAULT_WIDTHS, &a->widths, &a->n_widths))
        return 0;
    if (!a->times_given) {
        double *t;
        size_t nt;
        if (!cli_parse_times(cmd, DEFAULT_TIMES, &t, &nt))
            return 0;
        free(o->times);
        o->times = t;
        o->train.solve.times = t;
        o->train.solve.n_times = nt;
    }
    for (size_t i = 0; i < o->train.solve.n_times; i++) {
        double t = o->train.solve.times[i];
        if (!isfinite(t) || t != floor(t) || t > NTK_COMPARE_MAX_STEPS) {
            cli_usage(cmd, "--times counts gradient-descent steps: expected integers in "
                           "0..%.0f, got %g",
                      NTK_COMPARE_MAX_STEPS, t);
            return 0;
        }
    }
    const char *msg = ntk_train_params_check(&o->train);
    if (msg) {
        cli_usage(cmd, "%s", msg);
        return 0;
    }
    return 1;
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
    if (parsed == CLI_ARGS_HELP) {
        help();
        rc = CLI_EXIT_OK;
    }
    if (parsed != CLI_ARGS_OK || !compare_check(cmd, &a, &o))
        goto out;
    if (o.train.solve.reg > 0)
        cli_warn(cmd, "warning: --reg adds a ridge to the NTK predictor only; the networks are "
                      "trained without one");
    cli_opts_apply_threads(&o);
    double t_start = omp_get_wtime();

    cli_data d;
    rc = cli_data_load(cmd, &o, a.train, a.test, a.test_frac, &d);
    if (rc)
        goto out;
    ntk_compare_params p;
    ntk_compare_params_init(&p);
    p.train = o.train;
    p.train.threads = o.threads;
    p.lr_given = a.lr_given;
    p.widths = a.widths;
    p.n_widths = a.n_widths;
    p.seeds = (int)a.seeds;
    p.seed = o.seed;
    p.raw = a.raw;
    p.progress = cli_progress();
    ntk_error err = {0};
    ntk_compare_result *res = NULL;
    cli_output out_report = {0};
    ntk_encoder *enc = d.enc;
    d.enc = NULL; /* the experiment's model owns it from here */
    ntk_status st = ntk_compare_run(d.train, d.test, enc, &p, &res, &err);
    cli_progress_done();
    if (st == NTK_OK) {
        warn_result(cmd, res);
        st = cli_output_open(&out_report, NULL, &err);
    }
    if (st == NTK_OK) {
        write_report(out_report.f, o.format, res, o.train.target_scaling,
                     omp_get_wtime() - t_start);
        st = cli_output_commit(&out_report, &err);
    }
    if (st == NTK_OK)
        rc = CLI_EXIT_OK;
    else if (st == NTK_EINPUT && strncmp(err.msg, "--lr ", 5) == 0)
        rc = cli_usage(cmd, "%s", err.msg); /* a usage error, with the --help hint */
    else
        rc = cli_fail(cmd, &err);
    if (out_report.f)
        cli_output_discard(&out_report);
    ntk_compare_result_free(res);
    cli_data_free(&d);
out:
    free(a.widths);
    cli_opts_free(&o);
    return rc;
}

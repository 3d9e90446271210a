/* ntk eval — fit on training data and report train/test errors at each time. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_report.h"
#include "cli_select.h"
#include "cli_svm.h"
#include "ntk/evaluate.h"

enum { OPT_TRAIN = OPT_CMD_BASE, OPT_TEST, OPT_TEST_FRAC, OPT_PREDICTIONS, OPT_UNCERTAINTY,
       OPT_NOISE, OPT_DECISION_VALUES };

static const struct option eval_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    {"test-frac", required_argument, NULL, OPT_TEST_FRAC},
    {"predictions", required_argument, NULL, OPT_PREDICTIONS},
    {"uncertainty", no_argument, NULL, OPT_UNCERTAINTY},
    {"noise", required_argument, NULL, OPT_NOISE},
    {"decision-values", no_argument, NULL, OPT_DECISION_VALUES},
    {NULL, 0, NULL, 0},
};

static void help(void)
{
    printf("usage: ntk eval --train A.csv (--test B.csv | --test-frac F) [options]\n\n"
           "Fit the infinite-width network's gradient-flow predictor on A and report train\n"
           "and test errors (RMSE/MAE/R2 or accuracy) at every requested training time.\n\n"
           "  --train FILE         training data (CSV with a header row)\n"
           "  --test FILE          test data with the same columns\n"
           "  --test-frac F        or: hold out a fraction F of A (stratified), by --seed\n"
           "  --predictions FILE   write test predictions, one column per time\n"
           "  --decision-values    --loss hinge: add to --predictions one column per class\n"
           "                       pair, 'dec:A|B' (one-vs-one; positive votes for A)\n"
           "  --uncertainty        regression: predictive variance of the infinite ensemble\n"
           "                       (NTK-GP; GP posterior for --kind nngp); adds test NLPD and\n"
           "                       50/90/95%% interval coverage, and std@t=<t> prediction columns\n"
           "  --noise V|reg        with --uncertainty: add observation noise of variance\n"
           "                       V x (variance of the training targets), or 'reg': the\n"
           "                       model's ridge (absolute, in scaled target units: the\n"
           "                       Bayesian noise of the NNGP posterior) (default 0)\n"
           "  --format table|csv|json   report format (default table)\n"
           "  --quiet, --progress  silence warnings and progress / force progress\n\n"
           "%s\n%s\n%s\n"
           "Example:\n"
           "  ntk eval --train data/bostonhousing.csv --test-frac 0.25 --depth 3 \\\n"
           "      --times 1,10,100,inf --time-scale mean --reg 1e-4 --reg-scale relative\n",
           cli_model_help, cli_data_help, cli_select_help);
}

typedef struct {
    const char *train, *test, *pred_path;
    double test_frac;
    int uncertainty, noise_given, noise_reg, decision_values;
    double noise;
} eval_args;

static int eval_option(const char *cmd, int id, const char *arg, void *ctx)
{
    eval_args *a = ctx;
    switch (id) {
    case OPT_TRAIN: a->train = arg; return 1;
    case OPT_TEST: a->test = arg; return 1;
    case OPT_PREDICTIONS: a->pred_path = arg; return 1;
    case OPT_TEST_FRAC: return cli_parse_test_frac(cmd, arg, &a->test_frac) ? 1 : -1;
    case OPT_UNCERTAINTY: a->uncertainty = 1; return 1;
    case OPT_DECISION_VALUES: a->decision_values = 1; return 1;
    case OPT_NOISE:
        a->noise_given = 1;
        if (strcmp(arg, "reg") == 0) {
            a->noise_reg = 1;
            return 1;
        }
        if (!cli_parse_double(cmd, "--noise", arg, &a->noise))
            return -1;
        if (!(a->noise >= 0) || !isfinite(a->noise)) {
            cli_usage(cmd, "--noise must be a finite number >= 0 or 'reg', not '%s'", arg);
            return -1;
        }
        return 1;
    }
    return 0;
}

/* The option combinations parsing alone cannot check; 0 after a usage
 * message, 1 if the command can go on. */
static int eval_check(const char *cmd, const eval_args *a, const cli_model_opts *o,
                      const cli_select_opts *sel)
{
    int has_test = a->test || a->test_frac > 0;
    if (!cli_data_check_args(cmd, a->train, a->test, a->test_frac, 0))
        return 0;
    if (a->pred_path && !has_test) {
        cli_usage(cmd, "--predictions needs test data (--test or --test-frac)");
        return 0;
    }
    if (a->uncertainty && !has_test) {
        cli_usage(cmd, "--uncertainty needs test data (--test or --test-frac)");
        return 0;
    }
    if (a->uncertainty && cli_ctx.engine) {
        cli_usage(cmd, "--uncertainty is not distributed; run it with ntk");
        return 0;
    }
    if (a->decision_values && (!a->pred_path || o->train.loss != NTK_LOSS_HINGE)) {
        cli_usage(cmd, "--decision-values needs --loss hinge and --predictions FILE");
        return 0;
    }
    if (a->noise_given && !a->uncertainty) {
        cli_usage(cmd, "--noise needs --uncertainty");
        return 0;
    }
    const char *msg = ntk_train_params_check(&o->train);
    if (msg && !sel->enabled) {
        cli_usage(cmd, "%s", msg);
        return 0;
    }
    return 1;
}

/* Write the report to stdout and the predictions file, all or nothing;
 * returns the exit code. */
static int eval_print(const char *cmd, const eval_args *a, const cli_model_opts *o,
                      const cli_select_opts *sel, const cli_data *d, const ntk_evaluation *ev,
                      double t_start)
{
    const ntk_model *m = ev->model;
    ntk_error err = {0};
    int rc = CLI_EXIT_OK;
    cli_output out_report = {0}, out_pred = {0};
    double *test_dec = NULL;
    if (a->decision_values &&
        !(test_dec = cli_svm_decision(m, d->test->X, d->test->n, o->threads, &err)))
        return cli_fail(cmd, &err);
    cli_uncertainty unc = {ev->test_var, ev->var_floor, ev->noise_var};
    cli_report r = {m, o->train.target_scaling, d->train->n, d->test ? d->test->n : 0,
                    d->train->y, d->test ? d->test->y : NULL, ev->train_scores,
                    ev->test_scores, d->seconds, ev->seconds_predict, 0,
                    o->threads > 0 ? o->threads : omp_get_max_threads(), NULL};
    r.seconds_total = omp_get_wtime() - t_start;
    r.selection = sel->enabled ? sel : NULL;
    if (cli_output_open(&out_report, NULL, &err) != NTK_OK ||
        (a->pred_path && cli_output_open(&out_pred, a->pred_path, &err) != NTK_OK)) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (ev->ustats.n_negative)
        cli_warn(cmd, "warning: %zu predictive variances were materially negative (most "
                      "negative -%.3g relative to their terms) and were set to 0",
                 ev->ustats.n_negative, ev->ustats.most_negative);
    cli_report_write_u(out_report.f, o->format, &r, ev->test_var ? &unc : NULL);
    if (a->pred_path && test_dec)
        cli_svm_predictions_write(out_pred.f, m, ev->test_scores, test_dec, d->test->n);
    else if (a->pred_path)
        cli_predictions_write_u(out_pred.f, m, ev->test_scores, ev->test_var, d->test->n);
    /* Predictions file first: if it cannot be written, nothing goes to stdout. */
    if (a->pred_path && cli_output_commit(&out_pred, &err) != NTK_OK) {
        cli_output_discard(&out_report);
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (cli_output_commit(&out_report, &err) != NTK_OK)
        rc = cli_fail(cmd, &err);
done:
    if (out_report.f)
        cli_output_discard(&out_report);
    if (out_pred.f)
        cli_output_discard(&out_pred);
    free(test_dec);
    return rc;
}

int ntk_cmd_eval(int argc, char **argv)
{
    const char *cmd = "eval";
    const struct option *tables[] = {eval_options, cli_model_options, cli_data_options,
                                     cli_general_options, cli_select_options, NULL};
    cli_model_opts o;
    cli_opts_init(&o);
    cli_select_opts sel;
    cli_select_init(&sel);
    eval_args a = {0};
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(cmd, argc, argv, tables, "h", eval_option, &a, &o, &sel);
    if (parsed == CLI_ARGS_HELP) {
        help();
        rc = CLI_EXIT_OK;
    }
    if (parsed == CLI_ARGS_OK)
        cli_select_default(&sel, &o);
    if (parsed != CLI_ARGS_OK || !eval_check(cmd, &a, &o, &sel))
        goto out;
    cli_opts_apply_threads(&o);
    double t_start = omp_get_wtime();

    cli_data d;
    rc = cli_data_load(cmd, &o, a.train, a.test, a.test_frac, &d);
    if (rc)
        goto out;
    if (a.uncertainty && d.enc->task != NTK_TASK_REGRESSION) {
        rc = cli_usage(cmd, "--uncertainty supports regression only (the task is "
                            "classification; use --task regression for a numeric target)");
        cli_data_free(&d);
        goto out;
    }
    if ((rc = cli_svm_prepare(cmd, &o, d.train, d.enc, sel.enabled)) != 0 ||
        (sel.enabled && (rc = cli_select_run(cmd, &sel, &o, d.train, d.enc)) != 0)) {
        cli_data_free(&d);
        goto out;
    }

    ntk_error err = {0};
    ntk_evaluation ev = {0};
    o.train.progress = cli_progress();
    ntk_evaluate_options eo = {o.threads, cli_progress(), a.uncertainty, a.noise, a.noise_reg};
    ntk_status st = ntk_evaluate(d.train, d.enc, d.test, &o.train, &eo, &ev, &err);
    cli_progress_done();
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
    } else {
        cli_model_warn(cmd, ev.model);
        rc = eval_print(cmd, &a, &o, &sel, &d, &ev, t_start);
    }
    ntk_evaluation_free(&ev);
    cli_data_free(&d);
out:
    cli_select_free(&sel);
    cli_opts_free(&o);
    return rc;
}

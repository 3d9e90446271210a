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
#include "ntk/uncertainty.h"

enum { OPT_TRAIN = OPT_CMD_BASE, OPT_TEST, OPT_TEST_FRAC, OPT_PREDICTIONS, OPT_UNCERTAINTY,
       OPT_NOISE };

/* Variances are floored at this fraction of the training targets' variance
 * for the NLPD and the interval coverage (a zero predictive variance, e.g. a
 * test row equal to a training row at t = inf with no ridge, would make the
 * NLPD infinite). */
#define VAR_FLOOR_FRACTION 1e-9

static const struct option eval_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    {"test-frac", required_argument, NULL, OPT_TEST_FRAC},
    {"predictions", required_argument, NULL, OPT_PREDICTIONS},
    {"uncertainty", no_argument, NULL, OPT_UNCERTAINTY},
    {"noise", required_argument, NULL, OPT_NOISE},
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
    int uncertainty, noise_given, noise_reg;
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
    if (parsed != CLI_ARGS_OK)
        goto out;
    const char *train = a.train, *test = a.test, *pred_path = a.pred_path;
    double test_frac = a.test_frac;
    if (!train) {
        cli_usage(cmd, "--train FILE is required");
        goto out;
    }
    if (test && test_frac > 0) {
        cli_usage(cmd, "give either --test or --test-frac, not both");
        goto out;
    }
    if (pred_path && !test && test_frac == 0) {
        cli_usage(cmd, "--predictions needs test data (--test or --test-frac)");
        goto out;
    }
    if (a.uncertainty && !test && test_frac == 0) {
        cli_usage(cmd, "--uncertainty needs test data (--test or --test-frac)");
        goto out;
    }
    if (a.uncertainty && cli_engine) {
        cli_usage(cmd, "--uncertainty is not distributed; run it with ntk");
        goto out;
    }
    if (a.noise_given && !a.uncertainty) {
        cli_usage(cmd, "--noise needs --uncertainty");
        goto out;
    }
    cli_select_default(&sel, &o);
    const char *msg = ntk_train_params_check(&o.train);
    if (msg && !sel.enabled) {
        cli_usage(cmd, "%s", msg);
        goto out;
    }
    cli_opts_apply_threads(&o);
    double t_start = omp_get_wtime();

    cli_data d;
    rc = cli_data_load(cmd, &o, train, test, test_frac, &d);
    if (rc)
        goto out;
    if (a.uncertainty && d.enc->task != NTK_TASK_REGRESSION) {
        rc = cli_usage(cmd, "--uncertainty supports regression only (the task is "
                            "classification; use --task regression for a numeric target)");
        cli_data_free(&d);
        goto out;
    }
    if (sel.enabled && (rc = cli_select_run(cmd, &sel, &o, d.train, d.enc)) != 0) {
        cli_data_free(&d);
        goto out;
    }

    ntk_error err = {0};
    ntk_model *m = NULL;
    double *train_scores = NULL, *test_scores = NULL, *test_var = NULL;
    ntk_uncertainty_stats ustats = {0};
    cli_uncertainty unc = {NULL, 0, 0};
    cli_output out_report = {0}, out_pred = {0};
    o.train.progress = cli_progress();
    ntk_encoder *enc = d.enc;
    d.enc = NULL; /* the model owns it from here */
    ntk_status st = ntk_model_train(d.train, enc, &o.train, &m, &train_scores, &err);
    double seconds_predict = 0;
    if (st == NTK_OK && d.test) {
        size_t cnt = m->n_times * d.test->n * m->k;
        test_scores = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *test_scores, "test predictions",
                                        &err);
        if (!test_scores)
            st = err.status;
        double t0 = omp_get_wtime();
        if (st == NTK_OK) {
            ntk_progress pr = cli_progress();
            st = ntk_model_predict_engine(cli_engine, m, d.test->X, d.test->n, test_scores,
                                          o.threads, &pr, &err);
        }
        if (st == NTK_OK && a.uncertainty) {
            test_var = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *test_var, "test variances",
                                         &err);
            if (!test_var)
                st = err.status;
            ntk_uncertainty_options uo = {0, o.threads, cli_progress()};
            if (st == NTK_OK)
                st = ntk_model_uncertainty(m, d.test->X, d.test->n, &uo, test_var, &ustats,
                                           &err);
            if (st == NTK_OK) {
                /* Noise and floor relative to the training targets' variance. */
                double mean = 0, var = 0;
                for (size_t i = 0; i < d.train->n; i++)
                    mean += d.train->y[i];
                mean /= (double)d.train->n;
                for (size_t i = 0; i < d.train->n; i++)
                    var += (d.train->y[i] - mean) * (d.train->y[i] - mean);
                var /= (double)d.train->n;
                if (!(var > 0))
                    var = 1.0;
                /* 'reg': λ in the solver's units is λ·y_scale² in the target's. */
                unc.noise_var = a.noise_reg ? m->reg_abs * m->y_scale * m->y_scale
                                            : a.noise * var;
                unc.var_floor = VAR_FLOOR_FRACTION * var;
                for (size_t i = 0; i < cnt; i++)
                    test_var[i] += unc.noise_var;
                unc.test_var = test_var;
            }
        }
        seconds_predict = omp_get_wtime() - t0;
    }
    cli_progress_done();
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    cli_model_warn(cmd, m);

    cli_report r = {m, o.train.target_scaling, d.train->n, d.test ? d.test->n : 0, d.train->y,
                    d.test ? d.test->y : NULL, train_scores, test_scores, d.seconds,
                    seconds_predict, 0, o.threads > 0 ? o.threads : omp_get_max_threads(), NULL};
    r.seconds_total = omp_get_wtime() - t_start;
    r.selection = sel.enabled ? &sel : NULL;
    if (cli_output_open(&out_report, NULL, &err) != NTK_OK ||
        (pred_path && cli_output_open(&out_pred, pred_path, &err) != NTK_OK)) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (ustats.n_negative)
        cli_warn(cmd, "warning: %zu predictive variances were materially negative (most "
                      "negative -%.3g relative to their terms) and were set to 0",
                 ustats.n_negative, ustats.most_negative);
    cli_report_write_u(out_report.f, o.format, &r, test_var ? &unc : NULL);
    if (pred_path)
        cli_predictions_write_u(out_pred.f, m, test_scores, test_var, d.test->n);
    /* Predictions file first: if it cannot be written, nothing goes to stdout. */
    if (pred_path && cli_output_commit(&out_pred, &err) != NTK_OK) {
        cli_output_discard(&out_report);
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (cli_output_commit(&out_report, &err) != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    if (out_report.f)
        cli_output_discard(&out_report);
    if (out_pred.f)
        cli_output_discard(&out_pred);
    free(train_scores);
    free(test_scores);
    free(test_var);
    ntk_model_free(m);
    cli_data_free(&d);
out:
    cli_select_free(&sel);
    cli_opts_free(&o);
    return rc;
}

/* ntk fit — fit a model on training data and save it to a file. */
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
#include "cli_stream.h"
#include "cli_svm.h"

enum { OPT_TRAIN = OPT_CMD_BASE, OPT_OUTPUT };

static const struct option fit_options[] = {
    {"train", required_argument, NULL, OPT_TRAIN},
    {"data", required_argument, NULL, OPT_TRAIN},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"stream", required_argument, NULL, OPT_STREAM},
    {NULL, 0, NULL, 0},
};

static void help(void)
{
    printf("usage: ntk fit --train A.csv -o MODEL [options]\n\n"
           "Fit the predictor on A for every requested training time and save a model file\n"
           "holding everything 'ntk predict' needs (encoder, architecture, training inputs,\n"
           "coefficients). Prints the training errors in the chosen format.\n\n"
           "  --train FILE (or --data FILE)   training data (CSV with a header row)\n"
           "  -o, --output MODEL   model file to write (written atomically)\n"
           "  --format table|csv|json   training report format (default table)\n"
           "  --stream on|off|auto   read the training file in chunks, never whole (Nystrom\n"
           "                       path, uniform centers, no training errors); auto (default):\n"
           "                       when the file is over 1/4 of the available memory\n"
           "  --quiet, --progress\n\n%s\n%s\n%s\n"
           "Example:\n"
           "  ntk fit --train data/iris.csv --depth 2 --times 10,inf -o iris.ntk\n",
           cli_model_help, cli_data_help, cli_select_help);
}

typedef struct {
    const char *train, *model_path;
    int stream; /* 1 on, 0 off, −1 auto */
} fit_args;

static int fit_option(const char *cmd, int id, const char *arg, void *ctx)
{
    fit_args *a = ctx;
    (void)cmd;
    if (id == OPT_TRAIN) {
        a->train = arg;
        return 1;
    }
    if (id == 'o' || id == OPT_OUTPUT) {
        a->model_path = arg;
        return 1;
    }
    if (id == OPT_STREAM)
        return cli_stream_parse(cmd, arg, &a->stream) ? 1 : -1;
    return 0;
}

static void select_help(void)
{
    printf("usage: ntk select --train A.csv -o MODEL [selection options]\n\n"
           "Run only the model search on A (as 'ntk fit --select') and save the winner, refit\n"
           "exactly on every row, as a model file for 'ntk predict'. The report shows the\n"
           "ranked candidates with their validation scores.\n\n"
           "  --train FILE (or --data FILE)   training data (CSV with a header row)\n"
           "  -o, --output MODEL   model file to write (written atomically)\n"
           "  --format table|csv|json   report format (default table)\n"
           "  --quiet, --progress\n\n%s\n%s\n"
           "Example:\n"
           "  ntk select --train data/iris.csv -o iris.ntk\n",
           cli_select_help, cli_data_help);
}

/* ntk fit, and ntk select (the search always on). */
static int fit_run(const char *cmd, int search, int argc, char **argv)
{
    const struct option *tables[] = {fit_options, cli_model_options, cli_data_options,
                                     cli_general_options, cli_select_options, NULL};
    cli_model_opts o;
    cli_opts_init(&o);
    cli_select_opts sel;
    cli_select_init(&sel);
    fit_args a = {NULL, NULL, -1};
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(cmd, argc, argv, tables, "ho:", fit_option, &a, &o, &sel);
    if (parsed == CLI_ARGS_HELP) {
        if (search)
            select_help();
        else
            help();
        rc = CLI_EXIT_OK;
    }
    if (parsed != CLI_ARGS_OK)
        goto out;
    if (search)
        sel.enabled = 1;
    const char *train = a.train, *model_path = a.model_path;
    if (!train || !model_path) {
        cli_usage(cmd, "--train FILE and -o MODEL are required");
        goto out;
    }
    /* Streaming (asked, or a file past the memory): no default selection. */
    if (!search && cli_stream_wanted(cmd, a.stream, train, &o, sel.enabled)) {
        cli_opts_apply_threads(&o);
        rc = a.stream < 0 || cli_stream_usable(cmd, &o, sel.enabled)
                 ? cli_stream_fit(cmd, &o, train, model_path)
                 : CLI_EXIT_USAGE;
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
    rc = cli_data_load(cmd, &o, train, NULL, 0, &d);
    if (rc)
        goto out;
    if ((rc = cli_svm_prepare(cmd, &o, d.train, d.enc, sel.enabled)) != 0 ||
        (sel.enabled && (rc = cli_select_run(cmd, &sel, &o, d.train, d.enc)) != 0)) {
        cli_data_free(&d);
        goto out;
    }
    ntk_error err = {0};
    ntk_model *m = NULL;
    double *train_scores = NULL;
    cli_output rep = {0};
    o.train.progress = cli_progress();
    ntk_encoder *enc = d.enc;
    d.enc = NULL;
    ntk_status st = ntk_model_train(d.train, enc, &o.train, &m, &train_scores, &err);
    cli_progress_done();
    if (st == NTK_OK)
        st = cli_output_open(&rep, NULL, &err);
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    cli_model_warn(cmd, m);
    cli_report r = {m, o.train.target_scaling, d.train->n, 0, d.train->y, NULL, train_scores,
                    NULL, d.seconds, 0, 0, o.threads > 0 ? o.threads : omp_get_max_threads(), NULL};
    r.seconds_total = omp_get_wtime() - t_start;
    r.selection = sel.enabled ? &sel : NULL;
    cli_report_write(rep.f, o.format, &r);
    /* The model file first: the report only claims success once it is written. */
    st = ntk_model_save(m, model_path, &err);
    if (st != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (cli_output_commit(&rep, &err) != NTK_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    if (rep.f)
        cli_output_discard(&rep);
    free(train_scores);
    ntk_model_free(m);
    cli_data_free(&d);
out:
    cli_select_free(&sel);
    cli_opts_free(&o);
    return rc;
}

int ntk_cmd_fit(int argc, char **argv)
{
    return fit_run("fit", 0, argc, argv);
}

int ntk_cmd_select(int argc, char **argv)
{
    return fit_run("select", 1, argc, argv);
}

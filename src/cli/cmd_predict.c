/* ntk predict — predict new rows with a saved model. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_report.h"

enum { OPT_MODEL = OPT_CMD_BASE, OPT_DATA, OPT_OUTPUT };

static const struct option predict_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"data", required_argument, NULL, OPT_DATA},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {NULL, 0, NULL, 0},
};

static void help(void)
{
    printf("usage: ntk predict --model MODEL --data C.csv [-o out.csv]\n\n"
           "Predict the rows of C with a model saved by 'ntk fit'. C needs the feature\n"
           "columns of the training data (matched by name); the target column may be absent.\n"
           "Output: CSV with one row per input row and one column per training time,\n"
           "'t=<t>' (regression: the predicted value; classification: the predicted label).\n\n"
           "  --model MODEL        model file from 'ntk fit'\n"
           "  --data FILE          rows to predict\n"
           "  -o, --output FILE    write predictions here (default: standard output)\n"
           "  --delimiter C        field separator of FILE (default ',')\n"
           "  --threads N, --quiet, --progress\n\n"
           "Example:\n"
           "  ntk predict --model iris.ntk --data data/iris.csv -o predictions.csv\n");
}

int ntk_cmd_predict(int argc, char **argv)
{
    const char *cmd = "predict";
    struct option opts[32];
    const struct option *tables[] = {predict_options, cli_general_options, NULL};
    cli_opts_merge(opts, sizeof opts / sizeof opts[0], tables);
    cli_model_opts o;
    cli_opts_init(&o);
    const char *model_path = NULL, *data = NULL, *out_path = NULL;
    int rc = CLI_EXIT_USAGE, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            o.help = 1;
            continue;
        }
        if (c == '?' || c == ':') {
            cli_usage(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
            goto out;
        }
        if (c == OPT_MODEL) {
            model_path = optarg;
            continue;
        }
        if (c == OPT_DATA) {
            data = optarg;
            continue;
        }
        if (c == 'o' || c == OPT_OUTPUT) {
            out_path = optarg;
            continue;
        }
        if (cli_opts_handle(cmd, c, optarg, &o) < 0)
            goto out;
    }
    if (o.help) {
        help();
        rc = CLI_EXIT_OK;
        goto out;
    }
    if (optind < argc) {
        cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!model_path || !data) {
        cli_usage(cmd, "--model MODEL and --data FILE are required");
        goto out;
    }
    cli_opts_apply_threads(&o);
    ntk_error err = {0};
    ntk_model *m = NULL;
    ntk_table *t = NULL;
    ntk_dataset *ds = NULL;
    double *scores = NULL;
    cli_output out = {0};
    ntk_status st = ntk_model_load(model_path, &m, &err);
    if (st == NTK_OK)
        st = ntk_table_read(data, &o.read, &t, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(m->encoder, t, 0, &ds, &err);
    if (st == NTK_OK) {
        size_t cnt = m->n_times * ds->n * m->k;
        scores = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *scores, "predictions", &err);
        if (!scores)
            st = err.status;
    }
    if (st == NTK_OK) {
        ntk_progress pr = cli_progress();
        st = ntk_model_predict(m, ds->X, ds->n, scores, o.threads, &pr, &err);
        cli_progress_done();
    }
    if (st == NTK_OK)
        st = cli_output_open(&out, out_path, &err);
    if (st == NTK_OK) {
        cli_data_warn(cmd, "input", ds);
        cli_predictions_write(out.f, m, scores, ds->n);
        st = cli_output_commit(&out, &err);
    }
    rc = st == NTK_OK ? CLI_EXIT_OK : cli_fail(cmd, &err);
    if (out.f)
        cli_output_discard(&out);
    free(scores);
    ntk_dataset_free(ds);
    ntk_table_free(t);
    ntk_model_free(m);
out:
    cli_opts_free(&o);
    return rc;
}

/* ntk predict — predict new rows with a saved model. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "cli_report.h"
#include "cli_stream.h"
#include "cli_svm.h"

enum { OPT_MODEL = OPT_CMD_BASE, OPT_DATA, OPT_OUTPUT, OPT_DECISION_VALUES };

static const struct option predict_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"data", required_argument, NULL, OPT_DATA},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"decision-values", no_argument, NULL, OPT_DECISION_VALUES},
    {"stream", required_argument, NULL, OPT_STREAM},
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
           "  --decision-values    hinge-loss model: add one column per class pair,\n"
           "                       'dec:A|B' (one-vs-one; positive votes for A)\n"
           "  --stream on|off|auto   read FILE in chunks and write each chunk's predictions\n"
           "                       as computed (needs -o; not with --decision-values); auto\n"
           "                       (default): with -o, when FILE is over 1/4 of the memory\n"
           "  --threads N, --quiet, --progress\n\n"
           "Example:\n"
           "  ntk predict --model iris.ntk --data data/iris.csv -o predictions.csv\n");
}

typedef struct {
    const char *model_path, *data, *out_path;
    int decision_values;
    int stream; /* 1 on, 0 off, −1 auto */
} predict_args;

static int predict_option(const char *cmd, int id, const char *arg, void *ctx)
{
    predict_args *a = ctx;
    (void)cmd;
    switch (id) {
    case OPT_MODEL: a->model_path = arg; return 1;
    case OPT_DATA: a->data = arg; return 1;
    case 'o':
    case OPT_OUTPUT: a->out_path = arg; return 1;
    case OPT_DECISION_VALUES: a->decision_values = 1; return 1;
    case OPT_STREAM: return cli_stream_parse(cmd, arg, &a->stream) ? 1 : -1;
    }
    return 0;
}

int ntk_cmd_predict(int argc, char **argv)
{
    const char *cmd = "predict";
    const struct option *tables[] = {predict_options, cli_general_options, NULL};
    cli_model_opts o;
    cli_opts_init(&o);
    predict_args a = {NULL, NULL, NULL, 0, -1};
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(cmd, argc, argv, tables, "ho:", predict_option, &a, &o, NULL);
    if (parsed == CLI_ARGS_HELP) {
        help();
        rc = CLI_EXIT_OK;
    }
    if (parsed != CLI_ARGS_OK)
        goto out;
    const char *model_path = a.model_path, *data = a.data, *out_path = a.out_path;
    if (!model_path || !data) {
        cli_usage(cmd, "--model MODEL and --data FILE are required");
        goto out;
    }
    if (a.stream == 1 && (!out_path || a.decision_values)) {
        cli_usage(cmd, "--stream on needs -o FILE and cannot add --decision-values");
        goto out;
    }
    cli_opts_apply_threads(&o);
    ntk_error err = {0};
    ntk_model *m = NULL;
    ntk_table *t = NULL;
    ntk_dataset *ds = NULL;
    double *scores = NULL, *dec = NULL;
    cli_output out = {0};
    ntk_status st = ntk_model_load(model_path, &m, &err);
    if (st == NTK_OK && (a.stream == 1 || (a.stream < 0 && out_path && !a.decision_values &&
                                           cli_stream_large(data)))) {
        rc = cli_stream_predict(cmd, m, data, &o.read, out_path, o.threads);
        ntk_model_free(m);
        goto out;
    }
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
        st = ntk_model_predict_engine(cli_ctx.engine, m, ds->X, ds->n, scores, o.threads, &pr,
                                      &err);
        cli_progress_done();
    }
    if (st == NTK_OK && a.decision_values &&
        !(dec = cli_svm_decision(m, ds->X, ds->n, o.threads, &err)))
        st = err.status;
    if (st == NTK_OK)
        st = cli_output_open(&out, out_path, &err);
    if (st == NTK_OK) {
        cli_data_warn(cmd, "input", ds);
        if (dec)
            cli_svm_predictions_write(out.f, m, scores, dec, ds->n);
        else
            cli_predictions_write(out.f, m, scores, ds->n);
        st = cli_output_commit(&out, &err);
    }
    rc = st == NTK_OK ? CLI_EXIT_OK : cli_fail(cmd, &err);
    if (out.f)
        cli_output_discard(&out);
    free(scores);
    free(dec);
    ntk_dataset_free(ds);
    ntk_table_free(t);
    ntk_model_free(m);
out:
    cli_opts_free(&o);
    return rc;
}

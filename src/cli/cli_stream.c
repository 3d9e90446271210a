/* ntk fit --stream (cli_stream.h). */
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_data.h"
#include "cli_report.h"
#include "cli_stream.h"
#include "ntk/stream.h"

/* Records per chunk: small enough that a chunk's text is a few MB. */
#define STREAM_CHUNK_ROWS 65536

int cli_stream_parse(const char *cmd, const char *arg, int *out)
{
    if (strcmp(arg, "on") == 0)
        *out = 1;
    else if (strcmp(arg, "off") == 0)
        *out = 0;
    else if (strcmp(arg, "auto") == 0)
        *out = -1;
    else
        return cli_usage(cmd, "--stream: expected on, off or auto, got '%s'", arg) && 0;
    return 1;
}

/* Why these options cannot stream, or NULL. */
static const char *refusal(const cli_model_opts *o, int select)
{
    if (select)
        return "--stream cannot be combined with --select (the search needs the rows in "
               "memory)";
    if (o->train.loss != NTK_LOSS_SQUARE)
        return "--stream needs the square loss (not --loss hinge)";
    if (o->train.solver == NTK_SOLVER_DENSE)
        return "--stream uses the Nystrom path; --solver dense cannot stream";
    if (o->train.precision != NTK_PRECISION_DOUBLE)
        return "--stream computes in double; --precision float cannot stream";
    if (o->train.nystrom.selection != NTK_CENTERS_UNIFORM)
        return "--stream draws uniform centers; --center-selection rpcholesky cannot stream";
    if (o->train.engine)
        return "--stream runs in one process";
    return NULL;
}

int cli_stream_usable(const char *cmd, const cli_model_opts *o, int select)
{
    const char *why = refusal(o, select);
    if (why)
        cli_usage(cmd, "%s", why);
    return why == NULL;
}

int cli_stream_wanted(const char *cmd, int stream, const char *path, const cli_model_opts *o,
                      int select)
{
    (void)cmd;
    if (stream >= 0)
        return stream;
    struct stat st;
    size_t avail = ntk_memory_available();
    if (refusal(o, select) || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !avail)
        return 0;
    return (size_t)st.st_size > avail / 4;
}

static void report(FILE *f, const char *format, const ntk_model *m, size_t n, double seconds,
                   int target_scaling)
{
    if (strcmp(format, "json") == 0) {
        fprintf(f, "{\"streamed_input\": true, \"n_train\": %zu, \"solver\": \"nystrom\", "
                   "\"nystrom\": {\"centers\": %zu, \"selection\": \"%s\", \"residual_rel\": "
                   "%.6g}, \"seconds_total\": %.3f, \"model\": ",
                n, m->n, ntk_center_method_name(m->center_selection), m->residual_rel, seconds);
        cli_report_model_json(f, m, target_scaling);
        fprintf(f, "}\n");
    } else if (strcmp(format, "csv") == 0) {
        fprintf(f, "n_train,centers,selection,residual_rel,seconds_total\n%zu,%zu,%s,%.6g,%.3f\n",
                n, m->n, ntk_center_method_name(m->center_selection), m->residual_rel, seconds);
    } else {
        fprintf(f, "streamed fit: %zu training rows read in chunks (no training errors: the "
                   "rows are not kept)\n"
                   "solver: Nystrom, %zu centers (%s) of %zu rows; residual %.4g x mean diag\n"
                   "total %.2f s\n",
                n, m->n, ntk_center_method_name(m->center_selection), n, m->residual_rel,
                seconds);
    }
}

int cli_stream_fit(const char *cmd, const cli_model_opts *o, const char *train,
                   const char *model_path)
{
    double t0 = omp_get_wtime();
    ntk_error err = {0};
    ntk_csv_reader *r = NULL;
    ntk_model *m = NULL;
    size_t n = 0;
    cli_output rep = {0};
    ntk_train_params p = o->train;
    p.progress = cli_progress();
    ntk_status st = ntk_csv_reader_open(train, &o->read, STREAM_CHUNK_ROWS, &r, &err);
    if (st == NTK_OK)
        st = ntk_model_train_stream(r, &o->enc, &p, &m, &n, &err);
    cli_progress_done();
    if (st == NTK_OK)
        st = cli_output_open(&rep, NULL, &err);
    if (st == NTK_OK) {
        cli_model_warn(cmd, m);
        report(rep.f, o->format, m, n, omp_get_wtime() - t0, o->train.target_scaling);
        /* The model file first: the report only claims success once it is written. */
        st = ntk_model_save(m, model_path, &err);
    }
    if (st == NTK_OK)
        st = cli_output_commit(&rep, &err);
    int rc = st == NTK_OK ? CLI_EXIT_OK : cli_fail(cmd, &err);
    if (rep.f)
        cli_output_discard(&rep);
    ntk_model_free(m);
    ntk_csv_reader_free(r);
    return rc;
}

/* ntk fit --stream (cli_stream.h). */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        return "--stream draws uniform centers (--center-selection rpcholesky and kmeans cannot stream)";
    if (o->train.engine && !o->train.engine->train_stream)
        return "--stream is not available with this engine";
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
    return !refusal(o, select) && cli_stream_large(path);
}

int cli_stream_large(const char *path)
{
    struct stat st;
    size_t avail = ntk_memory_available();
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !avail)
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
    ntk_status st = NTK_OK;
    if (p.engine)
        st = p.engine->train_stream(p.engine, train, &o->read, &o->enc, &p, &m, &n, &err);
    else if ((st = ntk_csv_reader_open(train, &o->read, STREAM_CHUNK_ROWS, &r, &err)) == NTK_OK)
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

/* Predictions chunk by chunk into a temporary file beside out_path, renamed
 * into place at the end (removed on failure): never a partial file, never
 * more than a chunk in memory. */
static ntk_status predict_chunks(const char *cmd, const ntk_model *m, ntk_csv_reader *r,
                                 FILE *f, int threads, ntk_dataset *tot, ntk_error *err)
{
    ntk_status st = NTK_OK;
    ntk_progress pr = cli_progress();
    cli_predictions_header(f, m, 0);
    for (;;) {
        ntk_table *t = NULL;
        ntk_dataset *ds = NULL;
        double *scores = NULL;
        if ((st = ntk_csv_reader_next(r, &t, err)) != NTK_OK || !t)
            break;
        st = ntk_encoder_apply(m->encoder, t, 0, &ds, err);
        ntk_table_free(t);
        size_t cnt = ds ? m->n_times * ds->n * m->k : 0;
        if (st == NTK_OK &&
            !(scores = ntk_alloc_checked((cnt ? cnt : 1) * sizeof *scores, "predictions", err)))
            st = err->status;
        if (st == NTK_OK)
            st = ntk_model_predict_engine(cli_ctx.engine, m, ds->X, ds->n, scores, threads, &pr,
                                          err);
        if (st == NTK_OK) {
            cli_predictions_rows(f, m, scores, NULL, ds->n);
            tot->n += ds->n;
            tot->n_unseen_levels += ds->n_unseen_levels;
        }
        free(scores);
        ntk_dataset_free(ds);
        if (st != NTK_OK)
            break;
    }
    cli_progress_done();
    (void)cmd;
    return st;
}

int cli_stream_predict(const char *cmd, const ntk_model *m, const char *data,
                       const ntk_read_options *ro, const char *out_path, int threads)
{
    ntk_error err = {0};
    ntk_csv_reader *r = NULL;
    ntk_dataset tot = {0};
    size_t len = strlen(out_path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return CLI_EXIT_FAIL;
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", out_path);
    ntk_status st = ntk_csv_reader_open(data, ro, STREAM_CHUNK_ROWS, &r, &err);
    int fd = st == NTK_OK ? mkstemp(tmp) : -1;
    if (fd >= 0) {
        /* mkstemp makes the file private; give it the usual permissions. */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (st == NTK_OK && !f)
        st = ntk_error_set(&err, NTK_EIO, "cannot write %s: %s", out_path, strerror(errno));
    if (st == NTK_OK)
        st = predict_chunks(cmd, m, r, f, threads, &tot, &err);
    if (f) {
        int bad = ferror(f) | fflush(f) | fsync(fileno(f));
        if (fclose(f) != 0 || bad)
            if (st == NTK_OK)
                st = ntk_error_set(&err, NTK_EIO, "cannot write %s: %s", out_path,
                                   strerror(errno));
    } else if (fd >= 0) {
        close(fd);
    }
    if (st == NTK_OK && rename(tmp, out_path) != 0)
        st = ntk_error_set(&err, NTK_EIO, "cannot write %s: %s", out_path, strerror(errno));
    if (st != NTK_OK && fd >= 0)
        unlink(tmp);
    if (st == NTK_OK)
        cli_data_warn(cmd, "input", &tot);
    free(tmp);
    ntk_csv_reader_free(r);
    return st == NTK_OK ? CLI_EXIT_OK : cli_fail(cmd, &err);
}

/* Error reporting, progress and atomic output for the CLI (see cli.h). */
#define _GNU_SOURCE
#include "cli.h"
#include "core/file_atomic.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_quiet = 0;
int cli_force_progress = 0;
cli_context cli_ctx = {"ntk", NULL, 0, {0, 0}};

void cli_context_set(const char *program, const ntk_engine *engine, int grid_p, int grid_q)
{
    cli_ctx.program = program;
    cli_ctx.engine = engine;
    cli_ctx.grid[0] = grid_p;
    cli_ctx.grid[1] = grid_q;
    cli_ctx.ranks = grid_p * grid_q;
}

int cli_fail(const char *cmd, const ntk_error *err)
{
    fprintf(stderr, "%s %s: %s\n", cli_ctx.program, cmd, err->msg[0] ? err->msg : ntk_status_name(err->status));
    return err->status == NTK_EINPUT ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s %s: ", cli_ctx.program, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", cli_ctx.program, cmd);
    return CLI_EXIT_USAGE;
}

void cli_warn(const char *cmd, const char *fmt, ...)
{
    if (cli_quiet)
        return;
    cli_progress_done();
    va_list ap;
    fprintf(stderr, "%s %s: ", cli_ctx.program, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int progress_open = 0;

static int progress_print(void *ctx, const char *stage, size_t done, size_t total)
{
    (void)ctx;
    if (total)
        fprintf(stderr, "\r[%s] %zu/%zu (%3.0f%%)  ", stage, done, total,
                100.0 * (double)done / (double)total);
    else
        fprintf(stderr, "\r[%s] %zu  ", stage, done);
    progress_open = 1;
    if (total && done >= total) {
        fputc('\n', stderr);
        progress_open = 0;
    }
    return 0;
}

ntk_progress cli_progress(void)
{
    ntk_progress p = {NULL, NULL};
    if (!cli_quiet && (cli_force_progress || isatty(STDERR_FILENO)))
        p.fn = progress_print;
    return p;
}

void cli_progress_done(void)
{
    if (progress_open) {
        fputc('\n', stderr);
        progress_open = 0;
    }
}

int cli_output_open(cli_output *o, const char *path, ntk_error *err)
{
    o->buf = NULL;
    o->size = 0;
    o->path = path;
    o->f = open_memstream(&o->buf, &o->size);
    if (!o->f)
        return ntk_error_set(err, NTK_ENOMEM, "cannot allocate output buffer");
    return NTK_OK;
}

void cli_output_discard(cli_output *o)
{
    if (o->f)
        fclose(o->f);
    free(o->buf);
    o->f = NULL;
    o->buf = NULL;
}

ntk_status cli_write_file_atomic(const char *path, const void *data, size_t size, ntk_error *err)
{
    return ntk_file_write_atomic(path, data, size, err);
}

ntk_status cli_output_commit(cli_output *o, ntk_error *err)
{
    ntk_status s = NTK_OK;
    /* A write into the memory buffer that failed (out of memory) must not
     * commit the truncated text. */
    if (ferror(o->f) | (fclose(o->f) != 0))
        s = ntk_error_set(err, NTK_ENOMEM, "cannot finish output buffer (out of memory)");
    o->f = NULL;
    if (s == NTK_OK) {
        if (!o->path || strcmp(o->path, "-") == 0) {
            s = ntk_fd_write_all(STDOUT_FILENO, o->buf, o->size, "standard output", err);
        } else {
            s = cli_write_file_atomic(o->path, o->buf, o->size, err);
        }
    }
    free(o->buf);
    o->buf = NULL;
    return s;
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        cli_usage(cmd, "option %s expects a finite number, got '%s'", opt, text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_parse_int(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        cli_usage(cmd, "option %s expects an integer in %ld..%ld, got '%s'", opt, lo, hi, text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_parse_test_frac(const char *cmd, const char *text, double *out)
{
    if (!cli_parse_double(cmd, "--test-frac", text, out))
        return 0;
    if (!(*out > 0 && *out < 1)) {
        cli_usage(cmd, "--test-frac must be between 0 and 1 (exclusive)");
        return 0;
    }
    return 1;
}

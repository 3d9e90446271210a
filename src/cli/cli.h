/* Shared pieces of the ntk command-line tool: subcommand entry points,
 * error reporting with the contract's exit codes, progress on stderr, and
 * all-or-nothing output files. */
#ifndef NTK_CLI_H
#define NTK_CLI_H

#include <stdio.h>

#include "ntk/common.h"
#include "ntk/model.h"

/* Exit codes of the command-line contract (DESIGN.md §4). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Subcommands: each takes argv with argv[0] = subcommand name. */
int ntk_cmd_describe(int argc, char **argv);
int ntk_cmd_kernel(int argc, char **argv);
int ntk_cmd_eval(int argc, char **argv);
int ntk_cmd_compare(int argc, char **argv);
int ntk_cmd_fit(int argc, char **argv);
int ntk_cmd_select(int argc, char **argv);
int ntk_cmd_predict(int argc, char **argv);
int ntk_cmd_info(int argc, char **argv);
int ntk_cmd_demo(int argc, char **argv);

/* Print "ntk CMD: message" to stderr and return the exit code for err's status
 * (2 for bad input, 1 otherwise). */
int cli_fail(const char *cmd, const ntk_error *err);

/* Print a usage error ("ntk CMD: message" + a hint to --help); returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Warning/note on stderr unless quiet: "ntk CMD: warning: ...". */
void cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Global quiet flag and progress mode, set from --quiet / --progress. */
extern int cli_quiet;
extern int cli_force_progress;
/* The program the commands run in, written once by its main() before any
 * command runs (ntk leaves the defaults; ntk-mpi calls cli_context_set) and
 * read-only afterwards. */
typedef struct {
    const char *program;      /* name in messages: "ntk" or "ntk-mpi" */
    const ntk_engine *engine; /* where fits and predictions run: NULL = this
                               * process (picked up by cli_opts_init) */
    int ranks, grid[2];       /* ntk-mpi: ranks and process grid, for the reports */
} cli_context;

extern cli_context cli_ctx;

/* Run the commands as `program` on `engine` over a grid_p × grid_q grid. */
void cli_context_set(const char *program, const ntk_engine *engine, int grid_p, int grid_q);

/* A progress sink printing "\r[stage] done/total" on stderr when stderr is a
 * terminal (or --progress was given) and not --quiet. */
ntk_progress cli_progress(void);
/* End a progress line if one is open. */
void cli_progress_done(void);

/* All-or-nothing output. Text goes to a memory buffer; cli_output_commit
 * writes it to `path` through a temporary file renamed into place (or to
 * stdout when path is NULL or "-"), checking every write, so a failure never
 * leaves partial output. */
typedef struct {
    char *buf;
    size_t size;
    FILE *f;          /* write here */
    const char *path; /* NULL or "-" = stdout */
} cli_output;

int cli_output_open(cli_output *o, const char *path, ntk_error *err);
/* Returns NTK_OK or NTK_EIO with a message naming the path. Frees the buffer. */
ntk_status cli_output_commit(cli_output *o, ntk_error *err);
/* Discard without writing. */
void cli_output_discard(cli_output *o);

/* Write a whole binary buffer to path atomically (temporary file + rename). */
ntk_status cli_write_file_atomic(const char *path, const void *data, size_t size, ntk_error *err);

/* Parse a strictly positive/non-negative number or integer option; on failure
 * print a usage error naming the option and return 0. */
int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out);
int cli_parse_int(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out);
/* --test-frac: a number strictly between 0 and 1. */
int cli_parse_test_frac(const char *cmd, const char *text, double *out);

#endif

/* The getopt_long loop every subcommand shares: -h/--help, unknown options,
 * stray arguments, then the subcommand's own options, --select options and the
 * shared model/data/general options, in that order. */
#ifndef NTK_CLI_ARGS_H
#define NTK_CLI_ARGS_H

#include "cli_opts.h"
#include "cli_select.h"

enum { CLI_ARGS_OK = 0, CLI_ARGS_HELP = 1, CLI_ARGS_ERROR = 2 };

/* A subcommand's own options: return 1 if handled, 0 if not its option, -1 on
 * a bad value (after printing a usage message). */
typedef int (*cli_own_option_fn)(const char *cmd, int id, const char *arg, void *ctx);

/* Parse argv with the NULL-terminated option tables. `sel` may be NULL when
 * the command has no --select. Returns CLI_ARGS_OK, CLI_ARGS_HELP (help was
 * asked for: print it and exit 0) or CLI_ARGS_ERROR (usage message printed). */
int cli_args_parse(const char *cmd, int argc, char **argv, const struct option *const *tables,
                   const char *shortopts, cli_own_option_fn own, void *ctx, cli_model_opts *o,
                   cli_select_opts *sel);

#endif

/* Shared argument loop (see cli_args.h). */
#include "cli_args.h"

#include "cli.h"

int cli_args_parse(const char *cmd, int argc, char **argv, const struct option *const *tables,
                   const char *shortopts, cli_own_option_fn own, void *ctx, cli_model_opts *o,
                   cli_select_opts *sel)
{
    struct option opts[128];
    cli_opts_merge(opts, sizeof opts / sizeof opts[0], tables);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (c == 'h') {
            o->help = 1;
            continue;
        }
        if (c == '?' || c == ':') {
            cli_usage(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
            return CLI_ARGS_ERROR;
        }
        int h = own ? own(cmd, c, optarg, ctx) : 0;
        if (h == 0 && sel)
            h = cli_select_handle(cmd, c, optarg, sel);
        if (h == 0)
            h = cli_opts_handle(cmd, c, optarg, o);
        if (h < 0)
            return CLI_ARGS_ERROR;
    }
    if (o->help)
        return CLI_ARGS_HELP;
    if (cli_opts_finish(cmd, o) != 0)
        return CLI_ARGS_ERROR;
    if (optind < argc) {
        cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
        return CLI_ARGS_ERROR;
    }
    return CLI_ARGS_OK;
}

/* ntk — command-line entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_blas.h"
#include "ntk/common.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"describe", ntk_cmd_describe, "show how a CSV file is read and encoded"},
    {"kernel", ntk_cmd_kernel, "print the NTK or NNGP kernel matrix of CSV rows"},
    {"eval", ntk_cmd_eval, "fit on training data, report errors at each training time"},
    {"compare", ntk_cmd_compare, "train finite-width networks and compare them with the NTK"},
    {"fit", ntk_cmd_fit, "fit a model and save it to a file"},
    {"select", ntk_cmd_select, "search the model options, save the winner as a model file"},
    {"predict", ntk_cmd_predict, "predict new rows with a saved model"},
    {"demo", ntk_cmd_demo, "classroom demonstrations with pictures (ntk demo list)"},
    {"info", ntk_cmd_info, "show version, BLAS library, core type and threads"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ntk COMMAND [OPTIONS]\n\n"
               "Kernel regression with the infinite-width Neural Tangent Kernel.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'ntk COMMAND --help' for the options of a command.\n"
               "Options: --help, --version\n");
}

int main(int argc, char **argv)
{
    cli_blas_fix_core(argv);
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("ntk %s\n", NTK_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ntk: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

/* ntk demo — dispatcher: `ntk demo list`, `ntk demo NAME [options]`, the
 * options every demonstration shares, and per-demonstration help. */
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "demo.h"

enum { OPT_OUT = OPT_CMD_BASE, OPT_N, OPT_WIDTHS, OPT_SEEDS, OPT_TRAIN, OPT_TEST_FRAC };

static const struct option demo_options[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"n", required_argument, NULL, OPT_N},
    {"widths", required_argument, NULL, OPT_WIDTHS},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test-frac", required_argument, NULL, OPT_TEST_FRAC},
    {NULL, 0, NULL, 0},
};

static const struct option demo_general_options[] = {
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const demo_def *const demos[] = {
    &demo_training_curves, &demo_kernel_vs_angle, &demo_toy_regression,
    &demo_width_convergence, &demo_spectrum, &demo_invariance, &demo_uncertainty, NULL,
};

static void list(FILE *f)
{
    fprintf(f, "Demonstrations (ntk demo NAME [options]; ntk demo NAME --help for details):\n");
    for (int i = 0; demos[i]; i++)
        fprintf(f, "  %-18s %s\n", demos[i]->name, demos[i]->summary);
}

static void help(void)
{
    printf("usage: ntk demo list\n"
           "       ntk demo NAME [--out DIR] [options]\n\n"
           "Classroom demonstrations of the Neural Tangent Kernel with pictures. Each writes\n"
           "DIR/NAME.csv (the numbers, with a header row), DIR/NAME.gp (the gnuplot script,\n"
           "which reads NAME.csv when run inside DIR: cd DIR && gnuplot NAME.gp), and draws\n"
           "DIR/NAME.png and DIR/NAME.svg with gnuplot (NTK_GNUPLOT=PATH chooses the\n"
           "program). Without gnuplot the data and script are still written.\n\n");
    list(stdout);
}

static const char common_help[] =
    "Options of every demonstration:\n"
    "  --out DIR            output directory (default demo-out, created if needed)\n"
    "  --n N                problem size (see above)\n"
    "  --widths LIST        hidden widths of the trained networks, comma-separated\n"
    "  --seeds S            networks per width (seeds --seed, --seed+1, ...)\n"
    "  --quiet, --progress  silence notes and progress / force progress on stderr\n"
    "Environment: NTK_GNUPLOT=PATH  the gnuplot program (default: gnuplot on PATH)\n";

static void demo_help(const demo_def *d)
{
    printf("usage: ntk demo %s [options]\n\n%s\n%s\n%s\n%s", d->name, d->help, common_help,
           cli_model_help, cli_data_help);
}

static int parse_widths(const char *cmd, const char *text, size_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    size_t *v = malloc(cap * sizeof *v);
    if (!v)
        return 0;
    size_t k = 0;
    const char *p = text;
    for (;;) {
        char *end;
        long w = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || w < 1 || w > 100000) {
            free(v);
            cli_usage(cmd, "--widths expects comma-separated integers in 1..100000, got '%s'",
                      text);
            return 0;
        }
        v[k++] = (size_t)w;
        if (!*end)
            break;
        p = end + 1;
    }
    free(*out);
    *out = v;
    *n = k;
    return 1;
}

static int demo_option(const char *cmd, int id, const char *arg, void *ctx)
{
    demo_ctx *c = ctx;
    switch (id) {
    case OPT_OUT:
        if (!*arg) {
            cli_usage(cmd, "--out expects a directory name");
            return -1;
        }
        c->out_dir = arg;
        return 1;
    case OPT_N: return cli_parse_int(cmd, "--n", arg, 2, 100000, &c->n) ? 1 : -1;
    case OPT_WIDTHS: return parse_widths(cmd, arg, &c->widths, &c->n_widths) ? 1 : -1;
    case OPT_SEEDS: return cli_parse_int(cmd, "--seeds", arg, 1, 1000, &c->seeds) ? 1 : -1;
    case OPT_TRAIN: c->train = arg; c->train_given = 1; return 1;
    case OPT_TEST_FRAC: return cli_parse_test_frac(cmd, arg, &c->test_frac) ? 1 : -1;
    /* Noted here, then parsed by the shared model options. */
    case OPT_LR: c->lr_given = 1; return 0;
    case OPT_TIMES: c->times_given = 1; return 0;
    case OPT_DEPTH: c->depth_given = 1; return 0;
    case OPT_B_STD: c->b_std_given = 1; return 0;
    case OPT_ACT: c->act_given = 1; return 0;
    }
    return 0;
}

int ntk_cmd_demo(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "ntk demo: which demonstration? ");
        list(stderr);
        fprintf(stderr, "Try 'ntk demo --help'.\n");
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        help();
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "list") == 0) {
        if (argc > 2)
            return cli_usage("demo", "'ntk demo list' takes no arguments");
        list(stdout);
        return CLI_EXIT_OK;
    }
    const demo_def *def = NULL;
    for (int i = 0; demos[i]; i++)
        if (strcmp(name, demos[i]->name) == 0)
            def = demos[i];
    if (!def) {
        fprintf(stderr, "ntk demo: unknown demonstration '%s'\n", name);
        list(stderr);
        return CLI_EXIT_USAGE;
    }

    demo_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "ntk demo: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    snprintf(c->cmd, sizeof c->cmd, "demo %s", def->name);
    c->name = def->name;
    c->out_dir = "demo-out";
    c->test_frac = 0.25;
    c->seeds = 1;
    cli_opts_init(&c->o);
    size_t len = (size_t)snprintf(c->cmdline, sizeof c->cmdline, "ntk demo");
    for (int i = 1; i < argc && len < sizeof c->cmdline; i++)
        len += (size_t)snprintf(c->cmdline + len, sizeof c->cmdline - len, " %s", argv[i]);
    if (def->preset)
        def->preset(c);
    const struct option *tables[] = {demo_options, cli_model_options, cli_data_options,
                                     demo_general_options, NULL};
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(c->cmd, argc - 1, argv + 1, tables, "h", demo_option, c, &c->o,
                                NULL);
    if (parsed == CLI_ARGS_HELP) {
        demo_help(def);
        rc = CLI_EXIT_OK;
    } else if (parsed == CLI_ARGS_OK) {
        const char *msg = ntk_train_params_check(&c->o.train);
        if (msg) {
            rc = cli_usage(c->cmd, "%s", msg);
        } else {
            cli_opts_apply_threads(&c->o);
            rc = def->run(c);
        }
    }
    cli_progress_done();
    free(c->widths);
    cli_opts_free(&c->o);
    free(c);
    return rc;
}

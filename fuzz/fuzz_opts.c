/* libFuzzer harness for the command-line option and list parsers:
 *   --times / --b-grid / --reg-grid / --time-grid  (cli_parse_times),
 *   --act                                         (ntk_activation_parse),
 *   --acts                                        (cli_select_handle),
 *   --drop / --categorical / --target             (the encoder's column lists),
 *   every other shared option value               (cli_opts_handle),
 *   whole argument vectors                        (cli_args_parse + getopt_long).
 * The FIRST input byte picks the parser, the rest is the option text.
 *
 * Invariants besides ASan/UBSan: a list parses to >= 1 value, each >= 0 and
 * finite or +inf; a parsed activation formats to text that parses back to the
 * same text, and its dual activation at a few well-conditioned covariances is
 * finite or an error with a message; an encoder failure has a one-line message;
 * a parsed --acts holds 1..16 activations.
 *
 * Build and run with `make fuzz-opts` (clang -fsanitize=fuzzer,address,undefined,
 * run with -close_fd_mask=2: the usage messages go to stderr). */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_opts.h"
#include "cli/cli_select.h"
#include "ntk/dataset.h"
#include "ntk/kernel.h"

#define CHECK(cond)              \
    do {                         \
        if (!(cond))             \
            __builtin_trap();    \
    } while (0)

static ntk_table *table; /* a fixed 4-column table for the column lists */

static void check_error(ntk_status st, const ntk_error *err)
{
    CHECK(st != NTK_OK);
    CHECK(err->msg[0] != '\0');
    CHECK(strchr(err->msg, '\n') == NULL);
}

static void fuzz_times(const char *s)
{
    double *v = NULL;
    size_t n = 0;
    if (!cli_parse_times("fuzz", s, &v, &n))
        return;
    CHECK(n >= 1);
    for (size_t i = 0; i < n; i++)
        CHECK(v[i] >= 0 && (isfinite(v[i]) || v[i] == INFINITY));
    free(v);
}

static void fuzz_act(const char *s)
{
    ntk_activation a, b;
    ntk_error err = {0};
    ntk_status st = ntk_activation_parse(s, &a, &err);
    if (st != NTK_OK) {
        check_error(st, &err);
        return;
    }
    char t1[128], t2[128];
    ntk_activation_format(&a, t1, sizeof t1);
    CHECK(ntk_activation_parse(t1, &b, &err) == NTK_OK);
    ntk_activation_format(&b, t2, sizeof t2);
    CHECK(strcmp(t1, t2) == 0);
    /* Dual activation on a few covariances: a result is finite, or an error
     * is reported (parameters like erf:1e300 overflow legitimately). */
    static const double q[][3] = {{1, 1, 0.5}, {2, 0.5, -0.9}, {1, 1, 1}, {0, 0, 0}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        double T = 0, Tp = 0;
        ntk_error_clear(&err);
        st = ntk_dual(&a, q[i][0], q[i][1], q[i][2], i == 2, &T, &Tp, &err);
        if (st != NTK_OK) {
            check_error(st, &err);
            continue;
        }
        int moderate = fabs(a.p[0]) <= 1e3 && fabs(a.p[1]) <= 1e3 && fabs(a.p[2]) <= 1e3;
        if (moderate)
            CHECK(!isnan(T) && !isnan(Tp));
    }
}

static void fuzz_columns(const char *s, int which)
{
    ntk_encode_options o;
    ntk_encode_options_init(&o);
    if (which == 0)
        o.drop = s;
    else if (which == 1)
        o.categorical = s;
    else
        o.target = s;
    ntk_encoder *enc = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_encoder_fit(table, &o, &enc, &err);
    if (st != NTK_OK) {
        check_error(st, &err);
        CHECK(enc == NULL);
        return;
    }
    CHECK(enc->n_features >= 1);
    ntk_encoder_free(enc);
}

static void fuzz_select(const char *s, int id)
{
    cli_select_opts sel;
    cli_select_init(&sel);
    int h = cli_select_handle("fuzz", id, s, &sel);
    CHECK(h == 1 || h == -1);
    if (h == 1 && id == OPT_ACTS)
        CHECK(sel.params.n_acts >= 1 && sel.params.n_acts <= 16);
    cli_select_free(&sel);
}

static void fuzz_model_opt(const char *s, int id)
{
    cli_model_opts o;
    cli_opts_init(&o);
    int h = cli_opts_handle("fuzz", id, s, &o);
    CHECK(h == 1 || h == -1);
    if (h == 1) {
        CHECK(o.train.solve.n_times >= 1);
        CHECK(o.train.arch.w_std >= 0 && o.train.arch.b_std >= 0);
        CHECK(o.train.solve.lr > 0);
    }
    cli_opts_free(&o);
}

static void fuzz_argv(char *s, size_t len)
{
    /* NUL-separated arguments after argv[0]. */
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"eval";
    for (size_t i = 0; i < len && argc < 63;) {
        argv[argc++] = s + i;
        i += strlen(s + i) + 1;
    }
    argv[argc] = NULL;
    /* Reset getopt's hidden state (the CLI parses once per process). */
    char *dummy[] = {(char *)"x", NULL};
    static const struct option none[] = {{NULL, 0, NULL, 0}};
    optind = 0;
    opterr = 0;
    getopt_long(1, dummy, "", none, NULL);
    cli_model_opts o;
    cli_select_opts sel;
    cli_opts_init(&o);
    cli_select_init(&sel);
    const struct option *tables[] = {cli_select_options, cli_model_options, cli_data_options,
                                     cli_general_options, NULL};
    int r = cli_args_parse("fuzz", argc, argv, tables, "h", NULL, NULL, &o, &sel);
    CHECK(r == CLI_ARGS_OK || r == CLI_ARGS_HELP || r == CLI_ARGS_ERROR);
    cli_select_free(&sel);
    cli_opts_free(&o);
    cli_quiet = 0;
    cli_force_progress = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char csv[] = "a,b b,3,cat\n1,2,x,u\n2,1,y,v\n3,5,x,u\n4,3,z,v\n";
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_error err;
    ntk_error_clear(&err);
    if (ntk_table_parse(csv, sizeof csv - 1, "fixed.csv", &ro, &table, &err) != NTK_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    uint8_t sel = data[0];
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    /* Model and data option ids in order (cli_opts.h). */
    static const int model_ids[] = {
        OPT_DEPTH,  OPT_ACT,         OPT_W_STD,          OPT_B_STD,  OPT_KIND,   OPT_FIXED_LAYERS,
        OPT_REG,    OPT_REG_SCALE,   OPT_LR,             OPT_TIMES,  OPT_TIME_SCALE,
        OPT_STANDARDIZE, OPT_TARGET_SCALING, OPT_THREADS, OPT_SEED,  OPT_TARGET, OPT_TASK,
        OPT_DROP,   OPT_CATEGORICAL, OPT_DELIMITER,      OPT_MISSING, OPT_FORMAT};
    static const int select_ids[] = {OPT_FOLDS,    OPT_MAX_DEPTH,  OPT_ACTS,   OPT_B_GRID,
                                     OPT_REG_GRID, OPT_TIME_GRID,  OPT_TIE_BREAK};
    switch (sel % 9) {
    case 0: fuzz_times(s); break;
    case 1: fuzz_act(s); break;
    case 2: fuzz_columns(s, 0); break;
    case 3: fuzz_columns(s, 1); break;
    case 4: fuzz_columns(s, 2); break;
    case 5: fuzz_select(s, OPT_ACTS); break;
    case 6: fuzz_select(s, select_ids[(sel / 9) % (sizeof select_ids / sizeof select_ids[0])]); break;
    case 7: fuzz_model_opt(s, model_ids[(sel / 9) % (sizeof model_ids / sizeof model_ids[0])]); break;
    case 8: fuzz_argv(s, size - 1); break;
    }
    free(s);
    return 0;
}

/* ntk kernel — print the NTK or NNGP kernel matrix between CSV rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_opts.h"

enum { OPT_DATA = OPT_CMD_BASE, OPT_DATA2, OPT_OUTPUT };

static const struct option kernel_options[] = {
    {"data", required_argument, NULL, OPT_DATA},
    {"data2", required_argument, NULL, OPT_DATA2},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {NULL, 0, NULL, 0},
};

static void help(void)
{
    printf("usage: ntk kernel --data A.csv [--data2 B.csv] [--no-target] [options]\n\n"
           "Print the kernel matrix rows(A) x rows(B) (B defaults to A) as CSV without a\n"
           "header, each value '%%.17g'. Columns are used as given (--standardize none)\n"
           "unless --standardize balanced|zscore (fitted on A). With a target column (default: the\n"
           "last) it is excluded; --no-target makes every column a feature.\n\n"
           "  --data FILE, --data2 FILE\n"
           "  -o, --output FILE    write here instead of standard output\n"
           "  --format csv|libsvm  libsvm: LIBSVM's precomputed-kernel format, one line per\n"
           "                       row of A: 'label 0:i 1:K(i,1) 2:K(i,2) ...' (i 1-based;\n"
           "                       label: the target value, or the class index 0..k-1 when\n"
           "                       a class label is not a number; 0 with --no-target). For\n"
           "                       LIBSVM's test file give --data TEST --data2 TRAIN.\n\n%s\n%s\n"
           "Example:\n"
           "  ntk kernel --data data/iris.csv --target species --depth 3 --kind ntk\n",
           cli_model_help, cli_data_help);
}

typedef struct {
    const char *a_path, *b_path, *out_path;
    int libsvm;
} kernel_args;

static int kernel_option(const char *cmd, int id, const char *arg, void *ctx)
{
    kernel_args *a = ctx;
    (void)cmd;
    switch (id) {
    case OPT_DATA: a->a_path = arg; return 1;
    case OPT_DATA2: a->b_path = arg; return 1;
    case 'o':
    case OPT_OUTPUT: a->out_path = arg; return 1;
    case OPT_FORMAT:
        /* libsvm here; every other value goes to the shared handler. */
        if (strcmp(arg, "libsvm") != 0)
            return 0;
        a->libsvm = 1;
        return 1;
    }
    return 0;
}

/* LIBSVM's label of row i: a number (LIBSVM reads labels with strtod). */
static void libsvm_label(FILE *f, const ntk_encoder *enc, const ntk_dataset *d, size_t i)
{
    if (!d->y || !enc->has_target) {
        fputs("0", f);
        return;
    }
    if (enc->task == NTK_TASK_REGRESSION) {
        fprintf(f, "%.17g", d->y[i]);
        return;
    }
    size_t c = (size_t)d->y[i];
    const char *text = enc->class_labels[c];
    char *end;
    double v = strtod(text, &end);
    if (end != text && *end == '\0' && isfinite(v))
        fputs(text, f);
    else
        fprintf(f, "%zu", c);
}

int ntk_cmd_kernel(int argc, char **argv)
{
    const char *cmd = "kernel";
    const struct option *tables[] = {kernel_options, cli_model_options, cli_data_options,
                                     cli_general_options, NULL};
    cli_model_opts o;
    cli_opts_init(&o);
    o.enc.standardize = NTK_STANDARDIZE_NONE; /* the columns as given, unless asked */
    kernel_args a = {0};
    int rc = CLI_EXIT_USAGE;
    int parsed = cli_args_parse(cmd, argc, argv, tables, "ho:", kernel_option, &a, &o, NULL);
    if (parsed == CLI_ARGS_HELP) {
        help();
        rc = CLI_EXIT_OK;
    }
    if (parsed != CLI_ARGS_OK)
        goto out;
    const char *a_path = a.a_path, *b_path = a.b_path, *out_path = a.out_path;
    if (!a_path) {
        cli_usage(cmd, "--data FILE is required");
        goto out;
    }
    const char *msg = ntk_arch_check(&o.train.arch);
    if (msg) {
        cli_usage(cmd, "%s", msg);
        goto out;
    }
    cli_opts_apply_threads(&o);
    ntk_error err = {0};
    ntk_table *ta = NULL, *tb = NULL;
    ntk_encoder *enc = NULL;
    ntk_dataset *da = NULL, *db = NULL;
    double *K = NULL;
    cli_output out = {0};
    ntk_status st = ntk_table_read(a_path, &o.read, &ta, &err);
    if (st == NTK_OK && b_path)
        st = ntk_table_read(b_path, &o.read, &tb, &err);
    if (st == NTK_OK)
        st = ntk_encoder_fit(ta, &o.enc, &enc, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(enc, ta, 0, &da, &err);
    if (st == NTK_OK && tb)
        st = ntk_encoder_apply(enc, tb, 0, &db, &err);
    size_t n1 = da ? da->n : 0, n2 = db ? db->n : n1;
    if (st == NTK_OK) {
        /* The CSV text is built in memory before it is written (all or
         * nothing): up to 25 bytes an entry ("%.17g,") beside the matrix.
         * (A matrix that alone does not fit is refused just below.) */
        double avail = (double)ntk_memory_available(), gib = 1024.0 * 1024 * 1024;
        double text = 25.0 * (double)n1 * (double)n2, mat = 8.0 * (double)n1 * (double)n2;
        if (avail > 0 && mat <= avail && mat + text > avail)
            st = ntk_error_set(&err, NTK_ENOMEM,
                               "kernel matrix %zux%zu as CSV text needs up to %.2f GiB beside "
                               "the %.2f GiB matrix, but only %.2f GiB of memory is available",
                               n1, n2, text / gib, mat / gib, avail / gib);
    }
    if (st == NTK_OK) {
        char what[96];
        snprintf(what, sizeof what, "kernel matrix %zux%zu", n1, n2);
        K = ntk_alloc_checked((n1 * n2 > 0 ? n1 * n2 : 1) * sizeof *K, what, &err);
        if (!K)
            st = err.status;
    }
    if (st == NTK_OK) {
        ntk_kernel_options kopt = {o.threads, cli_progress()};
        st = ntk_kernel_eval(&o.train.arch, o.train.kind, da->X, n1, db ? db->X : NULL, n2,
                             da->d, K, &kopt, &err);
        cli_progress_done();
    }
    if (st == NTK_OK)
        st = cli_output_open(&out, out_path, &err);
    if (st == NTK_OK) {
        for (size_t i = 0; i < n1; i++) {
            if (a.libsvm) {
                libsvm_label(out.f, enc, da, i);
                fprintf(out.f, " 0:%zu", i + 1);
                for (size_t j = 0; j < n2; j++)
                    fprintf(out.f, " %zu:%.17g", j + 1, K[i * n2 + j]);
            } else {
                for (size_t j = 0; j < n2; j++)
                    fprintf(out.f, j ? ",%.17g" : "%.17g", K[i * n2 + j]);
            }
            fputc('\n', out.f);
        }
        st = cli_output_commit(&out, &err);
    }
    rc = st == NTK_OK ? CLI_EXIT_OK : cli_fail(cmd, &err);
    if (out.f)
        cli_output_discard(&out);
    free(K);
    ntk_dataset_free(da);
    ntk_dataset_free(db);
    ntk_encoder_free(enc);
    ntk_table_free(ta);
    ntk_table_free(tb);
out:
    cli_opts_free(&o);
    return rc;
}

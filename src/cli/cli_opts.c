/* Shared model and data options (see cli_opts.h). */
#include "cli_opts.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_svm.h"

const struct option cli_model_options[] = {
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"act", required_argument, NULL, OPT_ACT},
    {"w-std", required_argument, NULL, OPT_W_STD},
    {"b-std", required_argument, NULL, OPT_B_STD},
    {"kind", required_argument, NULL, OPT_KIND},
    {"fixed-layers", required_argument, NULL, OPT_FIXED_LAYERS},
    {"reg", required_argument, NULL, OPT_REG},
    {"reg-scale", required_argument, NULL, OPT_REG_SCALE},
    {"lr", required_argument, NULL, OPT_LR},
    {"times", required_argument, NULL, OPT_TIMES},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"target-scaling", required_argument, NULL, OPT_TARGET_SCALING},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"precision", required_argument, NULL, OPT_PRECISION},
    /* ---- scalable path (#21) */
    {"solver", required_argument, NULL, OPT_SOLVER},
    {"centers", required_argument, NULL, OPT_CENTERS},
    {"center-selection", required_argument, NULL, OPT_CENTER_SELECTION},
    {"nystrom-block", required_argument, NULL, OPT_NYSTROM_BLOCK},
    /* ---- end scalable path */
    /* ---- hinge loss (C-SVM, #20; handled in cli_svm.c) ---- */
    {"loss", required_argument, NULL, OPT_LOSS},
    {"C", required_argument, NULL, OPT_C},
    {"class-weight", required_argument, NULL, OPT_CLASS_WEIGHT},
    {"svm-eps", required_argument, NULL, OPT_SVM_EPS},
    /* ---- end of hinge loss options ---- */
    {"solver-path", required_argument, NULL, OPT_SOLVER_PATH},
    {NULL, 0, NULL, 0},
};

const struct option cli_data_options[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"task", required_argument, NULL, OPT_TASK},
    {"drop", required_argument, NULL, OPT_DROP},
    {"categorical", required_argument, NULL, OPT_CATEGORICAL},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"standardize", required_argument, NULL, OPT_STANDARDIZE},
    {"no-target", no_argument, NULL, OPT_NO_TARGET},
    {NULL, 0, NULL, 0},
};

const struct option cli_general_options[] = {
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

const char cli_model_help[] =
    "Model options:\n"
    "  --depth L            hidden Dense+activation layers (default 1)\n"
    "  --act NAME           relu (default), leaky_relu:A, abrelu:A,B, abs, erf[:A,B,C],\n"
    "                       sigmoid_like, gelu, sin, cos, identity, tanh, softplus,\n"
    "                       swish, silu, elu[:A], sigmoid\n"
    "  --w-std S            weight standard deviation sigma_w (default sqrt(2))\n"
    "  --b-std B            bias standard deviation sigma_b (default 0)\n"
    "  --kind ntk|nngp      kernel: NTK (train all layers, default) or NNGP (readout only)\n"
    "  --fixed-layers F     the first F layers are not trained (default 0)\n"
    "  --reg R              ridge added to the kernel diagonal (default 0)\n"
    "  --reg-scale absolute|relative   relative: R x mean(diag kernel)\n"
    "  --lr ETA             learning rate (default 1)\n"
    "  --times LIST         training times, comma-separated, 'inf' allowed (default inf)\n"
    "                       memory for n training rows: ~8n^2 bytes for inf and, at\n"
    "                       n >= 3000, for moderate finite times (Chebyshev path);\n"
    "                       otherwise finite times take an eigendecomposition, ~2-3 x 8n^2\n"
    "  --time-scale sum|mean  gradient flow on the summed loss (default) or on the mean\n"
    "                       loss (exponent divided by N*k, as neural-tangents)\n"
    "  --target-scaling on|off  standardize regression targets (default on)\n"
    "  --threads N          threads for kernel and BLAS (default: all cores)\n"
    "  --seed N             seed for splits (default 0)\n"
    "  --precision double|float  training kernel storage (default double). float:\n"
    "                       4n^2 bytes instead of 8n^2; t = inf is solved in float and\n"
    "                       refined to double accuracy (residuals from the kernel\n"
    "                       re-evaluated in double: a few extra kernel passes);\n"
    "                       finite times 1e-8 to 1e-5 relative (docs/precision.md)\n"
    /* ---- scalable path (#21) */
    "  --solver auto|dense|nystrom  auto (default): Nystrom when the n x n kernel does\n"
    "                       not fit (n > 30000, or 8n^2 bytes over half the free memory)\n"
    "  --centers M          Nystrom centers (default min(n, max(2000, sqrt(n)*k)), at\n"
    "                       most 8000); memory ~16 M^2 bytes + 64 MB blocks\n"
    "  --center-selection uniform|rpcholesky|kmeans  how centers are drawn (default\n"
    "                       uniform; rpcholesky: adaptive, by the Nystrom residual;\n"
    "                       kmeans: the rows nearest to k-means cluster means)\n"
    "  --nystrom-block B    rows per cross-kernel block (default: 64 MB blocks)\n"

    /* ---- end scalable path */
    /* ---- hinge loss (C-SVM, #20) ---- */
    "  --loss square|hinge  square (default; the selection weighs both unless --loss is\n"
    "                       given): the gradient-flow predictor above;\n"
    "                       hinge: the C-SVM on the same kernel (classification only;\n"
    "                       one-vs-one with voting as LIBSVM; times/ridge/lr do not apply,\n"
    "                       results have one row, t = inf)\n"
    "  --C VALUE            hinge: the SVM cost (default 1)\n"
    "  --class-weight balanced|LABEL:W,...  hinge: C x W for the rows of each class\n"
    "                       (balanced: n / (classes x class count); default all 1)\n"
    "  --svm-eps E          hinge: stopping tolerance on the KKT gap (default 1e-3,\n"
    "                       LIBSVM's; 1e-8 or so for exact duals)\n"
    "  --solver-path auto|cholesky|eigen|chebyshev|krylov  force a solver path (default\n"
    "                       auto: cost model in docs/performance.md); krylov: one\n"
    "                       Cholesky of kernel + shift serves every finite time\n";

const char cli_data_help[] =
    "Data options:\n"
    "  --target COL         target column: name or 1-based index (default: last)\n"
    "  --task auto|regression|classification   (default auto: numeric target = regression)\n"
    "  --drop COLS          comma-separated columns to ignore (names or 1-based indices)\n"
    "  --categorical COLS   columns to one-hot encode even if numeric\n"
    "  --delimiter C        field separator (default ','; 'tab' for tab)\n"
    "  --missing impute|error  missing values: impute (default) or refuse\n"
    "  --standardize balanced|zscore|none  feature scaling fitted on training data\n"
    "                       (default balanced: numeric columns z-scored, one-hot levels\n"
    "                       centered and scaled so a change of category is distance 1;\n"
    "                       zscore: every encoded feature z-scored, one-hot included)\n";

void cli_opts_init(cli_model_opts *o)
{
    memset(o, 0, sizeof *o);
    ntk_train_params_init(&o->train);
    o->train.engine = cli_ctx.engine;
    ntk_read_options_init(&o->read);
    ntk_encode_options_init(&o->enc);
    o->times = malloc(sizeof *o->times);
    o->times[0] = INFINITY;
    o->train.solve.times = o->times;
    o->train.solve.n_times = 1;
    o->format = "table";
}

void cli_opts_free(cli_model_opts *o)
{
    free(o->times);
    free(o->class_weights);
}

void cli_opts_merge(struct option *out, size_t cap, const struct option *const *tables)
{
    size_t n = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const struct option *op = tables[t]; op->name && n + 1 < cap; op++)
            out[n++] = *op;
    memset(&out[n], 0, sizeof out[n]);
}

int cli_parse_times(const char *cmd, const char *text, double **times, size_t *n)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == ',';
    double *v = malloc(cap * sizeof *v);
    if (!v)
        return 0;
    size_t k = 0;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char tok[64];
        if (len == 0 || len >= sizeof tok) {
            free(v);
            cli_usage(cmd, "--times expects comma-separated numbers >= 0 or 'inf', got '%s'",
                      text);
            return 0;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        double x;
        char *e;
        errno = 0;
        if (strcmp(tok, "inf") == 0 || strcmp(tok, "Inf") == 0 || strcmp(tok, "infinity") == 0) {
            x = INFINITY;
        } else {
            x = strtod(tok, &e);
            if (*e != '\0' || e == tok || !isfinite(x) || x < 0 || errno == ERANGE) {
                free(v);
                cli_usage(cmd, "--times: '%s' is not a number >= 0 or 'inf'", tok);
                return 0;
            }
        }
        v[k++] = x;
        if (!end)
            break;
        p = end + 1;
    }
    *times = v;
    *n = k;
    return 1;
}

static int parse_choice(const char *cmd, const char *opt, const char *arg, const char *const *names,
                        int *out)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(arg, names[i]) == 0) {
            *out = i;
            return 1;
        }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (names[i + 1])
            strncat(list, "|", sizeof list - strlen(list) - 1);
    }
    cli_usage(cmd, "option %s expects %s, got '%s'", opt, list, arg);
    return 0;
}

int cli_opts_handle(const char *cmd, int id, const char *arg, cli_model_opts *o)
{
    static const char *const kinds[] = {"ntk", "nngp", NULL};
    static const char *const reg_scales[] = {"absolute", "relative", NULL};
    static const char *const time_scales[] = {"sum", "mean", NULL};
    static const char *const onoff[] = {"off", "on", NULL};
    static const char *const tasks[] = {"auto", "regression", "classification", NULL};
    static const char *const missing[] = {"impute", "error", NULL};
    static const char *const standardize[] = {"zscore", "none", "balanced", NULL};
    static const char *const precisions[] = {"double", "float", NULL};
    /* In ntk_solve_method order. */
    static const char *const paths[] = {"auto", "cholesky", "eigen", "chebyshev", "krylov", NULL};
    long l;
    int c;
    ntk_error err = {0};
    /* ---- scalable path (#21) */
    static const char *const solvers[] = {"auto", "dense", "nystrom", NULL};
    static const char *const selections[] = {"uniform", "rpcholesky", "kmeans", NULL};
    switch (id) {
    case OPT_SOLVER:
        if (!parse_choice(cmd, "--solver", arg, solvers, &c))
            return -1;
        o->train.solver = (ntk_solver_choice)c;
        return 1;
    case OPT_CENTERS:
        if (!cli_parse_int(cmd, "--centers", arg, 1, 1000000, &l))
            return -1;
        o->train.nystrom.centers = (size_t)l;
        o->centers_given = 1;
        return 1;
    case OPT_CENTER_SELECTION:
        if (!parse_choice(cmd, "--center-selection", arg, selections, &c))
            return -1;
        o->train.nystrom.selection = (ntk_center_method)c;
        return 1;
    case OPT_NYSTROM_BLOCK:
        if (!cli_parse_int(cmd, "--nystrom-block", arg, 1, 100000000, &l))
            return -1;
        o->train.nystrom.block_rows = (size_t)l;
        return 1;
    }
    /* ---- end scalable path */
    int svm = cli_svm_opts_handle(cmd, id, arg, o); /* hinge loss options (#20) */
    if (svm)
        return svm;
    /* Any of these fixes the model; with none, eval/fit select it. */
    switch (id) {
    case OPT_DEPTH: case OPT_ACT: case OPT_W_STD: case OPT_B_STD: case OPT_KIND:
    case OPT_FIXED_LAYERS: case OPT_REG: case OPT_REG_SCALE: case OPT_LR: case OPT_TIMES:
    case OPT_TIME_SCALE:
        o->model_given = 1;
        break;
    default:
        break;
    }
    switch (id) {
    case OPT_DEPTH:
        if (!cli_parse_int(cmd, "--depth", arg, 0, 1000, &l))
            return -1;
        o->train.arch.depth = (int)l;
        return 1;
    case OPT_ACT:
        if (ntk_activation_parse(arg, &o->train.arch.act, &err) != NTK_OK) {
            cli_usage(cmd, "--act: %s", err.msg);
            return -1;
        }
        return 1;
    case OPT_W_STD:
        if (!cli_parse_double(cmd, "--w-std", arg, &o->train.arch.w_std))
            return -1;
        if (o->train.arch.w_std < 0) {
            cli_usage(cmd, "--w-std must be >= 0");
            return -1;
        }
        return 1;
    case OPT_B_STD:
        if (!cli_parse_double(cmd, "--b-std", arg, &o->train.arch.b_std))
            return -1;
        if (o->train.arch.b_std < 0) {
            cli_usage(cmd, "--b-std must be >= 0");
            return -1;
        }
        return 1;
    case OPT_KIND:
        if (!parse_choice(cmd, "--kind", arg, kinds, &c))
            return -1;
        o->train.kind = (ntk_kernel_kind)c;
        return 1;
    case OPT_FIXED_LAYERS:
        if (!cli_parse_int(cmd, "--fixed-layers", arg, 0, 1000, &l))
            return -1;
        o->train.arch.fixed_layers = (int)l;
        return 1;
    case OPT_REG:
        if (!cli_parse_double(cmd, "--reg", arg, &o->train.solve.reg))
            return -1;
        if (o->train.solve.reg < 0) {
            cli_usage(cmd, "--reg must be >= 0");
            return -1;
        }
        return 1;
    case OPT_REG_SCALE:
        if (!parse_choice(cmd, "--reg-scale", arg, reg_scales, &c))
            return -1;
        o->train.solve.reg_scale = (ntk_reg_scale)c;
        return 1;
    case OPT_LR:
        if (!cli_parse_double(cmd, "--lr", arg, &o->train.solve.lr))
            return -1;
        if (!(o->train.solve.lr > 0)) {
            cli_usage(cmd, "--lr must be > 0");
            return -1;
        }
        return 1;
    case OPT_TIMES: {
        double *t;
        size_t n;
        if (!cli_parse_times(cmd, arg, &t, &n))
            return -1;
        free(o->times);
        o->times = t;
        o->train.solve.times = t;
        o->train.solve.n_times = n;
        return 1;
    }
    case OPT_TIME_SCALE:
        if (!parse_choice(cmd, "--time-scale", arg, time_scales, &c))
            return -1;
        o->train.solve.time_scale = (ntk_time_scale)c;
        return 1;
    case OPT_TARGET_SCALING:
        if (!parse_choice(cmd, "--target-scaling", arg, onoff, &c))
            return -1;
        o->train.target_scaling = c;
        return 1;
    case OPT_THREADS:
        if (!cli_parse_int(cmd, "--threads", arg, 1, 1024, &l))
            return -1;
        o->threads = (int)l;
        o->train.threads = (int)l;
        return 1;
    case OPT_SEED:
        if (!cli_parse_int(cmd, "--seed", arg, 0, (long)0x7fffffff, &l))
            return -1;
        o->seed = (uint64_t)l;
        return 1;
    case OPT_PRECISION:
        if (!parse_choice(cmd, "--precision", arg, precisions, &c))
            return -1;
        o->train.precision = c ? NTK_PRECISION_FLOAT : NTK_PRECISION_DOUBLE;
        return 1;
    case OPT_SOLVER_PATH:
        if (!parse_choice(cmd, "--solver-path", arg, paths, &c))
            return -1;
        o->train.solve.method = (ntk_solve_method)c;
        return 1;
    case OPT_TARGET:
        o->enc.target = arg;
        return 1;
    case OPT_TASK:
        if (!parse_choice(cmd, "--task", arg, tasks, &c))
            return -1;
        o->enc.task = (ntk_task)c;
        return 1;
    case OPT_DROP:
        o->enc.drop = arg;
        return 1;
    case OPT_CATEGORICAL:
        o->enc.categorical = arg;
        return 1;
    case OPT_DELIMITER:
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
            o->read.delimiter = '\t';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
            o->read.delimiter = arg[0];
        else {
            cli_usage(cmd, "--delimiter expects one character or 'tab', got '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_MISSING:
        if (!parse_choice(cmd, "--missing", arg, missing, &c))
            return -1;
        o->enc.missing = (ntk_missing_policy)c;
        return 1;
    case OPT_STANDARDIZE:
        if (!parse_choice(cmd, "--standardize", arg, standardize, &c))
            return -1;
        o->enc.standardize = (ntk_standardize)c;
        return 1;
    case OPT_NO_TARGET:
        o->enc.no_target = 1;
        return 1;
    case OPT_QUIET:
        cli_quiet = 1;
        return 1;
    case OPT_PROGRESS:
        cli_force_progress = 1;
        return 1;
    case OPT_FORMAT:
        if (strcmp(arg, "table") && strcmp(arg, "csv") && strcmp(arg, "json")) {
            cli_usage(cmd, "--format expects table|csv|json, got '%s'", arg);
            return -1;
        }
        o->format = arg;
        return 1;
    case OPT_HELP:
        o->help = 1;
        return 1;
    }
    return 0;
}

/* ---- scalable path (#21) */
int cli_opts_finish(const char *cmd, cli_model_opts *o)
{
    o->train.nystrom.seed = o->seed;
    if (o->centers_given && o->train.solver == NTK_SOLVER_DENSE) {
        cli_usage(cmd, "--centers needs the Nystrom path, not --solver dense");
        return -1;
    }
    if (o->centers_given && o->train.solver == NTK_SOLVER_AUTO)
        o->train.solver = NTK_SOLVER_NYSTROM;
    return 0;
}
/* ---- end scalable path */

void cli_opts_apply_threads(const cli_model_opts *o)
{
    if (o->threads > 0) {
        omp_set_num_threads(o->threads);
        openblas_set_num_threads(o->threads);
    }
}

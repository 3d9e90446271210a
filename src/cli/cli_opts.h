/* Options shared by the subcommands that read data and fit models
 * (DESIGN.md §4: model options and data options). */
#ifndef NTK_CLI_OPTS_H
#define NTK_CLI_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include "ntk/dataset.h"
#include "ntk/model.h"

enum {
    OPT_DEPTH = 1000, OPT_ACT, OPT_W_STD, OPT_B_STD, OPT_KIND, OPT_FIXED_LAYERS, OPT_REG,
    OPT_REG_SCALE, OPT_LR, OPT_TIMES, OPT_TIME_SCALE, OPT_STANDARDIZE, OPT_TARGET_SCALING,
    OPT_THREADS, OPT_SEED, OPT_TARGET, OPT_TASK, OPT_DROP, OPT_CATEGORICAL, OPT_DELIMITER,
    OPT_MISSING, OPT_NO_TARGET, OPT_QUIET, OPT_PROGRESS, OPT_FORMAT, OPT_HELP, OPT_PRECISION,
    OPT_SOLVER_PATH,
    OPT_CMD_BASE = 2000 /* subcommand-specific options start here */
};

/* ---- scalable path (#21): --solver, --centers, --center-selection,
 * --nystrom-block; handled by cli_opts_handle like the others. */
enum { OPT_SOLVER = 1900, OPT_CENTERS, OPT_CENTER_SELECTION, OPT_NYSTROM_BLOCK };
/* ---- end scalable path */
/* ---- streamed input (#21, branch stream): ntk fit --stream on|off|auto */
enum { OPT_STREAM = 2100 };
/* ---- end streamed input */
/* ---- hinge loss (C-SVM) options, handled in cli_svm.c (#20) ---- */
enum { OPT_LOSS = 1950, OPT_C, OPT_CLASS_WEIGHT, OPT_SVM_EPS };
/* ---- end of hinge loss options ---- */
/* ---- svmsel (#20): the losses in --select, handled in cli_svm.c ---- */
enum { OPT_C_GRID = 2050, OPT_HINGE_KERNELS };
/* ---- end svmsel ---- */

typedef struct {
    ntk_train_params train;
    double *times;          /* owned; train.solve.times points here */
    ntk_read_options read;
    ntk_encode_options enc;
    int threads;            /* 0 = all cores */
    uint64_t seed;
    const char *format;     /* table|csv|json (subcommands check what they allow) */
    int help;
    int centers_given;      /* --centers was given (#21: it implies --solver nystrom
                             * unless --solver says otherwise) */
    /* hinge loss (#20): --class-weight as given, resolved by cli_svm_prepare */
    const char *class_weight_spec;
    double *class_weights;  /* owned; train.svm.class_weight points here */
    int svm_C_given;
    int loss_given;         /* --loss was given (#20: else --select weighs both losses) */
    int model_given;        /* a model option (architecture, ridge, times) was given */
} cli_model_opts;

/* Defaults (DESIGN.md): depth 1 ... see cli_opts.c; times = {inf}. */
void cli_opts_init(cli_model_opts *o);
void cli_opts_free(cli_model_opts *o);

/* Number of entries and the option table for model options (fit/eval) and for
 * data options (every command that reads CSV). */
extern const struct option cli_model_options[];
extern const struct option cli_data_options[];
extern const struct option cli_general_options[]; /* --quiet --progress --format --help */

/* Concatenate NULL-terminated option tables into out (capacity cap). */
void cli_opts_merge(struct option *out, size_t cap, const struct option *const *tables);

/* Handle one parsed option. Returns 1 if handled, 0 if not one of ours,
 * -1 on a bad value (a usage message has been printed). */
int cli_opts_handle(const char *cmd, int id, const char *arg, cli_model_opts *o);

/* After parsing, options that depend on each other (#21: --seed also seeds
 * the Nystrom centers; --centers alone means --solver nystrom and is refused
 * with --solver dense). Returns 0, or −1 after a usage message. */
int cli_opts_finish(const char *cmd, cli_model_opts *o);

/* After parsing: apply --threads to OpenMP and OpenBLAS. */
void cli_opts_apply_threads(const cli_model_opts *o);

/* Parse "0.1,1,inf" into a malloc'ed array; prints a usage error and returns
 * 0 on failure. */
int cli_parse_times(const char *cmd, const char *text, double **times, size_t *n);

/* Help text for the shared options. */
extern const char cli_model_help[];
extern const char cli_data_help[];

#endif

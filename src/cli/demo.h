/* ntk demo — classroom demonstrations with pictures (gnuplot).
 *
 * Each demonstration computes its numbers with the library, writes them to
 * DIR/NAME.csv (header row) and a gnuplot script DIR/NAME.gp that reads the
 * CSV by relative path, then runs `gnuplot NAME.gp` inside DIR to draw
 * DIR/NAME.png (pngcairo) and DIR/NAME.svg. Every file appears whole or not
 * at all (temporary names renamed into place). Without gnuplot the CSV and the
 * script are still written and the message says how to draw them. */
#ifndef NTK_CLI_DEMO_H
#define NTK_CLI_DEMO_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "cli_data.h"
#include "cli_opts.h"
#include "ntk/network.h"

/* Everything a demonstration needs from the command line. */
typedef struct {
    char cmd[64];              /* "demo NAME", for messages */
    const char *name;          /* NAME: file stem in DIR */
    const char *out_dir;       /* --out (default demo-out) */
    const char *train;         /* --train FILE (data-set demos) */
    double test_frac;          /* --test-frac (default 0.25) */
    long n;                    /* --n: size (points, rows, ...; 0 = the demo's default) */
    size_t *widths, n_widths;  /* --widths */
    long seeds;                /* --seeds */
    int lr_given, times_given, depth_given, b_std_given, train_given, act_given;
    cli_model_opts o;          /* shared model and data options */
    char cmdline[1024];        /* the command as typed, for the script's header */
} demo_ctx;

/* One demonstration. */
typedef struct {
    const char *name;
    const char *summary;                    /* one line, for `ntk demo list` */
    const char *help;                       /* what it shows, options, CSV columns */
    void (*preset)(demo_ctx *c);            /* defaults before parsing (may be NULL) */
    int (*run)(demo_ctx *c);                /* returns an exit code */
} demo_def;

extern const demo_def demo_training_curves, demo_kernel_vs_angle, demo_toy_regression,
    demo_width_convergence, demo_spectrum, demo_invariance, demo_uncertainty;

/* ------------------------------------------------------------ output */

/* The text of one demonstration's data and script, built in memory. */
typedef struct {
    cli_output csv, gp;
} demo_files;

/* Open the in-memory CSV and script; the script starts with a header naming
 * the command, the data file and how to run it, the png_out/svg_out
 * defaults, the CSV settings, and opens `do for [out_i = 1:2] {` choosing
 * the terminal (PNG size w×h, SVG the same). The caller writes the plot
 * commands, then demo_files_commit closes the loop. */
int demo_files_open(demo_ctx *c, demo_files *f, int w, int h, const char *columns_doc);
void demo_files_discard(demo_files *f);

/* Write DIR/NAME.csv and DIR/NAME.gp atomically, run gnuplot (NTK_GNUPLOT or
 * `gnuplot` on PATH) inside DIR to temporary picture names, check its exit
 * status and rename the pictures into place; print the files written on
 * stdout. Returns an exit code (0 also when gnuplot is missing: the message
 * on stderr says how to draw the pictures). */
int demo_files_commit(demo_ctx *c, demo_files *f);

/* A number for CSV (shortest round trip; "NaN" for NaN, "" for nothing). */
void demo_csv_num(FILE *f, double x);
/* Text safe inside a gnuplot double-quoted string (escapes " and \\, and
 * the enhanced-text specials _ ^ @ & { }). */
void demo_gp_escape(char *out, size_t size, const char *s);
/* "depth 2, relu, σ_w 1.41, σ_b 0" style summary of an architecture. */
void demo_arch_text(const ntk_arch *a, char *buf, size_t size);

/* ----------------------------------------------------------- helpers */

/* ints "1,2,5,10,..." : n log-spaced integers from lo to hi, distinct. */
size_t demo_log_steps(double lo, double hi, size_t per_decade, size_t *out, size_t cap);

/* Default learning rate 1/(c·λ_max) of the analytic training kernel, or check
 * a given one (refused with exit 2 when lr·c·λ_max ≥ 2). theta (n×n) is the
 * analytic kernel. Returns 0 or an exit code. */
int demo_choose_lr(demo_ctx *c, const double *theta, size_t n, size_t k, double *lambda_max);

/* Train one centered network of `width` (seed) by full-batch gradient
 * descent on X (n×d) with targets Y (n×k), recording f(E) − f₀(E) on the
 * rows E (ne×d) after each step count steps[0..ns−1] (ascending; 0 allowed)
 * into out (ns×ne×k). If K0 (n×n) / KT are non-NULL they receive the
 * empirical NTK on X at initialization / after the last step. If net_out is
 * non-NULL the trained network is handed over (the caller frees it);
 * init_hook, if set, is called with the untrained network. */
typedef struct {
    const ntk_arch *arch;
    const double *X, *Y, *E;
    size_t n, d, k, ne;
    const size_t *steps;
    size_t ns;
    double lr;
    ntk_time_scale time_scale;
    const char *stage;         /* progress label */
    int (*init_hook)(ntk_network *net, void *ctx, ntk_error *err);
    void *hook_ctx;
} demo_net_job;

ntk_status demo_net_train(const demo_net_job *job, size_t width, uint64_t seed, double *out,
                          double *K0, double *KT, ntk_network **net_out, ntk_error *err);

/* Load --train (split by --test-frac unless test_frac is 0), fit the NTK
 * predictor with the model API at `times` (replacing the shared --times),
 * and give scaled targets Y (n×k) and the predictor's outputs at the
 * training and test rows in scaled units (n_times×n×k, n_times×nt×k).
 * Regression: original = scaled·y_scale + y_mean. */
typedef struct {
    cli_data d;
    ntk_model *m;
    size_t n, nt, dim, k;
    ntk_task task;
    double *Y, *train_sc, *test_sc;
    double *theta;              /* n×n analytic training kernel */
    double lambda_max;
} demo_fit;

int demo_fit_load(demo_ctx *c, double test_frac, demo_fit *f);
int demo_fit_run(demo_ctx *c, demo_fit *f, const double *times, size_t n_times);
void demo_fit_free(demo_fit *f);

/* Error of scaled outputs (rows×k) against ds targets: RMSE in original
 * units (regression) or accuracy (classification). */
double demo_error(const demo_fit *f, const double *y, const double *sc, size_t rows);

#endif

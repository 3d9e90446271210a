/* ntk demo training-curves and width-convergence: finite networks trained by
 * gradient descent on a data set against the NTK predictor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

#define DEFAULT_DATA "data/servo.csv"

static void preset_data(demo_ctx *c) { c->train = DEFAULT_DATA; }

static int default_widths(demo_ctx *c, const char *list)
{
    if (c->widths)
        return 1;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    c->widths = malloc(cap * sizeof *c->widths);
    if (!c->widths)
        return 0;
    const char *p = list;
    c->n_widths = 0;
    while (*p) {
        char *e;
        c->widths[c->n_widths++] = (size_t)strtoul(p, &e, 10);
        p = *e ? e + 1 : e;
    }
    return 1;
}

/* The requested times as ascending distinct integer step counts >= 1. */
static int steps_from_times(demo_ctx *c, size_t **steps, size_t *ns, double **times)
{
    size_t n = c->o.train.solve.n_times;
    size_t *s = malloc((n ? n : 1) * sizeof *s);
    double *t = malloc((n ? n : 1) * sizeof *t);
    if (!s || !t) {
        free(s);
        free(t);
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = c->o.train.solve.times[i];
        if (!isfinite(v) || v != floor(v) || v < 1 || v > 1e8) {
            free(s);
            free(t);
            cli_usage(c->cmd, "--times counts gradient-descent steps here: integers in 1..1e8, "
                              "got %g", v);
            return -1;
        }
        size_t pos = 0;
        while (pos < k && s[pos] < (size_t)v)
            pos++;
        if (pos < k && s[pos] == (size_t)v)
            continue;
        memmove(s + pos + 1, s + pos, (k - pos) * sizeof *s);
        s[pos] = (size_t)v;
        k++;
    }
    for (size_t i = 0; i < k; i++)
        t[i] = (double)s[i];
    *steps = s;
    *ns = k;
    *times = t;
    return 1;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* ------------------------------------------------------ training-curves */

static int run_training_curves(demo_ctx *c)
{
    if (!default_widths(c, "64,256,1024"))
        return CLI_EXIT_FAIL;
    size_t T = c->n ? (size_t)c->n : 5000;
    if (!c->times_given) {
        size_t buf[512];
        size_t k = demo_log_steps(1, (double)T, 12, buf, 512);
        free(c->o.times);
        c->o.times = malloc(k * sizeof *c->o.times);
        if (!c->o.times)
            return CLI_EXIT_FAIL;
        for (size_t i = 0; i < k; i++)
            c->o.times[i] = (double)buf[i];
        c->o.train.solve.times = c->o.times;
        c->o.train.solve.n_times = k;
    }
    size_t *steps = NULL, ns = 0;
    double *times = NULL;
    int r = steps_from_times(c, &steps, &ns, &times);
    if (r <= 0)
        return r < 0 ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    demo_fit f;
    int rc = demo_fit_load(c, c->test_frac, &f);
    if (rc) {
        free(steps);
        free(times);
        return rc;
    }
    size_t n = f.n, nt = f.nt, k = f.k, W = c->n_widths, S = (size_t)c->seeds;
    double *nets = NULL, *ptr = NULL, *pte = NULL, *one = NULL, *err_tab = NULL;
    demo_files files = {0};
    ntk_error err = {0};
    if ((rc = demo_fit_run(c, &f, times, ns)) != 0)
        goto done;
    /* err_tab: ns rows × (2 + 2W) columns: NTK train/test, then per width. */
    size_t ncol = 2 + 2 * W;
    err_tab = malloc(ns * ncol * sizeof *err_tab);
    size_t rows = n + nt;
    double *E = malloc(rows * f.dim * sizeof *E);
    nets = E;
    one = malloc(ns * rows * k * sizeof *one);
    ptr = malloc(ns * rows * k * sizeof *ptr);
    if (!err_tab || !E || !one || !ptr) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    memcpy(E, f.d.train->X, n * f.dim * sizeof *E);
    memcpy(E + n * f.dim, f.d.test->X, nt * f.dim * sizeof *E);
    for (size_t j = 0; j < ns; j++) {
        err_tab[j * ncol] = demo_error(&f, f.d.train->y, f.train_sc + j * n * k, n);
        err_tab[j * ncol + 1] = demo_error(&f, f.d.test->y, f.test_sc + j * nt * k, nt);
    }
    demo_net_job job = {&c->o.train.arch, f.d.train->X, f.Y, E, n, f.dim, k, rows, steps, ns,
                        c->o.train.solve.lr, c->o.train.solve.time_scale, NULL, NULL, NULL};
    if (c->o.train.kind == NTK_KIND_NNGP)
        cli_warn(c->cmd, "note: --kind nngp: the networks train only their readout layer");
    ntk_arch net_arch = c->o.train.arch;
    if (c->o.train.kind == NTK_KIND_NNGP)
        net_arch.fixed_layers = net_arch.depth;
    job.arch = &net_arch;
    for (size_t w = 0; w < W; w++) {
        memset(ptr, 0, ns * rows * k * sizeof *ptr);
        for (size_t s = 0; s < S; s++) {
            char stage[96];
            snprintf(stage, sizeof stage, "width %zu, seed %zu/%zu", c->widths[w], s + 1, S);
            job.stage = stage;
            if (demo_net_train(&job, c->widths[w], c->o.seed + s, one, NULL, NULL, NULL, &err) !=
                NTK_OK) {
                rc = cli_fail(c->cmd, &err);
                goto done;
            }
            for (size_t i = 0; i < ns * rows * k; i++)
                ptr[i] += one[i] / (double)S;
        }
        for (size_t j = 0; j < ns; j++) {
            const double *p = ptr + j * rows * k;
            err_tab[j * ncol + 2 + 2 * w] = demo_error(&f, f.d.train->y, p, n);
            err_tab[j * ncol + 3 + 2 * w] = demo_error(&f, f.d.test->y, p + n * k, nt);
        }
    }

    int reg = f.task == NTK_TASK_REGRESSION;
    const char *mn = reg ? "rmse" : "accuracy";
    if ((rc = demo_files_open(c, &files, 1200, 520,
                              reg ? "t, ntk_train_rmse, ntk_test_rmse, then netW_train_rmse, "
                                    "netW_test_rmse per width W"
                                  : "t, ntk_train_accuracy, ntk_test_accuracy, then "
                                    "netW_train_accuracy, netW_test_accuracy per width W")) != 0)
        goto done;
    FILE *o = files.csv.f;
    fprintf(o, "t,ntk_train_%s,ntk_test_%s", mn, mn);
    for (size_t w = 0; w < W; w++)
        fprintf(o, ",net%zu_train_%s,net%zu_test_%s", c->widths[w], mn, c->widths[w], mn);
    fputc('\n', o);
    for (size_t j = 0; j < ns; j++) {
        demo_csv_num(o, times[j]);
        for (size_t q = 0; q < ncol; q++) {
            fputc(',', o);
            demo_csv_num(o, err_tab[j * ncol + q]);
        }
        fputc('\n', o);
    }
    char arch[160], file[256];
    demo_arch_text(&c->o.train.arch, arch, sizeof arch);
    demo_gp_escape(file, sizeof file, base_name(c->train));
    FILE *g = files.gp.f;
    fprintf(g, "set multiplot layout 1,2 title \"NTK predictor and trained networks on %s (%zu "
               "training, %zu test rows)\\n%s; %s kernel; gradient descent with lr = %.4g "
               "(1/λ_{max} = %.4g), %s loss; %ld seed%s per width\" font \",11\"\n",
            file, n, nt, arch, c->o.train.kind == NTK_KIND_NTK ? "NTK" : "NNGP",
            c->o.train.solve.lr, 1.0 / f.lambda_max,
            c->o.train.solve.time_scale == NTK_TIME_MEAN ? "mean" : "summed", c->seeds,
            c->seeds == 1 ? "" : "s");
    fprintf(g, "set logscale x\nset grid\nset xlabel \"training time t (gradient-descent steps)\"\n"
               "set key %s left box opaque\n", reg ? "bottom" : "top");
    const char *ml = reg ? "RMSE" : "accuracy";
    for (int part = 0; part < 2; part++) {
        fprintf(g, "set title \"%s %s\"\nset ylabel \"%s %s\"\n", part ? "test" : "training", ml,
                part ? "test" : "training", ml);
        if (reg)
            fputs(part ? "set logscale y\n" : "set logscale y\n", g);
        fprintf(g, "plot data using 1:%d with lines lw 3 lc rgb \"black\" title \"NTK (infinite "
                   "width)\"", 2 + part);
        for (size_t w = 0; w < W; w++)
            fprintf(g, ", \\\n     data using 1:%zu with lines lw 2 lc %zu dt %d title \"width "
                       "%zu\"", 4 + 2 * w + part, w + 1, 2, c->widths[w]);
        fputc('\n', g);
    }
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    free(nets);
    free(one);
    free(ptr);
    free(pte);
    free(err_tab);
    free(steps);
    free(times);
    demo_fit_free(&f);
    return rc;
}

const demo_def demo_training_curves = {
    "training-curves",
    "train and test error against training time: NTK predictor and trained networks",
    "Train and test error against training time t (log axis) of the NTK predictor\n"
    "f_t = Θ(x,X) Θ⁻¹ (I − e^{−ηΘt}) Y on a data set, with networks of several widths\n"
    "trained by full-batch gradient descent (t steps = time t; centered networks,\n"
    "mean over --seeds) overlaid: wide networks follow the kernel's curve.\n\n"
    "  --train FILE         data (default " DEFAULT_DATA "); with --target etc.\n"
    "  --test-frac F        held-out fraction (default 0.25, split by --seed)\n"
    "  --n T                last training step (default 5000; log-spaced times 1..T)\n"
    "  --times LIST         or: the training steps (integers >= 1)\n"
    "  --widths LIST        default 64,256,1024; --seeds S (default 1)\n"
    "  --lr ETA             default 1/(c*lambda_max) of the training kernel\n\n"
    "CSV columns: t, ntk_train_rmse, ntk_test_rmse, then net<W>_train_rmse,\n"
    "net<W>_test_rmse for each width W (regression, RMSE in the target's units, as\n"
    "ntk eval); classification: ..._accuracy instead of ..._rmse. The ntk_ columns\n"
    "are what `ntk eval --times` reports for the same options and --lr.\n",
    preset_data,
    run_training_curves,
};

/* --------------------------------------------------- width-convergence */

static void preset_width(demo_ctx *c)
{
    c->train = DEFAULT_DATA;
    c->seeds = 2;
}

static double rmse_between(const double *a, const double *b, size_t m, const demo_fit *f)
{
    double s = 0, sc = f->task == NTK_TASK_REGRESSION ? f->m->y_scale : 1.0;
    for (size_t i = 0; i < m; i++) {
        double d = (a[i] - b[i]) * sc;
        s += d * d;
    }
    return m ? sqrt(s / (double)m) : NAN;
}

/* Least-squares slope of log y against log x. */
static double loglog_slope(const size_t *x, const double *y, size_t n, size_t stride)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i * stride];
        if (!(v > 0))
            continue;
        double lx = log((double)x[i]), ly = log(v);
        sx += lx;
        sy += ly;
        sxx += lx * lx;
        sxy += lx * ly;
        m++;
    }
    if (m < 2)
        return NAN;
    return ((double)m * sxy - sx * sy) / ((double)m * sxx - sx * sx);
}

static int run_width_convergence(demo_ctx *c)
{
    if (!default_widths(c, "16,32,64,128,256,512,1024,2048"))
        return CLI_EXIT_FAIL;
    if (!c->times_given) {
        free(c->o.times);
        c->o.times = malloc(2 * sizeof *c->o.times);
        if (!c->o.times)
            return CLI_EXIT_FAIL;
        c->o.times[0] = 10;
        c->o.times[1] = c->n ? (double)c->n : 1000;
        c->o.train.solve.times = c->o.times;
        c->o.train.solve.n_times = c->o.times[1] > 10 ? 2 : 1;
        if (c->o.times[1] <= 10)
            c->o.times[0] = c->o.times[1];
    }
    size_t *steps = NULL, ns = 0;
    double *times = NULL;
    int r = steps_from_times(c, &steps, &ns, &times);
    if (r <= 0)
        return r < 0 ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    demo_fit f;
    int rc = demo_fit_load(c, c->test_frac, &f);
    if (rc) {
        free(steps);
        free(times);
        return rc;
    }
    size_t n = f.n, nt = f.nt, k = f.k, W = c->n_widths, S = (size_t)c->seeds;
    demo_files files = {0};
    ntk_error err = {0};
    double *one = NULL, *K0 = NULL, *KT = NULL, *tab = NULL;
    if ((rc = demo_fit_run(c, &f, times, ns)) != 0)
        goto done;
    size_t ncol = ns + 2; /* gap per time, init_rel_dist, change_rel */
    tab = calloc(W * ncol, sizeof *tab);
    one = malloc(ns * nt * k * sizeof *one);
    K0 = malloc(n * n * sizeof *K0);
    KT = malloc(n * n * sizeof *KT);
    if (!tab || !one || !K0 || !KT) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    ntk_arch net_arch = c->o.train.arch;
    if (c->o.train.kind == NTK_KIND_NNGP)
        net_arch.fixed_layers = net_arch.depth;
    demo_net_job job = {&net_arch, f.d.train->X, f.Y, f.d.test->X, n, f.dim, k, nt, steps, ns,
                        c->o.train.solve.lr, c->o.train.solve.time_scale, NULL, NULL, NULL};
    for (size_t w = 0; w < W; w++) {
        for (size_t s = 0; s < S; s++) {
            char stage[96];
            snprintf(stage, sizeof stage, "width %zu, seed %zu/%zu", c->widths[w], s + 1, S);
            job.stage = stage;
            if (demo_net_train(&job, c->widths[w], c->o.seed + s, one, K0, KT, NULL, &err) !=
                NTK_OK) {
                rc = cli_fail(c->cmd, &err);
                goto done;
            }
            for (size_t j = 0; j < ns; j++)
                tab[w * ncol + j] +=
                    rmse_between(one + j * nt * k, f.test_sc + j * nt * k, nt * k, &f) /
                    (double)S;
            tab[w * ncol + ns] += ntk_rel_frobenius(K0, f.theta, n * n) / (double)S;
            tab[w * ncol + ns + 1] += ntk_rel_frobenius(KT, K0, n * n) / (double)S;
        }
    }
    /* Reference slope −1/2 through the geometric mean of the last time's gaps. */
    double lg = 0, lw = 0;
    for (size_t w = 0; w < W; w++) {
        lg += log(tab[w * ncol + ns - 1]);
        lw += log((double)c->widths[w]);
    }
    double A = exp((lg + 0.5 * lw) / (double)W);

    if ((rc = demo_files_open(c, &files, 900, 620,
                              "width, gap_t<T> per time T (RMSE between network and NTK test "
                              "predictions), init_rel_dist, change_rel, reference")) != 0)
        goto done;
    FILE *o = files.csv.f;
    fputs("width", o);
    for (size_t j = 0; j < ns; j++)
        fprintf(o, ",gap_t%zu", steps[j]);
    fputs(",init_rel_dist,change_rel,reference\n", o);
    for (size_t w = 0; w < W; w++) {
        fprintf(o, "%zu", c->widths[w]);
        for (size_t q = 0; q < ncol; q++) {
            fputc(',', o);
            demo_csv_num(o, tab[w * ncol + q]);
        }
        fputc(',', o);
        demo_csv_num(o, A / sqrt((double)c->widths[w]));
        fputc('\n', o);
    }
    char arch[160], file[256];
    demo_arch_text(&c->o.train.arch, arch, sizeof arch);
    demo_gp_escape(file, sizeof file, base_name(c->train));
    FILE *g = files.gp.f;
    fprintf(g, "set title \"Finite networks converge to the NTK as width^{-1/2}: %s (%zu training, "
               "%zu test rows)\\n%s; lr = %.4g, %ld seed%s per width\"\n",
            file, n, nt, arch, c->o.train.solve.lr, c->seeds, c->seeds == 1 ? "" : "s");
    fputs("set logscale xy\nset grid\nset xlabel \"hidden width\"\n"
          "set ylabel \"distance (log scale)\"\nset key bottom left box opaque\n", g);
    fprintf(g, "set xrange [%g:%g]\n", (double)c->widths[0] / 1.5,
            (double)c->widths[W - 1] * 1.5);
    fputs("set xtics (", g);
    for (size_t w = 0; w < W; w++)
        fprintf(g, "%s\"%zu\" %zu", w ? ", " : "", c->widths[w], c->widths[w]);
    fputs(")\n", g);
    fputs("plot ", g);
    for (size_t j = 0; j < ns; j++) {
        double sl = loglog_slope(c->widths, tab + j, W, ncol);
        fprintf(g, "%sdata using 1:%zu with linespoints lw 2 pt 7 lc %zu title \"test RMSE(network "
                   "− NTK) at t = %zu (slope %.2f)\"",
                j ? ", \\\n     " : "", j + 2, j + 1, steps[j], sl);
    }
    fprintf(g, ", \\\n     data using 1:%zu with linespoints lw 2 pt 5 lc %zu title \"‖Θ̂_0 − Θ‖ / "
               "‖Θ‖ at initialization (slope %.2f)\"",
            ns + 2, ns + 1, loglog_slope(c->widths, tab + ns, W, ncol));
    fprintf(g, ", \\\n     data using 1:%zu with linespoints lw 2 pt 9 lc %zu title \"‖Θ̂_T − Θ̂_0‖ "
               "/ ‖Θ̂_0‖ change in training (slope %.2f)\"",
            ns + 3, ns + 2, loglog_slope(c->widths, tab + ns + 1, W, ncol));
    fprintf(g, ", \\\n     data using 1:%zu with lines lw 2 dt 2 lc rgb \"black\" title "
               "\"reference slope −1/2\"\n", ns + 4);
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    free(one);
    free(K0);
    free(KT);
    free(tab);
    free(steps);
    free(times);
    demo_fit_free(&f);
    return rc;
}

const demo_def demo_width_convergence = {
    "width-convergence",
    "log-log gap between trained networks and the NTK predictor against width (slope -1/2)",
    "The distance between trained networks and the NTK predictor against the hidden\n"
    "width, on log-log axes with the width^(-1/2) reference slope: the RMSE between a\n"
    "network's and the NTK predictor's test predictions after t steps (mean over\n"
    "seeds), the relative distance of the empirical NTK at initialization from the\n"
    "analytic one, and its relative change during training. Fitted slopes are in\n"
    "the legend.\n\n"
    "  --train FILE         data (default " DEFAULT_DATA "); with --target etc.\n"
    "  --test-frac F        held-out fraction (default 0.25, split by --seed)\n"
    "  --n T                training steps (default 1000; times 10 and T)\n"
    "  --times LIST         or: the steps at which the gap is measured\n"
    "  --widths LIST        default 16,32,64,128,256,512,1024,2048\n"
    "  --seeds S            networks per width (default 2)\n\n"
    "CSV columns: width, gap_t<T> for each time T (RMSE of network − NTK test\n"
    "predictions, target units, mean over seeds; with one seed this is gap_rmse of\n"
    "ntk compare), init_rel_dist (|K0 − K|/|K|, mean over seeds), change_rel\n"
    "(|KT − K0|/|K0|), reference (A·width^(-1/2) through the last time's gaps).\n",
    preset_width,
    run_width_convergence,
};

/* ntk demo uncertainty — the infinite-width ensemble on a 1-D regression
 * problem: its mean f_t and a ±2σ band at several training times. At t = 0 the
 * band is the prior (NNGP) spread around the zero function; as training goes
 * on it collapses onto the training points while staying wide in the gap
 * between them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cli_format.h"
#include "demo.h"
#include "ntk/uncertainty.h"

static void preset(demo_ctx *c)
{
    c->o.train.arch.b_std = 0.5; /* 1-D inputs: the bias makes the kernel non-trivial */
    c->o.train.target_scaling = 0;
    double t[] = {0, 10, 100, INFINITY};
    double *v = malloc(sizeof t);
    if (v) {
        memcpy(v, t, sizeof t);
        free(c->o.times);
        c->o.times = v;
        c->o.train.solve.times = v;
        c->o.train.solve.n_times = sizeof t / sizeof t[0];
    }
}

static double truth(double x) { return sin(M_PI * x) + 0.3 * x; }

/* Training inputs: evenly spaced on [−1, −0.25] ∪ [0.35, 1], leaving a gap in
 * the middle where the ensemble stays uncertain. */
static double train_x(size_t i, size_t n)
{
    size_t left = (n + 1) / 2, right = n - left;
    if (i < left)
        return left == 1 ? -0.6 : -1.0 + 0.75 * (double)i / (double)(left - 1);
    i -= left;
    return right == 1 ? 0.7 : 0.35 + 0.65 * (double)i / (double)(right - 1);
}

static int run(demo_ctx *c)
{
    size_t n = c->n ? (size_t)c->n : 10, ng = 241;
    if (n < 2)
        return cli_usage(c->cmd, "--n needs at least 2 training points");
    size_t nT = c->o.train.solve.n_times;
    const double *times = c->o.train.solve.times;
    const ntk_arch *a = &c->o.train.arch;
    ntk_kernel_kind kind = c->o.train.kind;
    ntk_error err = {0};
    demo_files files = {0};
    ntk_solution *sol = NULL;
    ntk_ensemble *ens = NULL;
    int rc = CLI_EXIT_FAIL;
    double *X = malloc(n * sizeof *X), *Y = malloc(n * sizeof *Y), *G = malloc(ng * sizeof *G);
    double *theta = malloc(n * n * sizeof *theta), *th_copy = malloc(n * n * sizeof *th_copy);
    double *nngp = kind == NTK_KIND_NTK ? malloc(n * n * sizeof *nngp) : NULL;
    double *tg = malloc(ng * n * sizeof *tg);
    double *kg = kind == NTK_KIND_NTK ? malloc(ng * n * sizeof *kg) : NULL;
    double *prior = malloc(ng * sizeof *prior), *mean = malloc(nT * ng * sizeof *mean);
    double *var = malloc(nT * ng * sizeof *var);
    if (!X || !Y || !G || !theta || !th_copy || !tg || !prior || !mean || !var ||
        (kind == NTK_KIND_NTK && (!nngp || !kg))) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        X[i] = train_x(i, n);
        Y[i] = truth(X[i]);
    }
    for (size_t i = 0; i < ng; i++)
        G[i] = -1.5 + 3.0 * (double)i / (double)(ng - 1);
    ntk_kernel_options kopt = {c->o.threads, {NULL, NULL}};
    if (ntk_kernel_eval(a, kind, X, n, NULL, 0, 1, theta, &kopt, &err) != NTK_OK ||
        ntk_kernel_eval(a, kind, G, ng, X, n, 1, tg, &kopt, &err) != NTK_OK ||
        (kg && ntk_kernel_eval(a, NTK_KIND_NNGP, X, n, NULL, 0, 1, nngp, &kopt, &err) != NTK_OK) ||
        (kg && ntk_kernel_eval(a, NTK_KIND_NNGP, G, ng, X, n, 1, kg, &kopt, &err) != NTK_OK) ||
        ntk_nngp_diagonal(a, G, ng, 1, prior, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    double lmax;
    if ((rc = demo_choose_lr(c, theta, n, 1, &lmax)) != 0)
        goto done;
    rc = CLI_EXIT_FAIL;
    /* The mean: the predictor's coefficients, f_t(x*) = Θ(x*,X)·C_t. */
    memcpy(th_copy, theta, n * n * sizeof *theta);
    ntk_solve_params sp = c->o.train.solve;
    sp.want_train_predictions = 0;
    sp.progress.fn = NULL;
    if (ntk_solve(th_copy, n, Y, 1, &sp, &sol, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t t = 0; t < nT; t++)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)ng, (int)n, 1.0, tg, (int)n,
                    sol->coef + t * n, 1, 0.0, mean + t * ng, 1);
    /* The spread: the ensemble's covariance with the same ridge and jitter. */
    ntk_ensemble_params ep;
    ntk_ensemble_params_init(&ep);
    ep.kind = kind;
    ep.reg_abs = sol->reg_abs;
    ep.lr = sp.lr;
    ep.time_scale = sp.time_scale;
    ep.k = 1;
    ep.times = times;
    ep.n_times = nT;
    ep.jitter = sol->jitter;
    double *th_ens = malloc(n * n * sizeof *th_ens);
    double *k_ens = kind == NTK_KIND_NTK ? malloc(n * n * sizeof *k_ens) : NULL;
    if (!th_ens || (kind == NTK_KIND_NTK && !k_ens)) {
        free(th_ens);
        free(k_ens);
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    memcpy(th_ens, theta, n * n * sizeof *theta);
    if (k_ens)
        memcpy(k_ens, nngp, n * n * sizeof *nngp);
    ntk_uncertainty_stats stats = {0};
    if (ntk_ensemble_prepare(th_ens, k_ens, n, &ep, &ens, &err) != NTK_OK ||
        ntk_ensemble_covariance(ens, tg, kg, prior, ng, 0, var, &stats, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }

    if ((rc = demo_files_open(c, &files, 1200, 820,
                              "x, truth, mean_t<t> and std_t<t> per time t, train_x, "
                              "train_y")) != 0)
        goto done;
    rc = CLI_EXIT_FAIL;
    FILE *o = files.csv.f;
    char tb[40];
    fputs("x,truth", o);
    for (size_t t = 0; t < nT; t++) {
        cli_fmt_time(tb, sizeof tb, times[t]);
        fprintf(o, ",mean_t%s,std_t%s", tb, tb);
    }
    fputs(",train_x,train_y\n", o);
    for (size_t i = 0; i < ng; i++) {
        fprintf(o, "%.17g,%.17g", G[i], truth(G[i]));
        for (size_t t = 0; t < nT; t++)
            fprintf(o, ",%.17g,%.17g", mean[t * ng + i], sqrt(var[t * ng + i]));
        if (i < n)
            fprintf(o, ",%.17g,%.17g\n", X[i], Y[i]);
        else
            fputs(",,\n", o);
    }
    char arch[160];
    demo_arch_text(a, arch, sizeof arch);
    FILE *g = files.gp.f;
    size_t cx = 3 + 2 * nT; /* train_x column */
    size_t rows = nT <= 2 ? 1 : 2, cols = (nT + rows - 1) / rows;
    fprintf(g, "set multiplot layout %zu,%zu title \"The infinite ensemble of %s networks: mean "
               "± 2σ while training (%s; lr = %.4g = 1/λ_{max}, t in steps)\" font \",11\"\n",
            rows, cols, kind == NTK_KIND_NTK ? "trained" : "readout-trained", arch, sp.lr);
    fputs("set grid\nset xlabel \"x\"\nset ylabel \"f(x)\"\nset xrange [-1.5:1.5]\n"
          "set yrange [-3:3]\nset key top left box opaque font \",9\"\n"
          "set style fill transparent solid 0.25 noborder\n", g);
    for (size_t t = 0; t < nT; t++) {
        cli_fmt_time(tb, sizeof tb, times[t]);
        size_t mc = 3 + 2 * t, sc = mc + 1;
        fprintf(g, "set title \"t = %s%s\"\n", isinf(times[t]) ? "∞" : tb,
                times[t] == 0 ? " (prior: NNGP spread, zero mean)" :
                isinf(times[t]) ? " (fully trained)" : "");
        fprintf(g, "plot data using 1:($%zu-2*$%zu):($%zu+2*$%zu) with filledcurves "
                   "lc rgb \"#4575b4\" title \"mean ± 2σ\", \\\n"
                   "     data using 1:%zu with lines lw 2.5 lc rgb \"#4575b4\" title \"mean f_t\", \\\n"
                   "     data using 1:2 with lines lw 1.5 dt 3 lc rgb \"gray30\" title \"truth\", \\\n"
                   "     data using %zu:%zu with points pt 7 ps 1.2 lc rgb \"black\" title "
                   "\"training points\"\n",
                mc, sc, mc, sc, mc, cx, cx + 1);
    }
    fputs("unset multiplot\n", g);
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    ntk_ensemble_free(ens);
    ntk_solution_free(sol);
    free(X);
    free(Y);
    free(G);
    free(theta);
    free(th_copy);
    free(nngp);
    free(tg);
    free(kg);
    free(prior);
    free(mean);
    free(var);
    return rc;
}

const demo_def demo_uncertainty = {
    "uncertainty",
    "1-D regression: the infinite ensemble's mean ± 2σ shrinking onto the data as t grows",
    "The infinite-width network ensemble on a 1-D regression problem: N points of\n"
    "sin(πx) + 0.3x on [−1, −0.25] ∪ [0.35, 1] (a gap in the middle), raw x (d = 1,\n"
    "σ_b = 0.5 by default). One panel per --times value: the mean f_t (the NTK\n"
    "predictor, as `ntk eval`) and a band of ±2 standard deviations of the\n"
    "ensemble of networks trained from random initialization for time t (NTK-GP;\n"
    "with --kind nngp the Bayesian posterior of readout-only training).\n\n"
    "  --n N                training points (default 10)\n"
    "  --times LIST         default 0,10,100,inf (steps of gradient descent)\n"
    "  --lr ETA             default 1/lambda_max of the training kernel\n\n"
    "CSV columns: x (241 grid points), truth, mean_t<t> and std_t<t> per time,\n"
    "train_x, train_y (the first N rows; empty below).\n",
    preset,
    run,
};

/* ntk demo toy-regression — a 1-D regression problem: the NTK predictor at
 * several times converging to the kernel interpolant, and trained networks
 * of increasing width approaching the NTK predictor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "cli_format.h"
#include "demo.h"

static void preset(demo_ctx *c)
{
    c->o.train.arch.b_std = 0.5; /* 1-D inputs: the bias makes the kernel non-trivial */
    c->o.train.target_scaling = 0;
    double t[] = {10, 100, 1000, 10000, INFINITY};
    double *v = malloc(sizeof t);
    if (v) {
        memcpy(v, t, sizeof t);
        free(c->o.times);
        c->o.times = v;
        c->o.train.solve.times = v;
        c->o.train.solve.n_times = 5;
    }
}

static double truth(double x) { return sin(M_PI * x) + 0.3 * x; }

static int run(demo_ctx *c)
{
    size_t n = c->n ? (size_t)c->n : 8, ng = 241;
    size_t def_w[3] = {10, 100, 1000};
    const size_t *widths = c->widths ? c->widths : def_w;
    size_t W = c->widths ? c->n_widths : 3, S = (size_t)c->seeds;
    size_t nT = c->o.train.solve.n_times;
    const double *times = c->o.train.solve.times;
    double Tnet = -1;
    for (size_t i = 0; i < nT; i++)
        if (isfinite(times[i]) && times[i] > Tnet)
            Tnet = times[i];
    if (Tnet < 0 || Tnet != floor(Tnet) || Tnet > 1e7)
        return cli_usage(c->cmd, "--times needs a finite integer time (the networks' training "
                                 "steps, at most 1e7)");
    ntk_error err = {0};
    demo_files files = {0};
    int rc = CLI_EXIT_FAIL;
    double *X = malloc(n * sizeof *X), *Y = malloc(n * sizeof *Y);
    double *G = malloc(ng * sizeof *G), *theta = malloc(n * n * sizeof *theta);
    double *th_copy = malloc(n * n * sizeof *th_copy), *tg = malloc(ng * n * sizeof *tg);
    double *pred = malloc(nT * ng * sizeof *pred), *net = calloc(W * ng, sizeof *net);
    double *one = malloc(ng * sizeof *one), *ntk_T = malloc(ng * sizeof *ntk_T);
    ntk_solution *sol = NULL, *solT = NULL;
    if (!X || !Y || !G || !theta || !th_copy || !tg || !pred || !net || !one || !ntk_T) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        X[i] = -1.0 + 2.0 * (double)i / (double)(n - 1);
        Y[i] = truth(X[i]);
    }
    for (size_t i = 0; i < ng; i++)
        G[i] = -1.5 + 3.0 * (double)i / (double)(ng - 1);
    ntk_kernel_options kopt = {c->o.threads, {NULL, NULL}};
    const ntk_arch *a = &c->o.train.arch;
    if (ntk_kernel_eval(a, c->o.train.kind, X, n, NULL, 0, 1, theta, &kopt, &err) != NTK_OK ||
        ntk_kernel_eval(a, c->o.train.kind, G, ng, X, n, 1, tg, &kopt, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    double lmax;
    if ((rc = demo_choose_lr(c, theta, n, 1, &lmax)) != 0)
        goto done;
    /* The predictor f_t(x*) = Θ(x*,X)·C_t at every requested time and at Tnet. */
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
                    sol->coef + t * n, 1, 0.0, pred + t * ng, 1);
    memcpy(th_copy, theta, n * n * sizeof *theta);
    sp.times = &Tnet;
    sp.n_times = 1;
    sp.method = NTK_SOLVE_EIGEN;
    if (ntk_solve(th_copy, n, Y, 1, &sp, &solT, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)ng, (int)n, 1.0, tg, (int)n, solT->coef, 1, 0.0,
                ntk_T, 1);
    if (sol->n_clamped || sol->jitter > 0)
        cli_warn(c->cmd, "note: the training kernel is numerically singular (jitter %.3g, %zu "
                         "eigenvalues clamped)", sol->jitter, sol->n_clamped);
    /* Networks: input dimension 1, centered, mean over seeds. */
    ntk_arch net_arch = *a;
    if (c->o.train.kind == NTK_KIND_NNGP)
        net_arch.fixed_layers = net_arch.depth;
    size_t steps[1] = {(size_t)Tnet};
    for (size_t w = 0; w < W; w++)
        for (size_t s = 0; s < S; s++) {
            char stage[96];
            snprintf(stage, sizeof stage, "width %zu, seed %zu/%zu", widths[w], s + 1, S);
            demo_net_job job = {&net_arch, X, Y, G, n, 1, 1, ng, steps, 1, c->o.train.solve.lr,
                                c->o.train.solve.time_scale, stage, NULL, NULL};
            if (demo_net_train(&job, widths[w], c->o.seed + s, one, NULL, NULL, NULL, &err) !=
                NTK_OK) {
                rc = cli_fail(c->cmd, &err);
                goto done;
            }
            for (size_t i = 0; i < ng; i++)
                net[w * ng + i] += one[i] / (double)S;
        }

    if ((rc = demo_files_open(c, &files, 1200, 520,
                              "x, truth, ntk_t<t> per time t (ntk_tinf: kernel interpolant), "
                              "ntk_at_T, net<W>_t<T> per width W, train_x, train_y")) != 0)
        goto done;
    FILE *o = files.csv.f;
    char tb[40];
    fputs("x,truth", o);
    for (size_t t = 0; t < nT; t++) {
        cli_fmt_time(tb, sizeof tb, times[t]);
        fprintf(o, ",ntk_t%s", tb);
    }
    fputs(",ntk_at_T", o);
    for (size_t w = 0; w < W; w++)
        fprintf(o, ",net%zu_t%.0f", widths[w], Tnet);
    fputs(",train_x,train_y\n", o);
    for (size_t i = 0; i < ng || i < n; i++) {
        if (i < ng) {
            fprintf(o, "%.17g,%.17g", G[i], truth(G[i]));
            for (size_t t = 0; t < nT; t++)
                fprintf(o, ",%.17g", pred[t * ng + i]);
            fprintf(o, ",%.17g", ntk_T[i]);
            for (size_t w = 0; w < W; w++)
                fprintf(o, ",%.17g", net[w * ng + i]);
        } else {
            fputc(',', o);
            for (size_t q = 0; q < nT + 1 + W; q++)
                fputc(',', o);
        }
        if (i < n)
            fprintf(o, ",%.17g,%.17g\n", X[i], Y[i]);
        else
            fputs(",,\n", o);
    }
    char arch[160];
    demo_arch_text(a, arch, sizeof arch);
    FILE *g = files.gp.f;
    size_t cx = 4 + nT + W; /* train_x column */
    fprintf(g, "set multiplot layout 1,2 title \"1-D regression, %zu points of sin(πx) + 0.3x; %s; "
               "lr = %.4g (1/λ_{max}), t in gradient-descent steps\" font \",11\"\n",
            n, arch, c->o.train.solve.lr);
    fputs("set grid\nset xlabel \"x\"\nset ylabel \"f(x)\"\nset xrange [-1.5:1.5]\n"
          "set yrange [-2.5:2.5]\nset key bottom right box opaque font \",9\"\n", g);
    fputs("set title \"NTK predictor f_t converging to the kernel interpolant (t = ∞)\"\n", g);
    fputs("plot data using 1:2 with lines lw 1.5 dt 3 lc rgb \"gray40\" title \"truth\"", g);
    const char *ramp[] = {"#fdae61", "#f46d43", "#d73027", "#a50026", "#74add1", "#4575b4"};
    for (size_t t = 0; t < nT; t++) {
        cli_fmt_time(tb, sizeof tb, times[t]);
        if (isinf(times[t]))
            fprintf(g, ", \\\n     data using 1:%zu with lines lw 3 lc rgb \"black\" title "
                       "\"t = ∞ (kernel regression)\"", 3 + t);
        else
            fprintf(g, ", \\\n     data using 1:%zu with lines lw 2 lc rgb \"%s\" title \"t = "
                       "%s\"", 3 + t, ramp[t % 6], tb);
    }
    fprintf(g, ", \\\n     data using %zu:%zu with points pt 7 ps 1.3 lc rgb \"black\" title "
               "\"training points\"\n", cx, cx + 1);
    fprintf(g, "set title \"networks of increasing width after t = %.0f steps (centered, %zu "
               "seed%s)\"\n", Tnet, S, S == 1 ? "" : "s");
    fputs("plot data using 1:2 with lines lw 1.5 dt 3 lc rgb \"gray40\" title \"truth\"", g);
    const char *wc[] = {"#66c2a5", "#3288bd", "#5e4fa2", "#9e0142", "#f46d43", "#abdda4"};
    for (size_t w = 0; w < W; w++)
        fprintf(g, ", \\\n     data using 1:%zu with lines lw 2 lc rgb \"%s\" title \"width %zu\"",
                3 + nT + 1 + w, wc[w % 6], widths[w]);
    fprintf(g, ", \\\n     data using 1:%zu with lines lw 3 dt 2 lc rgb \"black\" title \"NTK "
               "predictor, t = %.0f\"", 3 + nT, Tnet);
    fprintf(g, ", \\\n     data using %zu:%zu with points pt 7 ps 1.3 lc rgb \"black\" title "
               "\"training points\"\n", cx, cx + 1);
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    ntk_solution_free(sol);
    ntk_solution_free(solT);
    free(X);
    free(Y);
    free(G);
    free(theta);
    free(th_copy);
    free(tg);
    free(pred);
    free(net);
    free(one);
    free(ntk_T);
    return rc;
}

const demo_def demo_toy_regression = {
    "toy-regression",
    "1-D regression: NTK predictor over time converging to the interpolant; networks by width",
    "A 1-D regression problem: N evenly spaced points of sin(πx) + 0.3x on [−1, 1]\n"
    "(inputs are the raw x, d = 1; the default σ_b = 0.5 makes the kernel\n"
    "non-trivial). Left: the NTK predictor f_t on [−1.5, 1.5] at each --times value,\n"
    "converging to the kernel interpolant (t = inf). Right: centered networks of\n"
    "increasing width trained for T steps (T = the largest finite time) against\n"
    "the NTK predictor at T. Targets are used as given (--target-scaling off).\n\n"
    "  --n N                training points (default 8)\n"
    "  --times LIST         default 10,100,1000,10000,inf (steps of gradient descent)\n"
    "  --widths LIST        default 10,100,1000; --seeds S (default 1)\n"
    "  --lr ETA             default 1/lambda_max of the training kernel\n\n"
    "CSV columns: x (241 grid points), truth, ntk_t<t> per time (ntk_tinf: the\n"
    "kernel interpolant; equal to `ntk eval --train (train_x,train_y) --test (x)\n"
    "--standardize none --target-scaling off --predictions` at the same --lr),\n"
    "ntk_at_T, net<W>_t<T> per width (mean over seeds), train_x, train_y (the\n"
    "first N rows; empty below).\n",
    preset,
    run,
};

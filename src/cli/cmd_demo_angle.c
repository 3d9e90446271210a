/* ntk demo kernel-vs-angle — Θ(x₀, x(γ)) on the unit circle: the analytic
 * limit and empirical NTKs of networks of two widths, at initialization and
 * after training (the figure of Jacot et al. that introduced the NTK). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static void preset(demo_ctx *c)
{
    c->o.train.arch.depth = 3;
    c->o.train.arch.b_std = 0.1;
    c->seeds = 3;
}

typedef struct {
    const double *x0, *grid;
    size_t ng;
    double *out; /* 1×ng */
} entk_hook;

static int init_entk(ntk_network *net, void *ctx, ntk_error *err)
{
    entk_hook *h = ctx;
    return ntk_network_entk(net, h->x0, 1, h->grid, h->ng, -1, h->out, err);
}

#define N_TRAIN 6

static int run(demo_ctx *c)
{
    size_t ng = c->n ? (size_t)c->n : 201;
    size_t def_w[2] = {100, 500};
    const size_t *widths = c->widths ? c->widths : def_w;
    size_t W = c->widths ? c->n_widths : 2, S = (size_t)c->seeds;
    double T = 1000;
    if (c->times_given) {
        T = c->o.train.solve.times[c->o.train.solve.n_times - 1];
        if (!isfinite(T) || T != floor(T) || T < 0 || T > 1e7)
            return cli_usage(c->cmd, "--times: the training steps must be an integer in 0..1e7, "
                                     "got %g", T);
    }
    ntk_error err = {0};
    demo_files files = {0};
    int rc = CLI_EXIT_FAIL;
    /* Grid on the circle, x0 = (1, 0); training points and targets. */
    double x0[2] = {1.0, 0.0}, X[2 * N_TRAIN], Y[N_TRAIN], theta[N_TRAIN * N_TRAIN];
    double *grid = malloc(2 * ng * sizeof *grid), *gam = malloc(ng * sizeof *gam);
    double *ana = malloc(ng * sizeof *ana);
    double *emp = malloc(W * S * 2 * ng * sizeof *emp);
    double *outs = NULL;
    ntk_network *net = NULL;
    if (!grid || !gam || !ana || !emp) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < ng; i++) {
        gam[i] = -M_PI + 2.0 * M_PI * (double)i / (double)(ng - 1);
        grid[2 * i] = cos(gam[i]);
        grid[2 * i + 1] = sin(gam[i]);
    }
    for (int i = 0; i < N_TRAIN; i++) {
        double g = -M_PI + 2.0 * M_PI * (i + 0.5) / N_TRAIN;
        X[2 * i] = cos(g);
        X[2 * i + 1] = sin(g);
        Y[i] = sin(2.0 * g) + 0.5 * cos(g);
    }
    ntk_kernel_options kopt = {c->o.threads, {NULL, NULL}};
    if (ntk_kernel_eval(&c->o.train.arch, NTK_KIND_NTK, x0, 1, grid, ng, 2, ana, &kopt, &err) !=
            NTK_OK ||
        ntk_kernel_eval(&c->o.train.arch, NTK_KIND_NTK, X, N_TRAIN, NULL, 0, 2, theta, &kopt,
                        &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    double lmax;
    if ((rc = demo_choose_lr(c, theta, N_TRAIN, 1, &lmax)) != 0)
        goto done;
    size_t steps[1] = {(size_t)T};
    outs = malloc(N_TRAIN * sizeof *outs);
    if (!outs) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    double loss_sum = 0;
    for (size_t w = 0; w < W; w++)
        for (size_t s = 0; s < S; s++) {
            double *ei = emp + ((w * S + s) * 2) * ng, *et = ei + ng;
            entk_hook h = {x0, grid, ng, ei};
            char stage[96];
            snprintf(stage, sizeof stage, "width %zu, seed %zu/%zu", widths[w], s + 1, S);
            demo_net_job job = {&c->o.train.arch, X, Y, X, N_TRAIN, 2, 1, N_TRAIN, steps, 1,
                                c->o.train.solve.lr, c->o.train.solve.time_scale, stage,
                                init_entk, &h};
            if (demo_net_train(&job, widths[w], c->o.seed + s, outs, NULL, NULL, &net, &err) !=
                    NTK_OK ||
                ntk_network_entk(net, x0, 1, grid, ng, -1, et, &err) != NTK_OK) {
                rc = cli_fail(c->cmd, &err);
                goto done;
            }
            ntk_network_free(net);
            net = NULL;
            for (int i = 0; i < N_TRAIN; i++)
                loss_sum += (outs[i] - Y[i]) * (outs[i] - Y[i]);
        }
    (void)loss_sum;

    if ((rc = demo_files_open(c, &files, 1000, 640,
                              "gamma, x1, x2 (the point x(gamma) = (cos gamma, sin gamma)), "
                              "analytic, then w<W>_s<S>_init and w<W>_s<S>_trained per width W "
                              "and seed S")) != 0)
        goto done;
    FILE *o = files.csv.f;
    fputs("gamma,x1,x2,analytic", o);
    for (size_t w = 0; w < W; w++)
        for (size_t s = 0; s < S; s++)
            fprintf(o, ",w%zu_s%zu_init,w%zu_s%zu_trained", widths[w], c->o.seed + s, widths[w],
                    c->o.seed + s);
    fputc('\n', o);
    for (size_t i = 0; i < ng; i++) {
        fprintf(o, "%.17g,%.17g,%.17g,%.17g", gam[i], grid[2 * i], grid[2 * i + 1], ana[i]);
        for (size_t q = 0; q < W * S; q++)
            fprintf(o, ",%.17g,%.17g", emp[q * 2 * ng + i], emp[(q * 2 + 1) * ng + i]);
        fputc('\n', o);
    }
    char arch[160];
    demo_arch_text(&c->o.train.arch, arch, sizeof arch);
    FILE *g = files.gp.f;
    fprintf(g, "set title \"NTK Θ(x_0, x(γ)) on the unit circle, x_0 = (1, 0), x(γ) = (cos γ, sin "
               "γ); %s\\nnetworks: %zu seeds per width, at initialization (solid) and after %.0f "
               "gradient-descent steps on %d points of the circle (dashed), lr = %.3g\"\n",
            arch, S, T, N_TRAIN, c->o.train.solve.lr);
    fputs("set xlabel \"angle γ\"\nset ylabel \"Θ(x_0, x(γ))\"\nset grid\n"
          "set xrange [-pi:pi]\n"
          "set xtics (\"−π\" -pi, \"−π/2\" -pi/2, \"0\" 0, \"π/2\" pi/2, \"π\" pi)\n"
          "set key top left box opaque\n", g);
    const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    fputs("plot ", g);
    for (size_t w = 0; w < W; w++)
        for (size_t s = 0; s < S; s++)
            for (int tr = 0; tr < 2; tr++) {
                size_t col = 5 + 2 * (w * S + s) + (size_t)tr;
                char title[96];
                if (s == 0)
                    snprintf(title, sizeof title, "title \"width %zu, %s\"", widths[w],
                             tr ? "after training" : "at initialization");
                else
                    snprintf(title, sizeof title, "notitle");
                fprintf(g, "data using 1:%zu with lines lw 1.5 dt %d lc rgb \"%s\" %s, \\\n     ",
                        col, tr ? 2 : 1, colors[w % 6], title);
            }
    fputs("data using 1:4 with lines lw 3.5 lc rgb \"black\" title \"analytic limit (infinite "
          "width)\"\n", g);
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    ntk_network_free(net);
    free(grid);
    free(gam);
    free(ana);
    free(emp);
    free(outs);
    return rc;
}

const demo_def demo_kernel_vs_angle = {
    "kernel-vs-angle",
    "NTK on the unit circle against the angle: analytic limit vs networks of two widths",
    "Θ(x₀, x(γ)) for x₀ = (1, 0) and x(γ) = (cos γ, sin γ) on the unit circle (d = 2),\n"
    "γ in [−π, π]: the analytic infinite-width NTK (ntk_kernel_eval), and the empirical\n"
    "NTKs of networks of two widths at initialization and after gradient descent on\n"
    "6 points of the circle (targets sin 2γ + cos(γ)/2). The wide networks' kernels\n"
    "lie close to the limit and barely move in training (Jacot et al., 2018, Fig. 1).\n"
    "Defaults: --depth 3 --b-std 0.1 --seeds 3.\n\n"
    "  --n N                points on the circle (default 201)\n"
    "  --widths LIST        default 100,500\n"
    "  --times T            training steps (default 1000); --lr default 1/lambda_max\n\n"
    "CSV columns: gamma, x1, x2 (the point x(gamma), %.17g), analytic (Θ(x0, x), as\n"
    "`ntk kernel --data x0.csv --data2 points.csv --no-target` prints), then\n"
    "w<W>_s<S>_init and w<W>_s<S>_trained: the empirical NTK of the network of width\n"
    "W and seed S at initialization and after training.\n",
    preset,
    run,
};

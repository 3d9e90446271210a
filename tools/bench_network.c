/* Benchmark of the network module (see docs/network.md):
 *   bench_network speed [width depth rows steps]   gradient-descent speed vs dgemm
 *   bench_network mc [seeds]                       Monte Carlo: mean empirical NTK
 *                                                  vs analytic NTK at widths 128..2048
 * Built and run by tools/bench_network.sh. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/network.h"
#include "ntk/rng.h"

static void fill(double *v, size_t n, uint64_t seed)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = ntk_rng_normal(&r);
}

/* dgemm GFLOP/s for (m×k)·(k×n), best of reps. */
static double dgemm_rate(size_t m, size_t k, size_t n, int reps)
{
    double *A = malloc(m * k * sizeof *A), *B = malloc(k * n * sizeof *B),
           *C = malloc(m * n * sizeof *C);
    fill(A, m * k, 1);
    fill(B, k * n, 2);
    double best = 1e300;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, A,
                    (int)k, B, (int)n, 0.0, C, (int)n);
        double t = omp_get_wtime() - t0;
        if (t < best)
            best = t;
    }
    free(A);
    free(B);
    free(C);
    return 2.0 * (double)m * (double)k * (double)n / best / 1e9;
}

static int speed(size_t width, int depth, size_t n, size_t steps)
{
    size_t d = 13, k = 1;
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = depth;
    ntk_error err = {0};
    ntk_network *net;
    double t0 = omp_get_wtime();
    if (ntk_network_create(&a, d, width, k, 1, &net, &err) != NTK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_init = omp_get_wtime() - t0;
    double *X = malloc(n * d * sizeof *X), *Y = malloc(n * sizeof *Y);
    fill(X, n * d, 3);
    fill(Y, n, 4);
    /* flops per step: forward 2·n·fi·fo per layer, weight gradient the same,
     * backward δ the same for every layer but the first */
    double flops = 0;
    for (int l = 0; l < net->n_layers; l++) {
        double g = 2.0 * (double)n * (double)net->fan[l] * (double)net->fan[l + 1];
        flops += g * (l == 0 ? 2 : 3);
    }
    double rate = dgemm_rate(n, width, width, 3);
    ntk_gd_params gp;
    ntk_gd_params_init(&gp);
    gp.lr = 1e-4;
    double loss;
    t0 = omp_get_wtime();
    if (ntk_network_train(net, X, n, Y, NULL, steps, &gp, &loss, &err) != NTK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t = omp_get_wtime() - t0;
    double achieved = flops * (double)steps / t / 1e9;
    printf("speed: width %zu, depth %d, %zu rows, %zu steps: %.2f s (%.4f s/step; init %.2f s); "
           "%.3g GFLOP/step, %.1f GFLOP/s = %.0f%% of dgemm %zux%zux%zu at %.1f GFLOP/s "
           "(BLAS core %s, %d threads)\n",
           width, depth, n, steps, t, t / (double)steps, t_init, flops / 1e9, achieved,
           100 * achieved / rate, n, width, width, rate, openblas_get_corename(),
           openblas_get_num_threads());
    printf("speed: projected time for %zu steps: %.1f s\n", (size_t)1000,
           t / (double)steps * 1000);
    ntk_network_free(net);
    free(X);
    free(Y);
    return 0;
}

static int mc(int seeds)
{
    enum { NP = 6, D = 3 };
    double X[NP * D];
    fill(X, NP * D, 2024);
    const char *acts[] = {"relu", "erf"};
    size_t widths[] = {128, 256, 512, 1024, 2048};
    printf("mc: relative Frobenius error of the mean of %d empirical NTKs (and of one network, "
           "mean over seeds) vs ntk_kernel_eval, %d points in %d dimensions\n", seeds, NP, D);
    for (int ai = 0; ai < 2; ai++)
        for (int depth = 1; depth <= 3; depth++) {
            ntk_arch a;
            ntk_error err = {0};
            ntk_arch_init(&a);
            ntk_activation_parse(acts[ai], &a.act, &err);
            a.depth = depth;
            a.b_std = 0.2;
            if (ai == 1)
                a.w_std = 1.5;
            double K[NP * NP];
            if (ntk_kernel_eval(&a, NTK_KIND_NTK, X, NP, NULL, 0, D, K, NULL, &err) != NTK_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            printf("mc: %-4s depth %d:", acts[ai], depth);
            double lw[5], le[5];
            for (int w = 0; w < 5; w++) {
                double mean[NP * NP] = {0}, E[NP * NP], single = 0;
                for (int s = 0; s < seeds; s++) {
                    ntk_network *net;
                    if (ntk_network_create(&a, D, widths[w], 1, 5000 + (uint64_t)s, &net, &err) ||
                        ntk_network_entk(net, X, NP, NULL, 0, -1, E, &err)) {
                        fprintf(stderr, "%s\n", err.msg);
                        return 1;
                    }
                    for (int i = 0; i < NP * NP; i++)
                        mean[i] += E[i] / seeds;
                    single += ntk_rel_frobenius(E, K, NP * NP) / seeds;
                    ntk_network_free(net);
                }
                double e = ntk_rel_frobenius(mean, K, NP * NP);
                lw[w] = log((double)widths[w]);
                le[w] = log(single);
                printf("  %zu: %.4f (%.4f)", widths[w], e, single);
            }
            /* least-squares slope of log(single-network error) on log(width) */
            double mx = 0, my = 0, sxy = 0, sxx = 0;
            for (int w = 0; w < 5; w++) {
                mx += lw[w] / 5;
                my += le[w] / 5;
            }
            for (int w = 0; w < 5; w++) {
                sxy += (lw[w] - mx) * (le[w] - my);
                sxx += (lw[w] - mx) * (lw[w] - mx);
            }
            printf("  slope %.3f\n", sxy / sxx);
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "speed") == 0) {
        size_t width = argc > 2 ? (size_t)atol(argv[2]) : 4096;
        int depth = argc > 3 ? atoi(argv[3]) : 3;
        size_t n = argc > 4 ? (size_t)atol(argv[4]) : 500;
        size_t steps = argc > 5 ? (size_t)atol(argv[5]) : 1000;
        return speed(width, depth, n, steps);
    }
    if (argc >= 2 && strcmp(argv[1], "mc") == 0)
        return mc(argc > 2 ? atoi(argv[2]) : 16);
    fprintf(stderr, "usage: bench_network speed [width depth rows steps] | mc [seeds]\n");
    return 2;
}

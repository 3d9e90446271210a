/* uncertainty_mc — Monte Carlo check of the ensemble covariance
 * (ntk/uncertainty.h) against finite networks actually trained.
 *
 * For each width, S networks with different seeds (NTK parameterization,
 * include/ntk/network.h) are trained by full-batch gradient descent from
 * their random initialization (no output offset: the ensemble includes the
 * random initial function), for `steps` steps at rate η on the 'mean' loss.
 * Over the seeds we take the empirical mean and variance of f(x*) at the
 * test inputs and compare with the infinite-width prediction at t = steps:
 * mean U_t Y and variance diag Σ_t (same lr and time scale; gradient descent
 * with a small ηcλ_max is close to gradient flow).
 *
 * Reported per width: max |mean_emp − mean_pred| / σ_pred, and the mean over
 * test points of |var_emp − var_pred| / var_pred (the sampling error of a
 * variance from S draws is about √(2/S)).
 *
 * usage: uncertainty_mc [S] [steps] [widths...]   (defaults 200 500 64 256 1024 4096)
 * (lr 0.1, so that η·c·λ_max ≈ 0.16: gradient descent close to gradient flow) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/network.h"
#include "ntk/rng.h"
#include "ntk/uncertainty.h"

#define N 24
#define M 8
#define D 3

static void die(const ntk_error *e)
{
    fprintf(stderr, "uncertainty_mc: %s\n", e->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    int S = argc > 1 ? atoi(argv[1]) : 200;
    int steps = argc > 2 ? atoi(argv[2]) : 500;
    size_t widths[16] = {64, 256, 1024, 4096};
    int nw = 4;
    if (argc > 3) {
        nw = 0;
        for (int i = 3; i < argc && nw < 16; i++)
            widths[nw++] = (size_t)atol(argv[i]);
    }
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 1;
    a.b_std = 0.1;
    double lr = 0.1;
    ntk_rng r;
    ntk_rng_seed(&r, 5);
    double Z[(N + M) * D], Y[N];
    for (size_t i = 0; i < (N + M) * D; i++)
        Z[i] = ntk_rng_normal(&r);
    for (size_t i = 0; i < N; i++)
        Y[i] = sin(2 * Z[i * D]) + 0.5 * Z[i * D + 1] * Z[i * D + 2];
    const double *X = Z, *Xs = Z + N * D;

    /* Infinite-width prediction: mean U_t Y (through the solver) and variance. */
    ntk_error err = {0};
    double *tdd = malloc(N * N * sizeof *tdd), *kdd = malloc(N * N * sizeof *kdd);
    double tsd[M * N], ksd[M * N], prior[M], var[M], mean[M];
    if (ntk_kernel_eval(&a, NTK_KIND_NTK, X, N, NULL, 0, D, tdd, NULL, &err) ||
        ntk_kernel_eval(&a, NTK_KIND_NNGP, X, N, NULL, 0, D, kdd, NULL, &err) ||
        ntk_kernel_eval(&a, NTK_KIND_NTK, Xs, M, X, N, D, tsd, NULL, &err) ||
        ntk_kernel_eval(&a, NTK_KIND_NNGP, Xs, M, X, N, D, ksd, NULL, &err) ||
        ntk_nngp_diagonal(&a, Xs, M, D, prior, &err))
        die(&err);
    double t = steps;
    ntk_solve_params sp;
    ntk_solve_params_init(&sp);
    sp.lr = lr;
    sp.time_scale = NTK_TIME_MEAN;
    sp.times = &t;
    sp.n_times = 1;
    double *tcopy = malloc(N * N * sizeof *tcopy);
    memcpy(tcopy, tdd, N * N * sizeof *tcopy);
    ntk_solution *sol = NULL;
    if (ntk_solve(tcopy, N, Y, 1, &sp, &sol, &err))
        die(&err);
    free(tcopy);
    for (size_t i = 0; i < M; i++) {
        mean[i] = 0;
        for (size_t j = 0; j < N; j++)
            mean[i] += tsd[i * N + j] * sol->coef[j];
    }
    printf("# lambda_max(Theta)*lr/N = %.3g (gradient descent ~ flow when small)\n",
           sol->eig_max * lr / N);
    ntk_solution_free(sol);
    ntk_ensemble_params ep;
    ntk_ensemble_params_init(&ep);
    ep.lr = lr;
    ep.time_scale = NTK_TIME_MEAN;
    ep.times = &t;
    ep.n_times = 1;
    ntk_ensemble *e = NULL;
    if (ntk_ensemble_prepare(tdd, kdd, N, &ep, &e, &err) ||
        ntk_ensemble_covariance(e, tsd, ksd, prior, M, 0, var, NULL, &err))
        die(&err);
    ntk_ensemble_free(e);

    printf("# depth 1 relu, b_std 0.1, N=%d train, M=%d test, lr %g, time scale mean, "
           "t = %d steps, S = %d seeds; sampling error of a variance ~ %.3f\n",
           N, M, lr, steps, S, sqrt(2.0 / S));
    printf("%8s %22s %26s %22s\n", "width", "max|dmean|/sd_pred", "mean|dvar|/var_pred",
           "mean var_pred");
    for (int w = 0; w < nw; w++) {
        double s1[M] = {0}, s2[M] = {0};
        for (int s = 0; s < S; s++) {
            ntk_network *net = NULL;
            ntk_gd_params gp;
            ntk_gd_params_init(&gp);
            gp.lr = lr;
            gp.time_scale = NTK_TIME_MEAN;
            double out[M];
            if (ntk_network_create(&a, D, widths[w], 1, 1000u + (uint64_t)s, &net, &err) ||
                ntk_network_train(net, X, N, Y, NULL, (size_t)steps, &gp, NULL, &err) ||
                ntk_network_forward(net, Xs, M, out, &err))
                die(&err);
            for (size_t i = 0; i < M; i++) {
                s1[i] += out[i];
                s2[i] += out[i] * out[i];
            }
            ntk_network_free(net);
        }
        double dm = 0, dv = 0, vp = 0;
        for (size_t i = 0; i < M; i++) {
            double em = s1[i] / S, ev = (s2[i] - S * em * em) / (S - 1);
            dm = fmax(dm, fabs(em - mean[i]) / sqrt(var[i]));
            dv += fabs(ev - var[i]) / var[i] / M;
            vp += var[i] / M;
        }
        printf("%8zu %22.4f %26.4f %22.4g\n", widths[w], dm, dv, vp);
        fflush(stdout);
    }
    return 0;
}

/* Network tests: activation derivatives, the backward pass against finite
 * differences, the empirical NTK against an explicit finite-difference
 * Jacobian product, gradient-descent steps, the linearized dynamics and the
 * helpers (λ_max, relative Frobenius distance). */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "ntk/network.h"
#include "ntk/rng.h"
#include "testutil.h"

static void arch_of(ntk_arch *a, const char *act, int depth, double w_std, double b_std, int F)
{
    ntk_error err = {0};
    ntk_arch_init(a);
    ck_assert_msg(ntk_activation_parse(act, &a->act, &err) == NTK_OK, "%s", err.msg);
    a->depth = depth;
    a->w_std = w_std;
    a->b_std = b_std;
    a->fixed_layers = F;
}

static void random_fill(double *v, size_t n, uint64_t seed, double scale)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * ntk_rng_normal(&r);
}

static const char *const all_acts[] = {
    "relu", "leaky_relu:0.2", "abrelu:-0.3,1.5", "abs", "erf", "erf:2,0.5,0.3", "sigmoid_like",
    "gelu", "sin", "sin:1.5,0.7,0.2", "cos", "identity", "tanh", "softplus", "swish", "elu",
    "elu:0.5", "sigmoid", NULL};

/* φ' against a central difference of φ, away from kinks. */
START_TEST(test_act_derivatives)
{
    for (int a = 0; all_acts[a]; a++) {
        ntk_activation act;
        ntk_error err = {0};
        ck_assert(ntk_activation_parse(all_acts[a], &act, &err) == NTK_OK);
        double x[64], fp[64], f[64];
        for (int i = 0; i < 64; i++)
            x[i] = -4.0 + 8.0 * (i + 0.37) / 64.0; /* never exactly 0 */
        ntk_network_act(&act, x, f, fp, 64);
        for (int i = 0; i < 64; i++) {
            double h = 1e-6, xp = x[i] + h, xm = x[i] - h, fpl, fmi;
            ntk_network_act(&act, &xp, &fpl, NULL, 1);
            ntk_network_act(&act, &xm, &fmi, NULL, 1);
            double fd = (fpl - fmi) / (2 * h);
            ck_assert_msg(fabs(fd - fp[i]) <= 1e-7 * (1 + fabs(fp[i])), "%s at %g: %g vs %g",
                          all_acts[a], x[i], fp[i], fd);
            double ff;
            ntk_network_act(&act, &x[i], &ff, NULL, 1);
            ck_assert(ff == f[i]);
        }
    }
    /* Spot values of the conventions. */
    ntk_activation act;
    ntk_error err = {0};
    double x = 0.7, f, fp;
    ntk_activation_parse("erf:2,0.5,0.3", &act, &err);
    ntk_network_act(&act, &x, &f, &fp, 1);
    ck_assert_close(f, 2 * erf(0.35) + 0.3, 1e-15, 1e-300);
    ntk_activation_parse("gelu", &act, &err);
    ntk_network_act(&act, &x, &f, &fp, 1);
    ck_assert_close(f, 0.7 * 0.5 * (1 + erf(0.7 / sqrt(2))), 1e-15, 1e-300);
    ntk_activation_parse("cos", &act, &err);
    ntk_network_act(&act, &x, &f, &fp, 1);
    ck_assert_close(f, cos(0.7), 1e-15, 1e-300);
    ntk_activation_parse("softplus", &act, &err);
    x = 800;
    ntk_network_act(&act, &x, &f, &fp, 1);
    ck_assert(f == 800 && fp == 1);
    x = 0;
    ntk_activation_parse("relu", &act, &err);
    ntk_network_act(&act, &x, &f, &fp, 1);
    ck_assert(f == 0 && fp == 0.5);
}
END_TEST

static double cube(double x, void *ctx) { return *(double *)ctx * x * x * x; }
static double dcube(double x, void *ctx) { return 3 * *(double *)ctx * x * x; }

/* Σ C·f(X;θ) for finite differences. */
static double contract(const ntk_network *net, const double *X, size_t n, const double *C)
{
    double *f = malloc(n * net->k * sizeof *f), s = 0;
    ntk_error err = {0};
    ck_assert(ntk_network_forward(net, X, n, f, &err) == NTK_OK);
    for (size_t i = 0; i < n * net->k; i++)
        s += C[i] * f[i];
    free(f);
    return s;
}

/* The backward pass (VJP) against central finite differences, for every
 * activation, with biases, several depths and fixed layers. */
static void grad_check(const ntk_arch *a, size_t d, size_t width, size_t k, size_t n)
{
    ntk_error err = {0};
    ntk_network *net;
    ck_assert_msg(ntk_network_create(a, d, width, k, 11, &net, &err) == NTK_OK, "%s", err.msg);
    double *X = malloc(n * d * sizeof *X), *C = malloc(n * k * sizeof *C);
    random_fill(X, n * d, 1, 1.0);
    random_fill(C, n * k, 2, 1.0);
    size_t P = ntk_network_n_params(net);
    double *g = malloc(P * sizeof *g), *th = malloc(P * sizeof *th);
    ck_assert(ntk_network_vjp(net, X, n, C, g, &err) == NTK_OK);
    ntk_network_get_params(net, th);
    double gmax = 0;
    for (size_t i = 0; i < P; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < P; i++) {
        double h = 1e-5, t0 = th[i];
        th[i] = t0 + h;
        ntk_network_set_params(net, th);
        double fp = contract(net, X, n, C);
        th[i] = t0 - h;
        ntk_network_set_params(net, th);
        double fm = contract(net, X, n, C);
        th[i] = t0;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - g[i]) <= 1e-6 * (gmax + 1e-3), "param %zu of %zu: %g vs fd %g",
                      i, P, g[i], fd);
    }
    ntk_network_set_params(net, th);
    free(X);
    free(C);
    free(g);
    free(th);
    ntk_network_free(net);
}

START_TEST(test_gradient_fd)
{
    for (int a = 0; all_acts[a]; a++)
        for (int depth = 0; depth <= 3; depth++) {
            ntk_arch arch;
            arch_of(&arch, all_acts[a], depth, 1.3, 0.4, 0);
            grad_check(&arch, 3, 5, 2, 4);
        }
    /* fixed layers: only the top layers are trained */
    for (int F = 1; F <= 2; F++) {
        ntk_arch arch;
        arch_of(&arch, "tanh", 2, 1.5, 0.2, F);
        grad_check(&arch, 3, 6, 1, 5);
    }
    /* custom activation */
    ntk_arch arch;
    double scale = 0.5;
    arch_of(&arch, "relu", 2, 1.0, 0.1, 0);
    arch.act.kind = NTK_ACT_CUSTOM;
    arch.act.phi = cube;
    arch.act.dphi = dcube;
    arch.act.ctx = &scale;
    grad_check(&arch, 2, 4, 1, 3);
}
END_TEST

/* Finite-difference Jacobian (n × P) for one output. */
static double *fd_jacobian(ntk_network *net, const double *X, size_t n, int j)
{
    size_t P = ntk_network_n_params(net), k = net->k;
    double *J = malloc(n * P * sizeof *J), *th = malloc(P * sizeof *th);
    double *fp = malloc(n * k * sizeof *fp), *fm = malloc(n * k * sizeof *fm);
    ntk_error err = {0};
    ntk_network_get_params(net, th);
    for (size_t p = 0; p < P; p++) {
        double h = 1e-5, t0 = th[p];
        th[p] = t0 + h;
        ntk_network_set_params(net, th);
        ntk_network_forward(net, X, n, fp, &err);
        th[p] = t0 - h;
        ntk_network_set_params(net, th);
        ntk_network_forward(net, X, n, fm, &err);
        th[p] = t0;
        for (size_t i = 0; i < n; i++)
            J[i * P + p] = (fp[i * k + j] - fm[i * k + j]) / (2 * h);
    }
    ntk_network_set_params(net, th);
    free(th);
    free(fp);
    free(fm);
    return J;
}

/* The empirical NTK of a width-8 network equals the explicit product of
 * finite-difference Jacobians, J Jᵀ (per output, and the mean over outputs),
 * symmetric and cross, with and without fixed layers. */
START_TEST(test_entk_explicit)
{
    const char *acts[] = {"relu", "erf", "tanh", "gelu"};
    for (int ai = 0; ai < 4; ai++)
        for (int F = 0; F <= 1; F++) {
            ntk_arch a;
            arch_of(&a, acts[ai], 2, 1.4, 0.3, F);
            ntk_error err = {0};
            ntk_network *net;
            size_t d = 3, k = 2, n1 = 5, n2 = 3;
            ck_assert(ntk_network_create(&a, d, 8, k, 5, &net, &err) == NTK_OK);
            double X1[15], X2[9];
            random_fill(X1, n1 * d, 7, 1.0);
            random_fill(X2, n2 * d, 8, 1.0);
            size_t P = ntk_network_n_params(net);
            double *J1[2], *J2[2];
            for (int j = 0; j < 2; j++) {
                J1[j] = fd_jacobian(net, X1, n1, j);
                J2[j] = fd_jacobian(net, X2, n2, j);
                /* the analytic Jacobian agrees too */
                double *Ja = malloc(n1 * P * sizeof *Ja);
                ck_assert(ntk_network_jacobian(net, X1, n1, j, Ja, &err) == NTK_OK);
                for (size_t i = 0; i < n1 * P; i++)
                    ck_assert_msg(fabs(Ja[i] - J1[j][i]) <= 1e-7 * (1 + fabs(Ja[i])),
                                  "jacobian %zu: %g vs %g", i, Ja[i], J1[j][i]);
                free(Ja);
            }
            for (int out = -1; out < 2; out++) {
                double K11[25], K12[15], E11[25] = {0}, E12[15] = {0};
                ck_assert(ntk_network_entk(net, X1, n1, NULL, 0, out, K11, &err) == NTK_OK);
                ck_assert(ntk_network_entk(net, X1, n1, X2, n2, out, K12, &err) == NTK_OK);
                int j0 = out < 0 ? 0 : out, j1 = out < 0 ? 2 : out + 1;
                for (int j = j0; j < j1; j++)
                    for (size_t p = 0; p < P; p++) {
                        for (size_t r = 0; r < n1; r++) {
                            for (size_t c = 0; c < n1; c++)
                                E11[r * n1 + c] +=
                                    J1[j][r * P + p] * J1[j][c * P + p] / (j1 - j0);
                            for (size_t c = 0; c < n2; c++)
                                E12[r * n2 + c] +=
                                    J1[j][r * P + p] * J2[j][c * P + p] / (j1 - j0);
                        }
                    }
                ck_assert_msg(ntk_rel_frobenius(K11, E11, 25) < 1e-8, "%s F=%d out=%d: %g",
                              acts[ai], F, out, ntk_rel_frobenius(K11, E11, 25));
                ck_assert(ntk_rel_frobenius(K12, E12, 15) < 1e-8);
                for (size_t r = 0; r < n1; r++)
                    for (size_t c = 0; c < n1; c++)
                        ck_assert(K11[r * n1 + c] == K11[c * n1 + r]);
            }
            for (int j = 0; j < 2; j++) {
                free(J1[j]);
                free(J2[j]);
            }
            ntk_network_free(net);
        }
}
END_TEST

/* One gradient-descent step is θ − η∇L with ∇L from the VJP; the mean time
 * scale divides the step by n·k; the offset shifts the targets. */
START_TEST(test_gd_step)
{
    ntk_arch a;
    arch_of(&a, "erf", 2, 1.5, 0.5, 0);
    ntk_error err = {0};
    size_t d = 3, k = 2, n = 6;
    double X[18], Y[12], O[12];
    random_fill(X, n * d, 21, 1.0);
    random_fill(Y, n * k, 22, 1.0);
    random_fill(O, n * k, 23, 0.3);
    for (int scale = 0; scale < 2; scale++) {
        ntk_network *net, *ref;
        ck_assert(ntk_network_create(&a, d, 7, k, 3, &net, &err) == NTK_OK);
        ck_assert(ntk_network_create(&a, d, 7, k, 3, &ref, &err) == NTK_OK);
        size_t P = ntk_network_n_params(net);
        double *th = malloc(P * sizeof *th), *g = malloc(P * sizeof *g), f[12], C[12];
        ntk_gd_params gp;
        ntk_gd_params_init(&gp);
        gp.lr = 0.05;
        gp.time_scale = scale ? NTK_TIME_MEAN : NTK_TIME_SUM;
        double c = scale ? 1.0 / (double)(n * k) : 1.0;
        for (int s = 0; s < 3; s++) {
            ntk_network_forward(ref, X, n, f, &err);
            for (size_t i = 0; i < n * k; i++)
                C[i] = c * (f[i] - O[i] - Y[i]);
            ntk_network_vjp(ref, X, n, C, g, &err);
            ntk_network_get_params(ref, th);
            for (size_t i = 0; i < P; i++)
                th[i] -= gp.lr * g[i];
            ntk_network_set_params(ref, th);
        }
        double loss;
        ck_assert(ntk_network_train(net, X, n, Y, O, 3, &gp, &loss, &err) == NTK_OK);
        double *th2 = malloc(P * sizeof *th2);
        ntk_network_get_params(net, th2);
        for (size_t i = 0; i < P; i++)
            ck_assert_close(th2[i], th[i], 1e-12, 1e-12);
        ck_assert(isfinite(loss) && loss > 0);
        free(th);
        free(th2);
        free(g);
        ntk_network_free(net);
        ntk_network_free(ref);
    }
}
END_TEST

/* Same seed, same network; different seed, different network; the blocked
 * forward pass agrees with row-by-row evaluation. */
START_TEST(test_seed_and_blocks)
{
    ntk_arch a;
    arch_of(&a, "relu", 3, sqrt(2), 0.1, 0);
    ntk_error err = {0};
    ntk_network *n1, *n2, *n3;
    ck_assert(ntk_network_create(&a, 4, 16, 3, 99, &n1, &err) == NTK_OK);
    ck_assert(ntk_network_create(&a, 4, 16, 3, 99, &n2, &err) == NTK_OK);
    ck_assert(ntk_network_create(&a, 4, 16, 3, 100, &n3, &err) == NTK_OK);
    for (int l = 0; l < n1->n_layers; l++) {
        size_t m = n1->fan[l] * n1->fan[l + 1];
        ck_assert(memcmp(n1->W[l], n2->W[l], m * sizeof(double)) == 0);
        ck_assert(memcmp(n1->b[l], n2->b[l], n1->fan[l + 1] * sizeof(double)) == 0);
        ck_assert(memcmp(n1->W[l], n3->W[l], m * sizeof(double)) != 0);
    }
    size_t n = 40;
    double *X = malloc(n * 4 * sizeof *X), *f = malloc(n * 3 * sizeof *f), g[3];
    random_fill(X, n * 4, 5, 1.0);
    ck_assert(ntk_network_forward(n1, X, n, f, &err) == NTK_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert(ntk_network_forward(n1, X + 4 * i, 1, g, &err) == NTK_OK);
        for (int j = 0; j < 3; j++)
            ck_assert_close(g[j], f[i * 3 + j], 1e-12, 1e-12);
    }
    free(X);
    free(f);
    ntk_network_free(n1);
    ntk_network_free(n2);
    ntk_network_free(n3);
}
END_TEST

/* A wide network trained by small steps follows the linear model of its own
 * empirical kernel: on the training rows, f_s − f_0 ≈ (I − (I − ηΘ̂₀)^s)(Y)
 * with centered outputs. */
START_TEST(test_linearized_dynamics)
{
    ntk_arch a;
    arch_of(&a, "erf", 2, 1.5, 0.2, 0);
    ntk_error err = {0};
    size_t d = 3, n = 6, steps = 40;
    double X[18], Y[6], O[6], f[6], Th[36];
    random_fill(X, n * d, 31, 1.0);
    random_fill(Y, n, 32, 1.0);
    double prev_err = INFINITY;
    size_t widths[] = {64, 1024};
    for (int wi = 0; wi < 2; wi++) {
        ntk_network *net;
        ck_assert(ntk_network_create(&a, d, widths[wi], 1, 4, &net, &err) == NTK_OK);
        ntk_network_forward(net, X, n, O, &err);
        ntk_network_entk(net, X, n, NULL, 0, -1, Th, &err);
        double lmax;
        ck_assert(ntk_lambda_max(Th, n, 0, &lmax, NULL, &err) == NTK_OK);
        ntk_gd_params gp;
        ntk_gd_params_init(&gp);
        gp.lr = 0.5 / lmax;
        ck_assert(ntk_network_train(net, X, n, Y, O, steps, &gp, NULL, &err) == NTK_OK);
        ntk_network_forward(net, X, n, f, &err);
        /* linear model: r ← (I − ηΘ) r from r = −Y; prediction = Y + r */
        double r[6], t[6];
        for (size_t i = 0; i < n; i++)
            r[i] = -Y[i];
        for (size_t s = 0; s < steps; s++) {
            for (size_t i = 0; i < n; i++) {
                t[i] = r[i];
                for (size_t j = 0; j < n; j++)
                    t[i] -= gp.lr * Th[i * n + j] * r[j];
            }
            memcpy(r, t, sizeof r);
        }
        double num = 0, den = 0;
        for (size_t i = 0; i < n; i++) {
            double lin = Y[i] + r[i], net_c = f[i] - O[i];
            num += (lin - net_c) * (lin - net_c);
            den += lin * lin;
        }
        double rel = sqrt(num / den);
        ck_assert_msg(rel < (wi == 0 ? 0.1 : 0.01), "width %zu: %g", widths[wi], rel);
        ck_assert(rel < prev_err);
        prev_err = rel;
        ntk_network_free(net);
    }
}
END_TEST

START_TEST(test_lambda_max)
{
    size_t n = 30;
    double *B = malloc(n * n * sizeof *B), *A = malloc(n * n * sizeof *A),
           *A2 = malloc(n * n * sizeof *A2), w[30];
    random_fill(B, n * n, 41, 1.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t q = 0; q < n; q++)
                s += B[i * n + q] * B[j * n + q];
            A[i * n + j] = s + 1.0; /* a dominant constant mode, like kernels */
        }
    memcpy(A2, A, n * n * sizeof *A);
    ck_assert(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)n, A2, (int)n, w) == 0);
    double lmax;
    int it;
    ntk_error err = {0};
    ck_assert(ntk_lambda_max(A, n, 0, &lmax, &it, &err) == NTK_OK);
    ck_assert_close(lmax, w[n - 1], 1e-8, 1e-300);
    ck_assert(lmax <= w[n - 1] * (1 + 1e-14));
    memset(A, 0, n * n * sizeof *A);
    ck_assert(ntk_lambda_max(A, n, 0, &lmax, &it, &err) == NTK_OK && lmax == 0);
    A[0] = NAN;
    ck_assert(ntk_lambda_max(A, n, 0, &lmax, &it, &err) == NTK_ENUMERIC);
    double x[2] = {3, 4}, y[2] = {0, 0};
    ck_assert_close(ntk_rel_frobenius(x, y, 2), 5.0, 1e-15, 1e-300);
    y[0] = 3;
    y[1] = 5;
    ck_assert_close(ntk_rel_frobenius(x, y, 2), 1.0 / sqrt(34.0), 1e-15, 1e-300);
    free(A);
    free(A2);
    free(B);
}
END_TEST

START_TEST(test_errors)
{
    ntk_arch a;
    arch_of(&a, "relu", 2, 1, 0, 0);
    ntk_error err = {0};
    ntk_network *net = NULL;
    ck_assert(ntk_network_create(&a, 0, 8, 1, 0, &net, &err) == NTK_EINPUT && !net);
    ck_assert(ntk_network_create(&a, 3, 0, 1, 0, &net, &err) == NTK_EINPUT);
    ck_assert(ntk_network_create(&a, 3, 8, 0, 0, &net, &err) == NTK_EINPUT);
    a.fixed_layers = 5;
    ck_assert(ntk_network_create(&a, 3, 8, 1, 0, &net, &err) == NTK_EINPUT);
    a.fixed_layers = 0;
    a.act.kind = NTK_ACT_CUSTOM;
    ck_assert(ntk_network_create(&a, 3, 8, 1, 0, &net, &err) == NTK_EINPUT);
    arch_of(&a, "relu", 2, 1, 0, 0);
    ck_assert(ntk_network_create(&a, 3, 8, 2, 0, &net, &err) == NTK_OK);
    double X[6] = {1, 2, 3, 4, 5, 6}, Y[4] = {1, 2, 3, 4}, K[4];
    ck_assert(ntk_network_entk(net, X, 2, NULL, 0, 2, K, &err) == NTK_EINPUT);
    ck_assert(ntk_network_entk(net, X, 2, NULL, 0, -2, K, &err) == NTK_EINPUT);
    ntk_gd_params gp;
    ntk_gd_params_init(&gp);
    gp.lr = 0;
    ck_assert(ntk_network_train(net, X, 2, Y, NULL, 1, &gp, NULL, &err) == NTK_EINPUT);
    gp.lr = 1e3; /* far beyond 2/λ_max: a linear network diverges */
    ntk_network_free(net);
    arch_of(&a, "identity", 2, 1, 0, 0);
    ck_assert(ntk_network_create(&a, 3, 8, 2, 0, &net, &err) == NTK_OK);
    ntk_status st = ntk_network_train(net, X, 2, Y, NULL, 2000, &gp, NULL, &err);
    ck_assert_msg(st == NTK_ENUMERIC && strstr(err.msg, "diverged"), "%d %s", st, err.msg);
    ntk_network_free(net);
    ntk_network_free(NULL);
    /* depth 0 (a linear model) and all layers fixed but the readout */
    arch_of(&a, "relu", 0, 1, 1, 0);
    ck_assert(ntk_network_create(&a, 3, 0, 1, 0, &net, &err) == NTK_OK);
    ck_assert(ntk_network_n_params(net) == 4);
    ck_assert(ntk_network_entk(net, X, 2, NULL, 0, -1, K, &err) == NTK_OK);
    /* Θ̂ = ⟨x,x'⟩/d + 1 for σ_w = σ_b = 1 */
    ck_assert_close(K[1], (4 + 10 + 18) / 3.0 + 1, 1e-14, 1e-300);
    ntk_network_free(net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("network");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_act_derivatives);
    tcase_add_test(tc, test_gradient_fd);
    tcase_add_test(tc, test_entk_explicit);
    tcase_add_test(tc, test_gd_step);
    tcase_add_test(tc, test_seed_and_blocks);
    tcase_add_test(tc, test_linearized_dynamics);
    tcase_add_test(tc, test_lambda_max);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

/* The shift-and-invert Krylov path for finite times (NTK_SOLVE_KRYLOV)
 * against the eigendecomposition: one solve per ridge serves a grid of
 * times with s·λ_max from 1e-3 to 1e8, on NTK kernels with and without
 * duplicate rows (singular), several targets (some linearly dependent); the
 * honesty of its error estimate when it is stopped early (with t = 0 and
 * t = ∞ in the list); AUTO's choice at n = NTK_CHEB_MIN_N; and the ridge ×
 * time grid of ntk_solve_grid. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/model.h"
#include "ntk/rng.h"
#include "ntk/solver.h"
#include "solver/solver_float.h"
#include "solver_testutil.h"
#include "testutil.h"

/* ReLU depth-3 NTK on n rows of d standard normal features; the last `dups`
 * rows repeat earlier ones (so Θ has a null space of that dimension). */
static double *relu_kernel_x(size_t n, size_t d, size_t dups, uint64_t seed, double **Xout)
{
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    for (size_t i = n - dups; i < n; i++)
        memcpy(X + i * d, X + (i - (n - dups)) * 3 * d, d * sizeof *X);
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 3;
    a.b_std = 0.1;
    ntk_error err = {0};
    ck_assert_msg(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err) == NTK_OK,
                  "%s", err.msg);
    if (Xout)
        *Xout = X;
    else
        free(X);
    return K;
}

static double *relu_kernel(size_t n, size_t d, size_t dups, uint64_t seed)
{
    return relu_kernel_x(n, d, dups, seed, NULL);
}

/* Targets: centered one-hot over k − 1 classes (their columns sum to zero:
 * linearly dependent) plus one smooth regression column. */
static double *targets(size_t n, size_t k, uint64_t seed)
{
    double *Y = malloc(n * k * sizeof *Y);
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        size_t cls = (size_t)(ntk_rng_uniform(&r) * (double)(k - 1)) % (k - 1);
        for (size_t c = 0; c + 1 < k; c++)
            Y[i * k + c] = (c == cls ? 1.0 : 0.0) - 1.0 / (double)(k - 1);
        Y[i * k + k - 1] = sin((double)i) + ntk_rng_normal(&r);
    }
    return Y;
}

/* The grid both precisions are checked over: s·λ_max and ridges (× mean diag). */
static const double GRID_SL[] = {1e-3, 1e-1, 1.0, 10.0, 1e3, 1e5, 1e8};
static const double GRID_REGS[] = {0.0, 1e-6, 1e-3, 1.0};
#define GRID_NT (sizeof GRID_SL / sizeof GRID_SL[0])
#define GRID_NR (sizeof GRID_REGS / sizeof GRID_REGS[0])

/* p ← ridge GRID_REGS[r] (relative) at the times s·λ_max = GRID_SL (λ_max of
 * Θ found once, by the eigen path, into *lmax; times: GRID_NT slots); returns
 * the eigen path's solution there. */
static ntk_solution *grid_reference(const double *K, size_t n, const double *Y, size_t k,
                                    size_t r, double *lmax, double *times, ntk_solve_params *p)
{
    ntk_solve_params_init(p);
    p->reg = GRID_REGS[r];
    p->reg_scale = NTK_REG_RELATIVE;
    double one = 1.0;
    if (*lmax == 0.0) {
        p->times = &one;
        p->n_times = 1;
        ntk_solution *e = solve(K, n, Y, k, p, NTK_SOLVE_EIGEN);
        *lmax = e->eig_max;
        ntk_solution_free(e);
    }
    for (size_t t = 0; t < GRID_NT; t++)
        times[t] = GRID_SL[t] / *lmax;
    p->times = times;
    p->n_times = GRID_NT;
    return solve(K, n, Y, k, p, NTK_SOLVE_EIGEN);
}

/* Every ridge in regs and every s·λ_max in the grid: Krylov vs eigen. */
static void grid(const double *K, size_t n, const double *Y, size_t k, const char *what)
{
    size_t nt = GRID_NT;
    double lmax = 0.0, times[GRID_NT];
    for (size_t r = 0; r < GRID_NR; r++) {
        ntk_solve_params p;
        ntk_solution *se = grid_reference(K, n, Y, k, r, &lmax, times, &p);
        ntk_solution *sk = solve(K, n, Y, k, &p, NTK_SOLVE_KRYLOV);
        ck_assert(sk->used_krylov && !sk->used_eigen && sk->krylov_converged);
        double worst = 0;
        for (size_t t = 0; t < nt; t++) {
            double ec = rel_diff(sk->coef + t * n * k, se->coef + t * n * k, n * k);
            double ef = rel_diff(sk->train_pred + t * n * k, se->train_pred + t * n * k, n * k);
            ck_assert_msg(ec <= 1e-9 && ef <= 1e-9,
                          "%s reg %g s*lmax %g: coef rel %.3g, train rel %.3g", what, GRID_REGS[r],
                          GRID_SL[t], ec, ef);
            worst = fmax(worst, fmax(ec, ef));
        }
        fprintf(stderr,
                "solver_krylov: %s n=%zu k=%zu reg %g: %zu steps, dim %zu, shift %.3g, "
                "estimate %.2g, worst rel vs eigen %.2g\n",
                what, n, k, GRID_REGS[r], sk->krylov_steps, sk->krylov_dim, sk->krylov_shift,
                sk->krylov_estimate, worst);
        ntk_solution_free(se);
        ntk_solution_free(sk);
    }
}

START_TEST(test_grid_full_rank)
{
    size_t n = 300, k = 4;
    double *K = relu_kernel(n, 6, 0, 31);
    double *Y = targets(n, k, 32);
    grid(K, n, Y, k, "relu depth 3");
    free(K);
    free(Y);
}
END_TEST

START_TEST(test_grid_duplicate_rows)
{
    size_t n = 240, k = 3;
    double *K = relu_kernel(n, 4, 40, 41);
    double *Y = targets(n, k, 42);
    grid(K, n, Y, k, "relu depth 3, 40 duplicate rows");
    free(K);
    free(Y);
}
END_TEST

/* |g_s'(a)| = (1 − e^{−sa} − s·a·e^{−sa})/a², decreasing in a ≥ 0 from s²/2. */
static double flow_slope(double a, double s)
{
    double x = s * a;
    if (x < 1e-4)
        return s * s * (0.5 - x / 3.0);
    return (-expm1(-x) - x * exp(-x)) / (a * a);
}

/* The float fit (solver_float.c) by the Krylov path over the same grid as
 * grid(), against the double eigen path. Storing A in float perturbs it by E
 * with ‖E‖_F ≤ u_f‖A‖_F, and the float products of the projection add as
 * much; g_s(A + E) − g_s(A) is bounded by ‖E‖·max|g_s'| over the spectrum
 * (Daleckii–Krein; |g_s'| is largest at the smallest eigenvalue). The test
 * allows 4× that first-order bound (and at least 1e-6, the float path's
 * tolerance); where the bound exceeds 1 (no ridge on a singular kernel at
 * long times) float cannot give a digit and only finiteness is checked. */
static void float_grid(size_t n, size_t d, size_t dups, size_t k, uint64_t seed,
                       const char *what)
{
    size_t nt = GRID_NT;
    double *X = NULL;
    double *K = relu_kernel_x(n, d, dups, seed, &X);
    double *Y = targets(n, k, seed + 1);
    double fro = 0.0;
    for (size_t i = 0; i < n * n; i++)
        fro += K[i] * K[i];
    fro = sqrt(fro);
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = 3;
    a.b_std = 0.1;
    double lmax = 0.0, times[GRID_NT];
    size_t meaningful = 0;
    for (size_t r = 0; r < GRID_NR; r++) {
        ntk_solve_params p;
        ntk_solution *se = grid_reference(K, n, Y, k, r, &lmax, times, &p);
        p.method = NTK_SOLVE_KRYLOV;
        ntk_fit_problem pb = {&a, NTK_KIND_NTK, X, n, d, Y, k, &p, 0, {NULL, NULL},
                              NTK_PRECISION_FLOAT, NTK_REFINE_MAX_DEFAULT};
        ntk_solution *sf = NULL;
        double sk = 0.0;
        ntk_error err = {0};
        ck_assert_msg(solver_float_fit(&pb, &sf, &sk, &err) == NTK_OK, "%s", err.msg);
        ck_assert(sf->single_precision && sf->used_krylov && !sf->used_eigen);
        double eps = 2.0 * 5.96e-8 * (fro + (double)n * se->reg_abs);
        double amin = fmax(se->eig_min - eps, 0.0);
        for (size_t t = 0; t < nt; t++) {
            const double *C = sf->coef + t * n * k, *Ce = se->coef + t * n * k;
            for (size_t i = 0; i < n * k; i++)
                ck_assert(isfinite(C[i]) && isfinite(sf->train_pred[t * n * k + i]));
            double cn = 0.0, yn = 0.0;
            for (size_t i = 0; i < n * k; i++) {
                cn += Ce[i] * Ce[i];
                yn += Y[i] * Y[i];
            }
            double bound = eps * flow_slope(amin, times[t]) * sqrt(yn / cn);
            double e = rel_diff(C, Ce, n * k);
            fprintf(stderr, "solver_krylov float: %s reg %g s*lmax %g: rel %.2g (bound %.2g)\n",
                    what, GRID_REGS[r], GRID_SL[t], e, bound);
            if (bound >= 1.0)
                continue;
            meaningful++;
            ck_assert_msg(e <= fmax(bound, 1e-6), "%s reg %g s*lmax %g: float rel %.3g > %.3g",
                          what, GRID_REGS[r], GRID_SL[t], e, fmax(bound, 1e-6));
        }
        ntk_solution_free(se);
        ntk_solution_free(sf);
    }
    /* Most of the grid must be checked for real. */
    ck_assert_msg(meaningful >= nt * 2, "%s: only %zu cases with a bound below 1", what,
                  meaningful);
    free(X);
    free(K);
    free(Y);
}

START_TEST(test_float_grid)
{
    float_grid(300, 6, 0, 4, 31, "relu depth 3");
    float_grid(240, 4, 40, 3, 41, "relu depth 3, 40 duplicate rows");
}
END_TEST

START_TEST(test_estimate_honest)
{
    /* Stopped early on purpose (loose tolerances): the reported estimate must
     * not understate the true error against the eigen path by more than 10x. */
    size_t n = 300, k = 2;
    double *K = relu_kernel(n, 6, 0, 51);
    double *Y = targets(n, k, 52);
    double times[] = {0.0, 1e-2, 1.0, 100.0, INFINITY};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 1e-4;
    p.reg_scale = NTK_REG_RELATIVE;
    p.times = times;
    p.n_times = sizeof times / sizeof times[0];
    ntk_solution *se = solve(K, n, Y, k, &p, NTK_SOLVE_EIGEN);
    double tols[] = {1e-2, 1e-4, 1e-6, 1e-8};
    for (size_t i = 0; i < sizeof tols / sizeof tols[0]; i++) {
        p.krylov_tol = tols[i];
        ntk_solution *sk = solve(K, n, Y, k, &p, NTK_SOLVE_KRYLOV);
        double worst = 0;
        for (size_t t = 0; t + 1 < p.n_times; t++) {
            worst = fmax(worst, rel_diff(sk->coef + t * n * k, se->coef + t * n * k, n * k));
            worst = fmax(worst, rel_diff(sk->train_pred + t * n * k,
                                         se->train_pred + t * n * k, n * k));
        }
        /* t = 0: exactly zero; t = ∞ (last): the Cholesky path after the space. */
        for (size_t j = 0; j < n * k; j++)
            ck_assert(sk->coef[j] == 0.0 && sk->train_pred[j] == 0.0);
        size_t last = (p.n_times - 1) * n * k;
        ck_assert(rel_diff(sk->coef + last, se->coef + last, n * k) < 1e-8);
        fprintf(stderr, "solver_krylov: tol %g: %zu steps, estimate %.2g, true %.2g\n", tols[i],
                sk->krylov_steps, sk->krylov_estimate, worst);
        ck_assert_msg(sk->krylov_estimate >= worst / 10,
                      "tol %g: estimate %.3g understates the error %.3g", tols[i],
                      sk->krylov_estimate, worst);
        ck_assert(sk->krylov_estimate <= tols[i]);
        ntk_solution_free(sk);
    }
    ntk_solution_free(se);
    free(K);
    free(Y);
}
END_TEST

START_TEST(test_auto_picks_krylov)
{
    /* n = NTK_CHEB_MIN_N, long times: the Chebyshev degree prices above the
     * Krylov path, so AUTO takes the Krylov space (not the eigen path). */
    size_t n = NTK_CHEB_MIN_N, k = 1;
    size_t d = 30;
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    double *Y = malloc(n * sizeof *Y);
    ntk_rng r;
    ntk_rng_seed(&r, 61);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    /* A Gram kernel of rank d: the space is invariant after ~d steps. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0 / (double)d,
                X, (int)d, X, (int)d, 0.0, K, (int)n);
    for (size_t i = 0; i < n; i++)
        Y[i] = X[i * d] + sin((double)i);
    double times[] = {1.0, 1e2, 1e4};
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = 1e-3;
    p.times = times;
    p.n_times = 3;
    ntk_solution *s = solve(K, n, Y, k, &p, NTK_SOLVE_AUTO);
    fprintf(stderr, "solver_krylov: auto n=%zu: krylov %d (%zu steps, estimate %.2g), "
            "chebyshev %d, eigen %d\n", n, s->used_krylov, s->krylov_steps, s->krylov_estimate,
            s->used_chebyshev, s->used_eigen);
    ck_assert(s->used_krylov && !s->used_eigen && !s->used_chebyshev && s->krylov_converged);
    ck_assert(s->krylov_estimate <= 1e-10);
    ntk_solution_free(s);
    free(X);
    free(K);
    free(Y);
}
END_TEST

START_TEST(test_ridge_time_grid)
{
    /* ntk_solve_grid: four ridges × four times from one factorization, each
     * block against ntk_solve's eigen path at that ridge; Θ restored exactly. */
    size_t n = 250, k = 2, nr = 4, nt = 4;
    double *K = relu_kernel(n, 5, 20, 71);
    double *Y = targets(n, k, 72);
    double ridges[] = {0.0, 1e-4, 1e-2, 1.0}, times[] = {0.0, 0.1, 10.0, 1e3};
    double *A = malloc(n * n * sizeof *A);
    double *C = malloc(nr * nt * n * k * sizeof *C), *F = malloc(nr * nt * n * k * sizeof *F);
    memcpy(A, K, n * n * sizeof *A);
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg_scale = NTK_REG_RELATIVE;
    p.times = times;
    p.n_times = nt;
    ntk_grid_info gi;
    ntk_error err = {0};
    ck_assert_msg(ntk_solve_grid(A, n, Y, k, ridges, nr, &p, C, F, &gi, &err) == NTK_OK, "%s",
                  err.msg);
    ck_assert(memcmp(A, K, n * n * sizeof *A) == 0 && gi.converged && gi.estimate <= 1e-10);
    double worst = 0;
    for (size_t r = 0; r < nr; r++) {
        p.reg = ridges[r];
        ntk_solution *se = solve(K, n, Y, k, &p, NTK_SOLVE_EIGEN);
        for (size_t t = 0; t < nt; t++) {
            size_t o = (r * nt + t) * n * k;
            double ec = rel_diff(C + o, se->coef + t * n * k, n * k);
            double ef = rel_diff(F + o, se->train_pred + t * n * k, n * k);
            ck_assert_msg(ec <= 1e-9 && ef <= 1e-9, "ridge %g t %g: coef %.3g fits %.3g",
                          ridges[r], times[t], ec, ef);
            worst = fmax(worst, fmax(ec, ef));
        }
        ntk_solution_free(se);
    }
    fprintf(stderr, "solver_krylov: grid %zu ridges x %zu times: %zu steps, estimate %.2g, "
            "worst rel vs eigen %.2g\n", nr, nt, gi.steps, gi.estimate, worst);
    /* Refused: an infinite time, a negative ridge. */
    double bad_t[] = {1.0, INFINITY}, bad_r[] = {-1.0};
    p.times = bad_t;
    p.n_times = 2;
    ck_assert(ntk_solve_grid(A, n, Y, k, ridges, nr, &p, C, NULL, &gi, &err) == NTK_EINPUT);
    p.n_times = 1;
    ck_assert(ntk_solve_grid(A, n, Y, k, bad_r, 1, &p, C, NULL, &gi, &err) == NTK_EINPUT);
    free(A);
    free(C);
    free(F);
    free(K);
    free(Y);
}
END_TEST

static Suite *solver_krylov_suite(void)
{
    Suite *s = suite_create("solver_krylov");
    TCase *tc = tcase_create("krylov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_grid_full_rank);
    tcase_add_test(tc, test_grid_duplicate_rows);
    tcase_add_test(tc, test_estimate_honest);
    tcase_add_test(tc, test_float_grid);
    tcase_add_test(tc, test_auto_picks_krylov);
    tcase_add_test(tc, test_ridge_time_grid);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(solver_krylov_suite)

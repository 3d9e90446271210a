/* Uncertainty tests: the ensemble covariance against a dense computation
 * written out here independently of the library's eigen/Cholesky paths.
 *
 * Reference (NTK, Lee et al. 2019; neural-tangents 'ntk' covariance):
 *   A   = Θ(X,X) + λI,  s = η·c·t,  c = 1 (sum) or 1/(N·k) (mean),
 *   E_t = e^{−sA} by scaling and squaring of a Taylor series (no eigenvalues),
 *   M_t = A⁻¹(I − E_t) by Gaussian elimination (M_∞ = A⁻¹),
 *   U_t = Θ(x*,X) M_t,
 *   Σ_t = K(x*,x*) + U_t Kq U_tᵀ − U_t K(X,x*) − K(x*,X) U_tᵀ,
 * with Kq = K(X,X) for the NTK, and for the NNGP (Θ = K) Kq = K(X,X) + λI
 * (neural-tangents 'nngp': the GP posterior K** − K*X A⁻¹ KX* at t = ∞).
 * The mean is U_t Y (checked against ntk_model_predict in the model test).
 *
 * Limits: t = 0 gives the prior K(x*,x*); t → ∞ gives the t = ∞ path; at a
 * training input with λ = 0, t = ∞ the variance is 0 (NNGP: GP posterior
 * interpolates; NTK: U = e_iᵀ so Σ = K_ii + K_ii − 2K_ii); variances are ≥ 0. */
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/model.h"
#include "ntk/rng.h"
#include "ntk/uncertainty.h"
#include "testutil.h"

#define NTR 10
#define NTE 5
#define NZ (NTR + NTE)
#define DIM 3

/* ------------------------------------------------------------ dense helpers */

/* C (a×c) = A (a×b) · B (b×c), row-major. */
static void matmul(const double *A, const double *B, double *C, size_t a, size_t b, size_t c)
{
    for (size_t i = 0; i < a; i++)
        for (size_t j = 0; j < c; j++) {
            long double s = 0;
            for (size_t k = 0; k < b; k++)
                s += (long double)A[i * b + k] * B[k * c + j];
            C[i * c + j] = (double)s;
        }
}

/* E = e^{−sA} (n×n): scale −sA by 2^−j until its 1-norm is ≤ 1/4, sum the
 * Taylor series to rounding, square j times. */
static void expm_neg(const double *A, double s, double *E, size_t n)
{
    double norm = 0;
    for (size_t j = 0; j < n; j++) {
        double col = 0;
        for (size_t i = 0; i < n; i++)
            col += fabs(s * A[i * n + j]);
        norm = col > norm ? col : norm;
    }
    int sq = 0;
    while (norm > 0.25) {
        norm /= 2;
        sq++;
    }
    double scale = -s / ldexp(1.0, sq);
    double *B = malloc(n * n * sizeof *B), *term = malloc(n * n * sizeof *term),
           *tmp = malloc(n * n * sizeof *tmp);
    for (size_t i = 0; i < n * n; i++)
        B[i] = scale * A[i];
    for (size_t i = 0; i < n * n; i++)
        E[i] = term[i] = (i % (n + 1) == 0);
    for (int k = 1; k <= 40; k++) {
        matmul(term, B, tmp, n, n, n);
        for (size_t i = 0; i < n * n; i++) {
            term[i] = tmp[i] / k;
            E[i] += term[i];
        }
    }
    for (int q = 0; q < sq; q++) {
        matmul(E, E, tmp, n, n, n);
        memcpy(E, tmp, n * n * sizeof *E);
    }
    free(B);
    free(term);
    free(tmp);
}

/* X (n×c) = A⁻¹ B by Gaussian elimination with partial pivoting. */
static void solve(const double *A0, const double *B0, double *X, size_t n, size_t c)
{
    double *A = malloc(n * n * sizeof *A);
    memcpy(A, A0, n * n * sizeof *A);
    memcpy(X, B0, n * c * sizeof *X);
    for (size_t k = 0; k < n; k++) {
        size_t p = k;
        for (size_t i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[p * n + k]))
                p = i;
        for (size_t j = 0; j < n; j++) {
            double t = A[k * n + j];
            A[k * n + j] = A[p * n + j];
            A[p * n + j] = t;
        }
        for (size_t j = 0; j < c; j++) {
            double t = X[k * c + j];
            X[k * c + j] = X[p * c + j];
            X[p * c + j] = t;
        }
        for (size_t i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (size_t j = k; j < n; j++)
                A[i * n + j] -= f * A[k * n + j];
            for (size_t j = 0; j < c; j++)
                X[i * c + j] -= f * X[k * c + j];
        }
    }
    for (size_t k = n; k-- > 0;)
        for (size_t j = 0; j < c; j++) {
            double s = X[k * c + j];
            for (size_t i = k + 1; i < n; i++)
                s -= A[k * n + i] * X[i * c + j];
            X[k * c + j] = s / A[k * n + k];
        }
    free(A);
}

/* ------------------------------------------------------------ problem setup */

typedef struct {
    size_t n, m;
    double tdd[NTR * NTR], kdd[NTR * NTR]; /* Θ(X,X), K(X,X) */
    double tsd[NZ * NTR], ksd[NZ * NTR];   /* Θ(x*,X), K(x*,X) (m ≤ NZ rows) */
    double kss[NZ * NZ];                   /* K(x*,x*) */
    double y[NTR];
} problem;

/* Kernels of random inputs: the first NTR rows train, the rest test. If
 * test_is_train, the test rows are the training rows (m = NTR). */
static void make_problem(problem *p, unsigned seed, const ntk_arch *a, int test_is_train)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    double Z[NZ * DIM];
    for (size_t i = 0; i < NZ * DIM; i++)
        Z[i] = ntk_rng_normal(&r);
    for (size_t i = 0; i < NTR; i++)
        p->y[i] = ntk_rng_normal(&r);
    if (test_is_train)
        memcpy(Z + NTR * DIM, Z, NTE * DIM * sizeof *Z);
    double T[NZ * NZ], K[NZ * NZ];
    ntk_error err = {0};
    ck_assert(ntk_kernel_eval(a, NTK_KIND_NTK, Z, NZ, NULL, 0, DIM, T, NULL, &err) == NTK_OK);
    ck_assert(ntk_kernel_eval(a, NTK_KIND_NNGP, Z, NZ, NULL, 0, DIM, K, NULL, &err) == NTK_OK);
    p->n = NTR;
    size_t off = NTR;
    p->m = NTE;
    if (test_is_train) {
        off = 0;
        p->m = NTR;
    }
    for (size_t i = 0; i < NTR; i++)
        for (size_t j = 0; j < NTR; j++) {
            p->tdd[i * NTR + j] = T[i * NZ + j];
            p->kdd[i * NTR + j] = K[i * NZ + j];
        }
    for (size_t i = 0; i < p->m; i++) {
        for (size_t j = 0; j < NTR; j++) {
            p->tsd[i * NTR + j] = T[(off + i) * NZ + j];
            p->ksd[i * NTR + j] = K[(off + i) * NZ + j];
        }
        for (size_t j = 0; j < p->m; j++)
            p->kss[i * p->m + j] = K[(off + i) * NZ + off + j];
    }
}

/* The dense reference covariance (m×m) at one time; see the file comment. */
static void reference_cov(const problem *p, ntk_kernel_kind kind, double lam, double s,
                          double jitter, double *cov, double *U_out)
{
    size_t n = p->n, m = p->m;
    const double *T = kind == NTK_KIND_NTK ? p->tdd : p->kdd;
    const double *Ts = kind == NTK_KIND_NTK ? p->tsd : p->ksd;
    double A[NTR * NTR], IE[NTR * NTR], M[NTR * NTR], U[NZ * NTR], Kq[NTR * NTR];
    double add = isinf(s) ? lam + jitter : lam;
    for (size_t i = 0; i < n * n; i++)
        A[i] = T[i] + (i % (n + 1) == 0 ? add : 0.0);
    if (isinf(s)) {
        for (size_t i = 0; i < n * n; i++)
            IE[i] = i % (n + 1) == 0;
    } else {
        expm_neg(A, s, IE, n);
        for (size_t i = 0; i < n * n; i++)
            IE[i] = (i % (n + 1) == 0) - IE[i];
    }
    solve(A, IE, M, n, n); /* M = A⁻¹ (I − E) */
    matmul(Ts, M, U, m, n, n);
    for (size_t i = 0; i < n * n; i++)
        Kq[i] = p->kdd[i] + (kind == NTK_KIND_NNGP && i % (n + 1) == 0 ? add : 0.0);
    double UK[NZ * NTR], UKU[NZ * NZ], UKs[NZ * NZ];
    matmul(U, Kq, UK, m, n, n);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) {
            long double a = 0, b = 0;
            for (size_t k = 0; k < n; k++) {
                a += (long double)UK[i * n + k] * U[j * n + k];
                b += (long double)U[i * n + k] * p->ksd[j * n + k];
            }
            UKU[i * m + j] = (double)a;
            UKs[i * m + j] = (double)b;
        }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            cov[i * m + j] = p->kss[i * m + j] + UKU[i * m + j] - UKs[i * m + j] - UKs[j * m + i];
    if (U_out)
        memcpy(U_out, U, m * n * sizeof *U);
}

/* Run the library: returns n_times blocks of m (diag) or m×m (full). */
static void library_cov(const problem *p, ntk_kernel_kind kind, double lam, double lr,
                        ntk_time_scale ts, size_t k, const double *times, size_t nt,
                        ntk_solve_method method, int full, double *out,
                        ntk_uncertainty_stats *stats)
{
    size_t n = p->n;
    double *theta = malloc(n * n * sizeof *theta);
    double *nngp = kind == NTK_KIND_NTK ? malloc(n * n * sizeof *nngp) : NULL;
    memcpy(theta, kind == NTK_KIND_NTK ? p->tdd : p->kdd, n * n * sizeof *theta);
    if (nngp)
        memcpy(nngp, p->kdd, n * n * sizeof *nngp);
    ntk_ensemble_params ep;
    ntk_ensemble_params_init(&ep);
    ep.kind = kind;
    ep.reg_abs = lam;
    ep.lr = lr;
    ep.time_scale = ts;
    ep.k = k;
    ep.times = times;
    ep.n_times = nt;
    ep.method = method;
    ntk_ensemble *e = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_ensemble_prepare(theta, nngp, n, &ep, &e, &err) == NTK_OK, "%s", err.msg);
    double prior[NZ * NZ];
    if (full)
        memcpy(prior, p->kss, p->m * p->m * sizeof *prior);
    else
        for (size_t i = 0; i < p->m; i++)
            prior[i] = p->kss[i * p->m + i];
    ntk_uncertainty_stats local = {0};
    ck_assert_msg(ntk_ensemble_covariance(e, kind == NTK_KIND_NTK ? p->tsd : p->ksd,
                                          kind == NTK_KIND_NTK ? p->ksd : NULL, prior, p->m,
                                          full, out, stats ? stats : &local, &err) == NTK_OK,
                  "%s", err.msg);
    ntk_ensemble_free(e);
}

static void default_arch(ntk_arch *a)
{
    ntk_arch_init(a);
    a->depth = 2;
    a->b_std = 0.2;
}

static double max_prior(const problem *p)
{
    double s = 0;
    for (size_t i = 0; i < p->m; i++)
        s = fmax(s, fabs(p->kss[i * p->m + i]));
    return s;
}

/* ------------------------------------------------------------------- tests */

/* Every combination of kind, time scale, outputs, ridge and path against the
 * dense reference, per-row variances and full covariance, to 1e-10. */
START_TEST(test_dense_reference)
{
    ntk_arch a;
    default_arch(&a);
    problem p;
    make_problem(&p, 3, &a, 0);
    double times[] = {0.0, 0.1, 1.0, 7.0, 60.0, INFINITY};
    size_t nt = sizeof times / sizeof times[0];
    double lr = 0.7;
    double scale = max_prior(&p);
    for (int kind = 0; kind < 2; kind++)
        for (int ts = 0; ts < 2; ts++)
            for (size_t k = 1; k <= 3; k += 2)
                for (int ridge = 0; ridge < 2; ridge++) {
                    double lam = ridge ? 0.05 * p.tdd[0] : 0.0;
                    for (int path = 0; path < 2; path++) {
                        ntk_solve_method meth = path ? NTK_SOLVE_CHOLESKY : NTK_SOLVE_EIGEN;
                        const double *tv = path ? times + nt - 1 : times;
                        size_t ntv = path ? 1 : nt;
                        for (int full = 0; full < 2; full++) {
                            double out[8 * NZ * NZ];
                            library_cov(&p, (ntk_kernel_kind)kind, lam, lr, (ntk_time_scale)ts, k,
                                        tv, ntv, meth, full, out, NULL);
                            for (size_t t = 0; t < ntv; t++) {
                                double c = ts ? 1.0 / ((double)NTR * (double)k) : 1.0;
                                double s = isinf(tv[t]) ? INFINITY : lr * c * tv[t];
                                double ref[NZ * NZ];
                                reference_cov(&p, (ntk_kernel_kind)kind, lam, s, 0.0, ref, NULL);
                                size_t m = p.m;
                                for (size_t i = 0; i < m; i++)
                                    for (size_t j = 0; j < (full ? m : 1); j++) {
                                        double got = full ? out[t * m * m + i * m + j]
                                                          : out[t * m + i];
                                        double want = full ? ref[i * m + j] : ref[i * m + i];
                                        if (i == j || !full)
                                            want = fmax(want, 0.0);
                                        ck_assert_msg(fabs(got - want) <= 1e-10 * scale,
                                                      "kind %d ts %d k %zu ridge %d path %d "
                                                      "full %d t=%g (%zu,%zu): %.17g vs %.17g",
                                                      kind, ts, k, ridge, path, full, tv[t], i,
                                                      j, got, want);
                                    }
                            }
                        }
                    }
                }
}
END_TEST

/* t = 0: the ensemble is still at initialization, Σ_0 = K(x*,x*). */
START_TEST(test_time_zero_is_prior)
{
    ntk_arch a;
    default_arch(&a);
    problem p;
    make_problem(&p, 5, &a, 0);
    double t0 = 0.0;
    for (int kind = 0; kind < 2; kind++) {
        double out[NZ];
        library_cov(&p, (ntk_kernel_kind)kind, 0.01, 1.0, NTK_TIME_SUM, 1, &t0, 1,
                    NTK_SOLVE_AUTO, 0, out, NULL);
        for (size_t i = 0; i < p.m; i++)
            ck_assert_close(out[i], p.kss[i * p.m + i], 1e-15, 1e-300);
    }
}
END_TEST

/* t → ∞ on the eigen path approaches the Cholesky t = ∞ path. */
START_TEST(test_large_time_is_infinite)
{
    ntk_arch a;
    default_arch(&a);
    problem p;
    make_problem(&p, 7, &a, 0);
    double big = 1e9, inf = INFINITY;
    double scale = max_prior(&p);
    for (int kind = 0; kind < 2; kind++) {
        double lam = 0.02 * p.tdd[0];
        double e1[NZ], e2[NZ], e3[NZ];
        library_cov(&p, (ntk_kernel_kind)kind, lam, 1.0, NTK_TIME_SUM, 1, &big, 1,
                    NTK_SOLVE_EIGEN, 0, e1, NULL);
        library_cov(&p, (ntk_kernel_kind)kind, lam, 1.0, NTK_TIME_SUM, 1, &inf, 1,
                    NTK_SOLVE_CHOLESKY, 0, e2, NULL);
        library_cov(&p, (ntk_kernel_kind)kind, lam, 1.0, NTK_TIME_SUM, 1, &inf, 1,
                    NTK_SOLVE_EIGEN, 0, e3, NULL);
        for (size_t i = 0; i < p.m; i++) {
            ck_assert_msg(fabs(e1[i] - e2[i]) <= 1e-11 * scale, "%g vs %g", e1[i], e2[i]);
            ck_assert_msg(fabs(e3[i] - e2[i]) <= 1e-11 * scale, "%g vs %g", e3[i], e2[i]);
        }
    }
}
END_TEST

/* The NNGP posterior at t = ∞ is the textbook GP posterior K** − K*X A⁻¹ KX*,
 * written here without U. */
START_TEST(test_nngp_is_gp_posterior)
{
    ntk_arch a;
    default_arch(&a);
    problem p;
    make_problem(&p, 9, &a, 0);
    double lam = 0.1;
    double A[NTR * NTR], KXs[NTR * NZ], W[NTR * NZ];
    for (size_t i = 0; i < NTR * NTR; i++)
        A[i] = p.kdd[i] + (i % (NTR + 1) == 0 ? lam : 0.0);
    for (size_t i = 0; i < p.m; i++)
        for (size_t j = 0; j < NTR; j++)
            KXs[j * p.m + i] = p.ksd[i * NTR + j];
    solve(A, KXs, W, NTR, p.m);
    double inf = INFINITY, out[NZ];
    library_cov(&p, NTK_KIND_NNGP, lam, 1.0, NTK_TIME_SUM, 1, &inf, 1, NTK_SOLVE_AUTO, 0, out,
                NULL);
    for (size_t i = 0; i < p.m; i++) {
        double q = 0;
        for (size_t j = 0; j < NTR; j++)
            q += p.ksd[i * NTR + j] * W[j * p.m + i];
        ck_assert_close(out[i], p.kss[i * p.m + i] - q, 1e-10, max_prior(&p));
    }
}
END_TEST

/* At training inputs with λ = 0 and t = ∞ the variance vanishes, for the
 * NNGP posterior and for the NTK ensemble, on both paths. */
START_TEST(test_training_points_zero_variance)
{
    ntk_arch a;
    default_arch(&a);
    problem p;
    make_problem(&p, 11, &a, 1);
    double inf = INFINITY, times[] = {1.0, INFINITY};
    double scale = max_prior(&p);
    for (int kind = 0; kind < 2; kind++) {
        double o1[NZ], o2[2 * NZ];
        library_cov(&p, (ntk_kernel_kind)kind, 0.0, 1.0, NTK_TIME_SUM, 1, &inf, 1,
                    NTK_SOLVE_CHOLESKY, 0, o1, NULL);
        library_cov(&p, (ntk_kernel_kind)kind, 0.0, 1.0, NTK_TIME_SUM, 1, times, 2,
                    NTK_SOLVE_EIGEN, 0, o2, NULL);
        for (size_t i = 0; i < p.m; i++) {
            ck_assert_msg(o1[i] >= 0 && o1[i] <= 1e-9 * scale, "kind %d row %zu: %g", kind, i,
                          o1[i]);
            ck_assert_msg(o2[p.m + i] >= 0 && o2[p.m + i] <= 1e-9 * scale,
                          "kind %d row %zu: %g", kind, i, o2[p.m + i]);
            /* ... but not at a finite time. */
            ck_assert(o2[i] > 1e-6 * scale);
        }
    }
}
END_TEST

/* Random data, several activations and depths, duplicated training rows (a
 * singular kernel at λ = 0: automatic jitter): never negative, and nothing
 * materially negative. */
START_TEST(test_nonnegative_random)
{
    const char *acts[] = {"relu", "erf", "gelu", "tanh"};
    ntk_rng r;
    ntk_rng_seed(&r, 2024);
    for (int trial = 0; trial < 24; trial++) {
        ntk_arch a;
        ntk_arch_init(&a);
        a.depth = 1 + trial % 3;
        a.b_std = (trial % 2) * 0.3;
        ntk_error err = {0};
        ck_assert(ntk_activation_parse(acts[trial % 4], &a.act, &err) == NTK_OK);
        problem p;
        make_problem(&p, 100u + (unsigned)trial, &a, trial % 5 == 0);
        if (trial % 3 == 0) { /* duplicate training row 1 into row 0 */
            for (size_t j = 0; j < NTR; j++) {
                p.tdd[0 * NTR + j] = p.tdd[1 * NTR + j];
                p.kdd[0 * NTR + j] = p.kdd[1 * NTR + j];
            }
            for (size_t j = 0; j < NTR; j++) {
                p.tdd[j * NTR + 0] = p.tdd[j * NTR + 1];
                p.kdd[j * NTR + 0] = p.kdd[j * NTR + 1];
            }
            for (size_t i = 0; i < p.m; i++) {
                p.tsd[i * NTR + 0] = p.tsd[i * NTR + 1];
                p.ksd[i * NTR + 0] = p.ksd[i * NTR + 1];
            }
        }
        double times[] = {0.0, 0.5, 3.0, 50.0, 1e4, INFINITY};
        double lam = trial % 4 == 1 ? 1e-3 : 0.0;
        for (int kind = 0; kind < 2; kind++)
            for (int full = 0; full < 2; full++) {
                double out[6 * NZ * NZ];
                ntk_uncertainty_stats st = {0};
                library_cov(&p, (ntk_kernel_kind)kind, lam, 1.0, NTK_TIME_SUM, 1, times, 6,
                            NTK_SOLVE_AUTO, full, out, &st);
                size_t m = p.m;
                for (size_t t = 0; t < 6; t++)
                    for (size_t i = 0; i < m; i++) {
                        double v = full ? out[t * m * m + i * m + i] : out[t * m + i];
                        ck_assert_msg(v >= 0.0 && isfinite(v), "trial %d: %g", trial, v);
                    }
                ck_assert_msg(st.n_negative == 0, "trial %d kind %d: %zu materially negative "
                              "(%g)", trial, kind, st.n_negative, st.most_negative);
            }
    }
}
END_TEST

/* The NNGP diagonal by the one-input recursion equals the kernel's diagonal. */
START_TEST(test_nngp_diagonal)
{
    const char *acts[] = {"relu", "erf", "gelu", "tanh", "leaky_relu:0.2", "sin"};
    for (int ai = 0; ai < 6; ai++)
        for (int depth = 0; depth <= 3; depth++) {
            ntk_arch a;
            ntk_arch_init(&a);
            a.depth = depth;
            a.b_std = 0.4;
            ntk_error err = {0};
            ck_assert(ntk_activation_parse(acts[ai], &a.act, &err) == NTK_OK);
            ntk_rng r;
            ntk_rng_seed(&r, 77);
            double X[6 * DIM], K[36], dg[6];
            for (size_t i = 0; i < 6 * DIM; i++)
                X[i] = 2.0 * ntk_rng_normal(&r);
            ck_assert(ntk_kernel_eval(&a, NTK_KIND_NNGP, X, 6, NULL, 0, DIM, K, NULL, &err) ==
                      NTK_OK);
            ck_assert(ntk_nngp_diagonal(&a, X, 6, DIM, dg, &err) == NTK_OK);
            for (size_t i = 0; i < 6; i++)
                ck_assert_close(dg[i], K[i * 6 + i], 1e-14, 1e-300);
        }
}
END_TEST

/* A model end to end: ntk_model_uncertainty = y_scale² × the dense reference
 * built from the model's own kernels, and the reference mean U_t Y equals
 * ntk_model_predict (the covariance belongs to the model's predictor). */
static void make_data(ntk_encoder **enc, ntk_dataset **tr, ntk_dataset **te)
{
    char csv[8192];
    size_t len = 0;
    ntk_rng r;
    ntk_rng_seed(&r, 4);
    len += (size_t)snprintf(csv + len, sizeof csv - len, "a,b,c,y\n");
    for (int i = 0; i < NZ; i++) {
        double x0 = ntk_rng_normal(&r), x1 = ntk_rng_normal(&r), x2 = ntk_rng_normal(&r);
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%.6f,%.6f,%.6f,%.6f\n", x0, x1, x2,
                                10 + 3 * sin(x0) + x1 * x2);
    }
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *t = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_table_parse(csv, len, "mem.csv", &ro, &t, &err) == NTK_OK, "%s", err.msg);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    ck_assert_msg(ntk_encoder_fit(t, &eo, enc, &err) == NTK_OK, "%s", err.msg);
    ntk_dataset *all = NULL;
    ck_assert_msg(ntk_encoder_apply(*enc, t, 1, &all, &err) == NTK_OK, "%s", err.msg);
    ntk_table_free(t);
    /* Split by hand: first NTR rows train, the rest test. */
    *tr = calloc(1, sizeof **tr);
    *te = calloc(1, sizeof **te);
    (*tr)->n = NTR;
    (*te)->n = NTE;
    (*tr)->d = (*te)->d = all->d;
    (*tr)->X = malloc(NTR * all->d * sizeof(double));
    (*te)->X = malloc(NTE * all->d * sizeof(double));
    (*tr)->y = malloc(NTR * sizeof(double));
    (*te)->y = malloc(NTE * sizeof(double));
    memcpy((*tr)->X, all->X, NTR * all->d * sizeof(double));
    memcpy((*te)->X, all->X + NTR * all->d, NTE * all->d * sizeof(double));
    memcpy((*tr)->y, all->y, NTR * sizeof(double));
    memcpy((*te)->y, all->y + NTR, NTE * sizeof(double));
    ntk_dataset_free(all);
}

static void free_split(ntk_dataset *d)
{
    free(d->X);
    free(d->y);
    free(d);
}

START_TEST(test_model_end_to_end)
{
    for (int kind = 0; kind < 2; kind++)
        for (int ts = 0; ts < 2; ts++) {
            ntk_encoder *enc;
            ntk_dataset *tr, *te;
            make_data(&enc, &tr, &te);
            ck_assert_uint_eq(tr->d, DIM);
            ntk_train_params tp;
            ntk_train_params_init(&tp);
            tp.arch.depth = 2;
            tp.arch.b_std = 0.1;
            tp.kind = (ntk_kernel_kind)kind;
            static double times[] = {0.5, 5, INFINITY};
            tp.solve.times = times;
            tp.solve.n_times = 3;
            tp.solve.reg = 1e-2;
            tp.solve.reg_scale = NTK_REG_RELATIVE;
            tp.solve.time_scale = (ntk_time_scale)ts;
            tp.solve.lr = 2.0;
            ntk_model *m = NULL;
            ntk_error err = {0};
            ck_assert_msg(ntk_model_train(tr, enc, &tp, &m, NULL, &err) == NTK_OK, "%s", err.msg);
            double pred[3 * NTE], var[3 * NTE], cov[3 * NTE * NTE];
            ck_assert(ntk_model_predict(m, te->X, NTE, pred, 0, NULL, &err) == NTK_OK);
            ntk_uncertainty_stats st = {0};
            ck_assert_msg(ntk_model_uncertainty(m, te->X, NTE, NULL, var, &st, &err) == NTK_OK,
                          "%s", err.msg);
            ntk_uncertainty_options uo = {1, 0, {NULL, NULL}};
            ck_assert(ntk_model_uncertainty(m, te->X, NTE, &uo, cov, NULL, &err) == NTK_OK);

            /* The same kernels by hand (training inputs are the model's). */
            problem p;
            p.n = NTR;
            p.m = NTE;
            double Z[NZ * DIM], T[NZ * NZ], K[NZ * NZ];
            memcpy(Z, tr->X, NTR * DIM * sizeof *Z);
            memcpy(Z + NTR * DIM, te->X, NTE * DIM * sizeof *Z);
            ck_assert(ntk_kernel_eval(&tp.arch, NTK_KIND_NTK, Z, NZ, NULL, 0, DIM, T, NULL,
                                      &err) == NTK_OK);
            ck_assert(ntk_kernel_eval(&tp.arch, NTK_KIND_NNGP, Z, NZ, NULL, 0, DIM, K, NULL,
                                      &err) == NTK_OK);
            for (size_t i = 0; i < NTR; i++)
                for (size_t j = 0; j < NTR; j++) {
                    p.tdd[i * NTR + j] = T[i * NZ + j];
                    p.kdd[i * NTR + j] = K[i * NZ + j];
                }
            for (size_t i = 0; i < NTE; i++) {
                for (size_t j = 0; j < NTR; j++) {
                    p.tsd[i * NTR + j] = T[(NTR + i) * NZ + j];
                    p.ksd[i * NTR + j] = K[(NTR + i) * NZ + j];
                }
                for (size_t j = 0; j < NTE; j++)
                    p.kss[i * NTE + j] = K[(NTR + i) * NZ + NTR + j];
            }
            /* Targets as the model scaled them. */
            double mean = 0, sd = 0, Y[NTR];
            for (size_t i = 0; i < NTR; i++)
                mean += tr->y[i];
            mean /= NTR;
            for (size_t i = 0; i < NTR; i++)
                sd += (tr->y[i] - mean) * (tr->y[i] - mean);
            sd = sqrt(sd / NTR);
            for (size_t i = 0; i < NTR; i++)
                Y[i] = (tr->y[i] - mean) / sd;
            ck_assert_close(m->y_scale, sd, 1e-14, 1e-300);
            double scale2 = sd * sd;
            for (size_t t = 0; t < 3; t++) {
                double c = ts ? 1.0 / NTR : 1.0;
                double s = isinf(times[t]) ? INFINITY : tp.solve.lr * c * times[t];
                double ref[NZ * NZ], U[NZ * NTR];
                reference_cov(&p, (ntk_kernel_kind)kind, m->reg_abs, s, m->jitter, ref, U);
                for (size_t i = 0; i < NTE; i++) {
                    double mu = 0;
                    for (size_t j = 0; j < NTR; j++)
                        mu += U[i * NTR + j] * Y[j];
                    ck_assert_close(pred[t * NTE + i], mu * sd + mean, 1e-10, 1.0);
                    ck_assert_close(var[t * NTE + i], fmax(ref[i * NTE + i], 0) * scale2, 1e-10,
                                    scale2);
                    ck_assert_close(cov[t * NTE * NTE + i * NTE + i], var[t * NTE + i], 1e-12,
                                    scale2);
                    for (size_t j = 0; j < NTE; j++)
                        ck_assert_close(cov[t * NTE * NTE + i * NTE + j],
                                        (i == j ? fmax(ref[i * NTE + j], 0) : ref[i * NTE + j]) *
                                            scale2,
                                        1e-10, scale2);
                }
            }
            ntk_model_free(m);
            free_split(tr);
            free_split(te);
        }
}
END_TEST

START_TEST(test_errors)
{
    ntk_ensemble_params ep;
    ntk_ensemble_params_init(&ep);
    double t = 1.0;
    ep.times = &t;
    ep.n_times = 1;
    ntk_ensemble *e = NULL;
    ntk_error err = {0};
    /* NTK without K(X,X). */
    double *th = calloc(4, sizeof *th);
    th[0] = th[3] = 1;
    ck_assert_int_eq(ntk_ensemble_prepare(th, NULL, 2, &ep, &e, &err), NTK_EINPUT);
    ck_assert_ptr_null(e);
    /* Bad learning rate. */
    ep.lr = -1;
    th = calloc(4, sizeof *th);
    double *kk = calloc(4, sizeof *kk);
    ck_assert_int_eq(ntk_ensemble_prepare(th, kk, 2, &ep, &e, &err), NTK_EINPUT);
    ck_assert(strstr(err.msg, "learning rate") != NULL);
    /* Cholesky path asked for a finite time. */
    ep.lr = 1;
    ep.method = NTK_SOLVE_CHOLESKY;
    th = calloc(4, sizeof *th);
    kk = calloc(4, sizeof *kk);
    th[0] = th[3] = kk[0] = kk[3] = 1;
    ck_assert_int_eq(ntk_ensemble_prepare(th, kk, 2, &ep, &e, &err), NTK_EINPUT);
    /* A zero kernel at t = ∞ with a fixed zero jitter cannot be factored. */
    double inf = INFINITY;
    ep.times = &inf;
    ep.jitter = 0.0;
    th = calloc(4, sizeof *th);
    ck_assert_int_eq(ntk_ensemble_prepare(th, NULL, 2, &ep, &e, &err), NTK_EINPUT);
    ep.kind = NTK_KIND_NNGP;
    th = calloc(4, sizeof *th);
    ck_assert_int_eq(ntk_ensemble_prepare(th, NULL, 2, &ep, &e, &err), NTK_ENUMERIC);
    ck_assert_ptr_null(e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("uncertainty");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dense_reference);
    tcase_add_test(tc, test_time_zero_is_prior);
    tcase_add_test(tc, test_large_time_is_infinite);
    tcase_add_test(tc, test_nngp_is_gp_posterior);
    tcase_add_test(tc, test_training_points_zero_variance);
    tcase_add_test(tc, test_nonnegative_random);
    tcase_add_test(tc, test_nngp_diagonal);
    tcase_add_test(tc, test_model_end_to_end);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

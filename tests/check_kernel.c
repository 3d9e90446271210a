/* Kernel matrices: agreement with a scalar per-pair recursion built on
 * ntk_dual, symmetry, PSD, invariances, depths, cross blocks, fixed layers,
 * deep networks, zero rows, threads, progress and errors. */
#include <lapacke.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/kernel.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rs = 88172645463325252ULL;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}
static double nrand(void)
{
    double u = urand() + 1e-300, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}
static double *randmat(size_t n, size_t d)
{
    double *X = malloc(sizeof(double) * n * d);
    ck_assert_ptr_nonnull(X);
    for (size_t i = 0; i < n * d; i++)
        X[i] = nrand();
    return X;
}

static ntk_arch arch(const char *act, int depth, double w, double b, int F)
{
    ntk_arch a;
    ntk_arch_init(&a);
    ntk_error err = {0};
    ck_assert_msg(ntk_activation_parse(act, &a.act, &err) == NTK_OK, "%s", err.msg);
    a.depth = depth;
    a.w_std = w;
    a.b_std = b;
    a.fixed_layers = F;
    ck_assert_ptr_null(ntk_arch_check(&a));
    return a;
}

static int quad_mode; /* 2: θ-tables always (ntk_activation.force_quadrature) */

static double *kern(const ntk_arch *a, ntk_kernel_kind kind, const double *X1, size_t n1,
                    const double *X2, size_t n2, size_t d, int threads)
{
    size_t m = X2 ? n2 : n1;
    double *K = malloc(sizeof(double) * n1 * m);
    ck_assert_ptr_nonnull(K);
    ntk_error err = {0};
    ntk_kernel_options opt = {.threads = threads};
    ntk_arch aa = *a;
    if (quad_mode)
        aa.act.force_quadrature = quad_mode;
    a = &aa;
    ntk_status st = ntk_kernel_eval(a, kind, X1, n1, X2, n2, d, K, &opt, &err);
    ck_assert_msg(st == NTK_OK, "%s", err.msg);
    return K;
}

/* max |A−B| / max |B| */
static double relerr(const double *A, const double *B, size_t n)
{
    double mx = 0, md = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(B[i]));
        double d = fabs(A[i] - B[i]);
        md = isnan(d) ? INFINITY : fmax(md, d);
    }
    return md / (mx > 0 ? mx : 1);
}

/* scalar reference: per pair, the recursion of ntk/kernel.h through ntk_dual */
static void ref_pair(const ntk_arch *a, const double *x, const double *y, size_t d, int same,
                     double *ntk, double *nngp)
{
    double s11 = 0, s22 = 0, s12 = 0;
    for (size_t k = 0; k < d; k++) {
        s11 += x[k] * x[k];
        s22 += y[k] * y[k];
        s12 += x[k] * y[k];
    }
    double w2 = a->w_std * a->w_std, b2 = a->b_std * a->b_std;
    double q1 = w2 * s11 / d + b2, q2 = w2 * s22 / d + b2, q12 = w2 * s12 / d + b2;
    if (same)
        q2 = q12 = q1;
    double th = a->fixed_layers > 0 ? 0 : q12;
    ntk_error err = {0};
    for (int l = 1; l <= a->depth; l++) {
        double T, P, T1, P1, T2, P2;
        ck_assert_int_eq(ntk_dual(&a->act, q1, q2, q12, same, &T, &P, &err), NTK_OK);
        ck_assert_int_eq(ntk_dual(&a->act, q1, q1, q1, 1, &T1, &P1, &err), NTK_OK);
        ck_assert_int_eq(ntk_dual(&a->act, q2, q2, q2, 1, &T2, &P2, &err), NTK_OK);
        q12 = w2 * T + b2;
        q1 = w2 * T1 + b2;
        q2 = w2 * T2 + b2;
        th = (l >= a->fixed_layers ? q12 : 0) + w2 * P * th;
    }
    *nngp = q12;
    *ntk = a->fixed_layers >= a->depth ? q12 : th;
}

static void ref_matrix(const ntk_arch *a, ntk_kernel_kind kind, const double *X1, size_t n1,
                       const double *X2, size_t n2, size_t d, double *out)
{
    int sym = X2 == NULL;
    if (sym) {
        X2 = X1;
        n2 = n1;
    }
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++) {
            double t, k;
            int same = sym ? i == j : memcmp(X1 + i * d, X2 + j * d, d * sizeof(double)) == 0;
            ref_pair(a, X1 + i * d, X2 + j * d, d, same, &t, &k);
            out[i * n2 + j] = kind == NTK_KIND_NTK ? t : k;
        }
}

/* ---- tests -------------------------------------------------------------- */

static const char *acts[] = {"relu", "leaky_relu:0.2", "abs", "erf", "erf:0.7,1.5,0.2",
                             "sigmoid_like", "gelu", "sin", "cos:1,0.8,0.1", "identity"};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))

START_TEST(test_matches_scalar)
{
    size_t n1 = 37, n2 = 23, d = 5;
    double *X1 = randmat(n1, d), *X2 = randmat(n2, d);
    memcpy(X2 + 3 * d, X1 + 5 * d, d * sizeof(double)); /* an identical row */
    double *R = malloc(sizeof(double) * n1 * n1);
    for (int F = 0; F <= 3; F += 3)
        for (int kind = 0; kind < 2; kind++) {
            ntk_arch a = arch(acts[_i], 3, 1.3, 0.4, F == 3 ? 2 : 0);
            double *K = kern(&a, kind, X1, n1, NULL, 0, d, 2);
            ref_matrix(&a, kind, X1, n1, NULL, 0, d, R);
            double e = relerr(K, R, n1 * n1);
            ck_assert_msg(e < 1e-13, "%s sym kind %d F %d: %g", acts[_i], kind, a.fixed_layers, e);
            free(K);
            K = kern(&a, kind, X1, n1, X2, n2, d, 2);
            ref_matrix(&a, kind, X1, n1, X2, n2, d, R);
            e = relerr(K, R, n1 * n2);
            ck_assert_msg(e < 1e-13, "%s cross kind %d: %g", acts[_i], kind, e);
            /* identical rows give exactly the diagonal value */
            double t, k;
            ref_pair(&a, X1 + 5 * d, X1 + 5 * d, d, 1, &t, &k);
            ck_assert(K[5 * n2 + 3] == (kind == NTK_KIND_NTK ? t : k));
            free(K);
        }
    free(R);
    free(X1);
    free(X2);
}
END_TEST

START_TEST(test_symmetry_psd)
{
    size_t n = 150, d = 10;
    double *X = randmat(n, d);
    const char *a_s[] = {"relu", "erf", "gelu", "leaky_relu:0.1"};
    double *W = malloc(sizeof(double) * n);
    for (int ai = 0; ai < 4; ai++)
        for (int kind = 0; kind < 2; kind++) {
            ntk_arch a = arch(a_s[ai], 3, sqrt(2.0), 0.1, 0);
            double *K = kern(&a, kind, X, n, NULL, 0, d, 2);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    ck_assert(K[i * n + j] == K[j * n + i]);
            double mx = 0;
            for (size_t i = 0; i < n * n; i++)
                mx = fmax(mx, fabs(K[i]));
            ck_assert_int_eq(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)n, K, (int)n, W), 0);
            ck_assert_msg(W[0] >= -1e-12 * mx, "%s kind %d: smallest eigenvalue %g (max %g)",
                          a_s[ai], kind, W[0], mx);
            free(K);
        }
    free(W);
    free(X);
}
END_TEST

START_TEST(test_invariances)
{
    size_t n = 40, d = 6;
    double *X = randmat(n, d), *Y = malloc(sizeof(double) * n * d);
    /* random orthogonal Q from the QR factorization of a Gaussian matrix */
    double *Q = randmat(d, d), tau[16];
    ck_assert_int_eq(LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (int)d, (int)d, Q, (int)d, tau), 0);
    ck_assert_int_eq(LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (int)d, (int)d, (int)d, Q, (int)d, tau), 0);
    size_t perm[64];
    for (size_t i = 0; i < n; i++)
        perm[i] = (i * 17 + 5) % n; /* 17 is coprime with 40 */
    for (int ai = 0; ai < 3; ai++) {
        const char *an[] = {"relu", "erf", "gelu"};
        ntk_arch a = arch(an[ai], 3, 1.4, 0.3, 1);
        for (int kind = 0; kind < 2; kind++) {
            double *K = kern(&a, kind, X, n, NULL, 0, d, 2);
            /* rotation */
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < d; k++) {
                    double s = 0;
                    for (size_t m = 0; m < d; m++)
                        s += X[i * d + m] * Q[m * d + k];
                    Y[i * d + k] = s;
                }
            double *K2 = kern(&a, kind, Y, n, NULL, 0, d, 2);
            ck_assert_msg(relerr(K2, K, n * n) < 1e-13, "rotation %s", an[ai]);
            free(K2);
            /* feature permutation */
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < d; k++)
                    Y[i * d + k] = X[i * d + (k + 2) % d];
            K2 = kern(&a, kind, Y, n, NULL, 0, d, 2);
            ck_assert(relerr(K2, K, n * n) < 1e-14);
            free(K2);
            /* row permutation: K(PX) = P K Pᵀ */
            for (size_t i = 0; i < n; i++)
                memcpy(Y + i * d, X + perm[i] * d, d * sizeof(double));
            K2 = kern(&a, kind, Y, n, NULL, 0, d, 2);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    ck_assert(fabs(K2[i * n + j] - K[perm[i] * n + perm[j]]) <=
                              1e-14 * fabs(K[perm[i] * n + perm[i]]));
            free(K2);
            free(K);
        }
    }
    free(Q);
    free(X);
    free(Y);
}
END_TEST

START_TEST(test_depths_and_blocks)
{
    size_t n1 = 50, n2 = 30, d = 4, L = 5;
    double *X1 = randmat(n1, d), *X2 = randmat(n2, d);
    memcpy(X2 + 7 * d, X1 + 11 * d, d * sizeof(double));
    for (int F = 0; F <= 4; F += 2) {
        ntk_arch a = arch(_i ? "erf" : "relu", (int)L, sqrt(2.0), 0.2, F);
        double *ntk[6], *nngp[6];
        for (size_t l = 0; l <= L; l++) {
            ntk[l] = malloc(sizeof(double) * n1 * n2);
            nngp[l] = l % 2 ? NULL : malloc(sizeof(double) * n1 * n2);
        }
        ntk_error err = {0};
        ck_assert_int_eq(ntk_kernel_eval_depths(&a, X1, n1, X2, n2, d, ntk, nngp, NULL, &err),
                         NTK_OK);
        for (size_t l = 0; l <= L; l++) {
            ntk_arch al = a;
            al.depth = (int)l;
            al.fixed_layers = F < (int)l ? F : (int)l;
            double *K = kern(&al, NTK_KIND_NTK, X1, n1, X2, n2, d, 2);
            /* bitwise equal except where one run needs no Θ (loop variant without
             * Θ: same math, FMA contraction may differ in the last bit) */
            ck_assert_msg(relerr(K, ntk[l], n1 * n2) < 1e-15, "F %d depth %zu", F, l);
            free(K);
            if (nngp[l]) {
                /* NNGP alone runs the loop variant without Θ: same math, FMA
                 * contraction may differ in the last bit */
                K = kern(&al, NTK_KIND_NNGP, X1, n1, X2, n2, d, 1);
                ck_assert(relerr(K, nngp[l], n1 * n2) < 1e-15);
                free(K);
            }
        }
        /* cross kernel = block of the kernel of the stacked rows */
        double *S = malloc(sizeof(double) * (n1 + n2) * d);
        memcpy(S, X1, sizeof(double) * n1 * d);
        memcpy(S + n1 * d, X2, sizeof(double) * n2 * d);
        size_t N = n1 + n2;
        double *KS = kern(&a, NTK_KIND_NTK, S, N, NULL, 0, d, 2);
        double mx = 0, md = 0;
        for (size_t i = 0; i < n1; i++)
            for (size_t j = 0; j < n2; j++) {
                mx = fmax(mx, fabs(KS[i * N + n1 + j]));
                md = fmax(md, fabs(KS[i * N + n1 + j] - ntk[L][i * n2 + j]));
            }
        ck_assert_msg(md <= 1e-13 * mx, "block: %g", md / mx);
        ck_assert(KS[11 * N + n1 + 7] == ntk[L][11 * n2 + 7]);
        ck_assert(KS[11 * N + n1 + 7] == KS[11 * N + 11]);
        free(KS);
        free(S);
        for (size_t l = 0; l <= L; l++) {
            free(ntk[l]);
            free(nngp[l]);
        }
    }
    free(X1);
    free(X2);
}
END_TEST

/* Fixed layers, by hand: ReLU, σ_w = √2, σ_b = 0, x = (1,0), x' = (1,1).
 * Σ⁰: ½, 1, ½ → K0 = 1, 2, 1; ρ0 = 1/√2, θ0 = π/4: T'0 = 3/8,
 * K1 = 2·√2·(sin θ0 + (π − θ0) cos θ0)/(2π) = 1/π + 3/4 (diagonals 1, 2).
 * Θ1 = K1 + 2·T'0·Θ0 with Θ0 = K0 (F = 0) or 0 (F = 1). Depth 2 likewise. */
START_TEST(test_fixed_layers_by_hand)
{
    double X[4] = {1, 0, 1, 1};
    double K0 = 1, Tp0 = 3.0 / 8, K1 = 1 / M_PI + 0.75;
    double r1 = K1 / sqrt(2.0), th1 = acos(r1);
    double Tp1 = (M_PI - th1) / (2 * M_PI);
    double K2 = 2 * sqrt(2.0) * (sin(th1) + (M_PI - th1) * r1) / (2 * M_PI);
    double want1[2] = {K1 + 2 * Tp0 * K0, K1};
    double want2[3] = {K2 + 2 * Tp1 * (K1 + 2 * Tp0 * K0), K2 + 2 * Tp1 * K1, K2};
    for (int F = 0; F <= 1; F++) {
        ntk_arch a = arch("relu", 1, sqrt(2.0), 0, F);
        double *K = kern(&a, NTK_KIND_NTK, X, 1, X + 2, 1, 2, 1);
        ck_assert_close(K[0], want1[F], 1e-15, 1);
        free(K);
    }
    for (int F = 0; F <= 2; F++) {
        ntk_arch a = arch("relu", 2, sqrt(2.0), 0, F);
        double *K = kern(&a, NTK_KIND_NTK, X, 2, NULL, 0, 2, 1);
        ck_assert_close(K[1], want2[F], 1e-15, 1);
        ck_assert_close(K[2], want2[F], 1e-15, 1);
        /* diagonal: K_l(x,x) = 1 for all l, Θ = Σ over trained layers of 1·(1/2·2)^… = 3 − F */
        ck_assert_close(K[0], 3.0 - F, 1e-15, 1);
        ck_assert_close(K[3], 2 * (3.0 - F), 1e-15, 1);
        free(K);
        K = kern(&a, NTK_KIND_NNGP, X, 2, NULL, 0, 2, 1);
        ck_assert_close(K[1], K2, 1e-15, 1);
        free(K);
    }
}
END_TEST

START_TEST(test_deep_and_degenerate)
{
    size_t n = 30, d = 4;
    double *X = randmat(n, d);
    memset(X + 4 * d, 0, d * sizeof(double)); /* zero rows */
    memset(X + 9 * d, 0, d * sizeof(double));
    const char *an[] = {"relu", "erf", "gelu", "abs", "sin", "identity"};
    const int depths[] = {50, 100};
    for (int ai = 0; ai < 6; ai++)
        for (int di = 0; di < 2; di++)
            for (int bi = 0; bi < 2; bi++)
                for (int kind = 0; kind < 2; kind++) {
                    double w = ai == 5 ? 1.0 : sqrt(2.0);
                    ntk_arch a = arch(an[ai], depths[di], w, bi ? 0.1 : 0, 0);
                    double *K = kern(&a, kind, X, n, NULL, 0, d, 2);
                    for (size_t i = 0; i < n * n; i++)
                        ck_assert_msg(isfinite(K[i]), "%s L=%d entry %zu", an[ai], depths[di], i);
                    if (!bi && (ai == 0 || ai == 3 || ai == 5)) /* homogeneous: zero rows give 0 */
                        for (size_t j = 0; j < n; j++)
                            ck_assert(K[4 * n + j] == 0 && K[j * n + 9] == 0);
                    free(K);
                }
    /* σ_w = 0: the kernel is σ_b² everywhere for NNGP */
    ntk_arch a = arch("relu", 3, 0, 0.5, 0);
    double *K = kern(&a, NTK_KIND_NNGP, X, n, NULL, 0, d, 1);
    for (size_t i = 0; i < n * n; i++)
        ck_assert_close(K[i], 0.25, 1e-15, 1);
    free(K);
    /* ReLU, σ_w = √2, σ_b = 0 keeps the diagonal: K_L(x,x) = ‖x‖²/d */
    a = arch("relu", 100, sqrt(2.0), 0, 0);
    K = kern(&a, NTK_KIND_NNGP, X, n, NULL, 0, d, 1);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t k = 0; k < d; k++)
            s += X[i * d + k] * X[i * d + k];
        ck_assert_close(K[i * n + i], 2 * s / d, 1e-13, 1e-300);
    }
    free(K);
    /* depth 0: the linear kernel σ_w²⟨x,x'⟩/d + σ_b² (Θ = K) */
    a = arch("relu", 0, 1.5, 0.2, 0);
    K = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 1);
    double s = 0;
    for (size_t k = 0; k < d; k++)
        s += X[k] * X[d + k];
    ck_assert_close(K[1], 2.25 * s / d + 0.04, 1e-14, 1);
    free(K);
    free(X);
}
END_TEST

START_TEST(test_threads_identical)
{
    size_t n = 300, d = 7;
    double *X = randmat(n, d);
    ntk_arch a = arch("erf", 3, 1.2, 0.3, 1);
    double *K1 = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 1);
    double *K2 = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 2);
    double *K3 = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 0);
    ck_assert(memcmp(K1, K2, sizeof(double) * n * n) == 0);
    ck_assert(memcmp(K1, K3, sizeof(double) * n * n) == 0);
    free(K1);
    free(K2);
    free(K3);
    free(X);
}
END_TEST

typedef struct {
    int calls, stop_at;
    size_t last, total;
} prog_t;
static int prog_cb(void *ctx, const char *stage, size_t done, size_t total)
{
    prog_t *p = ctx;
    ck_assert_str_eq(stage, "kernel");
    ck_assert(done >= p->last && done <= total);
    p->last = done;
    p->total = total;
    p->calls++;
    return p->stop_at && p->calls >= p->stop_at;
}

START_TEST(test_progress_and_errors)
{
    size_t n = 700, d = 3;
    double *X = randmat(n, d), *K = malloc(sizeof(double) * n * n);
    ntk_arch a = arch("relu", 2, sqrt(2.0), 0, 0);
    prog_t p = {0};
    ntk_kernel_options opt = {.threads = 2, .progress = {prog_cb, &p}};
    ntk_error err = {0};
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, &opt, &err), NTK_OK);
    ck_assert_int_ge(p.calls, 1);
    ck_assert(p.last == p.total);
    prog_t p2 = {.stop_at = 1};
    opt.progress.ctx = &p2;
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, &opt, &err),
                     NTK_EFAILED);
    ck_assert_str_eq(err.msg, "interrupted");

    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, 0, K, NULL, &err),
                     NTK_EINPUT);
    X[5] = NAN;
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err),
                     NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "row 2") != NULL, "%s", err.msg);
    X[5] = 1;
    ntk_arch b = a;
    b.fixed_layers = 5;
    ck_assert_int_eq(ntk_kernel_eval(&b, NTK_KIND_NTK, X, n, NULL, 0, d, K, NULL, &err),
                     NTK_EINPUT);
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, NULL, NULL, &err),
                     NTK_EINPUT);
    double *same2[3] = {K, K, NULL};
    ck_assert_int_eq(ntk_kernel_eval_depths(&a, X, n, NULL, 0, d, same2, NULL, NULL, &err),
                     NTK_EINPUT);
    /* overflow is reported, not returned as Inf */
    b = arch("relu", 1000, 3.0, 0, 0);
    ck_assert_int_eq(ntk_kernel_eval(&b, NTK_KIND_NTK, X, 5, NULL, 0, d, K, NULL, &err),
                     NTK_ENUMERIC);
    /* empty inputs are fine */
    ck_assert_int_eq(ntk_kernel_eval(&a, NTK_KIND_NTK, X, 0, NULL, 0, d, K, NULL, &err), NTK_OK);
    free(K);
    free(X);
}
END_TEST

/* quadrature activations: θ-table path (equal norms) and exact path (distinct norms)
 * against the scalar recursion; forced quadrature against the closed form */
START_TEST(test_quadrature_kernels)
{
    size_t n = 14, d = 5;
    double *X = randmat(n, d), *R = malloc(sizeof(double) * n * n);
    for (size_t i = 0; i < n; i++) { /* rows on the sphere of radius √d */
        double s = 0;
        for (size_t k = 0; k < d; k++)
            s += X[i * d + k] * X[i * d + k];
        for (size_t k = 0; k < d; k++)
            X[i * d + k] *= sqrt(d / s);
    }
    const char *an[] = {"tanh", "softplus", "swish", "elu", "sigmoid"};
    quad_mode = 2; /* θ-tables even for this small n */
    for (int ai = 0; ai < 5; ai++) {
        ntk_arch a = arch(an[ai], 2, 1.5, 0.2, 0);
        double *K = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 2);
        ref_matrix(&a, NTK_KIND_NTK, X, n, NULL, 0, d, R);
        double e = relerr(K, R, n * n);
        printf("table path %-8s vs per-pair quadrature: %.2e\n", an[ai], e);
        ck_assert_msg(e < 1e-10, "%s: %g", an[ai], e);
        free(K);
    }
    quad_mode = 0;
    ntk_arch a = arch("relu", 3, sqrt(2.0), 0.1, 1), aq = a;
    aq.act.force_quadrature = 2; /* quadrature through θ-tables */
    double *K = kern(&a, NTK_KIND_NTK, X, n, NULL, 0, d, 2);
    double *Kq = kern(&aq, NTK_KIND_NTK, X, n, NULL, 0, d, 2);
    double e = relerr(Kq, K, n * n);
    printf("forced quadrature relu (table path) vs closed form: %.2e\n", e);
    ck_assert(e < 1e-10);
    free(K);
    free(Kq);
    /* distinct norms: exact per-entry quadrature (small n), and tables per pair */
    quad_mode = 0;
    size_t m = 3;
    double *Y = randmat(m, d);
    a = arch("tanh", 2, 1.5, 0.2, 1);
    K = kern(&a, NTK_KIND_NTK, Y, m, X, 2, d, 1);
    ref_matrix(&a, NTK_KIND_NTK, Y, m, X, 2, d, R);
    ck_assert(relerr(K, R, m * 2) < 1e-13);
    free(K);
    quad_mode = 2;
    K = kern(&a, NTK_KIND_NTK, Y, m, X, 2, d, 2);
    e = relerr(K, R, m * 2);
    printf("tables per distinct pair (tanh) vs per-pair quadrature: %.2e\n", e);
    ck_assert(e < 1e-10);
    quad_mode = 0;
    free(K);
    free(Y);
    free(R);
    free(X);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kernel");
    TCase *tc = tcase_create("kernel");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_matches_scalar, 0, N_ACTS);
    tcase_add_test(tc, test_symmetry_psd);
    tcase_add_test(tc, test_invariances);
    tcase_add_loop_test(tc, test_depths_and_blocks, 0, 2);
    tcase_add_test(tc, test_fixed_layers_by_hand);
    tcase_add_test(tc, test_deep_and_degenerate);
    tcase_add_test(tc, test_threads_identical);
    tcase_add_test(tc, test_progress_and_errors);
    suite_add_tcase(s, tc);
    TCase *tq = tcase_create("quadrature");
    tcase_set_timeout(tq, 300);
    tcase_add_test(tq, test_quadrature_kernels);
    suite_add_tcase(s, tq);
    return s;
}

TEST_MAIN(suite)

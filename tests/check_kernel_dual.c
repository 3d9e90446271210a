/* Dual activations: parsing/formatting, closed forms against quadrature,
 * quadrature-only activations against identities they must satisfy, and the
 * vectorized layer loops against the scalar closed forms. */
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_internal.h"
#include "ntk/kernel.h"
#include "testutil.h"

static const char *closed_acts[] = {
    "relu", "leaky_relu:0.1", "abrelu:-0.3,0.7", "abs", "erf", "erf:0.5,2,0.3",
    "sigmoid_like", "gelu", "sin", "sin:1.5,0.7,0.3", "cos:1,2,0.5", "identity"};
#define N_CLOSED ((int)(sizeof closed_acts / sizeof closed_acts[0]))

static ntk_activation parse(const char *s)
{
    ntk_activation a;
    ntk_error err = {0};
    ck_assert_msg(ntk_activation_parse(s, &a, &err) == NTK_OK, "%s: %s", s, err.msg);
    return a;
}

static void dual(const ntk_activation *a, double q1, double q2, double q12, int same, double *T,
                 double *Tp)
{
    ntk_error err = {0};
    ck_assert_msg(ntk_dual(a, q1, q2, q12, same, T, Tp, &err) == NTK_OK, "%s", err.msg);
    ck_assert(isfinite(*T) && isfinite(*Tp));
}

START_TEST(test_parse_format)
{
    const char *ok[] = {"relu", "leaky_relu", "leaky_relu:0.2", "abrelu:0.1,1", "abs", "erf",
                        "erf:1,2,0.5", "sigmoid_like", "gelu", "sin", "sin:2,1,0.5", "cos",
                        "cos:1,3", "identity", "tanh", "softplus", "swish", "silu", "elu",
                        "elu:0.5", "sigmoid"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ntk_activation a = parse(ok[i]), b;
        char buf[128];
        ntk_activation_format(&a, buf, sizeof buf);
        ntk_error err = {0};
        ck_assert_msg(ntk_activation_parse(buf, &b, &err) == NTK_OK, "%s -> %s", ok[i], buf);
        ck_assert_int_eq(a.kind, b.kind);
        for (int k = 0; k < 3; k++)
            ck_assert(a.p[k] == b.p[k]);
    }
    ntk_activation a = parse("leaky_relu:0.1");
    char buf[64];
    ntk_activation_format(&a, buf, sizeof buf);
    ck_assert_str_eq(buf, "leaky_relu:0.1");
    a = parse("erf");
    ntk_activation_format(&a, buf, sizeof buf);
    ck_assert_str_eq(buf, "erf");
    ck_assert(a.p[0] == 1 && a.p[1] == 1 && a.p[2] == 0);
    a = parse("silu");
    ck_assert_int_eq(a.kind, NTK_ACT_SWISH);
    ck_assert_int_eq(parse("elu").kind, NTK_ACT_ELU);
    ck_assert(parse("elu").p[0] == 1);

    const char *bad[] = {"", "rel", "relu:1", "abrelu", "abrelu:1", "abrelu:1,2,3",
                         "erf:1,2,3,4", "leaky_relu:", "leaky_relu:x", "leaky_relu:nan",
                         "erf:1,,2", "tanh:1", "custom"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ntk_error err = {0};
        ntk_activation b;
        ck_assert_msg(ntk_activation_parse(bad[i], &b, &err) == NTK_EINPUT, "'%s' accepted",
                      bad[i]);
        ck_assert_int_eq(err.status, NTK_EINPUT);
        ck_assert(strlen(err.msg) > 0);
    }
    int n = 0;
    for (; ntk_activation_names[n]; n++) /* abrelu alone needs its two slopes */
        ck_assert_int_eq(ntk_activation_parse(ntk_activation_names[n], &a, NULL),
                         strcmp(ntk_activation_names[n], "abrelu") ? NTK_OK : NTK_EINPUT);
    ck_assert_int_ge(n, 16);
}
END_TEST

START_TEST(test_arch)
{
    ntk_arch a;
    ntk_arch_init(&a);
    ck_assert_int_eq(a.depth, 1);
    ck_assert_int_eq(a.act.kind, NTK_ACT_RELU);
    ck_assert(a.w_std == sqrt(2.0) && a.b_std == 0 && a.fixed_layers == 0);
    ck_assert_ptr_null(ntk_arch_check(&a));
    ntk_arch b = a;
    b.depth = -1;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    b = a;
    b.w_std = -1;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    b = a;
    b.b_std = NAN;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    b = a;
    b.fixed_layers = 2;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    b.depth = 2;
    ck_assert_ptr_null(ntk_arch_check(&b));
    b = a;
    b.act.kind = NTK_ACT_CUSTOM;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    b = a;
    b.act.p[1] = INFINITY;
    ck_assert_ptr_nonnull(ntk_arch_check(&b));
    ck_assert_ptr_nonnull(ntk_arch_check(NULL));
}
END_TEST

/* scale of T (resp. T') for the pair: √(T(q1,q1)·T(q2,q2)) by Cauchy–Schwarz */
static void scales(const ntk_activation *a, double q1, double q2, double *sT, double *sP)
{
    double T1, P1, T2, P2;
    dual(a, q1, q1, q1, 1, &T1, &P1);
    dual(a, q2, q2, q2, 1, &T2, &P2);
    *sT = sqrt(fabs(T1 * T2));
    *sP = sqrt(fabs(P1 * P2));
    if (*sT < 1e-300)
        *sT = 1;
    if (*sP < 1e-300)
        *sP = 1;
}

static const double qs[] = {0.05, 0.7, 6};
static const double rhos[] = {-0.999999999, -0.9, -0.3, 0, 0.4, 0.95, 0.99999, 1 - 1e-9};

/* closed form vs quadrature for every activation having both */
START_TEST(test_closed_vs_quad)
{
    ntk_activation a = parse(closed_acts[_i]), aq = a;
    aq.force_quadrature = 1;
    double worst = 0;
    for (int i = 0; i < 3; i++)
        for (int j = i; j < 3; j++)
            for (size_t k = 0; k < sizeof rhos / sizeof rhos[0]; k++) {
                double q1 = qs[i], q2 = qs[j], q12 = rhos[k] * sqrt(q1) * sqrt(q2);
                double T, P, Tq, Pq, sT, sP;
                dual(&a, q1, q2, q12, 0, &T, &P);
                dual(&aq, q1, q2, q12, 0, &Tq, &Pq);
                scales(&a, q1, q2, &sT, &sP);
                double e = fmax(fabs(T - Tq) / sT, fabs(P - Pq) / sP);
                ck_assert_msg(e < 1e-10, "%s q1 %g q2 %g rho %.12g: T %.17g vs %.17g, T' %.17g vs %.17g",
                              closed_acts[_i], q1, q2, rhos[k], T, Tq, P, Pq);
                if (e > worst)
                    worst = e;
            }
    for (int i = 0; i < 3; i++) {
        double T, P, Tq, Pq;
        dual(&a, qs[i], 0, 0, 1, &T, &P);
        dual(&aq, qs[i], 0, 0, 1, &Tq, &Pq);
        ck_assert_close(Tq, T, 1e-11, 1e-300);
        ck_assert_close(Pq, P, 1e-11, 1e-300);
    }
    printf("closed vs quadrature %-16s max error %.2e\n", closed_acts[_i], worst);
}
END_TEST

static double cube(double x, void *ctx)
{
    (void)ctx;
    return x * x * x;
}
static double dcube(double x, void *ctx)
{
    (void)ctx;
    return 3 * x * x;
}
static double my_tanh(double x, void *ctx)
{
    (void)ctx;
    return tanh(x);
}
static double my_dtanh(double x, void *ctx)
{
    (void)ctx;
    return 1 - tanh(x) * tanh(x);
}

/* quadrature-only activations: identities */
START_TEST(test_quad_identities)
{
    ntk_activation th = parse("tanh"), sg = parse("sigmoid"), sp = parse("softplus");
    ntk_activation cu, ct;
    ntk_activation_init(&cu, NTK_ACT_CUSTOM);
    cu.phi = cube;
    cu.dphi = dcube;
    ntk_activation_init(&ct, NTK_ACT_CUSTOM);
    ct.phi = my_tanh;
    ct.dphi = my_dtanh;
    const double q[] = {0.3, 2.5};
    const double r[] = {-0.95, 0.2, 0.9};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++) {
            double q1 = q[i], q2 = q[1 - i], q12 = r[k] * sqrt(q1 * q2);
            double T, P, T2, P2, T3, P3;
            /* x³: E[u³v³] = 9 q1 q2 q12 + 6 q12³, E[9u²v²] = 9(q1 q2 + 2 q12²) */
            dual(&cu, q1, q2, q12, 0, &T, &P);
            ck_assert_close(T, 9 * q1 * q2 * q12 + 6 * q12 * q12 * q12, 1e-11, 15 * q1 * q2 * sqrt(q1 * q2));
            ck_assert_close(P, 9 * (q1 * q2 + 2 * q12 * q12), 1e-11, 1);
            /* sigmoid(x) = (1 + tanh(x/2))/2 */
            dual(&sg, q1, q2, q12, 0, &T, &P);
            dual(&th, q1 / 4, q2 / 4, q12 / 4, 0, &T2, &P2);
            ck_assert_close(T, 0.25 + T2 / 4, 1e-11, 0.1);
            ck_assert_close(P, P2 / 16, 1e-11, 0.01);
            /* softplus' = sigmoid */
            dual(&sp, q1, q2, q12, 0, &T3, &P3);
            ck_assert_close(P3, T, 1e-11, 0.1);
            /* custom tanh = built-in tanh */
            dual(&ct, q1, q2, q12, 0, &T2, &P2);
            dual(&th, q1, q2, q12, 0, &T3, &P3);
            ck_assert_close(T2, T3, 1e-14, 1e-3);
            ck_assert_close(P2, P3, 1e-14, 1e-3);
            /* symmetric in the two inputs */
            dual(&th, q2, q1, q12, 0, &T2, &P2);
            ck_assert_close(T2, T3, 1e-13, 1e-3);
            ck_assert_close(P2, P3, 1e-13, 1e-3);
        }
    /* same = 1 equals correlation 1 (and ≈ 1) */
    const char *names[] = {"tanh", "softplus", "swish", "elu", "elu:0.5", "sigmoid"};
    for (int k = 0; k < 6; k++) {
        ntk_activation a = parse(names[k]);
        for (int i = 0; i < 2; i++) {
            double T, P, T1, P1, T2, P2;
            dual(&a, q[i], q[i], q[i], 1, &T, &P);
            dual(&a, q[i], q[i], q[i], 0, &T1, &P1);
            dual(&a, q[i], q[i], q[i] * (1 - 1e-12), 0, &T2, &P2);
            ck_assert_close(T1, T, 1e-12, 1e-3);
            ck_assert_close(P1, P, 1e-12, 1e-3);
            ck_assert_close(T2, T, 1e-9, 1e-3);
            ck_assert_close(P2, P, 1e-5, 1e-3); /* elu' has a jump: slope ~√(1−ρ) */
        }
    }
}
END_TEST

START_TEST(test_dual_special)
{
    ntk_activation r = parse("relu");
    double T, P;
    dual(&r, 3, 5, 0, 1, &T, &P);
    ck_assert(T == 1.5 && P == 0.5); /* ρ = 1 exactly: q/2, 1/2 */
    dual(&r, 0, 2, 0, 0, &T, &P);    /* zero variance: T = 0, no NaN */
    ck_assert(T == 0);
    dual(&r, 0, 0, 0, 0, &T, &P);
    ck_assert(T == 0);
    dual(&r, 2, 2, -2, 0, &T, &P);   /* ρ = −1 */
    ck_assert_close(T, 0, 0, 1);
    ck_assert_close(P, 0, 0, 1);
    ntk_error err = {0};
    ck_assert_int_eq(ntk_dual(&r, -1, 1, 0, 0, &T, &P, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_dual(&r, 1, 1, 2, 0, &T, &P, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_dual(&r, NAN, 1, 0, 0, &T, &P, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_dual(NULL, 1, 1, 0, 0, &T, &P, &err), NTK_EINPUT);
    /* erf closed form at the identical-input limit */
    ntk_activation e = parse("erf");
    dual(&e, 0.5, 0.5, 0.5, 1, &T, &P);
    ck_assert_close(T, 2 / M_PI * asin(1.0 / 2.0), 1e-15, 1);
    ck_assert_close(P, 4 / M_PI / sqrt(3.0), 1e-15, 1);
}
END_TEST

/* every compiled ISA variant of the layer loops against the scalar closed forms */
START_TEST(test_layer_isa)
{
    const char *isas[] = {"baseline", "avx2", "avx512"};
    enum { N = 203 };
    double K0[N], q2[N], isq2[N], sq2[N], ia2[N];
    double q1 = 1.3;
    for (int j = 0; j < N; j++) {
        q2[j] = 0.2 + 3.0 * j / N;
        double r = -1 + 2.0 * j / (N - 1);
        K0[j] = r * sqrt(q1 * q2[j]);
        isq2[j] = 1 / sqrt(q2[j]);
        sq2[j] = sqrt(q2[j]);
    }
    for (int ai = 0; ai < N_CLOSED; ai++) {
        ntk_activation act = parse(closed_acts[ai]);
        ntk_dual_spec sp;
        ntk_dual_spec_init(&sp, &act);
        ntk_layer_par p = {0};
        p.sw2 = 1.7;
        p.sb2 = 0.2;
        p.trained = 1;
        p.A = 0.5 * (sp.a * sp.a + sp.b * sp.b);
        p.f = (sp.a - sp.b) * (sp.a - sp.b) / (2 * M_PI);
        p.a2 = sp.a * sp.a;
        p.b2 = sp.b * sp.b;
        p.c2 = sp.c * sp.c;
        p.two_b2 = 2 * sp.b * sp.b;
        p.erf_tp = sp.a * sp.a * sp.b * sp.b * 4 / M_PI;
        p.cos2c = cos(2 * sp.c);
        for (int j = 0; j < N; j++)
            ia2[j] = 1 / sqrt(1 + p.two_b2 * q2[j]);
        for (int k = 0; k < 3; k++) {
            const ntk_layer_ops *ops = ntk_layer_ops_named(isas[k]);
            if (!ops)
                continue;
            double K[N], Th[N];
            for (int j = 0; j < N; j++) {
                K[j] = K0[j];
                Th[j] = 0.5 + 0.001 * j;
            }
            switch (sp.kind) {
            case NTK_DUAL_ABRELU:
                ops->abrelu(N, K, Th, isq2, sq2, 1 / sqrt(q1), sqrt(q1), &p);
                break;
            case NTK_DUAL_ERF: ops->erf(N, K, Th, ia2, 1 / sqrt(1 + p.two_b2 * q1), &p); break;
            case NTK_DUAL_GELU: ops->gelu(N, K, Th, q2, q1, &p); break;
            case NTK_DUAL_SIN: ops->sin(N, K, Th, q2, q1, &p); break;
            default: ops->identity(N, K, Th, &p); break;
            }
            for (int j = 0; j < N; j++) {
                double T, P;
                ntk_dual_closed(&sp, q1, q2[j], K0[j], 0, &T, &P);
                double Ke = p.sw2 * T + p.sb2, The = Ke + p.sw2 * P * (0.5 + 0.001 * j);
                ck_assert_msg(fabs(K[j] - Ke) <= 1e-14 * (fabs(Ke) + 1) &&
                                  fabs(Th[j] - The) <= 1e-14 * (fabs(The) + 1),
                              "%s %s j=%d: K %.17g vs %.17g, Th %.17g vs %.17g", isas[k],
                              closed_acts[ai], j, K[j], Ke, Th[j], The);
            }
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kernel_dual");
    TCase *tc = tcase_create("dual");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_parse_format);
    tcase_add_test(tc, test_arch);
    tcase_add_loop_test(tc, test_closed_vs_quad, 0, N_CLOSED);
    tcase_add_test(tc, test_quad_identities);
    tcase_add_test(tc, test_dual_special);
    tcase_add_test(tc, test_layer_isa);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

/* Monte Carlo check of the analytic kernel by the network module: the mean
 * empirical NTK over random initializations of finite networks matches
 * ntk_kernel_eval's NTK, within 5% relative Frobenius at width 2048, for relu
 * and erf at depths 1–3, and the error falls as the width grows. Two
 * implementations that share nothing but ntk_arch check each other. Kept to a
 * few seconds by using 6 input points in 3 dimensions. */
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/network.h"
#include "ntk/rng.h"
#include "testutil.h"

#define NPTS 6
#define DIM 3

/* Relative Frobenius error of the mean empirical NTK over `seeds` networks
 * of `width`, against the analytic NTK; *single (may be NULL) receives the
 * mean over seeds of each network's own error, which falls like 1/√width
 * with little noise. */
static double mc_error(const ntk_arch *a, const double *X, size_t width, int seeds,
                       const double *analytic, double *single)
{
    double e1 = 0;
    double mean[NPTS * NPTS] = {0}, K[NPTS * NPTS];
    ntk_error err = {0};
    for (int s = 0; s < seeds; s++) {
        ntk_network *net;
        ck_assert_msg(ntk_network_create(a, DIM, width, 1, 1000 + (uint64_t)s, &net, &err) ==
                          NTK_OK, "%s", err.msg);
        ck_assert(ntk_network_entk(net, X, NPTS, NULL, 0, -1, K, &err) == NTK_OK);
        for (int i = 0; i < NPTS * NPTS; i++)
            mean[i] += K[i] / seeds;
        e1 += ntk_rel_frobenius(K, analytic, NPTS * NPTS) / seeds;
        ntk_network_free(net);
    }
    if (single)
        *single = e1;
    return ntk_rel_frobenius(mean, analytic, NPTS * NPTS);
}

static void check_act(const char *act, double w_std, double b_std)
{
    double X[NPTS * DIM];
    ntk_rng r;
    ntk_rng_seed(&r, 2024);
    for (int i = 0; i < NPTS * DIM; i++)
        X[i] = ntk_rng_normal(&r);
    for (int depth = 1; depth <= 3; depth++) {
        ntk_arch a;
        ntk_error err = {0};
        ntk_arch_init(&a);
        ck_assert(ntk_activation_parse(act, &a.act, &err) == NTK_OK);
        a.depth = depth;
        a.w_std = w_std;
        a.b_std = b_std;
        double analytic[NPTS * NPTS];
        ck_assert_msg(ntk_kernel_eval(&a, NTK_KIND_NTK, X, NPTS, NULL, 0, DIM, analytic, NULL,
                                      &err) == NTK_OK, "%s", err.msg);
        double s128, s512, s2048;
        double e_small = mc_error(&a, X, 128, 8, analytic, &s128);
        double e_mid = mc_error(&a, X, 512, 8, analytic, &s512);
        double e_big = mc_error(&a, X, 2048, 8, analytic, &s2048);
        printf("  %-5s depth %d: mean of 8 empirical NTKs vs analytic: width 128 %.4f, 512 %.4f, "
               "2048 %.4f; one network: %.4f, %.4f, %.4f\n", act, depth, e_small, e_mid, e_big,
               s128, s512, s2048);
        ck_assert_msg(e_big < 0.05, "%s depth %d: error %g at width 2048", act, depth, e_big);
        ck_assert_msg(e_small > e_big, "%s depth %d: error does not fall with width (%g, %g)",
                      act, depth, e_small, e_big);
        /* one network's error falls like width^(-1/2): ×1/2 per ×4 in width */
        ck_assert_msg(s128 > 1.4 * s512 && s512 > 1.4 * s2048,
                      "%s depth %d: single-network error does not fall with width (%g %g %g)",
                      act, depth, s128, s512, s2048);
    }
}

START_TEST(test_mc_relu) { check_act("relu", sqrt(2.0), 0.2); }
END_TEST

START_TEST(test_mc_erf) { check_act("erf", 1.5, 0.3); }
END_TEST

/* Only the readout trained (fixed layers = depth): the empirical kernel tends
 * to the NNGP kernel. */
START_TEST(test_mc_nngp)
{
    double X[NPTS * DIM];
    ntk_rng r;
    ntk_rng_seed(&r, 7);
    for (int i = 0; i < NPTS * DIM; i++)
        X[i] = ntk_rng_normal(&r);
    ntk_arch a;
    ntk_error err = {0};
    ntk_arch_init(&a);
    a.depth = 2;
    a.b_std = 0.1;
    double nngp[NPTS * NPTS];
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NNGP, X, NPTS, NULL, 0, DIM, nngp, NULL, &err) ==
              NTK_OK);
    a.fixed_layers = 2;
    double e = mc_error(&a, X, 2048, 4, nngp, NULL);
    printf("  relu depth 2, readout only: error vs NNGP %.4f\n", e);
    ck_assert_msg(e < 0.05, "error %g", e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("network_mc");
    TCase *tc = tcase_create("mc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mc_relu);
    tcase_add_test(tc, test_mc_erf);
    tcase_add_test(tc, test_mc_nngp);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)

/* The C-SVM (ntk/svm.h) against an independent solver of the same dual:
 * accelerated projected gradient, projecting onto {0 ≤ α ≤ C, yᵀα = 0} by
 * bisection on the multiplier of the equality — slow, simple, and sharing no
 * code with SMO. Also: the KKT conditions of the returned duals, one-vs-one
 * voting against explicit loops, class weights, determinism across thread
 * counts, shrinking on/off, and the selection helper. */
#include <math.h>
#include <string.h>

#include "ntk/kernel.h"
#include "ntk/rng.h"
#include "ntk/svm.h"
#include "svm/svm_internal.h"
#include "testutil.h"

/* NTK (depth 1, ReLU) of n random points in d dimensions: positive definite. */
static double *make_kernel(size_t n, size_t d, uint64_t seed, double **Xout)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    double *X = malloc(n * d * sizeof *X), *K = malloc(n * n * sizeof *K);
    for (size_t i = 0; i < n * d; i++)
        X[i] = ntk_rng_normal(&r);
    ntk_arch a;
    ntk_arch_init(&a);
    ntk_error err = {0};
    ntk_kernel_options ko = {1, {NULL, NULL}};
    ck_assert(ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, &ko, &err) == NTK_OK);
    if (Xout)
        *Xout = X;
    else
        free(X);
    return K;
}

/* Labels that depend on the inputs (plus some noise) so the SVM has work. */
static size_t *make_labels(size_t n, size_t k, uint64_t seed, const double *K)
{
    ntk_rng r;
    ntk_rng_seed(&r, seed);
    size_t *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        double s = K[i * n] - K[i * n + 1] + 0.3 * ntk_rng_normal(&r);
        size_t c = (size_t)(fabs(s) * 3.0) % k;
        y[i] = i < k ? i : c;
    }
    return y;
}

/* Projection of z onto {0 ≤ α ≤ ub, Σ y α = 0}: α(μ) = clip(z − μy) and
 * Σ y α(μ) decreases in μ. */
static void project(const double *z, const double *y, const double *ub, size_t l, double *out)
{
    double lo = -1e6, hi = 1e6;
    for (int it = 0; it < 200; it++) {
        double mu = 0.5 * (lo + hi), s = 0;
        for (size_t t = 0; t < l; t++)
            s += y[t] * fmin(ub[t], fmax(0.0, z[t] - mu * y[t]));
        if (s > 0)
            lo = mu;
        else
            hi = mu;
    }
    double mu = 0.5 * (lo + hi);
    for (size_t t = 0; t < l; t++)
        out[t] = fmin(ub[t], fmax(0.0, z[t] - mu * y[t]));
}

/* Decision values of the dual solved by FISTA on rows `rows` (y ±1, bounds
 * ub) at every row of K (n×n): out[i] = Σ y_t α_t K(i, rows[t]) + b. */
static void reference_decision(const double *K, size_t n, const size_t *rows, const double *y,
                               const double *ub, size_t l, double *out)
{
    double *Q = malloc(l * l * sizeof *Q), *a = calloc(l, sizeof *a), *a0 = calloc(l, sizeof *a0);
    double *v = calloc(l, sizeof *v), *g = malloc(l * sizeof *g), *z = malloc(l * sizeof *z);
    double L = 0;
    for (size_t s = 0; s < l; s++) {
        double row = 0;
        for (size_t t = 0; t < l; t++) {
            Q[s * l + t] = y[s] * y[t] * K[rows[s] * n + rows[t]];
            row += fabs(Q[s * l + t]);
        }
        L = fmax(L, row);
    }
    double tk = 1.0;
    for (int it = 0; it < 200000; it++) {
        for (size_t s = 0; s < l; s++) {
            double q = -1.0;
            for (size_t t = 0; t < l; t++)
                q += Q[s * l + t] * v[t];
            g[s] = q;
            z[s] = v[s] - g[s] / L;
        }
        memcpy(a0, a, l * sizeof *a);
        project(z, y, ub, l, a);
        double tn = 0.5 * (1 + sqrt(1 + 4 * tk * tk));
        double change = 0;
        for (size_t s = 0; s < l; s++) {
            v[s] = a[s] + (tk - 1) / tn * (a[s] - a0[s]);
            change = fmax(change, fabs(a[s] - a0[s]));
        }
        tk = tn;
        if (it % 1000 == 999)
            tk = 1.0; /* restart: linear convergence on the strongly convex dual */
        if (change < 1e-15 && it > 100)
            break;
    }
    /* b: mean of y_t − Σ_s y_s α_s K_ts over free variables. */
    double bsum = 0;
    size_t nfree = 0;
    for (size_t t = 0; t < l; t++)
        if (a[t] > 1e-9 * ub[t] && a[t] < ub[t] * (1 - 1e-9)) {
            double f = 0;
            for (size_t s = 0; s < l; s++)
                f += y[s] * a[s] * K[rows[t] * n + rows[s]];
            bsum += y[t] - f;
            nfree++;
        }
    ck_assert_msg(nfree > 0, "reference solution has no free variable");
    double b = bsum / (double)nfree;
    for (size_t i = 0; i < n; i++) {
        double f = b;
        for (size_t s = 0; s < l; s++)
            f += y[s] * a[s] * K[i * n + rows[s]];
        out[i] = f;
    }
    free(Q);
    free(a);
    free(a0);
    free(v);
    free(g);
    free(z);
}

/* KKT of pair (a, b) of a model trained on every row of K: y_t f(x_t) ≥ 1 at
 * α = 0, ≤ 1 at α = C, = 1 between (to tol), Σ coef = 0, 0 ≤ α ≤ C. */
static void check_kkt(const ntk_svm_model *m, const double *K, size_t n, const size_t *lab,
                      size_t a, size_t b, const double *Cc, double tol)
{
    size_t P = m->n_pairs, p = ntk_svm_pair_index(a, b, m->k);
    double sum = 0;
    for (size_t t = 0; t < n; t++) {
        double c = m->coef[t * P + p];
        if (lab[t] != a && lab[t] != b) {
            ck_assert(c == 0.0);
            continue;
        }
        double y = lab[t] == a ? 1.0 : -1.0, al = y * c, C = Cc[lab[t]];
        sum += c;
        ck_assert_msg(al >= 0 && al <= C * (1 + 1e-15), "alpha %g outside [0, %g]", al, C);
        double f = m->bias[p];
        for (size_t s = 0; s < n; s++)
            f += m->coef[s * P + p] * K[t * n + s];
        double yf = y * f;
        if (al == 0)
            ck_assert_msg(yf >= 1 - tol, "alpha 0 but y f = %.12g", yf);
        else if (al >= C)
            ck_assert_msg(yf <= 1 + tol, "alpha C but y f = %.12g", yf);
        else
            ck_assert_msg(fabs(yf - 1) <= tol, "free alpha but y f = %.12g", yf);
    }
    ck_assert_msg(fabs(sum) < 1e-10, "sum y alpha = %g", sum);
}

static ntk_svm_model *train(const double *K, size_t n, const size_t *lab, size_t k, double C,
                            double eps, const double *w, int threads, int shrinking)
{
    ntk_svm_params p;
    ntk_svm_params_init(&p);
    p.C = C;
    p.eps = eps;
    p.class_weight = w;
    p.n_class_weight = w ? k : 0;
    p.threads = threads;
    p.shrinking = shrinking;
    ntk_svm_model *m = NULL;
    ntk_error err = {0};
    ck_assert_msg(ntk_svm_train(K, n, NULL, n, lab, k, &p, &m, &err) == NTK_OK, "%s", err.msg);
    ck_assert(!m->hit_max_iter);
    ck_assert(m->max_gap < eps);
    return m;
}

/* Every pair's decision values at every row against the reference solver. */
static void compare_reference(const ntk_svm_model *m, const double *K, size_t n,
                              const size_t *lab, const double *Cc, double tol)
{
    size_t k = m->k, P = m->n_pairs;
    double *dec = malloc(n * P * sizeof *dec), *ref = malloc(n * sizeof *ref);
    ntk_svm_decision(m, K, n, n, dec);
    size_t *rows = malloc(n * sizeof *rows);
    double *y = malloc(n * sizeof *y), *ub = malloc(n * sizeof *ub);
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++) {
            size_t l = 0, p = ntk_svm_pair_index(a, b, k);
            for (size_t i = 0; i < n; i++)
                if (lab[i] == a || lab[i] == b) {
                    rows[l] = i;
                    y[l] = lab[i] == a ? 1.0 : -1.0;
                    ub[l] = Cc[lab[i]];
                    l++;
                }
            reference_decision(K, n, rows, y, ub, l, ref);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(fabs(dec[i * P + p] - ref[i]) <= tol,
                              "pair (%zu,%zu) row %zu: %.12g vs reference %.12g", a, b, i,
                              dec[i * P + p], ref[i]);
        }
    free(dec);
    free(ref);
    free(rows);
    free(y);
    free(ub);
}

START_TEST(binary_matches_reference)
{
    size_t n = 40;
    double *K = make_kernel(n, 3, 1, NULL);
    size_t *lab = make_labels(n, 2, 2, K);
    for (int shrink = 0; shrink < 2; shrink++) {
        ntk_svm_model *m = train(K, n, lab, 2, 2.0, 1e-10, NULL, 1, shrink);
        double Cc[2] = {2.0, 2.0};
        check_kkt(m, K, n, lab, 0, 1, Cc, 1e-9);
        compare_reference(m, K, n, lab, Cc, 1e-7);
        ck_assert(m->n_sv > 0 && m->n_sv <= n);
        ntk_svm_model_free(m);
    }
    free(K);
    free(lab);
}
END_TEST

START_TEST(multiclass_matches_reference)
{
    size_t n = 45, k = 3;
    double *K = make_kernel(n, 4, 3, NULL);
    size_t *lab = make_labels(n, k, 4, K);
    ntk_svm_model *m = train(K, n, lab, k, 0.7, 1e-10, NULL, 2, 1);
    double Cc[3] = {0.7, 0.7, 0.7};
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++)
            check_kkt(m, K, n, lab, a, b, Cc, 1e-9);
    compare_reference(m, K, n, lab, Cc, 1e-7);
    /* Votes against an explicit loop over pairs. */
    size_t P = m->n_pairs;
    ck_assert_uint_eq(P, 3);
    double *dec = malloc(n * P * sizeof *dec), *votes = malloc(n * k * sizeof *votes);
    ntk_svm_decision(m, K, n, n, dec);
    ntk_svm_votes(dec, n, k, votes);
    for (size_t i = 0; i < n; i++) {
        double v[3] = {0, 0, 0};
        v[dec[i * P + 0] > 0 ? 0 : 1]++; /* (0,1) */
        v[dec[i * P + 1] > 0 ? 0 : 2]++; /* (0,2) */
        v[dec[i * P + 2] > 0 ? 1 : 2]++; /* (1,2) */
        for (size_t c = 0; c < k; c++)
            ck_assert(votes[i * k + c] == v[c]);
    }
    free(dec);
    free(votes);
    ntk_svm_model_free(m);
    free(K);
    free(lab);
}
END_TEST

START_TEST(class_weights)
{
    size_t n = 40, k = 2;
    double *K = make_kernel(n, 3, 5, NULL);
    size_t *lab = make_labels(n, k, 6, K);
    double w[2] = {3.0, 0.25};
    ntk_svm_model *m = train(K, n, lab, k, 1.0, 1e-10, w, 1, 1);
    double Cc[2] = {3.0, 0.25};
    check_kkt(m, K, n, lab, 0, 1, Cc, 1e-9);
    compare_reference(m, K, n, lab, Cc, 1e-7);
    /* The weights must matter: the unweighted solution differs. */
    ntk_svm_model *u = train(K, n, lab, k, 1.0, 1e-10, NULL, 1, 1);
    double diff = 0;
    for (size_t i = 0; i < n; i++)
        diff = fmax(diff, fabs(u->coef[i] - m->coef[i]));
    ck_assert(diff > 1e-3);
    ntk_svm_model_free(m);
    ntk_svm_model_free(u);
    free(K);
    free(lab);
}
END_TEST

START_TEST(deterministic)
{
    size_t n = 120, k = 4;
    double *K = make_kernel(n, 5, 7, NULL);
    size_t *lab = make_labels(n, k, 8, K);
    ntk_svm_model *a = train(K, n, lab, k, 10.0, 1e-3, NULL, 1, 1);
    ntk_svm_model *b = train(K, n, lab, k, 10.0, 1e-3, NULL, 2, 1);
    ck_assert(memcmp(a->coef, b->coef, n * a->n_pairs * sizeof *a->coef) == 0);
    ck_assert(memcmp(a->bias, b->bias, a->n_pairs * sizeof *a->bias) == 0);
    ck_assert_uint_eq(a->iterations, b->iterations);
    /* Shrinking changes the path, not the solution (to the tolerance). */
    ntk_svm_model *c = train(K, n, lab, k, 10.0, 1e-9, NULL, 2, 0);
    ntk_svm_model *d = train(K, n, lab, k, 10.0, 1e-9, NULL, 2, 1);
    double *dc = malloc(n * c->n_pairs * sizeof *dc), *dd = malloc(n * d->n_pairs * sizeof *dd);
    ntk_svm_decision(c, K, n, n, dc);
    ntk_svm_decision(d, K, n, n, dd);
    for (size_t i = 0; i < n * c->n_pairs; i++)
        ck_assert_msg(fabs(dc[i] - dd[i]) < 1e-6, "%g vs %g", dc[i], dd[i]);
    free(dc);
    free(dd);
    ntk_svm_model_free(a);
    ntk_svm_model_free(b);
    ntk_svm_model_free(c);
    ntk_svm_model_free(d);
    free(K);
    free(lab);
}
END_TEST

START_TEST(subset_rows_and_validate)
{
    size_t n = 60, k = 3;
    double *K = make_kernel(n, 3, 9, NULL);
    size_t *lab = make_labels(n, k, 10, K);
    size_t tr[40], va[20], ltr[40];
    for (size_t i = 0; i < 40; i++) {
        tr[i] = i + 20;
        ltr[i] = lab[i + 20];
    }
    for (size_t i = 0; i < 20; i++)
        va[i] = i;
    /* Training on a subset through `rows` equals training on the copied block. */
    double *Ks = malloc(40 * 40 * sizeof *Ks);
    for (size_t i = 0; i < 40; i++)
        for (size_t j = 0; j < 40; j++)
            Ks[i * 40 + j] = K[tr[i] * n + tr[j]];
    ntk_svm_params p;
    ntk_svm_params_init(&p);
    p.eps = 1e-8;
    ntk_error err = {0};
    double grid[3] = {0.1, 1.0, 100.0}, acc[3];
    size_t best = 99;
    ck_assert(ntk_svm_validate(K, n, lab, k, tr, 40, va, 20, grid, 3, &p, acc, &best, &err) ==
              NTK_OK);
    ck_assert(best < 3);
    for (size_t c = 0; c < 3; c++) {
        p.C = grid[c];
        ntk_svm_model *a = NULL, *b = NULL;
        ck_assert(ntk_svm_train(K, n, tr, 40, ltr, k, &p, &a, &err) == NTK_OK);
        ck_assert(ntk_svm_train(Ks, 40, NULL, 40, ltr, k, &p, &b, &err) == NTK_OK);
        ck_assert(memcmp(a->coef, b->coef, 40 * a->n_pairs * sizeof *a->coef) == 0);
        /* Validation accuracy by hand. */
        size_t right = 0;
        for (size_t r = 0; r < 20; r++) {
            double dec[3], votes[3];
            double row[40];
            for (size_t i = 0; i < 40; i++)
                row[i] = K[va[r] * n + tr[i]];
            ntk_svm_decision(a, row, 1, 40, dec);
            ntk_svm_votes(dec, 1, k, votes);
            size_t bc = 0;
            for (size_t q = 1; q < k; q++)
                if (votes[q] > votes[bc])
                    bc = q;
            right += bc == lab[va[r]];
        }
        ck_assert(fabs(acc[c] - right / 20.0) < 1e-15);
        double acc2;
        ck_assert(ntk_svm_accuracy(a, K, n, tr, lab, va, 20, &acc2, &err) == NTK_OK);
        ck_assert(acc2 == acc[c]);
        ntk_svm_model_free(a);
        ntk_svm_model_free(b);
    }
    free(Ks);
    free(K);
    free(lab);
}
END_TEST

START_TEST(parameter_checks)
{
    ntk_svm_params p;
    ntk_svm_params_init(&p);
    ck_assert_ptr_null(ntk_svm_params_check(&p, 2));
    ck_assert(p.eps == 1e-3 && p.C == 1.0 && p.shrinking == 1);
    ck_assert_ptr_nonnull(ntk_svm_params_check(&p, 1));
    p.C = 0;
    ck_assert_ptr_nonnull(ntk_svm_params_check(&p, 2));
    p.C = 1;
    p.eps = -1;
    ck_assert_ptr_nonnull(ntk_svm_params_check(&p, 2));
    p.eps = 1e-3;
    double w[2] = {1, -1};
    p.class_weight = w;
    p.n_class_weight = 2;
    ck_assert_ptr_nonnull(ntk_svm_params_check(&p, 2));
    p.n_class_weight = 3;
    w[1] = 1;
    ck_assert_ptr_nonnull(ntk_svm_params_check(&p, 2));
    ck_assert_uint_eq(ntk_svm_pair_index(0, 1, 4), 0);
    ck_assert_uint_eq(ntk_svm_pair_index(0, 3, 4), 2);
    ck_assert_uint_eq(ntk_svm_pair_index(1, 2, 4), 3);
    ck_assert_uint_eq(ntk_svm_pair_index(2, 3, 4), 5);
    /* A class without rows never gets a vote that wins. */
    size_t n = 10, lab[10] = {0, 0, 0, 0, 0, 2, 2, 2, 2, 2};
    double *K = make_kernel(n, 2, 11, NULL);
    ntk_svm_model *m = NULL;
    ntk_error err = {0};
    ntk_svm_params_init(&p);
    ck_assert(ntk_svm_train(K, n, NULL, n, lab, 3, &p, &m, &err) == NTK_OK);
    double dec[30], votes[30];
    ntk_svm_decision(m, K, n, n, dec);
    ntk_svm_votes(dec, n, 3, votes);
    for (size_t i = 0; i < n; i++)
        ck_assert(votes[i * 3 + 1] < fmax(votes[i * 3], votes[i * 3 + 2]));
    ntk_svm_model_free(m);
    free(K);
}
END_TEST

/* Many classes (sparse decision path) and few (dense product): both against
 * an explicit sum. */
START_TEST(decision_paths)
{
    for (size_t k = 2; k <= 8; k += 6) {
        size_t n = 80;
        double *K = make_kernel(n, 3, 12 + k, NULL);
        size_t *lab = make_labels(n, k, 13, K);
        ntk_svm_model *m = train(K, n, lab, k, 5.0, 1e-6, NULL, 1, 1);
        size_t P = m->n_pairs;
        double *dec = malloc(n * P * sizeof *dec);
        ntk_svm_decision(m, K, n, n, dec);
        for (size_t r = 0; r < n; r++)
            for (size_t p = 0; p < P; p++) {
                double s = m->bias[p];
                for (size_t i = 0; i < n; i++)
                    s += m->coef[i * P + p] * K[r * n + i];
                ck_assert_msg(fabs(dec[r * P + p] - s) < 1e-10, "k %zu: %g vs %g", k,
                              dec[r * P + p], s);
            }
        free(dec);
        ntk_svm_model_free(m);
        free(K);
        free(lab);
    }
}
END_TEST

/* The vector sweeps (blocks of 4, records redone one at a time, two runs of
 * K read in place) against the element-by-element sweeps through act[]: the
 * same pairs in the same order, so bit-identical duals, biases and step
 * counts. Row layouts: one run (rows 0..l-1), two runs with a boundary and
 * lengths that are not multiples of 4, and scattered rows (row cache). */
START_TEST(vector_sweeps_match_scalar)
{
    size_t n = 83;
    double *K = make_kernel(n, 4, 11, NULL);
    size_t *lab = make_labels(n, 2, 12, K);
    size_t rows[3][83], l[3] = {n, 0, 0};
    double y[3][83], Cb[83], diag[3][83];
    for (size_t i = 0; i < n; i++) {
        rows[0][i] = i;
        Cb[i] = i % 3 ? 5.0 : 0.5;
    }
    /* Two runs: rows 3..41 then 50..80. */
    for (size_t i = 3; i < 42; i++)
        rows[1][l[1]++] = i;
    for (size_t i = 50; i < 81; i++)
        rows[1][l[1]++] = i;
    /* Scattered: every row of class 0, then of class 1. */
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < n; i++)
            if (lab[i] == (size_t)c)
                rows[2][l[2]++] = i;
    for (int v = 0; v < 3; v++)
        for (size_t t = 0; t < l[v]; t++) {
            size_t r = rows[v][t];
            /* Runs: the first 39 rows are +1 (a class pair's layout); else the labels. */
            y[v][t] = v == 1 ? (t < 39 ? 1.0 : -1.0) : (lab[r] ? -1.0 : 1.0);
            diag[v][t] = K[r * n + r];
        }
    for (int v = 0; v < 3; v++)
        for (int shrink = 0; shrink < 2; shrink++)
            for (int e = 0; e < 2; e++) {
                double a[2][83];
                svm_binary_result res[2];
                for (int sc = 0; sc < 2; sc++) {
                    svm_binary_problem pb = {K,        n,      rows[v], l[v],   y[v], Cb,
                                             diag[v],  e ? 1e-10 : 1e-3, shrink, 0,    sc};
                    ntk_error err = {0};
                    ck_assert(svm_solve_binary(&pb, a[sc], &res[sc], &err) == NTK_OK);
                }
                ck_assert_msg(res[0].iterations > 10, "layout %d: %zu steps", v,
                              res[0].iterations);
                ck_assert_uint_eq(res[0].iterations, res[1].iterations);
                ck_assert(memcmp(a[0], a[1], l[v] * sizeof a[0][0]) == 0);
                ck_assert(memcmp(&res[0].b, &res[1].b, sizeof res[0].b) == 0);
            }
    free(K);
    free(lab);
}
END_TEST

static Suite *svm_suite(void)
{
    Suite *s = suite_create("svm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, binary_matches_reference);
    tcase_add_test(tc, multiclass_matches_reference);
    tcase_add_test(tc, class_weights);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, subset_rows_and_validate);
    tcase_add_test(tc, parameter_checks);
    tcase_add_test(tc, decision_paths);
    tcase_add_test(tc, vector_sweeps_match_scalar);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(svm_suite)

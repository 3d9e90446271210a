/* ntk demo spectrum and invariance — pictures of the kernel matrix itself:
 * its eigenvalues and what they mean for training speed, and its invariance
 * under rotations of the inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "demo.h"
#include "ntk/rng.h"

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* ------------------------------------------------------------- spectrum */

static void preset_spectrum(demo_ctx *c) { c->train = "data/servo.csv"; }

static int run_spectrum(demo_ctx *c)
{
    cli_data d;
    int rc = cli_data_load(c->cmd, &c->o, c->train, NULL, 0, &d);
    if (rc)
        return rc;
    size_t n = d.train->n, dim = d.train->d;
    if (c->n && (size_t)c->n < n)
        n = (size_t)c->n;
    size_t k = d.enc->task == NTK_TASK_CLASSIFICATION ? d.enc->n_classes : 1;
    ntk_error err = {0};
    demo_files files = {0};
    double *theta = malloc(n * n * sizeof *theta), *lam = malloc(n * sizeof *lam);
    double *Y = malloc(n * k * sizeof *Y), *energy = calloc(n, sizeof *energy);
    double *tgrid = NULL;
    if (!theta || !lam || !Y || !energy) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    ntk_kernel_options kopt = {c->o.threads, cli_progress()};
    if (ntk_kernel_eval(&c->o.train.arch, c->o.train.kind, d.train->X, n, NULL, 0, dim, theta,
                        &kopt, &err) != NTK_OK) {
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    cli_progress_done();
    double lmax;
    if ((rc = demo_choose_lr(c, theta, n, k, &lmax)) != 0)
        goto done;
    double trace = 0;
    for (size_t i = 0; i < n; i++)
        trace += theta[i * n + i];
    /* Targets as the predictor sees them: standardized (regression) or centered one-hot. */
    double mean = 0, sd = 0;
    for (size_t i = 0; i < n; i++)
        mean += d.train->y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        sd += (d.train->y[i] - mean) * (d.train->y[i] - mean) / (double)n;
    sd = sd > 0 ? sqrt(sd) : 1;
    for (size_t i = 0; i < n; i++) {
        if (k > 1)
            for (size_t q = 0; q < k; q++)
                Y[i * k + q] = ((size_t)d.train->y[i] == q ? 1.0 : 0.0) - 1.0 / (double)k;
        else
            Y[i] = (d.train->y[i] - mean) / sd;
    }
    /* Θ = V diag(λ) Vᵀ (ascending from LAPACK; reported descending). */
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, theta,
                                     (lapack_int)n, lam);
    if (info != 0) {
        ntk_error_set(&err, NTK_ENUMERIC, "eigendecomposition failed (LAPACK info %d)", (int)info);
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    double ytot = 0;
    for (size_t j = 0; j < n; j++) {
        for (size_t q = 0; q < k; q++) {
            double p = 0;
            for (size_t i = 0; i < n; i++)
                p += theta[i * n + j] * Y[i * k + q];
            energy[j] += p * p;
        }
        ytot += energy[j];
    }
    double cs = c->o.train.solve.time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    double eta = c->o.train.solve.lr * cs;
    /* Time grid: until the smallest eigenvalue above 1e-6·λ_max is mostly learned. */
    double lfloor = lam[0] > lmax * 1e-6 ? lam[0] : lmax * 1e-6;
    double tmax = 10.0 / (eta * lfloor);
    if (tmax > 1e9 / eta)
        tmax = 1e9 / eta;
    double tmin = 0.01 / (eta * lmax);
    size_t nt = (size_t)ceil(10 * log10(tmax / tmin)) + 1;
    tgrid = malloc(nt * sizeof *tgrid);
    if (!tgrid) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < nt; i++)
        tgrid[i] = tmin * pow(tmax / tmin, (double)i / (double)(nt - 1));
    size_t modes_all[] = {1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000};
    size_t modes[11], nm = 0;
    for (size_t i = 0; i < 11; i++)
        if (modes_all[i] <= n)
            modes[nm++] = modes_all[i];

    if ((rc = demo_files_open(c, &files, 1200, 520,
                              "index, eigenvalue (descending), target_energy (share of |y|^2 on "
                              "that eigenvector), t, residual (|r_t|^2/|y|^2), mode_<i> = "
                              "exp(-eta c lambda_i t)")) != 0)
        goto done;
    FILE *o = files.csv.f;
    fputs("index,eigenvalue,target_energy,t,residual", o);
    for (size_t m = 0; m < nm; m++)
        fprintf(o, ",mode_%zu", modes[m]);
    fputc('\n', o);
    for (size_t r = 0; r < n || r < nt; r++) {
        if (r < n) {
            size_t j = n - 1 - r;
            fprintf(o, "%zu,%.17g,%.17g", r + 1, lam[j], ytot > 0 ? energy[j] / ytot : 0.0);
        } else {
            fputs(",,", o);
        }
        if (r < nt) {
            double t = tgrid[r], res = 0;
            for (size_t j = 0; j < n; j++) {
                double l = lam[j] > 0 ? lam[j] : 0;
                res += (ytot > 0 ? energy[j] / ytot : 0) * exp(-2 * eta * l * t);
            }
            fprintf(o, ",%.17g,%.17g", t, res);
            for (size_t m = 0; m < nm; m++) {
                double l = lam[n - modes[m]];
                fprintf(o, ",%.17g", exp(-eta * (l > 0 ? l : 0) * t));
            }
        } else {
            fputs(",,", o);
            for (size_t m = 0; m < nm; m++)
                fputc(',', o);
        }
        fputc('\n', o);
    }
    (void)trace;
    char arch[160], file[256];
    demo_arch_text(&c->o.train.arch, arch, sizeof arch);
    demo_gp_escape(file, sizeof file, base_name(c->train));
    FILE *g = files.gp.f;
    fprintf(g, "set multiplot layout 1,2 title \"Spectrum of the %s on %s (%zu rows): %s; lr = "
               "%.4g (1/λ_{max})\" font \",11\"\n",
            c->o.train.kind == NTK_KIND_NTK ? "NTK" : "NNGP kernel", file, n, arch,
            c->o.train.solve.lr);
    fputs("set grid\nset logscale y\nset format y \"10^{%T}\"\n"
          "set xlabel \"eigenvalue index i (largest first)\"\nset ylabel \"eigenvalue λ_i\"\n"
          "set y2label \"share of the target on eigenvector i\"\nset logscale y2\n"
          "set format y2 \"10^{%T}\"\nset y2tics\nset ytics nomirror\n"
          "set key top right box opaque\n"
          "set title \"eigenvalues of Θ and where the target lies\"\n", g);
    fputs("plot data using 1:3 axes x1y2 with points pt 6 ps 0.7 lc rgb \"#ff7f0e\" title "
          "\"target share (right axis)\", \\\n"
          "     data using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb \"#1f77b4\" title "
          "\"eigenvalue λ_i (left axis)\"\n", g);
    fputs("unset y2label\nunset y2tics\nunset logscale y2\nset ytics mirror\n"
          "set logscale x\nset format x \"10^{%T}\"\nunset logscale y\nset format y \"%g\"\n"
          "set yrange [0:1.05]\nset xlabel \"training time t\"\n"
          "set ylabel \"fraction of the residual left\"\n"
          "set title \"eigendirection i is learned as e^{−ηλ_i t}: large λ first\"\n"
          "set key outside right top box\n", g);
    fputs("plot data using 4:5 with lines lw 4 dt 2 lc rgb \"black\" title \"training loss "
          "|r_t|^2/|y|^2\"", g);
    const char *mc[] = {"#a50026", "#d73027", "#f46d43", "#fdae61", "#a6d96a", "#66bd63",
                        "#1a9850", "#74add1", "#4575b4", "#313695", "#762a83"};
    for (size_t m = 0; m < nm; m++)
        fprintf(g, ", \\\n     data using 4:%zu with lines lw 2 lc rgb \"%s\" title \"i = %zu\"",
                6 + m, mc[m], modes[m]);
    fputc('\n', g);
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    free(theta);
    free(lam);
    free(Y);
    free(energy);
    free(tgrid);
    cli_data_free(&d);
    return rc;
}

const demo_def demo_spectrum = {
    "spectrum",
    "eigenvalues of the NTK on a data set and how fast each eigendirection is learned",
    "The eigenvalues λ_i of Θ on the rows of a data set (log scale), the share of\n"
    "the (standardized) target on each eigenvector, and how the residual along\n"
    "eigenvector i decays during training, e^{−η c λ_i t}: directions with large\n"
    "eigenvalues are learned first, which is why smooth functions are learned\n"
    "before the rest.\n\n"
    "  --train FILE         data (default data/servo.csv; every row); --target etc.\n"
    "  --n N                use only the first N rows\n"
    "  --lr ETA             default 1/(c*lambda_max)\n\n"
    "CSV columns: index (1 = largest), eigenvalue, target_energy (share of |y|^2),\n"
    "t, residual (|r_t|^2/|y|^2 of gradient flow from zero), mode_<i>\n"
    "(e^{−η c λ_i t} for i = 1, 2, 3, 5, 10, 20, ...). The two groups have their own\n"
    "row counts (empty cells below the shorter). The eigenvalues sum to the trace of\n"
    "`ntk kernel --data FILE --standardize balanced`.\n",
    preset_spectrum,
    run_spectrum,
};

/* ----------------------------------------------------------- invariance */

static void preset_invariance(demo_ctx *c) { c->train = "data/iris.csv"; }

static int run_invariance(demo_ctx *c)
{
    cli_data d;
    int rc = cli_data_load(c->cmd, &c->o, c->train, NULL, 0, &d);
    if (rc)
        return rc;
    size_t N = d.train->n, dim = d.train->d;
    size_t n = c->n ? (size_t)c->n : 60;
    if (n > N)
        n = N;
    ntk_error err = {0};
    demo_files files = {0};
    size_t *rows = malloc(n * sizeof *rows);
    double *X = malloc(n * dim * sizeof *X), *XQ = malloc(n * dim * sizeof *XQ);
    double *XA = malloc(n * dim * sizeof *XA), *Q = malloc(dim * dim * sizeof *Q);
    double *A = malloc(dim * dim * sizeof *A);
    double *K = malloc(3 * n * n * sizeof *K);
    if (!rows || !X || !XQ || !XA || !Q || !A || !K) {
        ntk_error_set(&err, NTK_ENOMEM, "out of memory");
        rc = cli_fail(c->cmd, &err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i] = n == N ? i : (size_t)((double)i * (double)N / (double)n);
        memcpy(X + i * dim, d.train->X + rows[i] * dim, dim * sizeof *X);
    }
    /* Q: Gram–Schmidt on a Gaussian matrix (twice, for orthogonality to
     * rounding); A: a Gaussian matrix scaled by 1/√d (not orthogonal). */
    ntk_rng rng;
    ntk_rng_seed(&rng, c->o.seed + 12345);
    for (size_t i = 0; i < dim * dim; i++)
        Q[i] = ntk_rng_normal(&rng);
    for (size_t i = 0; i < dim * dim; i++)
        A[i] = ntk_rng_normal(&rng) / sqrt((double)dim);
    for (size_t j = 0; j < dim; j++)
        for (int pass = 0; pass < 2; pass++) {
            for (size_t p = 0; p < j; p++) {
                double dot = 0;
                for (size_t i = 0; i < dim; i++)
                    dot += Q[i * dim + j] * Q[i * dim + p];
                for (size_t i = 0; i < dim; i++)
                    Q[i * dim + j] -= dot * Q[i * dim + p];
            }
            double nr = 0;
            for (size_t i = 0; i < dim; i++)
                nr += Q[i * dim + j] * Q[i * dim + j];
            nr = sqrt(nr);
            for (size_t i = 0; i < dim; i++)
                Q[i * dim + j] /= nr;
        }
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < dim; j++) {
            double sq = 0, sa = 0;
            for (size_t i = 0; i < dim; i++) {
                sq += X[r * dim + i] * Q[i * dim + j];
                sa += X[r * dim + i] * A[i * dim + j];
            }
            XQ[r * dim + j] = sq;
            XA[r * dim + j] = sa;
        }
    ntk_kernel_options kopt = {c->o.threads, {NULL, NULL}};
    const double *sets[3] = {X, XQ, XA};
    for (int s = 0; s < 3; s++)
        if (ntk_kernel_eval(&c->o.train.arch, c->o.train.kind, sets[s], n, NULL, 0, dim,
                            K + (size_t)s * n * n, &kopt, &err) != NTK_OK) {
            rc = cli_fail(c->cmd, &err);
            goto done;
        }
    double dq = 0, da = 0, kmax = 0;
    for (size_t i = 0; i < n * n; i++) {
        dq = fmax(dq, fabs(K[n * n + i] - K[i]));
        da = fmax(da, fabs(K[2 * n * n + i] - K[i]));
        kmax = fmax(kmax, fabs(K[i]));
    }
    double fa = ntk_rel_frobenius(K + 2 * n * n, K, n * n);

    if ((rc = demo_files_open(c, &files, 1500, 540,
                              "i, j (0-based indices of the shown points), row_i, row_j "
                              "(1-based data rows), theta, theta_rotated, theta_transformed")) != 0)
        goto done;
    FILE *o = files.csv.f;
    fputs("i,j,row_i,row_j,theta,theta_rotated,theta_transformed\n", o);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            fprintf(o, "%zu,%zu,%zu,%zu,%.17g,%.17g,%.17g\n", i, j,
                    d.train->source_row[rows[i]] + 1, d.train->source_row[rows[j]] + 1,
                    K[i * n + j], K[n * n + i * n + j], K[2 * n * n + i * n + j]);
    char arch[160], file[256];
    demo_arch_text(&c->o.train.arch, arch, sizeof arch);
    demo_gp_escape(file, sizeof file, base_name(c->train));
    FILE *g = files.gp.f;
    fprintf(g, "set multiplot layout 1,3 title \"Θ is invariant under rotations of the inputs, not "
               "under other linear maps: %zu of the %zu rows of %s (%zu features), %s\" font \",11\"\n",
            n, N, file, dim, arch);
    double lo = 0, hi = 0;
    for (size_t i = 0; i < 3 * n * n; i++) {
        lo = fmin(lo, K[i]);
        hi = fmax(hi, K[i]);
    }
    fprintf(g, "set size ratio -1\nset xrange [-0.5:%zu.5]\nset yrange [%zu.5:-0.5]\n"
               "set cbrange [%.6g:%.6g]\nset palette defined (0 \"#313695\", 1 \"#4575b4\", "
               "2 \"#74add1\", 3 \"#e0f3f8\", 4 \"#fee090\", 5 \"#f46d43\", 6 \"#a50026\")\n"
               "set xlabel \"point j\"\nset ylabel \"point i\"\nset tics out\n",
            n - 1, n - 1, lo, hi);
    fputs("set title \"Θ(X)\"\nplot data using 1:2:5 with image notitle\n", g);
    fprintf(g, "set title \"Θ(XQ), Q random orthogonal\\nmax |Θ(XQ) − Θ(X)| = %.2g (equal)\"\n"
               "plot data using 1:2:6 with image notitle\n", dq);
    fprintf(g, "set title \"Θ(XA), A random, not orthogonal\\nmax |Θ(XA) − Θ(X)| = %.3g, "
               "relative %.2g (not equal)\"\nplot data using 1:2:7 with image notitle\n",
            da, fa);
    (void)kmax;
    rc = demo_files_commit(c, &files);
done:
    demo_files_discard(&files);
    free(rows);
    free(X);
    free(XQ);
    free(XA);
    free(Q);
    free(A);
    free(K);
    cli_data_free(&d);
    return rc;
}

const demo_def demo_invariance = {
    "invariance",
    "kernel matrices before and after a rotation of the inputs (equal) and another map (not)",
    "Heatmaps of the kernel matrix Θ(X) on the rows of a data set, of Θ(XQ) for a\n"
    "random orthogonal Q (equal: Θ depends only on inner products), and of Θ(XA)\n"
    "for a random matrix A that is not orthogonal (different). Features are\n"
    "standardized (--standardize balanced) as in ntk eval; rows keep their file order\n"
    "(iris is sorted by class, so the classes show as blocks).\n\n"
    "  --train FILE         data (default data/iris.csv); --target etc.\n"
    "  --n N                show N rows evenly spread over the file (default 60)\n"
    "  --seed S             seed of Q and A\n\n"
    "CSV columns: i, j (0-based indices of the shown points), row_i, row_j (their\n"
    "1-based data rows), theta (as `ntk kernel --data FILE --standardize balanced`\n"
    "prints), theta_rotated, theta_transformed.\n",
    preset_invariance,
    run_invariance,
};

/* Accuracy of --precision float against double (docs/precision.md).
 *
 *   make build/tools/precision_study
 *   build/tools/precision_study FILE TARGET N_TRAIN N_TEST TIMES [options]
 *
 * The first N_TRAIN rows of FILE train, the next N_TEST test. One fit in
 * double, one in float with refinement (default) and one in float without
 * (refine_max = 0); for every time it prints the relative Frobenius and the
 * largest entrywise difference (relative to max |f|) of the float test
 * outputs (raw scores: class scores or regression values) from the double
 * ones, the test metric of each, and the refinement record.
 * Options: --depth L (3), --reg R (relative, 1e-3), --time-scale sum|mean
 * (mean), --method auto|chebyshev|eigen (auto), --threads N. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/metrics.h"
#include "ntk/model.h"

static void die(const char *what, const ntk_error *err)
{
    fprintf(stderr, "precision_study: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

typedef struct {
    const char *name;
    ntk_precision precision;
    int refine_max;
    double *test;      /* n_times × m × k */
    double seconds;
    ntk_model *model;
} run;

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: precision_study FILE TARGET N_TRAIN N_TEST TIMES [--depth L] "
                        "[--reg R] [--time-scale sum|mean] [--method auto|chebyshev|eigen] "
                        "[--threads N]\n");
        return 2;
    }
    const char *file = argv[1], *target = argv[2];
    size_t ntr = strtoul(argv[3], NULL, 10), nte = strtoul(argv[4], NULL, 10);
    double times[64];
    size_t nt = 0;
    for (char *tok = strtok(argv[5], ","); tok && nt < 64; tok = strtok(NULL, ","))
        times[nt++] = strcmp(tok, "inf") == 0 ? INFINITY : strtod(tok, NULL);
    int depth = 3, threads = 0;
    double reg = 1e-3;
    ntk_time_scale ts = NTK_TIME_MEAN;
    ntk_solve_method method = NTK_SOLVE_AUTO;
    for (int i = 6; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--depth"))
            depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reg"))
            reg = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--time-scale"))
            ts = strcmp(argv[i + 1], "sum") ? NTK_TIME_MEAN : NTK_TIME_SUM;
        else if (!strcmp(argv[i], "--method"))
            method = !strcmp(argv[i + 1], "chebyshev") ? NTK_SOLVE_CHEBYSHEV
                     : !strcmp(argv[i + 1], "eigen")   ? NTK_SOLVE_EIGEN
                                                       : NTK_SOLVE_AUTO;
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    ntk_error err = {0};
    ntk_read_options ro;
    ntk_read_options_init(&ro);
    ntk_table *all = NULL, *ttr = NULL, *tte = NULL;
    if (ntk_table_read(file, &ro, &all, &err) != NTK_OK)
        die(file, &err);
    size_t *idx = malloc((ntr + nte) * sizeof *idx);
    for (size_t i = 0; i < ntr + nte; i++)
        idx[i] = i;
    if (ntk_table_subset(all, idx, ntr, &ttr, &err) != NTK_OK ||
        ntk_table_subset(all, idx + ntr, nte, &tte, &err) != NTK_OK)
        die("rows", &err);
    ntk_encode_options eo;
    ntk_encode_options_init(&eo);
    eo.target = target;

    run runs[3] = {{"double", NTK_PRECISION_DOUBLE, NTK_REFINE_MAX_DEFAULT, NULL, 0, NULL},
                   {"float", NTK_PRECISION_FLOAT, NTK_REFINE_MAX_DEFAULT, NULL, 0, NULL},
                   {"float-unrefined", NTK_PRECISION_FLOAT, 0, NULL, 0, NULL}};
    ntk_dataset *dtr = NULL, *dte = NULL;
    size_t k = 1;
    for (int r = 0; r < 3; r++) {
        ntk_encoder *enc = NULL;
        if (ntk_encoder_fit(ttr, &eo, &enc, &err) != NTK_OK)
            die("encoder", &err);
        if (!dtr && (ntk_encoder_apply(enc, ttr, 1, &dtr, &err) != NTK_OK ||
                     ntk_encoder_apply(enc, tte, 1, &dte, &err) != NTK_OK))
            die("encode", &err);
        ntk_train_params p;
        ntk_train_params_init(&p);
        p.arch.depth = depth;
        p.solve.reg = reg;
        p.solve.reg_scale = NTK_REG_RELATIVE;
        p.solve.time_scale = ts;
        p.solve.times = times;
        p.solve.n_times = nt;
        p.solve.method = method;
        p.threads = threads;
        p.precision = runs[r].precision;
        p.refine_max = runs[r].refine_max;
        double t0 = omp_get_wtime();
        if (ntk_model_train(dtr, enc, &p, &runs[r].model, NULL, &err) != NTK_OK)
            die(runs[r].name, &err);
        k = runs[r].model->k;
        runs[r].test = malloc(nt * dte->n * k * sizeof(double));
        if (ntk_model_predict(runs[r].model, dte->X, dte->n, runs[r].test, threads, NULL, &err) !=
            NTK_OK)
            die("predict", &err);
        runs[r].seconds = omp_get_wtime() - t0;
        const ntk_model *m = runs[r].model;
        printf("%-16s %7.2fs (kernel %.2fs, solve %.2fs, passes %.2fs)%s%s jitter %.3g "
               "refinement: %zu steps, residual %.3g -> %.3g%s\n",
               runs[r].name, runs[r].seconds, m->seconds_kernel, m->seconds_solve,
               m->seconds_refine, m->used_chebyshev ? " chebyshev" : "",
               m->used_eigen ? " eigen" : "", m->jitter, m->refine_iters, m->refine_residual0,
               m->refine_residual, m->refine_converged ? "" : " (not converged)");
    }
    size_t m = dte->n;
    printf("\n%10s  %-16s %12s %12s %10s\n", "t", "run", "rel_frob", "rel_max", "metric");
    for (size_t t = 0; t < nt; t++) {
        for (int r = 0; r < 3; r++) {
            const double *a = runs[r].test + t * m * k, *b = runs[0].test + t * m * k;
            double num = 0, den = 0, mx = 0, bmax = 0;
            for (size_t i = 0; i < m * k; i++) {
                num += (a[i] - b[i]) * (a[i] - b[i]);
                den += b[i] * b[i];
                mx = fmax(mx, fabs(a[i] - b[i]));
                bmax = fmax(bmax, fabs(b[i]));
            }
            double metric;
            if (runs[r].model->task == NTK_TASK_REGRESSION) {
                ntk_regression_metrics rm;
                ntk_metrics_regression(dte->y, a, m, &rm);
                metric = rm.rmse;
            } else {
                size_t *lab = malloc(m * sizeof *lab), *pred = malloc(m * sizeof *pred);
                for (size_t i = 0; i < m; i++)
                    lab[i] = (size_t)dte->y[i];
                ntk_scores_to_labels(a, m, k, pred);
                ntk_classification_metrics cm;
                ntk_metrics_classification(lab, pred, m, k, NULL, &cm);
                metric = cm.accuracy;
                free(lab);
                free(pred);
            }
            printf("%10g  %-16s %12.3g %12.3g %10.6g\n", times[t], runs[r].name,
                   den > 0 ? sqrt(num / den) : 0.0, bmax > 0 ? mx / bmax : 0.0, metric);
        }
    }
    for (int r = 0; r < 3; r++) {
        free(runs[r].test);
        ntk_model_free(runs[r].model);
    }
    ntk_dataset_free(dtr);
    ntk_dataset_free(dte);
    ntk_table_free(all);
    ntk_table_free(ttr);
    ntk_table_free(tte);
    free(idx);
    return 0;
}

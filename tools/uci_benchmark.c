/* The UCI benchmark of Arora et al. (ICLR 2020) with ntk's kernel regression.
 *
 * Protocol (as published): for each data set, hyperparameters are chosen on
 * the split in conxuntos.dat (train part -> validation part); the reported
 * accuracy is the mean test accuracy over the four (train, test) pairs of
 * conxuntos_kfold.dat with those hyperparameters.
 *
 * usage: uci-benchmark DIR [--datasets a,b,c] [--format table|json] [--quiet]
 *        [--max-depth L] [--threads N] [--tie-break mse|simpler] [--no-nngp]
 *        [--halving N]
 *
 * The selection on the split is ntk_select's hold-out mode: successive
 * halving over the kernels on growing stratified subsets of the train part
 * (first stage --halving rows, default 128; 0 = every kernel on the whole
 * train part), each scored exactly on the whole validation part.
 *
 * --loss auto (#20): the same search, then C-SVMs on its best --hinge-kernels
 * kernels (default 3; 0 = every kernel) over the C grid of Arora et al.
 * (10^-2 … 10^4, in their kernel normalization by default: --c-scale
 * published|relative), scored on the same validation part; per set the loss
 * with the higher validation accuracy is chosen (ties: square) and its test
 * accuracy reported. The default (--loss square) is unchanged.
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/select.h"
#include "ntk/solver.h"
#include "ntk/svm.h"
#include "uci_common.h"

typedef struct {
    char name[128];
    size_t n, d, classes;
    ntk_select_result sel;
    double val_acc, test_acc, seconds;
    int ok;
    char error[4400];
} result;

/* Accuracy of the predictor with (reg_rel, tau) trained on rows tr and
 * tested on rows te of the full kernel K (n×n). */
static double fit_accuracy(const double *K, size_t n, const double *y, size_t k,
                           const size_t *tr, size_t ntr, const size_t *te, size_t nte,
                           double reg_rel, double tau, ntk_error *err, int *ok)
{
    double *A = ntk_alloc_checked(ntr * ntr * sizeof *A, "kernel", NULL), *Y = malloc(ntr * k * sizeof *Y);
    double md = 0;
    for (size_t i = 0; i < ntr; i++) {
        for (size_t j = 0; j < ntr; j++)
            A[i * ntr + j] = K[tr[i] * n + tr[j]];
        md += A[i * ntr + i];
        for (size_t c = 0; c < k; c++)
            Y[i * k + c] = ((size_t)y[tr[i]] == c ? 1.0 : 0.0) - 1.0 / (double)k;
    }
    md /= (double)ntr;
    double t = isinf(tau) ? INFINITY : tau / (md > 0 ? md : 1);
    ntk_solve_params p;
    ntk_solve_params_init(&p);
    p.reg = reg_rel;
    p.reg_scale = NTK_REG_RELATIVE;
    p.time_scale = NTK_TIME_MEAN;
    p.times = &t;
    p.n_times = 1;
    p.want_train_predictions = 0;
    ntk_solution *s = NULL;
    *ok = ntk_solve(A, ntr, Y, k, &p, &s, err) == NTK_OK;
    double acc = NAN;
    if (*ok) {
        size_t correct = 0;
        double *row = malloc(ntr * sizeof *row), *out = malloc(k * sizeof *out);
        for (size_t i = 0; i < nte; i++) {
            for (size_t j = 0; j < ntr; j++)
                row[j] = K[te[i] * n + tr[j]];
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)ntr, (int)k, 1.0, s->coef, (int)k, row,
                        1, 0.0, out, 1);
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (out[c] > out[best])
                    best = c;
            correct += best == (size_t)y[te[i]];
        }
        acc = (double)correct / (double)nte;
        free(row);
        free(out);
    }
    ntk_solution_free(s);
    free(A);
    free(Y);
    return acc;
}

/* Accuracy of the C-SVM with C (a grid value under `scale`) trained on rows
 * tr and tested on rows te of the full kernel K (n×n). */
static double svm_accuracy(const double *K, size_t n, const double *y, size_t k,
                           const size_t *tr, size_t ntr, const size_t *te, size_t nte,
                           const ntk_select_params *sp, const ntk_select_result *sel, size_t d,
                           ntk_error *err, int *ok)
{
    double md = 0;
    for (size_t i = 0; i < ntr; i++)
        md += K[tr[i] * n + tr[i]];
    md /= (double)ntr;
    size_t *lab = malloc(n * sizeof *lab), *ltr = malloc(ntr * sizeof *ltr);
    for (size_t i = 0; i < n; i++)
        lab[i] = (size_t)y[i];
    for (size_t i = 0; i < ntr; i++)
        ltr[i] = lab[tr[i]];
    ntk_svm_params p = sp->svm;
    p.C = ntk_select_hinge_C(sp->c_scale, sel->C_rel, md, d, sel->arch.depth);
    p.threads = sp->threads;
    ntk_svm_model *m = NULL;
    double acc = NAN;
    *ok = ntk_svm_train(K, n, tr, ntr, ltr, k, &p, &m, err) == NTK_OK &&
          ntk_svm_accuracy(m, K, n, tr, lab, te, nte, &acc, err) == NTK_OK;
    ntk_svm_model_free(m);
    free(lab);
    free(ltr);
    return acc;
}

static void run_set(const char *dir, const char *name, const ntk_select_params *base, result *r)
{
    double t0 = omp_get_wtime();
    snprintf(r->name, sizeof r->name, "%s", name);
    uci_set set;
    ntk_error err = {0};
    double *K = NULL;
    unsigned char *split = NULL;
    double *Xs = NULL, *ys = NULL;
    if (uci_set_load(dir, name, &set, r->error, sizeof r->error) != 0)
        goto out;
    const ntk_dataset *ds = set.ds;
    size_t *const *idx = set.idx;
    const size_t *cnt = set.cnt;
    r->n = ds->n;
    r->d = ds->d;
    r->classes = set.enc->n_classes;
    /* Class indices follow the encoder's label order, not the file's 0..c-1:
     * the protocol only needs a consistent labelling, so any bijection is
     * fine. */
    /* Selection on train part -> validation part. */
    size_t ns = cnt[0] + cnt[1], d = ds->d;
    Xs = malloc(ns * d * sizeof *Xs);
    ys = malloc(ns * sizeof *ys);
    split = malloc(ns);
    for (size_t i = 0; i < ns; i++) {
        size_t src = i < cnt[0] ? idx[0][i] : idx[1][i - cnt[0]];
        memcpy(Xs + i * d, ds->X + src * d, d * sizeof *Xs);
        ys[i] = ds->y[src];
        split[i] = i >= cnt[0];
    }
    ntk_select_params p = *base;
    p.split = split;
    if (ntk_select(Xs, ns, d, ys, NTK_TASK_CLASSIFICATION, set.enc->n_classes, &p, &r->sel,
                   &err) != NTK_OK) {
        snprintf(r->error, sizeof r->error, "selection: %s", err.msg);
        goto out;
    }
    r->val_acc = r->sel.score;
    /* Kernel of all rows with the chosen architecture; each pair uses blocks. */
    K = ntk_alloc_checked(ds->n * ds->n * sizeof *K, "kernel", NULL);
    ntk_kernel_options ko = {p.threads, {NULL, NULL}};
    if (ntk_kernel_eval(&r->sel.arch, r->sel.kind, ds->X, ds->n, NULL, 0, d, K, &ko, &err) !=
        NTK_OK) {
        snprintf(r->error, sizeof r->error, "kernel: %s", err.msg);
        goto out;
    }
    double sum = 0;
    for (int pair = 0; pair < 4; pair++) {
        int ok;
        double acc = r->sel.hinge
                         ? svm_accuracy(K, ds->n, ds->y, set.enc->n_classes, idx[2 + 2 * pair],
                                        cnt[2 + 2 * pair], idx[3 + 2 * pair], cnt[3 + 2 * pair],
                                        &p, &r->sel, d, &err, &ok)
                         : fit_accuracy(K, ds->n, ds->y, set.enc->n_classes, idx[2 + 2 * pair],
                                        cnt[2 + 2 * pair], idx[3 + 2 * pair], cnt[3 + 2 * pair],
                                        r->sel.reg_rel, r->sel.tau, &err, &ok);
        if (!ok) {
            snprintf(r->error, sizeof r->error, "fold %d: %s", pair + 1, err.msg);
            goto out;
        }
        sum += acc;
    }
    r->test_acc = sum / 4;
    r->ok = 1;
out:
    r->seconds = omp_get_wtime() - t0;
    free(K);
    free(Xs);
    free(ys);
    free(split);
    uci_set_free(&set);
}

static void json_params(FILE *f, const result *r)
{
    char act[64];
    ntk_activation_format(&r->sel.arch.act, act, sizeof act);
    fprintf(f, "{\"kind\": \"%s\", \"depth\": %d, \"fixed_layers\": %d, \"act\": \"%s\", "
               "\"w_std\": %.17g, \"b_std\": %.17g, \"reg\": %.17g, \"tau\": ",
            r->sel.kind == NTK_KIND_NTK ? "ntk" : "nngp", r->sel.arch.depth,
            r->sel.arch.fixed_layers, act, r->sel.arch.w_std, r->sel.arch.b_std, r->sel.reg_rel);
    if (isinf(r->sel.tau))
        fputs("\"inf\"", f);
    else
        fprintf(f, "%.17g", r->sel.tau);
    fprintf(f, ", \"loss\": \"%s\"", r->sel.hinge ? "hinge" : "square");
    if (r->sel.hinge)
        fprintf(f, ", \"C\": %.17g", r->sel.C_rel);
    if (isfinite(r->sel.loss_score[0]) && isfinite(r->sel.loss_score[1]))
        fprintf(f, ", \"val_square\": %.17g, \"val_hinge\": %.17g", r->sel.loss_score[0],
                r->sel.loss_score[1]);
    fputs("}", f);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *only = NULL, *format = "table";
    int quiet = 0;
    ntk_select_params base;
    ntk_select_params_init(&base);
    ntk_c_scale c_scale = NTK_C_PUBLISHED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--datasets") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(a, "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(a, "--quiet") == 0)
            quiet = 1;
        else if (strcmp(a, "--max-depth") == 0 && i + 1 < argc)
            base.max_depth = atoi(argv[++i]);
        else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            base.threads = atoi(argv[++i]);
            omp_set_num_threads(base.threads);
            openblas_set_num_threads(base.threads);
        } else if (strcmp(a, "--tie-break") == 0 && i + 1 < argc)
            base.tie_break = strcmp(argv[++i], "simpler") == 0 ? NTK_TIE_SIMPLER : NTK_TIE_MSE;
        else if (strcmp(a, "--no-nngp") == 0)
            base.try_nngp = 0;
        else if (strcmp(a, "--halving") == 0 && i + 1 < argc)
            base.halving_rows = (size_t)atol(argv[++i]);
        else if (strcmp(a, "--loss") == 0 && i + 1 < argc) {
            const char *l = argv[++i];
            if (strcmp(l, "auto") && strcmp(l, "square")) {
                fprintf(stderr, "uci-benchmark: --loss expects square|hinge|auto, got '%s'\n", l);
                return 2;
            }
            base.loss = strcmp(l, "auto") == 0 ? NTK_SELECT_AUTO : NTK_SELECT_SQUARE;
        } else if (strcmp(a, "--c-scale") == 0 && i + 1 < argc) {
            const char *c = argv[++i];
            if (strcmp(c, "published") && strcmp(c, "relative")) {
                fprintf(stderr, "uci-benchmark: --c-scale expects published|relative\n");
                return 2;
            }
            c_scale = strcmp(c, "relative") == 0 ? NTK_C_RELATIVE : NTK_C_PUBLISHED;
        } else if (strcmp(a, "--hinge-kernels") == 0 && i + 1 < argc)
            base.hinge_kernels = (size_t)atol(argv[++i]);
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: uci-benchmark DIR [--datasets a,b,c] [--format table|json] [--quiet]\n"
                   "       [--max-depth L] [--threads N] [--tie-break mse|simpler] [--no-nngp]\n"
                   "       [--halving N]   first-stage rows of the selection (default 128, 0 = off)\n"
                   "       [--loss square|hinge|auto] [--c-scale published|relative]\n"
                   "       [--hinge-kernels N]  auto: the SVM on the N best kernels (default 3,\n"
                   "                            0 = every kernel)\n");
            return 0;
        } else if (a[0] != '-' && !dir)
            dir = a;
        else {
            fprintf(stderr, "uci-benchmark: unknown argument '%s'\n", a);
            return 2;
        }
    }
    base.c_scale = c_scale;
    if (!dir || (strcmp(format, "table") && strcmp(format, "json"))) {
        fprintf(stderr, "usage: uci-benchmark DIR [--datasets a,b,c] [--format table|json]\n");
        return 2;
    }
    size_t n_names = 0;
    char **names = uci_set_names(dir, only, &n_names);
    if (!names && !only)
        return 2;
    result *res = calloc(n_names ? n_names : 1, sizeof *res);
    double t0 = omp_get_wtime(), sum = 0;
    size_t n_ok = 0;
    for (size_t i = 0; i < n_names; i++) {
        run_set(dir, names[i], &base, &res[i]);
        if (res[i].ok) {
            sum += res[i].test_acc;
            n_ok++;
        }
        if (!quiet)
            fprintf(stderr, "[%zu/%zu] %-28s %s %s val %.4f test %.4f (%.1fs) mean so far %.4f\n",
                    i + 1, n_names, names[i], res[i].ok ? "ok " : "ERR",
                    res[i].sel.hinge ? "hinge " : "square", res[i].val_acc, res[i].test_acc,
                    res[i].seconds, n_ok ? sum / (double)n_ok : 0.0);
        if (!res[i].ok && !quiet)
            fprintf(stderr, "    %s\n", res[i].error);
    }
    double total = omp_get_wtime() - t0;
    double mean = n_ok ? sum / (double)n_ok : NAN;
    if (strcmp(format, "json") == 0) {
        printf("{\"loss\": \"%s\", \"datasets\": [",
               base.loss == NTK_SELECT_AUTO ? "auto" : "square");
        for (size_t i = 0; i < n_names; i++) {
            const result *r = &res[i];
            printf("%s{\"name\": \"%s\", \"n\": %zu, \"d\": %zu, \"classes\": %zu, \"params\": ",
                   i ? ", " : "", r->name, r->n, r->d, r->classes);
            if (r->ok)
                json_params(stdout, r);
            else
                printf("null");
            if (r->ok)
                printf(", \"val_accuracy\": %.17g, \"test_accuracy\": %.17g", r->val_acc,
                       r->test_acc);
            else
                printf(", \"val_accuracy\": null, \"test_accuracy\": null, \"error\": \"%s\"",
                       "failed");
            printf(", \"seconds\": %.3f}", r->seconds);
        }
        printf("], \"mean_test_accuracy\": %.17g, \"n_datasets\": %zu, \"n_failed\": %zu, "
               "\"seconds\": %.3f, \"threads\": %d}\n",
               mean, n_names, n_names - n_ok, total, omp_get_max_threads());
    } else {
        printf("%-28s %5s %4s %3s  %-34s %7s %7s %7s\n", "dataset", "n", "d", "c", "chosen",
               "val", "test", "sec");
        for (size_t i = 0; i < n_names; i++) {
            const result *r = &res[i];
            char ch[64] = "-", act[32];
            if (r->ok) {
                ntk_activation_format(&r->sel.arch.act, act, sizeof act);
                if (r->sel.hinge)
                    snprintf(ch, sizeof ch, "svm %s L%d F%d b%g C%g",
                             r->sel.kind ? "nngp" : "ntk", r->sel.arch.depth,
                             r->sel.arch.fixed_layers, r->sel.arch.b_std, r->sel.C_rel);
                else
                    snprintf(ch, sizeof ch, "%s L%d F%d b%g reg%g t%g",
                             r->sel.kind ? "nngp" : "ntk", r->sel.arch.depth,
                             r->sel.arch.fixed_layers, r->sel.arch.b_std, r->sel.reg_rel,
                             r->sel.tau);
            }
            printf("%-28.28s %5zu %4zu %3zu  %-34s %6.2f%% %6.2f%% %7.1f\n", r->name, r->n, r->d,
                   r->classes, ch, 100 * r->val_acc, 100 * r->test_acc, r->seconds);
        }
        size_t n_hinge = 0;
        for (size_t i = 0; i < n_names; i++)
            n_hinge += res[i].ok && res[i].sel.hinge;
        printf("mean test accuracy over %zu data sets: %.2f%% (%zu failed; hinge chosen on %zu); "
               "%.1f s, %d threads\n",
               n_ok, 100 * mean, n_names - n_ok, n_hinge, total, omp_get_max_threads());
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(res);
    return n_ok == n_names ? 0 : 1;
}

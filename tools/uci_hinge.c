/* The UCI benchmark with the hinge loss, following Arora et al. (ICLR 2020)
 * exactly as their published code does (github.com/LeoYu/neural-tangent-
 * kernel-UCI, UCI.py and NTK.py):
 *   - kernels: the ReLU NTK with L = 0..4 hidden layers (their "depth" L+1 =
 *     1..5; L = 0 is the linear kernel) and the first F = 0..L layers fixed,
 *     15 kernels; ntk's σ_w = √2, σ_b = 0 kernel with Σ⁰ = ⟨x,x'⟩/d equals
 *     theirs times 2^{L+1}/d (checked to 1e-15), so each kernel is scaled by
 *     d/2^{L+1} to make the C grid mean what it meant there;
 *   - C ∈ {10^-2, 10^-1, …, 10^4} (C_LIST = [10.0 ** i for i in range(-2, 5)]);
 *   - SVC(kernel='precomputed', C) with LIBSVM's defaults: eps 1e-3, no class
 *     weights, one-vs-one;
 *   - selection on conxuntos.dat (train part → validation part), first best
 *     in the order L, F, C (their strict `acc > best_acc`); the reported
 *     accuracy is the mean test accuracy over the four pairs of
 *     conxuntos_kfold.dat with the chosen kernel and C.
 * The SVM is ntk's (ntk_svm_validate / ntk_svm_train), not LIBSVM.
 *
 * usage: uci_hinge DIR [--datasets a,b,c] [--format table|json] [--quiet]
 *        [--threads N] [--eps E]
 * (tools/uci-benchmark DIR --loss hinge ... runs this program.) */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/svm.h"
#include "uci_common.h"

#define MAX_L 4
#define N_C 7

typedef struct {
    char name[128];
    size_t n, d, classes;
    int L, F;
    double C, val_acc, test_acc, seconds;
    int ok;
    char error[4400];
} hresult;

static void run_hinge(const char *dir, const char *name, double eps, int threads, hresult *r)
{
    double t0 = omp_get_wtime();
    snprintf(r->name, sizeof r->name, "%s", name);
    uci_set set;
    ntk_error err = {0};
    size_t *lab = NULL;
    double *K[MAX_L + 1] = {0};
    if (uci_set_load(dir, name, &set, r->error, sizeof r->error) != 0)
        goto out;
    const ntk_dataset *ds = set.ds;
    size_t *const *idx = set.idx;
    const size_t *cnt = set.cnt;
    size_t n = ds->n, d = ds->d, k = set.enc->n_classes;
    r->n = n;
    r->d = d;
    r->classes = k;
    lab = malloc(n * sizeof *lab);
    for (size_t i = 0; i < n; i++)
        lab[i] = (size_t)ds->y[i];
    ntk_svm_params sp;
    ntk_svm_params_init(&sp);
    sp.eps = eps;
    sp.threads = threads;
    double grid[N_C];
    for (int c = 0; c < N_C; c++)
        grid[c] = pow(10.0, c - 2);
    ntk_kernel_options ko = {threads, {NULL, NULL}};
    r->val_acc = -1;
    /* Per F, every depth L ≥ F in one pass; selection order L, F, C as theirs. */
    double best_acc[MAX_L + 1][MAX_L + 1];
    size_t best_c[MAX_L + 1][MAX_L + 1];
    for (int F = 0; F <= MAX_L; F++) {
        ntk_arch a;
        ntk_arch_init(&a);
        a.depth = MAX_L;
        a.fixed_layers = F;
        double *want[MAX_L + 1] = {0};
        for (int L = F; L <= MAX_L; L++) {
            if (!K[L])
                K[L] = malloc(n * n * sizeof *K[L]);
            want[L] = K[L];
        }
        if (ntk_kernel_eval_depths(&a, ds->X, n, NULL, 0, d, want, NULL, &ko, &err) != NTK_OK) {
            snprintf(r->error, sizeof r->error, "kernel: %s", err.msg);
            goto out;
        }
        for (int L = F; L <= MAX_L; L++) {
            cblas_dscal((int)(n * n), (double)d / pow(2.0, L + 1), K[L], 1);
            double acc[N_C];
            if (ntk_svm_validate(K[L], n, lab, k, idx[0], cnt[0], idx[1], cnt[1], grid, N_C, &sp,
                                 acc, &best_c[L][F], &err) != NTK_OK) {
                snprintf(r->error, sizeof r->error, "L %d F %d: %s", L, F, err.msg);
                goto out;
            }
            best_acc[L][F] = acc[best_c[L][F]];
        }
    }
    for (int L = 0; L <= MAX_L; L++)
        for (int F = 0; F <= L; F++)
            if (best_acc[L][F] > r->val_acc) {
                r->val_acc = best_acc[L][F];
                r->L = L;
                r->F = F;
                r->C = grid[best_c[L][F]];
            }
    /* The chosen kernel again (the buffers hold the last F's kernels). */
    ntk_arch a;
    ntk_arch_init(&a);
    a.depth = r->L;
    a.fixed_layers = r->F;
    if (ntk_kernel_eval(&a, NTK_KIND_NTK, ds->X, n, NULL, 0, d, K[0], &ko, &err) != NTK_OK) {
        snprintf(r->error, sizeof r->error, "kernel: %s", err.msg);
        goto out;
    }
    cblas_dscal((int)(n * n), (double)d / pow(2.0, r->L + 1), K[0], 1);
    double sum = 0;
    sp.C = r->C;
    for (int pr = 0; pr < 4; pr++) {
        const size_t *tr = idx[2 + 2 * pr], *te = idx[3 + 2 * pr];
        size_t ntr = cnt[2 + 2 * pr], nte = cnt[3 + 2 * pr];
        size_t *ltr = malloc(ntr * sizeof *ltr);
        for (size_t i = 0; i < ntr; i++)
            ltr[i] = lab[tr[i]];
        ntk_svm_model *m = NULL;
        double acc = 0;
        ntk_status st = ntk_svm_train(K[0], n, tr, ntr, ltr, k, &sp, &m, &err);
        if (st == NTK_OK)
            st = ntk_svm_accuracy(m, K[0], n, tr, lab, te, nte, &acc, &err);
        ntk_svm_model_free(m);
        free(ltr);
        if (st != NTK_OK) {
            snprintf(r->error, sizeof r->error, "fold %d: %s", pr + 1, err.msg);
            goto out;
        }
        sum += acc;
    }
    r->test_acc = sum / 4;
    r->ok = 1;
out:
    r->seconds = omp_get_wtime() - t0;
    for (int L = 0; L <= MAX_L; L++)
        free(K[L]);
    free(lab);
    uci_set_free(&set);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *only = NULL, *format = "table";
    int quiet = 0, threads = 0;
    double eps = NTK_SVM_EPS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--datasets") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(a, "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(a, "--quiet") == 0)
            quiet = 1;
        else if (strcmp(a, "--eps") == 0 && i + 1 < argc)
            eps = atof(argv[++i]);
        else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            threads = atoi(argv[++i]);
            omp_set_num_threads(threads);
            openblas_set_num_threads(threads);
        } else if (a[0] != '-' && !dir)
            dir = a;
        else {
            fprintf(stderr, "usage: uci-benchmark DIR --loss hinge [--datasets a,b,c] "
                            "[--format table|json] [--quiet] [--threads N] [--eps E]\n");
            return 2;
        }
    }
    if (!dir || (strcmp(format, "table") && strcmp(format, "json")) || !(eps > 0)) {
        fprintf(stderr, "usage: uci-benchmark DIR --loss hinge [--format table|json] ...\n");
        return 2;
    }
    size_t n_names = 0;
    char **names = uci_set_names(dir, only, &n_names);
    if (!names && !only)
        return 2;
    hresult *res = calloc(n_names ? n_names : 1, sizeof *res);
    double t0 = omp_get_wtime(), sum = 0;
    size_t n_ok = 0;
    for (size_t i = 0; i < n_names; i++) {
        run_hinge(dir, names[i], eps, threads, &res[i]);
        if (res[i].ok) {
            sum += res[i].test_acc;
            n_ok++;
        }
        if (!quiet)
            fprintf(stderr, "[%zu/%zu] %-28s %s L%d F%d C%g val %.4f test %.4f (%.1fs) mean %.4f\n",
                    i + 1, n_names, names[i], res[i].ok ? "ok " : "ERR", res[i].L, res[i].F,
                    res[i].C, res[i].val_acc, res[i].test_acc, res[i].seconds,
                    n_ok ? sum / (double)n_ok : 0.0);
        if (!res[i].ok && !quiet)
            fprintf(stderr, "    %s\n", res[i].error);
    }
    double total = omp_get_wtime() - t0, mean = n_ok ? sum / (double)n_ok : NAN;
    if (strcmp(format, "json") == 0) {
        printf("{\"loss\": \"hinge\", \"protocol\": \"Arora et al. 2020: NTK L 0..4 hidden "
               "layers, F 0..L fixed, C 1e-2..1e4, eps %g\", \"datasets\": [", eps);
        for (size_t i = 0; i < n_names; i++) {
            const hresult *r = &res[i];
            printf("%s{\"name\": \"%s\", \"n\": %zu, \"d\": %zu, \"classes\": %zu", i ? ", " : "",
                   r->name, r->n, r->d, r->classes);
            if (r->ok)
                printf(", \"params\": {\"loss\": \"hinge\", \"depth\": %d, \"fixed_layers\": %d, "
                       "\"C\": %.17g}, \"val_accuracy\": %.17g, \"test_accuracy\": %.17g",
                       r->L, r->F, r->C, r->val_acc, r->test_acc);
            else
                printf(", \"params\": null, \"val_accuracy\": null, \"test_accuracy\": null, "
                       "\"error\": \"failed\"");
            printf(", \"seconds\": %.3f}", r->seconds);
        }
        printf("], \"mean_test_accuracy\": %.17g, \"n_datasets\": %zu, \"n_failed\": %zu, "
               "\"seconds\": %.3f, \"threads\": %d}\n",
               mean, n_names, n_names - n_ok, total, omp_get_max_threads());
    } else {
        printf("%-28s %5s %4s %3s  %-16s %7s %7s %7s\n", "dataset", "n", "d", "c", "chosen",
               "val", "test", "sec");
        for (size_t i = 0; i < n_names; i++) {
            const hresult *r = &res[i];
            char ch[64] = "-";
            if (r->ok)
                snprintf(ch, sizeof ch, "L%d F%d C%g", r->L, r->F, r->C);
            printf("%-28.28s %5zu %4zu %3zu  %-16s %6.2f%% %6.2f%% %7.1f\n", r->name, r->n, r->d,
                   r->classes, ch, 100 * r->val_acc, 100 * r->test_acc, r->seconds);
        }
        printf("hinge (NTK-SVM) mean test accuracy over %zu data sets: %.2f%% (%zu failed); "
               "%.1f s, %d threads\n", n_ok, 100 * mean, n_names - n_ok, total,
               omp_get_max_threads());
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(res);
    return n_ok == n_names ? 0 : 1;
}

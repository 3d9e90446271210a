/* The SVM solver alone on a kernel from a file, for side-by-side runs with
 * scikit-learn (tools/svm_vs_sklearn.py).
 *
 * usage: svm_bench KERNEL.bin LABELS.txt TRAIN_ROWS C EPS OUT.bin [THREADS]
 *   KERNEL.bin: n×n float64, row-major, native byte order (n from the size)
 *   LABELS.txt: n class indices 0..k-1, whitespace-separated
 *   TRAIN_ROWS: the first TRAIN_ROWS rows train; decision values are written
 *               for every row (n × pairs float64 to OUT.bin)
 * Prints one JSON line: seconds of ntk_svm_train alone, iterations, support
 * vectors, pairs, final KKT gap. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ntk/svm.h"

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: svm_bench KERNEL.bin LABELS.txt TRAIN_ROWS C EPS OUT.bin "
                        "[THREADS]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "svm_bench: cannot open %s\n", argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t n = (size_t)sqrt((double)bytes / 8.0);
    if (n * n * 8 != (size_t)bytes) {
        fprintf(stderr, "svm_bench: %s is not a square float64 matrix\n", argv[1]);
        return 2;
    }
    /* As ntk's own kernel buffers (ntk_alloc_checked, used by fit/eval
     * --loss hinge) and numpy's large arrays: 2 MiB-aligned, transparent
     * huge pages. */
    double *K = NULL;
    if (posix_memalign((void **)&K, (size_t)2 << 20, n * n * sizeof *K) != 0) {
        fprintf(stderr, "svm_bench: out of memory\n");
        return 2;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(K, n * n * sizeof *K, MADV_HUGEPAGE);
#endif
    if (fread(K, 8, n * n, f) != n * n) {
        fprintf(stderr, "svm_bench: short read\n");
        return 2;
    }
    fclose(f);
    size_t *lab = malloc(n * sizeof *lab), k = 0;
    f = fopen(argv[2], "r");
    for (size_t i = 0; i < n; i++) {
        if (!f || fscanf(f, "%zu", &lab[i]) != 1) {
            fprintf(stderr, "svm_bench: bad labels file %s\n", argv[2]);
            return 2;
        }
        if (lab[i] + 1 > k)
            k = lab[i] + 1;
    }
    fclose(f);
    size_t ntr = (size_t)atol(argv[3]);
    if (ntr == 0 || ntr > n)
        ntr = n;
    ntk_svm_params p;
    ntk_svm_params_init(&p);
    p.C = atof(argv[4]);
    p.eps = atof(argv[5]);
    p.threads = argc > 7 ? atoi(argv[7]) : 0;
    ntk_svm_model *m = NULL;
    ntk_error err = {0};
    /* Best of SVM_BENCH_REPEAT runs (default 1), as the Python side does. */
    int repeat = getenv("SVM_BENCH_REPEAT") ? atoi(getenv("SVM_BENCH_REPEAT")) : 1;
    if (repeat < 1)
        repeat = 1;
    double *secs = malloc((size_t)repeat * sizeof *secs);
    ntk_status st = NTK_OK;
    /* SVM_BENCH_WARMUP=1: one untimed fit first (caches, pages of K). */
    if (getenv("SVM_BENCH_WARMUP") && atoi(getenv("SVM_BENCH_WARMUP")) > 0) {
        st = ntk_svm_train(K, n, NULL, ntr, lab, k, &p, &m, &err);
        ntk_svm_model_free(m);
        m = NULL;
    }
    for (int r = 0; r < repeat && st == NTK_OK; r++) {
        ntk_svm_model_free(m);
        m = NULL;
        double t0 = omp_get_wtime();
        /* Rows 0..ntr-1 of the n×n kernel: leading dimension n. */
        st = ntk_svm_train(K, n, NULL, ntr, lab, k, &p, &m, &err);
        secs[r] = omp_get_wtime() - t0;
    }
    /* Every time in run order, for callers that pool several processes. */
    char *times = malloc((size_t)repeat * 24 + 2), *w = times;
    for (int r = 0; r < repeat; r++)
        w += sprintf(w, "%s%.6f", r ? ", " : "", secs[r]);
    /* Best and median (insertion sort: a handful of values). */
    for (int a = 1; a < repeat; a++)
        for (int b = a; b > 0 && secs[b] < secs[b - 1]; b--) {
            double x = secs[b];
            secs[b] = secs[b - 1];
            secs[b - 1] = x;
        }
    double sec = secs[0], median = secs[repeat / 2];
    free(secs);
    if (st != NTK_OK) {
        fprintf(stderr, "svm_bench: %s\n", err.msg);
        return 1;
    }
    double *dec = malloc(n * m->n_pairs * sizeof *dec);
    ntk_svm_decision(m, K, n, n, dec);
    f = fopen(argv[6], "wb");
    if (!f || fwrite(dec, 8, n * m->n_pairs, f) != n * m->n_pairs) {
        fprintf(stderr, "svm_bench: cannot write %s\n", argv[6]);
        return 1;
    }
    fclose(f);
    printf("{\"seconds\": %.6f, \"median_seconds\": %.6f, \"repeats\": %d, \"times\": [%s], "
           "\"iterations\": %zu, \"support_vectors\": %zu, \"pairs\": %zu, \"gap\": %.3g, "
           "\"threads\": %d}\n",
           sec, median, repeat, times, m->iterations, m->n_sv, m->n_pairs, m->max_gap,
           p.threads ? p.threads : omp_get_max_threads());
    free(times);
    ntk_svm_model_free(m);
    free(dec);
    free(K);
    free(lab);
    return 0;
}

/* bench_kernel — time ntk_kernel_eval (NTK, symmetric X×X) and report
 * entries·layers per second. Built by `make bench-kernel`.
 *
 * usage: bench_kernel N D L ACT [THREADS [REPEAT]]
 * prints one line: n d L act threads seconds entries_layers_per_s isa
 * (entries = n² — the full matrix written — times L layers). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel/kernel_internal.h"
#include "ntk/kernel.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s N D L ACT [THREADS [REPEAT]]\n", argv[0]);
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), d = strtoul(argv[2], NULL, 10);
    int L = atoi(argv[3]);
    int threads = argc > 5 ? atoi(argv[5]) : 0, rep = argc > 6 ? atoi(argv[6]) : 1;
    ntk_arch a;
    ntk_arch_init(&a);
    ntk_error err = {0};
    if (ntk_activation_parse(argv[4], &a.act, &err) != NTK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    a.depth = L;
    a.b_std = 0.1;
    double *X = malloc(sizeof(double) * n * d), *K = malloc(sizeof(double) * n * n);
    if (!X || !K) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    unsigned long long s = 12345;
    for (size_t i = 0; i < n * d; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(s >> 11) / 9007199254740992.0) * 2 - 1;
    }
    ntk_kernel_options opt = {.threads = threads};
    double best = 1e300;
    for (int r = 0; r < rep; r++) {
        double t0 = now();
        if (ntk_kernel_eval(&a, NTK_KIND_NTK, X, n, NULL, 0, d, K, &opt, &err) != NTK_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    double checksum = 0;
    for (size_t i = 0; i < n; i++)
        checksum += K[i * n + (i * 7) % n];
    printf("%zu %zu %d %s %d %.4f %.4g %s %.12g\n", n, d, L, argv[4], threads, best,
           (double)n * (double)n * L / best, ntk_layer_ops_get()->isa, checksum);
    free(X);
    free(K);
    return 0;
}

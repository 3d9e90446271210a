/* Loader benchmark: time ntk_table_read, then encoder fit + apply, on a CSV
 * file and print MB/s and rows/s.
 *
 *   sh tools/gen_csv.sh /tmp/big.csv 100
 *   make && cc -O2 -Iinclude -o build/bench_loader tools/bench_loader.c lib/libntk.a \
 *       -lcsv -lm -fopenmp $(pkg-config --libs openblas lapacke)
 *   build/bench_loader /tmp/big.csv
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "ntk/dataset.h"

/* CPU time of this process: on a shared, loaded machine wall time says more
 * about the neighbours than about the loader (wall time is printed too). */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_loader FILE.csv\n");
        return 2;
    }
    struct stat st;
    if (stat(argv[1], &st) != 0) {
        perror(argv[1]);
        return 2;
    }
    double mb = (double)st.st_size / 1e6;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_table *t;
    double w0 = wall(), t0 = cpu();
    if (ntk_table_read(argv[1], NULL, &t, &err) != NTK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t1 = cpu();
    ntk_encoder *enc;
    ntk_dataset *ds;
    if (ntk_encoder_fit(t, NULL, &enc, &err) != NTK_OK ||
        ntk_encoder_apply(enc, t, 1, &ds, &err) != NTK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t2 = cpu(), w2 = wall();
    printf("file %s: %.1f MB, %zu rows x %zu columns, d = %zu\n", argv[1], mb, t->n_rows,
           t->n_cols, enc->n_features);
    printf("CPU time (wall time for everything: %.3f s)\n", w2 - w0);
    printf("read (libcsv -> table): %.3f s  %.1f MB/s  %.0f rows/s\n", t1 - t0, mb / (t1 - t0),
           (double)t->n_rows / (t1 - t0));
    printf("fit + apply (encode):   %.3f s  %.1f MB/s  %.0f rows/s\n", t2 - t1, mb / (t2 - t1),
           (double)t->n_rows / (t2 - t1));
    printf("total:                  %.3f s  %.1f MB/s  %.0f rows/s\n", t2 - t0, mb / (t2 - t0),
           (double)t->n_rows / (t2 - t0));
    ntk_dataset_free(ds);
    ntk_encoder_free(enc);
    ntk_table_free(t);
    return 0;
}

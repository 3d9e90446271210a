/* k-means centers for the Nyström path (ntk/nystrom.h, NTK_CENTERS_KMEANS):
 * k-means++ seeding and Lloyd iterations on a uniform pool of rows; the
 * fit's centers are the cluster means (landmarks where the data lie: on
 * letterrecognition they close most of the gap to the dense fit, measured in
 * docs/nystrom.md §10), and each cluster's member nearest to its mean stands
 * for it where a row index is wanted (ntk_nystrom_select). */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/rng.h"
#include "nystrom_internal.h"

#define KM_ITERS 10
#define KM_BLOCK 1024
#define KM_POOL_MIN 20000
#define KM_POOL_PER_CENTER 10

typedef struct {
    size_t P, M, d;
    double *Xp, *xn;     /* pool rows and their squared norms */
    double *C, *cn;      /* M means and their squared norms */
    size_t *assign;      /* pool row → cluster */
    double *dist;        /* pool row → squared distance to its mean */
    double *G;           /* KM_BLOCK×M products */
} km_ws;

static double sqdist(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* k-means++: each next mean a pool row drawn with probability ∝ its squared
 * distance to the nearest mean so far. Returns the number of means (fewer
 * when every row already coincides with one). */
static size_t seed_means(km_ws *w, ntk_rng *rng)
{
    size_t P = w->P, d = w->d, m = 0;
    double *dmin = w->dist;
    for (size_t i = 0; i < P; i++)
        dmin[i] = INFINITY;
    size_t pick = ntk_rng_below(rng, P);
    while (m < w->M) {
        memcpy(w->C + m * d, w->Xp + pick * d, d * sizeof *w->C);
        double total = 0.0;
        for (size_t i = 0; i < P; i++) {
            double s = sqdist(w->Xp + i * d, w->C + m * d, d);
            if (s < dmin[i])
                dmin[i] = s;
            total += dmin[i];
        }
        m++;
        if (!(total > 0.0))
            break;
        double u = ntk_rng_uniform(rng) * total, acc = 0.0;
        pick = P - 1;
        for (size_t i = 0; i < P; i++) {
            acc += dmin[i];
            if (acc > u && dmin[i] > 0.0) {
                pick = i;
                break;
            }
        }
        if (!(dmin[pick] > 0.0))
            break;
    }
    return m;
}

/* Nearest mean of every pool row (‖x‖² − 2x·c + ‖c‖² by blocks of dgemm);
 * returns how many rows changed cluster. */
static size_t assign_rows(km_ws *w, size_t M)
{
    size_t P = w->P, d = w->d, changed = 0;
    for (size_t j = 0; j < M; j++) {
        double s = 0.0;
        for (size_t t = 0; t < d; t++)
            s += w->C[j * d + t] * w->C[j * d + t];
        w->cn[j] = s;
    }
    for (size_t r0 = 0; r0 < P; r0 += KM_BLOCK) {
        size_t b = P - r0 < KM_BLOCK ? P - r0 : KM_BLOCK;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)M, (int)d, 1.0,
                    w->Xp + r0 * d, (int)d, w->C, (int)d, 0.0, w->G, (int)M);
        for (size_t i = 0; i < b; i++) {
            size_t best = 0;
            double bd = INFINITY;
            for (size_t j = 0; j < M; j++) {
                double s = w->xn[r0 + i] - 2.0 * w->G[i * M + j] + w->cn[j];
                if (s < bd) {
                    bd = s;
                    best = j;
                }
            }
            changed += w->assign[r0 + i] != best;
            w->assign[r0 + i] = best;
            w->dist[r0 + i] = bd;
        }
    }
    return changed;
}

/* Means of the clusters (an empty cluster keeps its mean). */
static void update_means(km_ws *w, size_t M, size_t *count)
{
    size_t d = w->d;
    double *S = w->G; /* M×d sums fit in the product block when M·d ≤ KM_BLOCK·M */
    memset(S, 0, M * d * sizeof *S);
    memset(count, 0, M * sizeof *count);
    for (size_t i = 0; i < w->P; i++) {
        size_t c = w->assign[i];
        count[c]++;
        for (size_t t = 0; t < d; t++)
            S[c * d + t] += w->Xp[i * d + t];
    }
    for (size_t j = 0; j < M; j++)
        if (count[j])
            for (size_t t = 0; t < d; t++)
                w->C[j * d + t] = S[j * d + t] / (double)count[j];
}

ntk_status nystrom_select_kmeans(const double *X, size_t n, size_t d, size_t M, uint64_t seed,
                                 size_t *idx, double *means, size_t *chosen, ntk_error *err)
{
    km_ws w = {0};
    size_t P = KM_POOL_PER_CENTER * M > KM_POOL_MIN ? KM_POOL_PER_CENTER * M : KM_POOL_MIN;
    if (P > n)
        P = n;
    w.P = P;
    w.M = M;
    w.d = d;
    size_t *rows = malloc(P * sizeof *rows), *count = malloc(M * sizeof *count);
    size_t *best = malloc(M * sizeof *best);
    w.Xp = malloc(P * d * sizeof *w.Xp + 1);
    w.xn = malloc(P * sizeof *w.xn);
    w.C = malloc(M * d * sizeof *w.C + 1);
    w.cn = malloc(M * sizeof *w.cn);
    w.assign = malloc(P * sizeof *w.assign);
    w.dist = malloc(P * sizeof *w.dist);
    size_t gsize = KM_BLOCK > d ? KM_BLOCK : d;
    w.G = ntk_alloc_checked(gsize * M * sizeof *w.G, "k-means products", err);
    ntk_status st = NTK_OK;
    if (!rows || !count || !best || !w.Xp || !w.xn || !w.C || !w.cn || !w.assign || !w.dist ||
        !w.G) {
        st = err && err->status ? err->status
                                : ntk_error_set(err, NTK_ENOMEM, "out of memory choosing centers");
        goto done;
    }
    /* The pool: the first P positions of the seeded permutation. */
    if ((st = nystrom_uniform_candidates(n, seed, P, rows, err)) != NTK_OK)
        goto done;
    for (size_t i = 0; i < P; i++) {
        memcpy(w.Xp + i * d, X + rows[i] * d, d * sizeof *w.Xp);
        double s = 0.0;
        for (size_t t = 0; t < d; t++)
            s += w.Xp[i * d + t] * w.Xp[i * d + t];
        w.xn[i] = s;
        w.assign[i] = SIZE_MAX;
    }
    ntk_rng rng;
    ntk_rng_seed(&rng, seed ^ 0x6b6d65616e73ULL);
    size_t m = seed_means(&w, &rng);
    for (int it = 0; it < KM_ITERS; it++) {
        if (assign_rows(&w, m) == 0 && it > 0)
            break;
        update_means(&w, m, count);
    }
    assign_rows(&w, m);
    /* Each non-empty cluster's member nearest to its mean. */
    for (size_t j = 0; j < m; j++)
        best[j] = SIZE_MAX;
    for (size_t i = 0; i < P; i++) {
        size_t c = w.assign[i];
        if (best[c] == SIZE_MAX || w.dist[i] < w.dist[best[c]])
            best[c] = i;
    }
    size_t k = 0;
    for (size_t j = 0; j < m; j++)
        if (best[j] != SIZE_MAX) {
            if (means)
                memcpy(means + k * d, w.C + j * d, d * sizeof *means);
            idx[k++] = rows[best[j]];
        }
    *chosen = k;
done:
    free(rows);
    free(count);
    free(best);
    free(w.Xp);
    free(w.xn);
    free(w.C);
    free(w.cn);
    free(w.assign);
    free(w.dist);
    free(w.G);
    return st;
}

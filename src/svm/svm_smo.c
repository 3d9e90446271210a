/* SMO for the two-class C-SVM dual on a kernel held in memory (see
 * ntk/svm.h and svm_internal.h).
 *
 * Step: with v_t = −y_t ∇_t (∇ = Qα − e), I_up = {t : y_t α_t can grow},
 * I_low = {t : y_t α_t can shrink}, i maximizes v over I_up and j minimizes
 * the second-order decrease −(v_i − v_t)² / a_it over t ∈ I_low with
 * v_t < v_i, a_it = K_ii + K_tt − 2K_it (Fan, Chen & Lin 2005). Moving
 * α_i by +y_i δ and α_j by −y_j δ keeps yᵀα = 0 and changes the objective by
 * −δ(v_i − v_j) + ½δ²a_ij, so δ = (v_i − v_j)/a_ij clipped to the box. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

/* Curvature floor for non-positive-definite pairs (LIBSVM's τ). */
#define TAU 1e-12
/* Steps between shrinking passes, at most. */
#define SHRINK_EVERY 1000

/* Rows of the subproblem's kernel larger than this are not copied (see krow). */
#define CACHE_MAX_BYTES ((size_t)1 << 30)

typedef struct {
    const svm_binary_problem *pb;
    double *alpha, *G;
    size_t *act; /* active variables (local indices), act[0..n_act) */
    size_t n_act;
    /* Kernel access: krow(t)[col ? col[u] : u] is K(t, u). When the rows are
     * contiguous in K (two classes, or a block) the rows are read in place;
     * otherwise (one-vs-one pairs pick scattered rows) each row is gathered
     * into a contiguous l-vector the first time it is needed, so that SMO's
     * O(l) sweeps stream memory instead of striding across K — on the
     * 4000-row satellite set this is most of the solve time. */
    double *cache;
    unsigned char *have;
    const size_t *col;
    int contiguous;
    size_t run_b; /* > 0: rows are two runs in K, [rows[0], +run_b) and [rows[run_b], …) */
    unsigned char *flag; /* FLAG_UP | FLAG_LOW per variable, kept in step with α */
    /* The gradient update also finds the next i (the max of v over I_up), so
     * the selection sweeps the active set once instead of twice. */
    size_t next_i;
    double next_m;
    int next_ok;
} smo;

#define FLAG_UP 1
#define FLAG_LOW 2

static inline const double *krow(smo *s, size_t t)
{
    const svm_binary_problem *pb = s->pb;
    if (s->contiguous)
        return pb->K + pb->rows[t] * pb->ld + pb->rows[0];
    if (!s->cache)
        return pb->K + pb->rows[t] * pb->ld;
    double *r = s->cache + t * pb->l;
    if (!s->have[t]) {
        const double *src = pb->K + pb->rows[t] * pb->ld;
        if (s->run_b) {
            /* Rows grouped by class in K (the model sorts them so): two copies. */
            memcpy(r, src + pb->rows[0], s->run_b * sizeof *r);
            memcpy(r + s->run_b, src + pb->rows[s->run_b], (pb->l - s->run_b) * sizeof *r);
        } else {
            for (size_t u = 0; u < pb->l; u++)
                r[u] = src[pb->rows[u]];
        }
        s->have[t] = 1;
    }
    return r;
}

#define KV(s, row, u) ((s)->col ? (row)[(s)->col[u]] : (row)[u])

static inline void set_flag(smo *s, size_t t)
{
    int lo = s->alpha[t] > 0, hi = s->alpha[t] < s->pb->Cb[t];
    s->flag[t] = (unsigned char)(s->pb->y[t] > 0 ? (hi ? FLAG_UP : 0) | (lo ? FLAG_LOW : 0)
                                               : (lo ? FLAG_UP : 0) | (hi ? FLAG_LOW : 0));
}

static inline int in_up(const smo *s, size_t t) { return s->flag[t] & FLAG_UP; }

static inline int in_low(const smo *s, size_t t) { return s->flag[t] & FLAG_LOW; }

static inline double viol(const smo *s, size_t t) { return -s->pb->y[t] * s->G[t]; }

/* Gradients of the shrunk variables from the kernel and the current α. The
 * whole kernel is in memory, so this is cheaper than keeping LIBSVM's Ḡ up to
 * date: O(inactive × support vectors) once or twice per solve. */
static void reconstruct(smo *s, size_t *sv, unsigned char *mark)
{
    s->next_ok = 0;
    const svm_binary_problem *pb = s->pb;
    size_t l = pb->l, nsv = 0;
    memset(mark, 0, l);
    for (size_t a = 0; a < s->n_act; a++)
        mark[s->act[a]] = 1;
    for (size_t t = 0; t < l; t++)
        if (s->alpha[t] > 0)
            sv[nsv++] = t;
    /* By symmetry, through the support vectors' rows (cached anyway). */
    for (size_t t = 0; t < l; t++)
        if (!mark[t])
            s->G[t] = 0.0;
    for (size_t q = 0; q < nsv; q++) {
        size_t u = sv[q];
        const double *Ku = krow(s, u);
        double c = pb->y[u] * s->alpha[u];
        for (size_t t = 0; t < l; t++)
            if (!mark[t])
                s->G[t] += c * KV(s, Ku, t);
    }
    for (size_t t = 0; t < l; t++)
        if (!mark[t])
            s->G[t] = pb->y[t] * s->G[t] - 1.0;
    for (size_t t = 0; t < l; t++)
        s->act[t] = t;
    s->n_act = l;
}

/* m(α) = max over I_up of v and M(α) = min over I_low of v (active set). */
static void extremes(const smo *s, double *m, double *M)
{
    double hi = -INFINITY, lo = INFINITY;
    for (size_t a = 0; a < s->n_act; a++) {
        size_t t = s->act[a];
        double v = viol(s, t);
        if (in_up(s, t) && v > hi)
            hi = v;
        if (in_low(s, t) && v < lo)
            lo = v;
    }
    *m = hi;
    *M = lo;
}

/* Drop bounded variables that cannot be part of a violating pair: in I_up
 * only with v below M, or in I_low only with v above m. */
static void shrink(smo *s, double eps, int *unshrunk, size_t *sv, unsigned char *mark)
{
    s->next_ok = 0;
    double m, M;
    extremes(s, &m, &M);
    if (!*unshrunk && m - M <= 10.0 * eps) {
        /* Close to the end: bring everything back once so the last steps see
         * every variable with an exact gradient. */
        *unshrunk = 1;
        reconstruct(s, sv, mark);
        extremes(s, &m, &M);
    }
    size_t keep = 0;
    for (size_t a = 0; a < s->n_act; a++) {
        size_t t = s->act[a];
        int up = in_up(s, t), low = in_low(s, t);
        double v = viol(s, t);
        int out = (up && !low && v < M) || (low && !up && v > m);
        if (!out)
            s->act[keep++] = t;
    }
    s->n_act = keep;
}

/* Second-order working-set selection; returns the gap m − M and sets i, j
 * (j = SIZE_MAX when no pair violates). */
static double select_pair(smo *s, size_t *pi, size_t *pj)
{
    const svm_binary_problem *pb = s->pb;
    double m = -INFINITY;
    size_t i = SIZE_MAX;
    if (s->next_ok) {
        m = s->next_m;
        i = s->next_i;
        s->next_ok = 0;
    } else {
        for (size_t a = 0; a < s->n_act; a++) {
            size_t t = s->act[a];
            if (in_up(s, t)) {
                double v = viol(s, t);
                if (v > m) {
                    m = v;
                    i = t;
                }
            }
        }
    }
    *pi = i;
    *pj = SIZE_MAX;
    if (i == SIZE_MAX)
        return 0.0;
    const double *Ki = krow(s, i);
    double Kii = pb->diag[i];
    /* Maximize b²/curv without a division per candidate: b²·c_best > b_best²·curv
     * (both curvatures positive). */
    double M = INFINITY, bb = 0.0, bc = 1.0;
    size_t j = SIZE_MAX;
    /* Nothing shrunk (most pairs of a one-vs-one SVM finish before the first
     * shrinking pass) and rows read directly: index the arrays without act[],
     * the same operations in the same order. */
    int direct = s->n_act == pb->l && !s->col;
    for (size_t a = 0; a < s->n_act; a++) {
        size_t t = direct ? a : s->act[a];
        if (!in_low(s, t))
            continue;
        double v = viol(s, t);
        if (v < M)
            M = v;
        double b = m - v;
        if (b > 0) {
            double curv = Kii + pb->diag[t] - 2.0 * KV(s, Ki, t);
            if (curv <= 0)
                curv = TAU;
            if (j == SIZE_MAX || b * b * bc > bb * curv) {
                bb = b * b;
                bc = curv;
                j = t;
            }
        }
    }
    *pj = j;
    return M == INFINITY ? 0.0 : m - M;
}

static void step(smo *s, size_t i, size_t j)
{
    const svm_binary_problem *pb = s->pb;
    const double *Ki = krow(s, i), *Kj = krow(s, j);
    double curv = pb->diag[i] + pb->diag[j] - 2.0 * KV(s, Ki, j);
    if (curv <= 0)
        curv = TAU;
    double delta = (viol(s, i) - viol(s, j)) / curv;
    double room_i = pb->y[i] > 0 ? pb->Cb[i] - s->alpha[i] : s->alpha[i];
    double room_j = pb->y[j] > 0 ? s->alpha[j] : pb->Cb[j] - s->alpha[j];
    double ai = s->alpha[i], aj = s->alpha[j];
    /* Land exactly on a bound when it limits the step, so that the bound
     * tests above stay exact. */
    if (delta >= room_i && room_i <= room_j) {
        delta = room_i;
        s->alpha[i] = pb->y[i] > 0 ? pb->Cb[i] : 0.0;
        s->alpha[j] = delta >= room_j ? (pb->y[j] > 0 ? 0.0 : pb->Cb[j]) : aj - pb->y[j] * delta;
    } else if (delta >= room_j) {
        delta = room_j;
        s->alpha[j] = pb->y[j] > 0 ? 0.0 : pb->Cb[j];
        s->alpha[i] = ai + pb->y[i] * delta;
    } else {
        s->alpha[i] = ai + pb->y[i] * delta;
        s->alpha[j] = aj - pb->y[j] * delta;
    }
    set_flag(s, i);
    set_flag(s, j);
    double ci = pb->y[i] * (s->alpha[i] - ai), cj = pb->y[j] * (s->alpha[j] - aj);
    double m = -INFINITY;
    size_t ni = SIZE_MAX;
    if (s->n_act == pb->l && !s->col) {
        /* Nothing shrunk, rows read directly (see select_pair): contiguous
         * arrays, so the update runs two rows at a time (SIMD); the same
         * operations per element, so the same results. */
        double *G = s->G;
        const double *y = pb->y;
        size_t l = pb->l;
        /* -O2's cost model leaves a loop of unknown length scalar. */
#pragma omp simd
        for (size_t t = 0; t < l; t++)
            G[t] += y[t] * (ci * Ki[t] + cj * Kj[t]);
        for (size_t t = 0; t < l; t++)
            if (s->flag[t] & FLAG_UP) {
                double v = -y[t] * G[t];
                if (v > m) {
                    m = v;
                    ni = t;
                }
            }
        s->next_i = ni;
        s->next_m = m;
        s->next_ok = 1;
        return;
    }
    for (size_t a = 0; a < s->n_act; a++) {
        size_t t = s->act[a];
        double g = s->G[t] + pb->y[t] * (ci * KV(s, Ki, t) + cj * KV(s, Kj, t));
        s->G[t] = g;
        if (s->flag[t] & FLAG_UP) {
            double v = -pb->y[t] * g;
            if (v > m) {
                m = v;
                ni = t;
            }
        }
    }
    s->next_i = ni;
    s->next_m = m;
    s->next_ok = 1;
}

/* b from the free variables (their mean v), else the midpoint of the
 * interval the bounded ones allow. */
static double bias(const smo *s)
{
    size_t l = s->pb->l, nfree = 0;
    double sum = 0.0, lb = -INFINITY, ub = INFINITY;
    for (size_t t = 0; t < l; t++) {
        int up = in_up(s, t), low = in_low(s, t);
        double v = viol(s, t);
        if (up && low) {
            sum += v;
            nfree++;
        } else if (up) {
            lb = fmax(lb, v);
        } else if (low) {
            ub = fmin(ub, v);
        }
    }
    if (nfree)
        return sum / (double)nfree;
    if (isinf(lb))
        return isinf(ub) ? 0.0 : ub;
    if (isinf(ub))
        return lb;
    return 0.5 * (lb + ub);
}

ntk_status svm_solve_binary(const svm_binary_problem *pb, double *alpha, svm_binary_result *res,
                            ntk_error *err)
{
    size_t l = pb->l;
    memset(res, 0, sizeof *res);
    smo s = {pb, alpha, NULL, NULL, 0, NULL, NULL, NULL, 1, 0, NULL, 0, 0.0, 0};
    for (size_t t = 1; t < l && s.contiguous; t++)
        s.contiguous = pb->rows[t] == pb->rows[0] + t;
    if (!s.contiguous) {
        size_t b = 1;
        while (pb->rows[b] == pb->rows[0] + b)
            b++;
        size_t t = b + 1;
        while (t < l && pb->rows[t] == pb->rows[b] + (t - b))
            t++;
        s.run_b = t == l ? b : 0;
    }
    if (!s.contiguous) {
        if (l <= CACHE_MAX_BYTES / sizeof(double) / l) {
            /* Pages are touched only for rows actually used. */
            s.cache = malloc(l * l * sizeof *s.cache);
            s.have = calloc(l, 1);
            if (!s.cache || !s.have) {
                free(s.cache);
                free(s.have);
                s.cache = NULL;
                s.have = NULL;
            }
        }
        if (!s.cache)
            s.col = pb->rows;
    }
    s.G = malloc(l * sizeof *s.G);
    s.act = malloc(l * sizeof *s.act);
    size_t *sv = malloc(l * sizeof *sv);
    unsigned char *mark = malloc(l);
    s.flag = malloc(l);
    if (!s.G || !s.act || !sv || !mark || !s.flag) {
        free(s.flag);
        free(s.G);
        free(s.act);
        free(sv);
        free(mark);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory (SVM solver, %zu rows)", l);
    }
    for (size_t t = 0; t < l; t++) {
        alpha[t] = 0.0;
        s.G[t] = -1.0;
        s.act[t] = t;
        set_flag(&s, t);
    }
    s.n_act = l;
    size_t max_iter = pb->max_iter ? pb->max_iter : (l > 100000 ? 100 * l : 10000000);
    size_t period = l < SHRINK_EVERY ? l : SHRINK_EVERY;
    size_t counter = period, iter = 0;
    int unshrunk = 0;
    double gap = 0.0;
    for (;;) {
        if (pb->shrinking && --counter == 0) {
            counter = period;
            shrink(&s, pb->eps, &unshrunk, sv, mark);
        }
        size_t i, j;
        gap = select_pair(&s, &i, &j);
        if (j == SIZE_MAX || gap < pb->eps) {
            if (s.n_act == l)
                break;
            /* Optimal on the active set: check the whole problem. */
            reconstruct(&s, sv, mark);
            gap = select_pair(&s, &i, &j);
            if (j == SIZE_MAX || gap < pb->eps)
                break;
            counter = 1;
        }
        if (iter >= max_iter) {
            res->hit_max_iter = 1;
            break;
        }
        step(&s, i, j);
        iter++;
    }
    if (s.n_act < l)
        reconstruct(&s, sv, mark);
    res->iterations = iter;
    res->gap = gap < 0 ? 0 : gap;
    res->b = bias(&s);
    double obj = 0.0;
    for (size_t t = 0; t < l; t++)
        obj += alpha[t] * (s.G[t] - 1.0);
    res->objective = 0.5 * obj;
    free(s.G);
    free(s.act);
    free(sv);
    free(mark);
    free(s.cache);
    free(s.have);
    free(s.flag);
    return NTK_OK;
}

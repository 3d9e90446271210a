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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "svm_internal.h"

/* Curvature floor for non-positive-definite pairs (LIBSVM's τ). */
#define TAU 1e-12
/* Steps between shrinking passes, at most. */
#define SHRINK_EVERY 1000

/* Rows of the subproblem's kernel larger than this are not copied (see krow). */
#define CACHE_MAX_BYTES ((size_t)1 << 30)

typedef struct {
    const svm_binary_problem *pb;
    double *alpha;
    /* V[t] = v_t = −y_t ∇_t, kept instead of ∇: y_t = ±1, so the update
     * V −= c_i K_it + c_j K_jt gives exactly the bits −y_t(∇_t + y_t(…)) would,
     * one multiplication per element fewer. */
    double *V;
    /* up_pen[t] = 0 if t ∈ I_up else −∞, low_pen[t] = 0 if t ∈ I_low else +∞:
     * the sweeps add them instead of branching on flag[], so they vectorize. */
    double *up_pen, *low_pen;
    size_t *act; /* active variables (local indices), act[0..n_act) */
    size_t *inact; /* reconstruct's list of the shrunk ones */
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

/* The row cache for rows scattered in K (pages are touched only for rows
 * actually used), or, when it would be too large, reads through col[]. */
static void rows_setup(smo *s)
{
    size_t l = s->pb->l;
    if (l <= CACHE_MAX_BYTES / sizeof(double) / l) {
        s->cache = malloc(l * l * sizeof *s->cache);
        s->have = calloc(l, 1);
        if (!s->cache || !s->have) {
            free(s->cache);
            free(s->have);
            s->cache = NULL;
            s->have = NULL;
        }
    }
    if (!s->cache)
        s->col = s->pb->rows;
}

static inline const double *krow(smo *s, size_t t)
{
    const svm_binary_problem *pb = s->pb;
    if (s->contiguous)
        return pb->K + pb->rows[t] * pb->ld + pb->rows[0];
    if (!s->cache && !s->col)
        rows_setup(s); /* two runs: the sweeps over act[] begin (see direct) */
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

/* The variables in kernel-row runs: segment g holds t ∈ [seg_lo[g], seg_hi[g])
 * and kseg(s, r, g)[t] is K(r, t) for those t. Two segments when the pair's
 * rows are two runs in K (the classes of a one-vs-one pair), read in place. */
static inline const double *kseg(smo *s, size_t r, int g)
{
    const svm_binary_problem *pb = s->pb;
    const double *row = pb->K + pb->rows[r] * pb->ld;
    if (s->contiguous)
        return row + pb->rows[0];
    if (s->run_b)
        return g ? row + (pb->rows[s->run_b] - s->run_b) : row + pb->rows[0];
    return krow(s, r);
}

static inline size_t n_seg(const smo *s) { return !s->contiguous && s->run_b ? 2 : 1; }

static inline size_t seg_lo(const smo *s, size_t g) { return g ? s->run_b : 0; }

static inline size_t seg_hi(const smo *s, size_t g)
{
    return n_seg(s) == 2 && g == 0 ? s->run_b : s->pb->l;
}

static inline void set_flag(smo *s, size_t t)
{
    int lo = s->alpha[t] > 0, hi = s->alpha[t] < s->pb->Cb[t];
    s->flag[t] = (unsigned char)(s->pb->y[t] > 0 ? (hi ? FLAG_UP : 0) | (lo ? FLAG_LOW : 0)
                                               : (lo ? FLAG_UP : 0) | (hi ? FLAG_LOW : 0));
    s->up_pen[t] = s->flag[t] & FLAG_UP ? 0.0 : -INFINITY;
    s->low_pen[t] = s->flag[t] & FLAG_LOW ? 0.0 : INFINITY;
}

static inline int in_up(const smo *s, size_t t) { return s->flag[t] & FLAG_UP; }

static inline int in_low(const smo *s, size_t t) { return s->flag[t] & FLAG_LOW; }

static inline double viol(const smo *s, size_t t) { return s->V[t]; }

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
    /* By symmetry, through the support vectors' rows, each read once in
     * place; V of the shrunk variables holds Σ y_u α_u K_ut while it is
     * summed (u ascending, as a plain loop would). */
    size_t *out = s->inact, n_out = 0, split = 0;
    for (size_t t = 0; t < l; t++)
        if (!mark[t]) {
            s->V[t] = 0.0;
            out[n_out++] = t;
            split += t < seg_hi(s, 0);
        }
    for (size_t q = 0; q < nsv; q++) {
        size_t u = sv[q];
        double c = pb->y[u] * s->alpha[u];
        if (s->col) {
            const double *Ku = krow(s, u);
            for (size_t a = 0; a < n_out; a++)
                s->V[out[a]] += c * Ku[s->col[out[a]]];
            continue;
        }
        const double *k0 = kseg(s, u, 0), *k1 = kseg(s, u, 1);
        for (size_t a = 0; a < split; a++)
            s->V[out[a]] += c * k0[out[a]];
        for (size_t a = split; a < n_out; a++)
            s->V[out[a]] += c * k1[out[a]];
    }
    for (size_t t = 0; t < l; t++)
        if (!mark[t])
            s->V[t] = -pb->y[t] * (pb->y[t] * s->V[t] - 1.0);
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

/* Two lanes in GCC's generic vectors (one SSE2 register), used in pairs;
 * wider generic vectors are split into scalar compares by GCC 12 at
 * -march=x86-64-v2. The sweeps below choose exactly what the element-by-element
 * scan does, so no result depends on the vector width. */
typedef double v2 __attribute__((vector_size(16)));
typedef double v2u __attribute__((vector_size(16), aligned(8)));
typedef long long m2 __attribute__((vector_size(16)));

static inline v2 ld2(const double *p) { return *(const v2u *)p; }

static inline void st2(double *p, v2 x) { *(v2u *)p = x; }

static inline v2 splat(double x) { return (v2){x, x}; }

/* m ? a : b per lane (m all ones or zero). */
static inline v2 pick(m2 m, v2 a, v2 b) { return (v2)(((m2)a & m) | ((m2)b & ~m)); }

static inline v2 vmin(v2 a, v2 b) { return pick(a < b, a, b); }

/* Some lane of m set (one movmskpd where SSE2 is there). */
static inline int any2(m2 m)
{
#ifdef __SSE2__
    return _mm_movemask_pd((__m128d)m) != 0;
#else
    return (m[0] | m[1]) != 0;
#endif
}

/* Nothing shrunk and the rows readable as segments: the sweeps run over
 * contiguous arrays with the vector kernels below (most pairs of a one-vs-one
 * SVM finish before the first shrinking pass). */
static inline int direct(const smo *s)
{
    return s->n_act == s->pb->l && !s->col && !s->pb->scalar_sweeps;
}

/* Running argmax: the first index of the largest value. */
typedef struct {
    double best;
    size_t at;
} arg_best;

/* The sweeps test four elements at a time against the best value found before
 * them; only a block holding a better one (a new record: a few per sweep) is
 * redone one element at a time. So the choice is exactly the sequential
 * scan's, and no loop-carried select chain limits the vector loop. */

/* V[t] −= ci·ki[t] + cj·kj[t] for t ∈ [lo, hi) and the first t of largest
 * V[t] + up_pen[t] merged into *a. */
static void update_max(smo *s, const double *ki, const double *kj, double ci, double cj,
                       size_t lo, size_t hi, arg_best *a)
{
    double *V = s->V;
    const double *pen = s->up_pen;
    v2 vci = splat(ci), vcj = splat(cj);
    size_t t = lo;
    for (; t + 4 <= hi; t += 4) {
        v2 v0 = ld2(V + t) - (vci * ld2(ki + t) + vcj * ld2(kj + t));
        v2 v1 = ld2(V + t + 2) - (vci * ld2(ki + t + 2) + vcj * ld2(kj + t + 2));
        st2(V + t, v0);
        st2(V + t + 2, v1);
        v2 best = splat(a->best);
        if (!any2((v0 + ld2(pen + t) > best) | (v1 + ld2(pen + t + 2) > best)))
            continue;
        for (size_t u = t; u < t + 4; u++)
            if (V[u] + pen[u] > a->best) {
                a->best = V[u] + pen[u];
                a->at = u;
            }
    }
    for (; t < hi; t++) {
        V[t] -= ci * ki[t] + cj * kj[t];
        if (V[t] + pen[t] > a->best) {
            a->best = V[t] + pen[t];
            a->at = t;
        }
    }
}

/* j's candidates: the best b²/curv is kept as the pair (bb, bc), compared by
 * cross-multiplication (no division per candidate). */
typedef struct {
    double bb, bc, M;
    size_t j;
} j_best;

/* The sequential rule for one candidate t (v = V[t], t ∈ I_low). */
static inline void j_consider(j_best *c, double m, double Kii, double v, double dt, double kit,
                              size_t t)
{
    if (v < c->M)
        c->M = v;
    double b = m - v;
    if (b > 0) {
        double curv = Kii + dt - 2.0 * kit;
        if (curv <= 0)
            curv = TAU;
        if (c->j == SIZE_MAX || b * b * c->bc > c->bb * curv) {
            c->bb = b * b;
            c->bc = curv;
            c->j = t;
        }
    }
}

/* Second-order choice of j ∈ I_low, v_j < m, over t ∈ [lo, hi) of a segment
 * (ki: row i of that segment), and M = min of v over I_low. */
static void select_j(const smo *s, const double *ki, double Kii, double m, size_t lo, size_t hi,
                     j_best *c)
{
    const double *V = s->V, *pen = s->low_pen, *diag = s->pb->diag;
    const v2 vm = splat(m), vkii = splat(Kii), zero = splat(0.0), tau = splat(TAU);
    v2 M0 = splat(INFINITY), M1 = M0;
    size_t t = lo;
    for (; t + 4 <= hi; t += 4) {
        /* Outside I_low, w = +∞: never the min, and b = −∞ fails b > 0. */
        v2 w0 = ld2(V + t) + ld2(pen + t), w1 = ld2(V + t + 2) + ld2(pen + t + 2);
        M0 = vmin(M0, w0);
        M1 = vmin(M1, w1);
        v2 b0 = vm - w0, b1 = vm - w1;
        v2 c0 = vkii + ld2(diag + t) - 2.0 * ld2(ki + t);
        v2 c1 = vkii + ld2(diag + t + 2) - 2.0 * ld2(ki + t + 2);
        c0 = pick(c0 <= zero, tau, c0);
        c1 = pick(c1 <= zero, tau, c1);
        /* No j yet: every b > 0 is taken (bb = −1 makes the test true). */
        v2 bb = splat(c->j == SIZE_MAX ? -1.0 : c->bb), bc = splat(c->bc);
        m2 hit = ((b0 > zero) & (b0 * b0 * bc > bb * c0)) | ((b1 > zero) & (b1 * b1 * bc > bb * c1));
        if (!any2(hit))
            continue;
        for (size_t u = t; u < t + 4; u++)
            if (pen[u] == 0.0)
                j_consider(c, m, Kii, V[u], diag[u], ki[u], u);
    }
    double M = fmin(fmin(M0[0], M0[1]), fmin(M1[0], M1[1]));
    if (M < c->M)
        c->M = M;
    for (; t < hi; t++)
        if (pen[t] == 0.0)
            j_consider(c, m, Kii, V[t], diag[t], ki[t], t);
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
    double Kii = pb->diag[i];
    j_best c = {0.0, 1.0, INFINITY, SIZE_MAX};
    if (direct(s)) {
        for (size_t g = 0; g < n_seg(s); g++)
            select_j(s, kseg(s, i, (int)g), Kii, m, seg_lo(s, g), seg_hi(s, g), &c);
    } else {
        const double *Ki = krow(s, i);
        for (size_t a = 0; a < s->n_act; a++) {
            size_t t = s->act[a];
            if (in_low(s, t))
                j_consider(&c, m, Kii, viol(s, t), pb->diag[t], KV(s, Ki, t), t);
        }
    }
    *pj = c.j;
    return c.M == INFINITY ? 0.0 : m - c.M;
}

static void step(smo *s, size_t i, size_t j)
{
    const svm_binary_problem *pb = s->pb;
    double curv = pb->diag[i] + pb->diag[j] - 2.0 * pb->K[pb->rows[i] * pb->ld + pb->rows[j]];
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
    arg_best a = {-INFINITY, SIZE_MAX};
    if (direct(s)) {
        for (size_t g = 0; g < n_seg(s); g++)
            update_max(s, kseg(s, i, (int)g), kseg(s, j, (int)g), ci, cj, seg_lo(s, g),
                       seg_hi(s, g), &a);
    } else {
        const double *Ki = krow(s, i), *Kj = krow(s, j);
        for (size_t q = 0; q < s->n_act; q++) {
            size_t t = s->act[q];
            double v = s->V[t] - (ci * KV(s, Ki, t) + cj * KV(s, Kj, t));
            s->V[t] = v;
            if ((s->flag[t] & FLAG_UP) && v > a.best) {
                a.best = v;
                a.at = t;
            }
        }
    }
    s->next_i = a.at;
    s->next_m = a.best;
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
    smo s = {.pb = pb, .alpha = alpha, .contiguous = 1};
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
    /* Two runs are read in place until something is shrunk (see shrink). */
    if (!s.contiguous && !s.run_b)
        rows_setup(&s);
    s.V = malloc(l * sizeof *s.V);
    s.up_pen = malloc(l * sizeof *s.up_pen);
    s.low_pen = malloc(l * sizeof *s.low_pen);
    s.act = malloc(l * sizeof *s.act);
    s.inact = malloc(l * sizeof *s.inact);
    size_t *sv = malloc(l * sizeof *sv);
    unsigned char *mark = malloc(l);
    s.flag = malloc(l);
    if (!s.V || !s.up_pen || !s.low_pen || !s.act || !s.inact || !sv || !mark || !s.flag) {
        free(s.flag);
        free(s.inact);
        free(s.V);
        free(s.up_pen);
        free(s.low_pen);
        free(s.act);
        free(sv);
        free(mark);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory (SVM solver, %zu rows)", l);
    }
    for (size_t t = 0; t < l; t++) {
        alpha[t] = 0.0;
        s.V[t] = pb->y[t]; /* ∇ = −e */
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
        obj += alpha[t] * (-pb->y[t] * s.V[t] - 1.0);
    res->objective = 0.5 * obj;
    free(s.V);
    free(s.up_pen);
    free(s.low_pen);
    free(s.act);
    free(s.inact);
    free(sv);
    free(mark);
    free(s.cache);
    free(s.have);
    free(s.flag);
    return NTK_OK;
}

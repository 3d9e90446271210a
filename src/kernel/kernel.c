/* The NNGP / NTK recursion over a matrix of input pairs (see ntk/kernel.h and
 * docs/kernel.md).
 *
 * Plan: (1) validate; (2) the input Gram matrix ⟨x,x'⟩/d by BLAS straight
 * into one of the caller's output matrices (dsyrk, upper triangle, for the
 * symmetric case; dgemm otherwise); (3) per row, the diagonal recursion
 * K(x,x), Θ(x,x) at every depth, O(n·L); (4) for quadrature activations, the
 * per-layer θ-tables; (5) tiles of the output, in parallel: each row segment
 * of a tile is read from the Gram values and carried through all L layers in
 * a small scratch array, writing each requested depth; pairs of identical
 * inputs are patched with the diagonal values (correlation exactly 1); the
 * symmetric case mirrors each tile. No n×n temporaries are allocated. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define TILE 128
#define MAX_DEPTH 100000
#define SAME_TOL 1e-12  /* pairs whose input correlation is within this of 1 are memcmp'ed */
#define TABLE_TOL 1e-12 /* θ-table interpolation tolerance (relative) */
#define TABLE_COST 100  /* quadratures per table, roughly, to decide table vs exact */

/* ---- architecture ------------------------------------------------------ */

void ntk_arch_init(ntk_arch *a)
{
    memset(a, 0, sizeof *a);
    a->depth = 1;
    ntk_activation_init(&a->act, NTK_ACT_RELU);
    a->w_std = M_SQRT2;
    a->b_std = 0;
    a->fixed_layers = 0;
}

static const char *activation_check(const ntk_activation *act)
{
    if ((int)act->kind < NTK_ACT_RELU || act->kind > NTK_ACT_CUSTOM)
        return "unknown activation kind";
    if (act->force_quadrature < 0 || act->force_quadrature > 3)
        return "force_quadrature must be 0..3";
    for (int i = 0; i < 3; i++)
        if (!isfinite(act->p[i]))
            return "activation parameters must be finite";
    if (act->kind == NTK_ACT_CUSTOM && (!act->phi || !act->dphi))
        return "custom activation needs both phi and dphi";
    return NULL;
}

const char *ntk_arch_check(const ntk_arch *a)
{
    if (!a)
        return "no architecture given";
    if (a->depth < 0)
        return "depth must be >= 0";
    if (a->depth > MAX_DEPTH)
        return "depth must be <= 100000";
    if (!isfinite(a->w_std) || a->w_std < 0)
        return "w_std must be a finite number >= 0";
    if (!isfinite(a->b_std) || a->b_std < 0)
        return "b_std must be a finite number >= 0";
    if (a->fixed_layers < 0 || a->fixed_layers > a->depth)
        return "fixed layers must be between 0 and depth";
    return activation_check(&a->act);
}

/* ---- one pair ----------------------------------------------------------- */

ntk_status ntk_dual(const ntk_activation *act, double q11, double q22, double q12, int same,
                    double *T, double *Tp, ntk_error *err)
{
    if (!act || !T || !Tp)
        return ntk_error_set(err, NTK_EINPUT, "ntk_dual: NULL argument");
    const char *msg = activation_check(act);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "ntk_dual: %s", msg);
    if (!isfinite(q11) || q11 < 0 || (!same && (!isfinite(q22) || q22 < 0)))
        return ntk_error_set(err, NTK_EINPUT,
                             "ntk_dual: variances must be finite and >= 0 (q11 = %g, q22 = %g)",
                             q11, q22);
    if (!same && (!isfinite(q12) || fabs(q12) > sqrt(q11) * sqrt(q22) * (1 + 1e-9) + 1e-300))
        return ntk_error_set(err, NTK_EINPUT,
                             "ntk_dual: q12 = %g is not a covariance of variances %g and %g",
                             q12, q11, q22);
    ntk_dual_spec sp;
    ntk_dual_spec_init(&sp, act);
    ntk_dual_any(&sp, q11, q22, q12, same, T, Tp);
    return NTK_OK;
}

/* ---- evaluation --------------------------------------------------------- */

typedef enum { MODE_CLOSED, MODE_TABLE, MODE_EXACT } layer_mode;

/* Per-side (rows of X1, or of X2) data. Arrays indexed [l*n + i]. */
typedef struct {
    const double *X;
    size_t n;
    double *nrm;  /* ‖x‖²/d, and its square root */
    double *snrm;
    double *Kd;   /* K(x,x) after Dense l, l = 0..L */
    double *Td;   /* internal Θ(x,x) after Dense l */
    double *da;   /* per activation layer l = 1..L at [(l−1)n + i]: derived values */
    double *db;
    int *tix;     /* distinct-value index for tables */
} side_t;

typedef struct {
    ntk_dual_spec sp;
    int L, F, Lrun, needTh, sym;
    double sw2, sb2;
    size_t d;
    side_t s1, s2; /* s2 aliases s1 when symmetric */
    double *const *ntk, *const *nngp;
    double *G;
    size_t ldo; /* n2 */
    const ntk_layer_ops *ops;
    layer_mode *mode;          /* [L] */
    ntk_layer_par *par;        /* [L] parameters of activation layer l (index l−1) */
    ntk_theta_table *tabs;     /* all tables */
    const ntk_theta_table **pairs; /* per layer: D×D pointers (offset poff[l−1]) */
    size_t *poff, *D;
} ctx_t;

static int rows_equal(const double *a, const double *b, size_t d)
{
    for (size_t k = 0; k < d; k++)
        if (!(a[k] == b[k]))
            return 0;
    return 1;
}

/* Diagonal recursion for one side. */
static void diag_pass(const ctx_t *c, side_t *s)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++) {
        const double *x = s->X + i * c->d;
        double acc = 0;
        for (size_t k = 0; k < c->d; k++)
            acc += x[k] * x[k];
        s->nrm[i] = acc / (double)c->d;
        s->snrm[i] = sqrt(s->nrm[i]);
        double K = c->sw2 * s->nrm[i] + c->sb2;
        double Th = c->F > 0 ? 0 : K;
        s->Kd[i] = K;
        s->Td[i] = Th;
        for (int l = 1; l <= c->Lrun; l++) {
            double T, Tp;
            ntk_dual_any(&c->sp, K, K, K, 1, &T, &Tp);
            double Kn = c->sw2 * T + c->sb2;
            Th = (l >= c->F ? Kn : 0) + c->sw2 * Tp * Th;
            K = Kn;
            s->Kd[(size_t)l * n + i] = K;
            s->Td[(size_t)l * n + i] = Th;
        }
    }
}

/* Derived per-row values for each activation layer. */
static void derive(const ctx_t *c, side_t *s)
{
    size_t n = s->n;
    for (int l = 1; l <= c->Lrun; l++) {
        const double *q = s->Kd + (size_t)(l - 1) * n;
        double *da = s->da + (size_t)(l - 1) * n, *db = s->db + (size_t)(l - 1) * n;
        for (size_t i = 0; i < n; i++) {
            double v = q[i];
            switch (c->mode[l - 1] == MODE_CLOSED ? (int)c->sp.kind : (int)NTK_DUAL_ABRELU) {
            case NTK_DUAL_ABRELU: /* also tables and exact quadrature: 1/√q, √q */
                da[i] = v > 0 ? 1 / sqrt(v) : 0;
                db[i] = sqrt(v);
                break;
            case NTK_DUAL_ERF:
                da[i] = 1 / sqrt(1 + c->par[l - 1].two_b2 * v);
                db[i] = 0;
                break;
            default:
                da[i] = v;
                db[i] = 0;
                break;
            }
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t find_value(const double *u, size_t D, double v)
{
    size_t lo = 0, hi = D;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (u[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Choose table or exact quadrature per layer and build the tables. */
static ntk_status setup_quadrature(ctx_t *c, int nt, int how, ntk_error *err)
{
    size_t n1 = c->s1.n, n2 = c->sym ? 0 : c->s2.n, nv = n1 + n2;
    double entries = c->sym ? 0.5 * (double)n1 * (double)(n1 + 1) : (double)n1 * (double)c->s2.n;
    double *u = malloc(sizeof(double) * (nv ? nv : 1));
    c->poff = calloc((size_t)c->L + 1, sizeof(size_t));
    c->D = calloc((size_t)c->L + 1, sizeof(size_t));
    if (!u || !c->poff || !c->D) {
        free(u);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory for quadrature tables");
    }
    /* first pass: decide modes and count tables */
    size_t ntab = 0, npair = 0;
    for (int l = 1; l <= c->Lrun; l++) {
        memcpy(u, c->s1.Kd + (size_t)(l - 1) * n1, n1 * sizeof(double));
        if (n2)
            memcpy(u + n1, c->s2.Kd + (size_t)(l - 1) * n2, n2 * sizeof(double));
        qsort(u, nv, sizeof(double), cmp_double);
        size_t D = 0;
        for (size_t i = 0; i < nv; i++)
            if (D == 0 || u[i] != u[D - 1])
                u[D++] = u[i];
        double tabs = 0.5 * (double)D * (double)(D + 1);
        if (how == 1 || (how == 0 && D <= 2048 && tabs * TABLE_COST <= entries)) {
            c->mode[l - 1] = MODE_TABLE;
            c->D[l - 1] = D;
            c->poff[l - 1] = npair;
            npair += D * D;
            ntab += D * (D + 1) / 2;
        } else {
            c->mode[l - 1] = MODE_EXACT;
        }
    }
    c->tabs = calloc(ntab ? ntab : 1, sizeof(ntk_theta_table));
    c->pairs = calloc(npair ? npair : 1, sizeof(ntk_theta_table *));
    if (!c->tabs || !c->pairs) {
        free(u);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory for quadrature tables");
    }
    size_t it = 0;
    for (int l = 1; l <= c->Lrun; l++) {
        if (c->mode[l - 1] != MODE_TABLE)
            continue;
        memcpy(u, c->s1.Kd + (size_t)(l - 1) * n1, n1 * sizeof(double));
        if (n2)
            memcpy(u + n1, c->s2.Kd + (size_t)(l - 1) * n2, n2 * sizeof(double));
        qsort(u, nv, sizeof(double), cmp_double);
        size_t D = 0;
        for (size_t i = 0; i < nv; i++)
            if (D == 0 || u[i] != u[D - 1])
                u[D++] = u[i];
        const ntk_theta_table **P = c->pairs + c->poff[l - 1];
        for (size_t a = 0; a < D; a++)
            for (size_t b = a; b < D; b++) {
                ntk_theta_table *t = &c->tabs[it++];
                if (ntk_theta_table_build(t, &c->sp.act, u[a], u[b], TABLE_TOL, nt) != 0) {
                    free(u);
                    return ntk_error_set(err, NTK_ENOMEM, "out of memory for quadrature tables");
                }
                P[a * D + b] = t;
                P[b * D + a] = t;
            }
        for (size_t i = 0; i < n1; i++)
            c->s1.tix[(size_t)(l - 1) * n1 + i] =
                (int)find_value(u, D, c->s1.Kd[(size_t)(l - 1) * n1 + i]);
        if (n2)
            for (size_t i = 0; i < n2; i++)
                c->s2.tix[(size_t)(l - 1) * n2 + i] =
                    (int)find_value(u, D, c->s2.Kd[(size_t)(l - 1) * n2 + i]);
    }
    c->D[c->L] = ntab; /* remember how many tables to free */
    free(u);
    return NTK_OK;
}

typedef struct {
    double *K, *Th, *tmp;
    size_t *same;
    const ntk_theta_table **tabrow;
} scratch_t;

/* Store the row segment for depth l into the requested outputs and patch
 * pairs of identical inputs with the diagonal values. */
static void write_depth(const ctx_t *c, int l, size_t i, size_t j0, size_t m, const scratch_t *w,
                        size_t nsame)
{
    size_t n1 = c->s1.n;
    double *o = c->nngp[l];
    if (o) {
        double *dst = o + i * c->ldo + j0;
        memcpy(dst, w->K, m * sizeof(double));
        double v = c->s1.Kd[(size_t)l * n1 + i];
        for (size_t k = 0; k < nsame; k++)
            dst[w->same[k]] = v;
    }
    o = c->ntk[l];
    if (o) {
        int useK = l < c->F || !c->needTh;
        double *dst = o + i * c->ldo + j0;
        memcpy(dst, useK ? w->K : w->Th, m * sizeof(double));
        double v = (useK ? c->s1.Kd : c->s1.Td)[(size_t)l * n1 + i];
        for (size_t k = 0; k < nsame; k++)
            dst[w->same[k]] = v;
    }
}

static void exact_layer(const ctx_t *c, int l, size_t m, double *K, double *Th, double q1,
                        const double *q2, const ntk_layer_par *p)
{
    double tr = p->trained ? 1.0 : 0.0;
    for (size_t j = 0; j < m; j++) {
        double pr = q1 * q2[j];
        double den = (pr > 0 && isfinite(pr)) ? sqrt(pr) : sqrt(q1) * sqrt(q2[j]);
        double rho = den > 0 ? K[j] / den : 0;
        rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
        double T, Tp;
        ntk_quad_dual(&c->sp.act, q1, q2[j], rho, &T, &Tp);
        double kn = p->sw2 * T + p->sb2;
        if (Th)
            Th[j] = tr * kn + p->sw2 * Tp * Th[j];
        K[j] = kn;
    }
    (void)l;
}

/* Row i, columns [j0, j0+m). */
static void process_row(const ctx_t *c, size_t i, size_t j0, size_t m, scratch_t *w)
{
    const side_t *a = &c->s1, *b = &c->s2;
    size_t n1 = a->n, n2 = b->n;
    const double *g = c->G + i * c->ldo + j0;
    double *K = w->K, *Th = c->needTh ? w->Th : NULL;

    /* identical inputs: diagonal of the symmetric case, or correlation ≈ 1 and equal rows */
    size_t nsame = 0;
    double thr = (1 - SAME_TOL) * a->snrm[i];
    const double *xi = a->X + i * c->d;
    for (size_t j = 0; j < m; j++) {
        size_t jj = j0 + j;
        if (c->sym && jj == i)
            w->same[nsame++] = j;
        else if (g[j] >= thr * b->snrm[jj] && rows_equal(xi, b->X + jj * c->d, c->d))
            w->same[nsame++] = j;
    }

    /* first Dense layer */
    for (size_t j = 0; j < m; j++)
        K[j] = c->sw2 * g[j] + c->sb2;
    if (Th) {
        if (c->F > 0)
            memset(Th, 0, m * sizeof(double));
        else
            memcpy(Th, K, m * sizeof(double));
    }
    write_depth(c, 0, i, j0, m, w, nsame);

    for (int l = 1; l <= c->Lrun; l++) {
        size_t o1 = (size_t)(l - 1) * n1 + i, o2 = (size_t)(l - 1) * n2 + j0;
        const ntk_layer_par *p = &c->par[l - 1];
        switch (c->mode[l - 1]) {
        case MODE_CLOSED:
            switch (c->sp.kind) {
            case NTK_DUAL_ABRELU:
                c->ops->abrelu(m, K, Th, b->da + o2, b->db + o2, a->da[o1], a->db[o1], p);
                break;
            case NTK_DUAL_ERF: c->ops->erf(m, K, Th, b->da + o2, a->da[o1], p); break;
            case NTK_DUAL_GELU: c->ops->gelu(m, K, Th, b->da + o2, a->da[o1], p); break;
            case NTK_DUAL_SIN: c->ops->sin(m, K, Th, b->da + o2, a->da[o1], p); break;
            case NTK_DUAL_IDENTITY: c->ops->identity(m, K, Th, p); break;
            case NTK_DUAL_QUAD: break;
            }
            break;
        case MODE_TABLE: {
            c->ops->theta(m, K, w->tmp, b->da + o2, a->da[o1]);
            size_t D = c->D[l - 1];
            const ntk_theta_table **P = c->pairs + c->poff[l - 1] + (size_t)a->tix[o1] * D;
            const int *tj = b->tix + o2;
            for (size_t j = 0; j < m; j++)
                w->tabrow[j] = P[tj[j]];
            ntk_layer_table(m, K, Th, w->tmp, w->tabrow, p);
            break;
        }
        case MODE_EXACT:
            exact_layer(c, l, m, K, Th, a->Kd[(size_t)(l - 1) * n1 + i],
                        b->Kd + (size_t)(l - 1) * n2 + j0, p);
            break;
        }
        write_depth(c, l, i, j0, m, w, nsame);
    }
}

/* Copy the computed upper part of a tile to the lower triangle, in 16×16
 * blocks so that reads and writes stay within a few pages (TLB misses are
 * expensive, in VMs especially). */
#define MB 16
static void mirror_tile(const ctx_t *c, size_t i0, size_t i1, size_t j0, size_t j1)
{
    size_t n = c->ldo;
    for (int l = 0; l <= c->L; l++) {
        double *outs[2] = {c->ntk[l], c->nngp[l]};
        for (int k = 0; k < 2; k++) {
            double *o = outs[k];
            if (!o)
                continue;
            for (size_t jb = j0; jb < j1; jb += MB)
                for (size_t ib = i0; ib < i1 && ib < jb + MB; ib += MB) {
                    size_t je = jb + MB < j1 ? jb + MB : j1, ie = ib + MB < i1 ? ib + MB : i1;
                    for (size_t j = jb; j < je; j++)
                        for (size_t i = ib; i < ie && i < j; i++)
                            o[j * n + i] = o[i * n + j];
                }
        }
    }
}

static void free_ctx(ctx_t *c)
{
    side_t *ss[2] = {&c->s1, c->sym ? NULL : &c->s2};
    for (int k = 0; k < 2; k++) {
        side_t *s = ss[k];
        if (!s)
            continue;
        free(s->nrm);
        free(s->snrm);
        free(s->Kd);
        free(s->Td);
        free(s->da);
        free(s->db);
        free(s->tix);
    }
    if (c->tabs) {
        for (size_t t = 0; t < c->D[c->L]; t++)
            ntk_theta_table_free(&c->tabs[t]);
        free(c->tabs);
    }
    free(c->pairs);
    free(c->poff);
    free(c->D);
    free(c->mode);
    free(c->par);
}

static int side_alloc(side_t *s, size_t n, int L)
{
    size_t nl = n * ((size_t)L + 1) + 1, na = n * (size_t)(L > 0 ? L : 1) + 1;
    s->nrm = malloc(sizeof(double) * (n + 1));
    s->snrm = malloc(sizeof(double) * (n + 1));
    s->Kd = malloc(sizeof(double) * nl);
    s->Td = malloc(sizeof(double) * nl);
    s->da = malloc(sizeof(double) * na);
    s->db = malloc(sizeof(double) * na);
    s->tix = calloc(na, sizeof(int));
    return s->nrm && s->snrm && s->Kd && s->Td && s->da && s->db && s->tix ? 0 : -1;
}

static ntk_status check_matrix(const double *X, size_t n, size_t d, const char *name,
                               ntk_error *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++)
            if (!isfinite(X[i * d + k]))
                return ntk_error_set(err, NTK_EINPUT,
                                     "%s has a non-finite value at row %zu, column %zu", name,
                                     i + 1, k + 1);
    return NTK_OK;
}

static ntk_status eval_impl(const ntk_arch *a, const double *X1, size_t n1, const double *X2,
                            size_t n2, size_t d, double *const *ntk, double *const *nngp,
                            const ntk_kernel_options *opt, ntk_error *err)
{
    const char *msg = ntk_arch_check(a);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (!X1 && n1 > 0)
        return ntk_error_set(err, NTK_EINPUT, "kernel: X1 is NULL");
    if (d == 0)
        return ntk_error_set(err, NTK_EINPUT, "kernel: inputs have no features (d = 0)");
    int sym = X2 == NULL || (X2 == X1 && n2 == n1);
    if (sym)
        n2 = n1;
    if (n1 > (size_t)INT32_MAX || n2 > (size_t)INT32_MAX || d > (size_t)INT32_MAX ||
        (n2 > 0 && n1 > SIZE_MAX / sizeof(double) / n2))
        return ntk_error_set(err, NTK_EINPUT, "kernel: matrix too large (%zu x %zu)", n1, n2);
    ntk_status st = check_matrix(X1, n1, d, "X1", err);
    if (st == NTK_OK && !sym)
        st = check_matrix(X2, n2, d, "X2", err);
    if (st != NTK_OK)
        return st;

    int L = a->depth;
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.L = L;
    c.F = a->fixed_layers;
    c.sym = sym;
    c.sw2 = a->w_std * a->w_std;
    c.sb2 = a->b_std * a->b_std;
    c.d = d;
    c.ntk = ntk;
    c.nngp = nngp;
    c.ldo = n2;
    ntk_dual_spec_init(&c.sp, &a->act);
    c.Lrun = -1;
    c.G = NULL;
    for (int l = 0; l <= L; l++) {
        if (ntk[l] || nngp[l])
            c.Lrun = l;
        if (ntk[l] && l > c.F)
            c.needTh = 1;
        if (!c.G)
            c.G = ntk[l] ? ntk[l] : nngp[l];
    }
    if (c.Lrun < 0 || n1 == 0 || n2 == 0)
        return NTK_OK;
    c.ops = ntk_layer_ops_get();
    int nt = opt && opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if (nt < 1)
        nt = 1;

    c.mode = calloc((size_t)L + 1, sizeof(layer_mode));
    c.par = calloc((size_t)L + 1, sizeof(ntk_layer_par));
    c.s1.X = X1;
    c.s1.n = n1;
    if (!c.mode || !c.par || side_alloc(&c.s1, n1, c.Lrun) != 0)
        goto nomem;
    if (sym) {
        c.s2 = c.s1;
    } else {
        c.s2.X = X2;
        c.s2.n = n2;
        if (side_alloc(&c.s2, n2, c.Lrun) != 0)
            goto nomem;
    }
    for (int l = 1; l <= L; l++) {
        ntk_layer_par *p = &c.par[l - 1];
        p->sw2 = c.sw2;
        p->sb2 = c.sb2;
        p->trained = l >= c.F;
        double A = c.sp.a, B = c.sp.b;
        p->A = 0.5 * (A * A + B * B);
        p->f = (A - B) * (A - B) / (2 * M_PI);
        p->a2 = A * A;
        p->b2 = B * B;
        p->c2 = c.sp.c * c.sp.c;
        p->two_b2 = 2 * B * B;
        p->erf_tp = A * A * B * B * (4 / M_PI);
        p->cos2c = cos(2 * c.sp.c);
        c.mode[l - 1] = MODE_CLOSED;
    }

    /* Gram matrix into the first requested output (BLAS outside parallel regions) */
    if (sym)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n1, (int)d, 1.0 / (double)d,
                    X1, (int)d, 0.0, c.G, (int)n1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n1, (int)n2, (int)d,
                    1.0 / (double)d, X1, (int)d, X2, (int)d, 0.0, c.G, (int)n2);

    diag_pass(&c, &c.s1);
    if (!sym)
        diag_pass(&c, &c.s2);
    for (int k = 0; k < (sym ? 1 : 2); k++) {
        const side_t *s = k ? &c.s2 : &c.s1;
        for (int l = 0; l <= c.Lrun; l++)
            for (size_t i = 0; i < s->n; i++) {
                size_t o = (size_t)l * s->n + i;
                if (!isfinite(s->Kd[o]) || !isfinite(s->Td[o])) {
                    free_ctx(&c);
                    /* In the first layer the input scale itself is to blame:
                     * bad input (⟨x,x⟩/d beyond the double range). */
                    if (l == 0)
                        return ntk_error_set(err, NTK_EINPUT,
                                             "kernel overflows in the first layer (row %zu of "
                                             "X%d): the inputs are too large (squared norm / d "
                                             "beyond 1e308); rescale the features "
                                             "(standardize them) or reduce w_std, b_std",
                                             i + 1, k + 1);
                    return ntk_error_set(err, NTK_ENUMERIC,
                                         "kernel overflows at depth %d (row %zu of X%d); "
                                         "reduce w_std, b_std or the depth",
                                         l, i + 1, k + 1);
                }
            }
    }
    if (c.sp.kind == NTK_DUAL_QUAD) {
        int how = a->act.force_quadrature == 2 ? 1 : a->act.force_quadrature == 3 ? 2 : 0;
        st = setup_quadrature(&c, nt, how, err);
        if (st != NTK_OK) {
            free_ctx(&c);
            return st;
        }
    }
    derive(&c, &c.s1);
    if (!sym)
        derive(&c, &c.s2);

    /* tiles */
    size_t tr = (n1 + TILE - 1) / TILE, tc = (n2 + TILE - 1) / TILE;
    size_t ntiles = sym ? tr * (tr + 1) / 2 : tr * tc;
    size_t *tiles = malloc(sizeof(size_t) * 2 * ntiles);
    scratch_t *ws = calloc((size_t)nt, sizeof(scratch_t));
    double *wbuf = malloc(sizeof(double) * 3 * TILE * (size_t)nt);
    size_t *sbuf = malloc(sizeof(size_t) * TILE * (size_t)nt);
    const ntk_theta_table **tbuf = malloc(sizeof(void *) * TILE * (size_t)nt);
    if (!tiles || !ws || !wbuf || !sbuf || !tbuf) {
        free(tiles);
        free(ws);
        free(wbuf);
        free(sbuf);
        free(tbuf);
        goto nomem;
    }
    size_t k = 0;
    for (size_t bi = 0; bi < tr; bi++)
        for (size_t bj = sym ? bi : 0; bj < tc; bj++) {
            tiles[2 * k] = bi;
            tiles[2 * k + 1] = bj;
            k++;
        }
    for (int t = 0; t < nt; t++) {
        ws[t].K = wbuf + (size_t)t * 3 * TILE;
        ws[t].Th = ws[t].K + TILE;
        ws[t].tmp = ws[t].Th + TILE;
        ws[t].same = sbuf + (size_t)t * TILE;
        ws[t].tabrow = tbuf + (size_t)t * TILE;
    }
    /* chunks so that progress is reported from this thread between parallel regions */
    size_t chunk = ntiles / 16;
    if (chunk < 4 * (size_t)nt)
        chunk = 4 * (size_t)nt;
    const ntk_progress *prog = opt ? &opt->progress : NULL;
    int stop = 0;
    for (size_t t0 = 0; t0 < ntiles && !stop; t0 += chunk) {
        size_t t1 = t0 + chunk < ntiles ? t0 + chunk : ntiles;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (size_t t = t0; t < t1; t++) {
            scratch_t *w = &ws[omp_get_thread_num()];
            size_t bi = tiles[2 * t], bj = tiles[2 * t + 1];
            size_t i0 = bi * TILE, i1 = i0 + TILE < n1 ? i0 + TILE : n1;
            size_t j0 = bj * TILE, j1 = j0 + TILE < n2 ? j0 + TILE : n2;
            for (size_t i = i0; i < i1; i++) {
                size_t js = (sym && bi == bj) ? i : j0;
                process_row(&c, i, js, j1 - js, w);
            }
            if (sym)
                mirror_tile(&c, i0, i1, j0, j1);
        }
        if (ntk_progress_report(prog, "kernel", t1, ntiles))
            stop = 1;
    }
    free(tiles);
    free(ws);
    free(wbuf);
    free(sbuf);
    free(tbuf);
    free_ctx(&c);
    if (stop)
        return ntk_error_set(err, NTK_EFAILED, "interrupted");
    return NTK_OK;

nomem:
    free_ctx(&c);
    return ntk_error_set(err, NTK_ENOMEM, "out of memory for kernel work arrays");
}

ntk_status ntk_kernel_eval(const ntk_arch *a, ntk_kernel_kind kind, const double *X1, size_t n1,
                           const double *X2, size_t n2, size_t d, double *out,
                           const ntk_kernel_options *opt, ntk_error *err)
{
    if (!a)
        return ntk_error_set(err, NTK_EINPUT, "kernel: no architecture given");
    if (!out)
        return ntk_error_set(err, NTK_EINPUT, "kernel: output matrix is NULL");
    if (kind != NTK_KIND_NTK && kind != NTK_KIND_NNGP)
        return ntk_error_set(err, NTK_EINPUT, "kernel: unknown kernel kind %d", (int)kind);
    if (a->depth < 0 || a->depth > MAX_DEPTH)
        return ntk_error_set(err, NTK_EINPUT, "%s", ntk_arch_check(a));
    size_t L = (size_t)a->depth;
    double **ptr = calloc(2 * (L + 1), sizeof(double *));
    if (!ptr)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    if (kind == NTK_KIND_NTK)
        ptr[L] = out;
    else
        ptr[L + 1 + L] = out;
    ntk_status st = eval_impl(a, X1, n1, X2, n2, d, ptr, ptr + L + 1, opt, err);
    free(ptr);
    return st;
}

ntk_status ntk_kernel_eval_depths(const ntk_arch *a, const double *X1, size_t n1,
                                  const double *X2, size_t n2, size_t d, double **ntk,
                                  double **nngp, const ntk_kernel_options *opt, ntk_error *err)
{
    if (!a)
        return ntk_error_set(err, NTK_EINPUT, "kernel: no architecture given");
    if (a->depth < 0 || a->depth > MAX_DEPTH)
        return ntk_error_set(err, NTK_EINPUT, "%s", ntk_arch_check(a));
    size_t L = (size_t)a->depth;
    double **ptr = calloc(2 * (L + 1), sizeof(double *));
    if (!ptr)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    for (size_t l = 0; l <= L; l++) {
        ptr[l] = ntk ? ntk[l] : NULL;
        ptr[L + 1 + l] = nngp ? nngp[l] : NULL;
    }
    /* the same matrix may not be given twice */
    for (size_t x = 0; x < 2 * (L + 1); x++)
        for (size_t y = x + 1; y < 2 * (L + 1); y++)
            if (ptr[x] && ptr[x] == ptr[y]) {
                free(ptr);
                return ntk_error_set(err, NTK_EINPUT,
                                     "kernel: the same output matrix is given twice");
            }
    ntk_status st = eval_impl(a, X1, n1, X2, n2, d, ptr, ptr + L + 1, opt, err);
    free(ptr);
    return st;
}

/* Finite-width networks in NTK parameterization: creation, forward and
 * backward passes through BLAS, full-batch gradient descent, and the
 * empirical NTK (see ntk/network.h). */
#include "ntk/network.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/rng.h"

/* Forward passes over many rows work in blocks whose activations take about
 * this much memory. */
#define FORWARD_BLOCK_BYTES ((size_t)64 << 20)
/* Elementwise loops smaller than this stay on one thread. The loops between
 * BLAS calls in the training step are serial: they cost 1/width of the dgemm
 * work, and an OpenMP team spinning between BLAS calls competes with
 * OpenBLAS's own threads (measured here: 20x slower steps on a loaded
 * 2-core machine). */
#define PAR_MIN ((size_t)1 << 14)

static size_t max_fan(const ntk_network *net)
{
    size_t m = 1;
    for (int l = 0; l <= net->n_layers; l++)
        if (net->fan[l] > m)
            m = net->fan[l];
    return m;
}

/* Scale of Dense layer l: σ_w/√fan_in. */
static double wscale(const ntk_network *net, int l)
{
    return net->arch.w_std / sqrt((double)net->fan[l]);
}

static int trained(const ntk_network *net, int l) { return l >= net->arch.fixed_layers; }

void ntk_network_free(ntk_network *net)
{
    if (!net)
        return;
    for (int l = 0; l < net->n_layers; l++) {
        if (net->W)
            free(net->W[l]);
        if (net->b)
            free(net->b[l]);
    }
    free(net->W);
    free(net->b);
    free(net->fan);
    free(net);
}

ntk_status ntk_network_create(const ntk_arch *a, size_t d, size_t width, size_t k,
                              uint64_t seed, ntk_network **out, ntk_error *err)
{
    *out = NULL;
    const char *msg = ntk_arch_check(a);
    if (msg)
        return ntk_error_set(err, NTK_EINPUT, "%s", msg);
    if (a->act.kind == NTK_ACT_CUSTOM && (!a->act.phi || !a->act.dphi))
        return ntk_error_set(err, NTK_EINPUT, "custom activation without phi and dphi");
    if (d == 0 || k == 0 || (a->depth > 0 && width == 0))
        return ntk_error_set(err, NTK_EINPUT,
                             "network sizes must be positive (inputs %zu, width %zu, outputs %zu)",
                             d, width, k);
    if (d > INT_MAX / 2 || width > INT_MAX / 2 || k > INT_MAX / 2)
        return ntk_error_set(err, NTK_EINPUT, "network too large for BLAS (inputs %zu, width %zu)",
                             d, width);
    ntk_network *net = calloc(1, sizeof *net);
    if (!net)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    net->arch = *a;
    net->d = d;
    net->width = a->depth > 0 ? width : 0;
    net->k = k;
    net->seed = seed;
    net->n_layers = a->depth + 1;
    net->fan = calloc((size_t)net->n_layers + 1, sizeof *net->fan);
    net->W = calloc((size_t)net->n_layers, sizeof *net->W);
    net->b = calloc((size_t)net->n_layers, sizeof *net->b);
    if (!net->fan || !net->W || !net->b) {
        ntk_network_free(net);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    net->fan[0] = d;
    for (int l = 1; l <= a->depth; l++)
        net->fan[l] = width;
    net->fan[net->n_layers] = k;
    ntk_rng rng;
    ntk_rng_seed(&rng, seed);
    for (int l = 0; l < net->n_layers; l++) {
        size_t fi = net->fan[l], fo = net->fan[l + 1];
        char what[96];
        snprintf(what, sizeof what, "network weights %zux%zu", fi, fo);
        net->W[l] = ntk_alloc_checked(fi * fo * sizeof(double), what, err);
        net->b[l] = malloc(fo * sizeof(double));
        if (!net->W[l] || !net->b[l]) {
            int have_msg = net->W[l] == NULL; /* ntk_alloc_checked filled err */
            ntk_network_free(net);
            return have_msg ? NTK_ENOMEM : ntk_error_set(err, NTK_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < fi * fo; i++)
            net->W[l][i] = ntk_rng_normal(&rng);
        for (size_t i = 0; i < fo; i++)
            net->b[l][i] = ntk_rng_normal(&rng);
    }
    *out = net;
    return NTK_OK;
}

size_t ntk_network_n_params(const ntk_network *net)
{
    size_t p = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (trained(net, l))
            p += (net->fan[l] + 1) * net->fan[l + 1];
    return p;
}

void ntk_network_get_params(const ntk_network *net, double *theta)
{
    for (int l = 0; l < net->n_layers; l++) {
        if (!trained(net, l))
            continue;
        size_t nw = net->fan[l] * net->fan[l + 1], nb = net->fan[l + 1];
        memcpy(theta, net->W[l], nw * sizeof *theta);
        memcpy(theta + nw, net->b[l], nb * sizeof *theta);
        theta += nw + nb;
    }
}

void ntk_network_set_params(ntk_network *net, const double *theta)
{
    for (int l = 0; l < net->n_layers; l++) {
        if (!trained(net, l))
            continue;
        size_t nw = net->fan[l] * net->fan[l + 1], nb = net->fan[l + 1];
        memcpy(net->W[l], theta, nw * sizeof *theta);
        memcpy(net->b[l], theta + nw, nb * sizeof *theta);
        theta += nw + nb;
    }
}

/* ------------------------------------------------------------ building blocks */

/* Z (n × fan[l+1]) = (σ_w/√fan[l])·H·W_l + σ_b·b_l. */
static void dense(const ntk_network *net, int l, const double *H, size_t n, double *Z)
{
    size_t fi = net->fan[l], fo = net->fan[l + 1];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)fo, (int)fi,
                wscale(net, l), H, (int)fi, net->W[l], (int)fo, 0.0, Z, (int)fo);
    double sb = net->arch.b_std;
    if (sb == 0.0)
        return;
    const double *b = net->b[l];
    for (size_t i = 0; i < n; i++) {
        double *z = Z + i * fo;
        for (size_t j = 0; j < fo; j++)
            z[j] += sb * b[j];
    }
}

/* In place: Z ← φ(Z), and D ← φ'(Z) if D is non-NULL (m entries). */
static void activate(const ntk_activation *act, double *Z, double *D, size_t m)
{
    size_t chunk = 4096;
    size_t nchunks = (m + chunk - 1) / chunk;
    for (size_t c = 0; c < nchunks; c++) {
        size_t i0 = c * chunk, len = m - i0 < chunk ? m - i0 : chunk;
        ntk_network_act(act, Z + i0, Z + i0, D ? D + i0 : NULL, len);
    }
}

/* A ← A ⊙ B (m entries). */
static void hadamard(double *A, const double *B, size_t m)
{
#pragma omp simd
    for (size_t i = 0; i < m; i++)
        A[i] *= B[i];
}

/* Activations of one pass over n rows: H[l] (n × fan[l], H[0] = X) and
 * D[l] = φ'(z_{l−1}) (n × fan[l]) for l = 1..L, out = f (n × k). D[l] is
 * only kept where a backward pass needs it (layer l−1 trained, or all). */
typedef struct {
    size_t n;
    const double **H; /* H[0] = X (not owned) */
    double **D;
    double *out;
    double *mem;      /* one block holding every owned array */
} pass;

static void pass_free(pass *p)
{
    free(p->H);
    free(p->D);
    free(p->mem);
    memset(p, 0, sizeof *p);
}

/* Allocate a pass for n rows; with_d: keep D where a gradient needs it
 * (all_d: for every hidden layer). */
static ntk_status pass_alloc(const ntk_network *net, size_t n, int all_d, pass *p, ntk_error *err)
{
    memset(p, 0, sizeof *p);
    int L = net->arch.depth;
    p->n = n;
    p->H = calloc((size_t)L + 1, sizeof *p->H);
    p->D = calloc((size_t)L + 1, sizeof *p->D);
    if (!p->H || !p->D) {
        pass_free(p);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    size_t total = n * net->k;
    for (int l = 1; l <= L; l++) {
        total += n * net->fan[l];
        if (all_d || trained(net, l - 1))
            total += n * net->fan[l];
    }
    char what[128];
    snprintf(what, sizeof what, "network activations (%zu rows, width %zu, depth %d)", n,
             net->width, L);
    p->mem = ntk_alloc_checked(total * sizeof(double), what, err);
    if (!p->mem) {
        pass_free(p);
        return NTK_ENOMEM;
    }
    double *q = p->mem;
    for (int l = 1; l <= L; l++) {
        p->H[l] = q;
        q += n * net->fan[l];
        if (all_d || trained(net, l - 1)) {
            p->D[l] = q;
            q += n * net->fan[l];
        }
    }
    p->out = q;
    return NTK_OK;
}

/* Forward pass over the pass's n rows of X, filling H, D and out. */
static void pass_forward(const ntk_network *net, const double *X, pass *p)
{
    int L = net->arch.depth;
    p->H[0] = X;
    for (int l = 0; l < L; l++) {
        double *Z = (double *)p->H[l + 1];
        dense(net, l, p->H[l], p->n, Z);
        activate(&net->arch.act, Z, p->D[l + 1], p->n * net->fan[l + 1]);
    }
    dense(net, L, p->H[L], p->n, p->out);
}

/* ------------------------------------------------------------------ forward */

ntk_status ntk_network_forward(const ntk_network *net, const double *X, size_t n, double *out,
                               ntk_error *err)
{
    if (n == 0)
        return NTK_OK;
    size_t per_row = 2 * max_fan(net) * sizeof(double);
    size_t block = FORWARD_BLOCK_BYTES / per_row;
    if (block < 16)
        block = 16;
    if (block > n)
        block = n;
    char what[96];
    snprintf(what, sizeof what, "network forward buffers (%zu rows)", block);
    double *buf = ntk_alloc_checked(2 * block * max_fan(net) * sizeof *buf, what, err);
    if (!buf)
        return NTK_ENOMEM;
    double *A = buf, *B = buf + block * max_fan(net);
    int L = net->arch.depth;
    for (size_t r0 = 0; r0 < n; r0 += block) {
        size_t m = n - r0 < block ? n - r0 : block;
        const double *H = X + r0 * net->d;
        for (int l = 0; l < L; l++) {
            double *Z = (l % 2 == 0) ? A : B;
            dense(net, l, H, m, Z);
            activate(&net->arch.act, Z, NULL, m * net->fan[l + 1]);
            H = Z;
        }
        dense(net, L, H, m, out + r0 * net->k);
    }
    free(buf);
    return NTK_OK;
}

/* ------------------------------------------------------------------ backward */

/* Backward pass from the cotangent delta_top (n × k, only read) through the
 * trained layers. For each trained
 * layer l, with δ_l = ∂/∂z_l: if grad != NULL the gradient of W_l and b_l is
 * written at its offset; otherwise W_l, b_l ← W_l, b_l − lr·gradient, in
 * place (after δ_{l−1} has been computed from the old W_l). scratch holds two
 * n × width arrays; ones holds n ones. */
static void backward(ntk_network *net, const pass *p, const double *delta_top, double *grad,
                     double lr, double *scratch, const double *ones)
{
    int L = net->arch.depth, F = net->arch.fixed_layers;
    size_t n = p->n;
    const double *delta = delta_top;
    double *bufs[2] = {scratch, scratch + n * (net->width ? net->width : 1)};
    int which = 0;
    /* offsets of each trained layer's gradient in the parameter vector */
    size_t off[L + 2];
    size_t o = 0;
    for (int l = 0; l <= L; l++) {
        off[l] = o;
        if (trained(net, l))
            o += (net->fan[l] + 1) * net->fan[l + 1];
    }
    for (int l = L; l >= F; l--) {
        size_t fi = net->fan[l], fo = net->fan[l + 1];
        double s = wscale(net, l);
        double *prev = NULL;
        if (l - 1 >= F) {
            prev = bufs[which];
            which ^= 1;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)fi, (int)fo, s,
                        delta, (int)fo, net->W[l], (int)fo, 0.0, prev, (int)fi);
            hadamard(prev, p->D[l], n * fi);
        }
        double *gw = grad ? grad + off[l] : net->W[l];
        double *gb = grad ? grad + off[l] + fi * fo : net->b[l];
        double alpha = grad ? s : -lr * s, beta = grad ? 0.0 : 1.0;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fi, (int)fo, (int)n, alpha,
                    p->H[l], (int)fi, delta, (int)fo, beta, gw, (int)fo);
        double ab = grad ? net->arch.b_std : -lr * net->arch.b_std;
        if (grad || ab != 0.0)
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)fo, ab, delta, (int)fo, ones, 1,
                        beta, gb, 1);
        delta = prev;
    }
}

static double *ones_alloc(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = 1.0;
    return v;
}

ntk_status ntk_network_vjp(const ntk_network *net, const double *X, size_t n, const double *C,
                           double *grad, ntk_error *err)
{
    size_t P = ntk_network_n_params(net);
    if (n == 0) {
        memset(grad, 0, P * sizeof *grad);
        return NTK_OK;
    }
    pass p;
    ntk_status st = pass_alloc(net, n, 0, &p, err);
    if (st != NTK_OK)
        return st;
    double *scratch = ntk_alloc_checked(2 * n * (net->width ? net->width : 1) * sizeof(double),
                                        "network backward buffers", err);
    double *ones = ones_alloc(n);
    if (!scratch || !ones) {
        free(scratch);
        free(ones);
        pass_free(&p);
        return scratch ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_ENOMEM;
    }
    pass_forward(net, X, &p);
    if (P)
        backward((ntk_network *)net, &p, C, grad, 0.0, scratch, ones);
    free(scratch);
    free(ones);
    pass_free(&p);
    return NTK_OK;
}

/* ------------------------------------------------------------- training */

void ntk_gd_params_init(ntk_gd_params *p)
{
    memset(p, 0, sizeof *p);
    p->lr = 1.0;
    p->time_scale = NTK_TIME_SUM;
}

ntk_status ntk_network_train(ntk_network *net, const double *X, size_t n, const double *Y,
                             const double *O, size_t steps, const ntk_gd_params *gp,
                             double *loss, ntk_error *err)
{
    if (!(gp->lr > 0) || !isfinite(gp->lr))
        return ntk_error_set(err, NTK_EINPUT, "learning rate must be a positive number");
    if (n == 0)
        return ntk_error_set(err, NTK_EINPUT, "no training rows");
    if (n > INT_MAX / 2)
        return ntk_error_set(err, NTK_EINPUT, "too many training rows for BLAS (%zu)", n);
    if (loss)
        *loss = NAN;
    if (steps == 0 || ntk_network_n_params(net) == 0)
        return NTK_OK;
    size_t k = net->k;
    double c = gp->time_scale == NTK_TIME_MEAN ? 1.0 / ((double)n * (double)k) : 1.0;
    pass p;
    ntk_status st = pass_alloc(net, n, 0, &p, err);
    if (st != NTK_OK)
        return st;
    double *scratch = ntk_alloc_checked(2 * n * (net->width ? net->width : 1) * sizeof(double),
                                        "network backward buffers", err);
    double *ones = ones_alloc(n);
    double *R = malloc(n * k * sizeof *R);
    if (!scratch || !ones || !R) {
        st = scratch ? ntk_error_set(err, NTK_ENOMEM, "out of memory") : NTK_ENOMEM;
        goto done;
    }
    for (size_t s = 0; s < steps; s++) {
        if (ntk_progress_report(&gp->progress, "gd", s, steps)) {
            st = ntk_error_set(err, NTK_EFAILED, "interrupted");
            goto done;
        }
        pass_forward(net, X, &p);
        double sse = 0.0;
        for (size_t i = 0; i < n * k; i++) {
            double r = p.out[i] - Y[i] - (O ? O[i] : 0.0);
            sse += r * r;
            R[i] = c * r;
        }
        if (!isfinite(sse)) {
            st = ntk_error_set(err, NTK_ENUMERIC,
                               "gradient descent diverged at step %zu (lower the learning rate)",
                               s + 1);
            goto done;
        }
        if (loss)
            *loss = 0.5 * c * sse;
        backward(net, &p, R, NULL, gp->lr, scratch, ones);
    }
    ntk_progress_report(&gp->progress, "gd", steps, steps);
done:
    free(R);
    free(ones);
    free(scratch);
    pass_free(&p);
    return st;
}

/* ------------------------------------------------------------ empirical NTK */

/* G (n × fan[L+1]) for output j: the unit vector e_j on every row. Then
 * G_{l−1} = (σ_w/√fan[l])·(G_l W_lᵀ) ⊙ D[l]. grads[l] receives G_l for every
 * trained l (n × fan[l+1]); G_l of untrained layers are not needed. */
static void output_grads(const ntk_network *net, const pass *p, int j, double **grads)
{
    int L = net->arch.depth, F = net->arch.fixed_layers;
    size_t n = p->n, k = net->k;
    double *G = grads[L];
    memset(G, 0, n * k * sizeof *G);
    for (size_t i = 0; i < n; i++)
        G[i * k + (size_t)j] = 1.0;
    for (int l = L; l - 1 >= F; l--) {
        size_t fi = net->fan[l], fo = net->fan[l + 1];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)fi, (int)fo,
                    wscale(net, l), grads[l], (int)fo, net->W[l], (int)fo, 0.0, grads[l - 1],
                    (int)fi);
        hadamard(grads[l - 1], p->D[l], n * fi);
    }
}

/* M (n1×n2) = A·Bᵀ for A (n1×m), B (n2×m); with sym (A = B) only the upper
 * triangle is computed (dsyrk) and mirrored, so M is exactly symmetric. */
static void gram(const double *A, size_t n1, const double *B, size_t n2, size_t m, int sym,
                 double *M)
{
    if (sym) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n1, (int)m, 1.0, A, (int)m, 0.0,
                    M, (int)n1);
        for (size_t i = 0; i < n1; i++)
            for (size_t q = 0; q < i; q++)
                M[i * n1 + q] = M[q * n1 + i];
    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n1, (int)n2, (int)m, 1.0, A,
                    (int)m, B, (int)m, 0.0, M, (int)n2);
    }
}

ntk_status ntk_network_entk(const ntk_network *net, const double *X1, size_t n1,
                            const double *X2, size_t n2, int output, double *out, ntk_error *err)
{
    int sym = X2 == NULL;
    if (sym)
        n2 = n1;
    if (output < -1 || output >= (int)net->k)
        return ntk_error_set(err, NTK_EINPUT, "output %d out of range (network has %zu outputs)",
                             output, net->k);
    if (n1 == 0 || n2 == 0)
        return NTK_OK;
    if (n1 > INT_MAX / 2 || n2 > INT_MAX / 2)
        return ntk_error_set(err, NTK_EINPUT, "too many rows for BLAS");
    int L = net->arch.depth, F = net->arch.fixed_layers;
    ntk_status st = NTK_OK;
    pass p1, p2;
    memset(&p2, 0, sizeof p2);
    double **g1 = calloc((size_t)L + 1, sizeof *g1), **g2 = calloc((size_t)L + 1, sizeof *g2);
    double *gmem = NULL, *M1 = NULL, *M2 = NULL;
    st = pass_alloc(net, n1, 0, &p1, err);
    if (st != NTK_OK) {
        free(g1);
        free(g2);
        return st;
    }
    if (!sym && (st = pass_alloc(net, n2, 0, &p2, err)) != NTK_OK)
        goto done;
    if (!g1 || !g2) {
        st = ntk_error_set(err, NTK_ENOMEM, "out of memory");
        goto done;
    }
    size_t gtotal = 0;
    for (int l = F; l <= L; l++)
        gtotal += (n1 + (sym ? 0 : n2)) * net->fan[l + 1];
    gmem = ntk_alloc_checked((gtotal ? gtotal : 1) * sizeof *gmem, "network output gradients",
                             err);
    M1 = ntk_alloc_checked(n1 * n2 * sizeof *M1, "empirical kernel workspace", err);
    M2 = ntk_alloc_checked(n1 * n2 * sizeof *M2, "empirical kernel workspace", err);
    if (!gmem || !M1 || !M2) {
        st = NTK_ENOMEM;
        goto done;
    }
    double *q = gmem;
    for (int l = F; l <= L; l++) {
        g1[l] = q;
        q += n1 * net->fan[l + 1];
        if (!sym) {
            g2[l] = q;
            q += n2 * net->fan[l + 1];
        }
    }
    pass_forward(net, X1, &p1);
    if (!sym)
        pass_forward(net, X2, &p2);
    const pass *pp2 = sym ? &p1 : &p2;
    double **gg2 = sym ? g1 : g2;
    memset(out, 0, n1 * n2 * sizeof *out);
    int j0 = output < 0 ? 0 : output, j1 = output < 0 ? (int)net->k : output + 1;
    double wj = 1.0 / (double)(j1 - j0);
    double sb2 = net->arch.b_std * net->arch.b_std;
    for (int j = j0; j < j1; j++) {
        output_grads(net, &p1, j, g1);
        if (!sym)
            output_grads(net, pp2, j, gg2);
        for (int l = F; l <= L; l++) {
            double s = wscale(net, l);
            gram(p1.H[l], n1, pp2->H[l], n2, net->fan[l], sym, M1);
            gram(g1[l], n1, gg2[l], n2, net->fan[l + 1], sym, M2);
            size_t m = n1 * n2;
#pragma omp parallel for schedule(static) if (m >= PAR_MIN)
            for (size_t i = 0; i < m; i++)
                out[i] += wj * (s * s * M1[i] + sb2) * M2[i];
        }
    }
done:
    free(M1);
    free(M2);
    free(gmem);
    free(g1);
    free(g2);
    pass_free(&p1);
    pass_free(&p2);
    return st;
}

ntk_status ntk_network_jacobian(const ntk_network *net, const double *X, size_t n, int output,
                                double *J, ntk_error *err)
{
    if (output < 0 || output >= (int)net->k)
        return ntk_error_set(err, NTK_EINPUT, "output %d out of range (network has %zu outputs)",
                             output, net->k);
    size_t P = ntk_network_n_params(net);
    if (n == 0 || P == 0)
        return NTK_OK;
    /* Row i of J is the gradient of f_output(x_i): a VJP with cotangent e_i ⊗ e_j. */
    double *C = calloc(net->k, sizeof *C);
    if (!C)
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    C[output] = 1.0;
    ntk_status st = NTK_OK;
    for (size_t i = 0; i < n && st == NTK_OK; i++)
        st = ntk_network_vjp(net, X + i * net->d, 1, C, J + i * P, err);
    free(C);
    return st;
}

/* ---------------------------------------------------------------- helpers */

ntk_status ntk_lambda_max(const double *A, size_t n, int max_iter, double *lmax, int *iterations,
                          ntk_error *err)
{
    if (iterations)
        *iterations = 0;
    *lmax = 0.0;
    if (n == 0)
        return NTK_OK;
    if (n > INT_MAX / 2)
        return ntk_error_set(err, NTK_EINPUT, "matrix too large for BLAS");
    if (max_iter <= 0)
        max_iter = 1000;
    double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
    if (!v || !w) {
        free(v);
        free(w);
        return ntk_error_set(err, NTK_ENOMEM, "out of memory");
    }
    /* A fixed pseudo-random start: never orthogonal to the top eigenvector
     * in practice, and reproducible. */
    ntk_rng rng;
    ntk_rng_seed(&rng, 0x6c616d6264614dULL);
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0 + 0.5 * ntk_rng_uniform(&rng);
    double nv = cblas_dnrm2((int)n, v, 1);
    cblas_dscal((int)n, 1.0 / nv, v, 1);
    double lam = 0.0, prev = -1.0;
    int it;
    for (it = 1; it <= max_iter; it++) {
        cblas_dsymv(CblasRowMajor, CblasUpper, (int)n, 1.0, A, (int)n, v, 1, 0.0, w, 1);
        lam = cblas_ddot((int)n, v, 1, w, 1);
        double nw = cblas_dnrm2((int)n, w, 1);
        if (!isfinite(nw)) {
            free(v);
            free(w);
            return ntk_error_set(err, NTK_ENUMERIC, "matrix has non-finite entries");
        }
        if (nw == 0.0) {
            lam = 0.0;
            break;
        }
        for (size_t i = 0; i < n; i++)
            v[i] = w[i] / nw;
        if (fabs(lam - prev) <= 1e-10 * fabs(lam))
            break;
        prev = lam;
    }
    free(v);
    free(w);
    if (iterations)
        *iterations = it > max_iter ? max_iter : it;
    *lmax = lam;
    return NTK_OK;
}

double ntk_rel_frobenius(const double *A, const double *B, size_t m)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < m; i++) {
        double e = A[i] - B[i];
        num += e * e;
        den += B[i] * B[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

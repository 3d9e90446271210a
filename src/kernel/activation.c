/* Activations: names, parsing and formatting, pointwise φ and φ', and the
 * closed-form dual activations (see ntk/kernel.h and docs/kernel.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* neural-tangents' Sigmoid_like: 0.5·erf(x / 2.4020563531719796) + 0.5 */
#define SIGMOID_LIKE_SCALE 2.4020563531719796

const char *const ntk_activation_names[] = {
    "relu", "leaky_relu", "abrelu", "abs", "erf", "sigmoid_like", "gelu", "sin", "cos",
    "identity", "tanh", "softplus", "swish", "silu", "elu", "sigmoid", NULL};

typedef struct {
    const char *name;
    ntk_act_kind kind;
    int nmin, nmax;   /* number of parameters accepted */
    double def[3];    /* defaults */
} act_entry;

static const act_entry act_table[] = {
    {"relu", NTK_ACT_RELU, 0, 0, {0, 0, 0}},
    {"leaky_relu", NTK_ACT_LEAKY_RELU, 0, 1, {0.01, 0, 0}},
    {"abrelu", NTK_ACT_ABRELU, 2, 2, {0, 1, 0}},
    {"abs", NTK_ACT_ABS, 0, 0, {0, 0, 0}},
    {"erf", NTK_ACT_ERF, 0, 3, {1, 1, 0}},
    {"sigmoid_like", NTK_ACT_SIGMOID_LIKE, 0, 0, {0, 0, 0}},
    {"gelu", NTK_ACT_GELU, 0, 0, {0, 0, 0}},
    {"sin", NTK_ACT_SIN, 0, 3, {1, 1, 0}},
    {"cos", NTK_ACT_COS, 0, 3, {1, 1, 0}},
    {"identity", NTK_ACT_IDENTITY, 0, 0, {0, 0, 0}},
    {"linear", NTK_ACT_IDENTITY, 0, 0, {0, 0, 0}},
    {"tanh", NTK_ACT_TANH, 0, 0, {0, 0, 0}},
    {"softplus", NTK_ACT_SOFTPLUS, 0, 0, {0, 0, 0}},
    {"swish", NTK_ACT_SWISH, 0, 0, {0, 0, 0}},
    {"silu", NTK_ACT_SWISH, 0, 0, {0, 0, 0}},
    {"elu", NTK_ACT_ELU, 0, 1, {1, 0, 0}},
    {"sigmoid", NTK_ACT_SIGMOID, 0, 0, {0, 0, 0}},
};
#define N_ACT ((int)(sizeof act_table / sizeof act_table[0]))

static const act_entry *entry_of_kind(ntk_act_kind k)
{
    for (int i = 0; i < N_ACT; i++)
        if (act_table[i].kind == k)
            return &act_table[i];
    return NULL;
}

void ntk_activation_init(ntk_activation *act, ntk_act_kind kind)
{
    memset(act, 0, sizeof *act);
    act->kind = kind;
    const act_entry *e = entry_of_kind(kind);
    if (e)
        memcpy(act->p, e->def, sizeof act->p);
}

ntk_status ntk_activation_parse(const char *text, ntk_activation *out, ntk_error *err)
{
    if (!text || !*text)
        return ntk_error_set(err, NTK_EINPUT, "empty activation name");
    const char *colon = strchr(text, ':');
    size_t nlen = colon ? (size_t)(colon - text) : strlen(text);
    const act_entry *e = NULL;
    for (int i = 0; i < N_ACT; i++)
        if (strlen(act_table[i].name) == nlen && strncmp(act_table[i].name, text, nlen) == 0) {
            e = &act_table[i];
            break;
        }
    if (!e)
        return ntk_error_set(err, NTK_EINPUT,
                             "unknown activation '%s' (expected relu, leaky_relu:A, abrelu:A,B, "
                             "abs, erf[:A,B,C], sigmoid_like, gelu, sin[:A,B,C], cos[:A,B,C], "
                             "identity, tanh, softplus, swish, silu, elu[:A], sigmoid)",
                             text);
    ntk_activation a;
    ntk_activation_init(&a, e->kind);
    int np = 0;
    if (colon) {
        const char *s = colon + 1;
        if (!*s)
            return ntk_error_set(err, NTK_EINPUT, "activation '%s': missing parameters after ':'",
                                 text);
        for (;;) {
            if (np >= e->nmax)
                return ntk_error_set(err, NTK_EINPUT,
                                     "activation '%s': %s takes at most %d parameter%s", text,
                                     e->name, e->nmax, e->nmax == 1 ? "" : "s");
            char *end;
            errno = 0;
            double v = strtod(s, &end);
            if (end == s || errno == ERANGE || !isfinite(v) || (*end && *end != ','))
                return ntk_error_set(err, NTK_EINPUT,
                                     "activation '%s': parameter %d is not a finite number", text,
                                     np + 1);
            a.p[np++] = v;
            if (!*end)
                break;
            s = end + 1;
        }
    }
    if (np < e->nmin)
        return ntk_error_set(err, NTK_EINPUT, "activation '%s': %s needs %d parameter%s", text,
                             e->name, e->nmin, e->nmin == 1 ? "" : "s");
    *out = a;
    return NTK_OK;
}

/* Shortest %g form that reads back exactly. */
static void fmt_num(char *buf, size_t size, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void ntk_activation_format(const ntk_activation *act, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (act->kind == NTK_ACT_CUSTOM) {
        snprintf(buf, size, "custom");
        return;
    }
    const act_entry *e = entry_of_kind(act->kind);
    if (!e) {
        snprintf(buf, size, "unknown");
        return;
    }
    int np = e->nmax;
    if (np > 0 && e->nmin == 0) {
        /* omit parameters equal to the defaults when all are */
        int all_def = 1;
        for (int i = 0; i < np; i++)
            if (act->p[i] != e->def[i])
                all_def = 0;
        if (all_def)
            np = 0;
    }
    size_t off = (size_t)snprintf(buf, size, "%s", e->name);
    for (int i = 0; i < np && off < size; i++) {
        char num[40];
        fmt_num(num, sizeof num, act->p[i]);
        off += (size_t)snprintf(buf + off, size - off, "%c%s", i == 0 ? ':' : ',', num);
    }
}

void ntk_dual_spec_init(ntk_dual_spec *sp, const ntk_activation *act)
{
    memset(sp, 0, sizeof *sp);
    sp->act = *act;
    switch (act->kind) {
    case NTK_ACT_RELU: sp->kind = NTK_DUAL_ABRELU; sp->a = 0; sp->b = 1; break;
    case NTK_ACT_LEAKY_RELU: sp->kind = NTK_DUAL_ABRELU; sp->a = act->p[0]; sp->b = 1; break;
    case NTK_ACT_ABRELU: sp->kind = NTK_DUAL_ABRELU; sp->a = act->p[0]; sp->b = act->p[1]; break;
    case NTK_ACT_ABS: sp->kind = NTK_DUAL_ABRELU; sp->a = -1; sp->b = 1; break;
    case NTK_ACT_ERF:
        sp->kind = NTK_DUAL_ERF; sp->a = act->p[0]; sp->b = act->p[1]; sp->c = act->p[2];
        break;
    case NTK_ACT_SIGMOID_LIKE:
        sp->kind = NTK_DUAL_ERF; sp->a = 0.5; sp->b = 1.0 / SIGMOID_LIKE_SCALE; sp->c = 0.5;
        break;
    case NTK_ACT_GELU: sp->kind = NTK_DUAL_GELU; break;
    case NTK_ACT_SIN:
        sp->kind = NTK_DUAL_SIN; sp->a = act->p[0]; sp->b = act->p[1]; sp->c = act->p[2];
        break;
    case NTK_ACT_COS:
        sp->kind = NTK_DUAL_SIN; sp->a = act->p[0]; sp->b = act->p[1];
        sp->c = act->p[2] + M_PI / 2;
        break;
    case NTK_ACT_IDENTITY: sp->kind = NTK_DUAL_IDENTITY; break;
    default: sp->kind = NTK_DUAL_QUAD; break;
    }
    if (act->force_quadrature)
        sp->kind = NTK_DUAL_QUAD;
}

/* ---- pointwise φ, φ' ---------------------------------------------------- */

static inline double logistic(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

void ntk_act_eval(const ntk_activation *act, const double *x, double *f, double *fp, size_t n)
{
    const double *p = act->p;
    switch (act->kind) {
    case NTK_ACT_RELU:
    case NTK_ACT_LEAKY_RELU:
    case NTK_ACT_ABRELU:
    case NTK_ACT_ABS: {
        double a = act->kind == NTK_ACT_RELU ? 0 : act->kind == NTK_ACT_ABS ? -1 : p[0];
        double b = act->kind == NTK_ACT_ABRELU ? p[1] : 1;
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (f)
                f[i] = v < 0 ? a * v : b * v;
            if (fp)
                fp[i] = v < 0 ? a : v > 0 ? b : 0.5 * (a + b);
        }
        break;
    }
    case NTK_ACT_ERF:
    case NTK_ACT_SIGMOID_LIKE: {
        double a = p[0], b = p[1], c = p[2];
        if (act->kind == NTK_ACT_SIGMOID_LIKE) {
            a = 0.5; b = 1.0 / SIGMOID_LIKE_SCALE; c = 0.5;
        }
        double k = a * b * 2.0 / sqrt(M_PI);
        for (size_t i = 0; i < n; i++) {
            double bx = b * x[i];
            if (f)
                f[i] = a * erf(bx) + c;
            if (fp)
                fp[i] = k * exp(-bx * bx);
        }
        break;
    }
    case NTK_ACT_GELU:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            double Phi = 0.5 * erfc(-v / M_SQRT2);
            if (f)
                f[i] = v * Phi;
            if (fp)
                fp[i] = Phi + v * exp(-0.5 * v * v) / sqrt(2 * M_PI);
        }
        break;
    case NTK_ACT_SIN:
    case NTK_ACT_COS: {
        double a = p[0], b = p[1], c = p[2] + (act->kind == NTK_ACT_COS ? M_PI / 2 : 0);
        for (size_t i = 0; i < n; i++) {
            double t = b * x[i] + c;
            if (f)
                f[i] = a * sin(t);
            if (fp)
                fp[i] = a * b * cos(t);
        }
        break;
    }
    case NTK_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) {
            if (f)
                f[i] = x[i];
            if (fp)
                fp[i] = 1;
        }
        break;
    case NTK_ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            double t = tanh(x[i]);
            if (f)
                f[i] = t;
            if (fp)
                fp[i] = 1 - t * t;
        }
        break;
    case NTK_ACT_SOFTPLUS:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (f)
                f[i] = v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
            if (fp)
                fp[i] = logistic(v);
        }
        break;
    case NTK_ACT_SWISH:
        for (size_t i = 0; i < n; i++) {
            double v = x[i], s = logistic(v);
            if (f)
                f[i] = v * s;
            if (fp)
                fp[i] = s * (1 + v * (1 - s));
        }
        break;
    case NTK_ACT_ELU: {
        double al = p[0];
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (f)
                f[i] = v > 0 ? v : al * expm1(v);
            if (fp)
                fp[i] = v > 0 ? 1 : v < 0 ? al * exp(v) : 0.5 * (1 + al);
        }
        break;
    }
    case NTK_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            double s = logistic(x[i]);
            if (f)
                f[i] = s;
            if (fp)
                fp[i] = s * (1 - s);
        }
        break;
    case NTK_ACT_CUSTOM:
        for (size_t i = 0; i < n; i++) {
            if (f)
                f[i] = act->phi(x[i], act->ctx);
            if (fp)
                fp[i] = act->dphi(x[i], act->ctx);
        }
        break;
    }
}

/* ---- closed-form duals (scalar reference forms) -------------------------- */

void ntk_dual_closed(const ntk_dual_spec *sp, double q11, double q22, double q12, int same,
                     double *T, double *Tp)
{
    if (same) {
        q22 = q11;
        q12 = q11;
    }
    switch (sp->kind) {
    case NTK_DUAL_ABRELU: {
        double A = 0.5 * (sp->a * sp->a + sp->b * sp->b);
        double f = (sp->a - sp->b) * (sp->a - sp->b) / (2 * M_PI);
        if (same) {
            *T = A * q11;
            *Tp = A;
            return;
        }
        /* θ = atan2(√(q11 q22 − q12²), q12); both zero (a zero variance) gives π/2 */
        double det = q11 * q22 - q12 * q12;
        double sq = det > 0 ? sqrt(det) : 0;
        double th = (sq == 0 && q12 == 0) ? M_PI / 2 : atan2(sq, q12);
        *Tp = A - f * th;
        *T = f * sq + (*Tp) * q12;
        return;
    }
    case NTK_DUAL_ERF: {
        double b2 = sp->b * sp->b, a2 = sp->a * sp->a;
        double p1 = 1 + 2 * b2 * q11, p2 = 1 + 2 * b2 * q22;
        double m = 2 * b2 * q12;
        if (same) {
            *T = a2 * (2 / M_PI) * asin(m / p1) + sp->c * sp->c;
            *Tp = a2 * b2 * (4 / M_PI) / sqrt(1 + 4 * b2 * q11);
            return;
        }
        double pr = p1 * p2;
        double det = pr - m * m;
        *T = a2 * (2 / M_PI) * atan2(m, sqrt(det > 0 ? det : 0)) + sp->c * sp->c;
        *Tp = a2 * b2 * (4 / M_PI) / sqrt(det);
        return;
    }
    case NTK_DUAL_GELU: {
        double pp = (q11 + 1) * (q22 + 1), prod = q11 * q22;
        double d2 = pp - q12 * q12, d = sqrt(d2);
        double ang = atan2(q12, d);
        *T = ((q12 * q12 + prod * d2) / (pp * d) + q12 * ang) / (2 * M_PI) + 0.25 * q12;
        *Tp = 0.25 + ang / (2 * M_PI) +
              q12 / (2 * M_PI * d) * (1 / d2 + (1 - prod) / pp + 1);
        return;
    }
    case NTK_DUAL_SIN: {
        double b2 = sp->b * sp->b, h = 0.5 * sp->a * sp->a, c2 = cos(2 * sp->c);
        double s1 = exp(b2 * (q12 - 0.5 * (q11 + q22)));
        double s2 = exp(-b2 * (q12 + 0.5 * (q11 + q22))) * c2;
        *T = h * (s1 - s2);
        *Tp = h * b2 * (s1 + s2);
        return;
    }
    case NTK_DUAL_IDENTITY:
        *T = q12;
        *Tp = 1;
        return;
    case NTK_DUAL_QUAD:
        break;
    }
    *T = NAN;
    *Tp = NAN;
}

void ntk_dual_any(const ntk_dual_spec *sp, double q1, double q2, double q12, int same,
                  double *T, double *Tp)
{
    if (sp->kind != NTK_DUAL_QUAD) {
        ntk_dual_closed(sp, q1, q2, q12, same, T, Tp);
        return;
    }
    if (same) {
        ntk_quad_same(&sp->act, q1, T, Tp);
        return;
    }
    double pr = q1 * q2;
    double den = (pr > 0 && isfinite(pr)) ? sqrt(pr) : sqrt(q1) * sqrt(q2);
    double rho = den > 0 ? q12 / den : 0;
    rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
    ntk_quad_dual(&sp->act, q1, q2, rho, T, Tp);
}

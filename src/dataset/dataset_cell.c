/* Cell classification (missing markers, numbers, booleans) and the helpers
 * that quote offending text in error messages (see dataset_internal.h). */
#include "dataset_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static inline int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Trim spaces and tabs: *b..*e is the trimmed text of s. */
static void trim(const char *s, const char **b, size_t *len)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        n--;
    *b = s;
    *len = n;
}

static int eq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && memcmp(s, lit, n) == 0;
}

int ds_missing_kind(const char *s)
{
    /* Fast path for the common case: a cell starting with a digit or sign. */
    char c0 = s[0];
    if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.')
        return DS_PRESENT;
    const char *b;
    size_t n;
    trim(s, &b, &n);
    if (n == 0 || eq(b, n, "NA") || eq(b, n, "N/A") || eq(b, n, "?"))
        return DS_MISSING;
    if (eq(b, n, "NaN") || eq(b, n, "nan"))
        return DS_MISSING_NAN;
    return DS_PRESENT;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int lower_eq(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

int ds_parse_number(const char *s, double *out)
{
    const char *p = s;
    while (is_blank(*p))
        p++;
    const char *start = p;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == 'i' || *p == 'I') {
        const char *b = p;
        size_t n = strlen(b);
        while (n && is_blank(b[n - 1]))
            n--;
        if (lower_eq(b, n, "inf") || lower_eq(b, n, "infinity"))
            return DS_NUM_NONFINITE;
        return DS_NUM_INVALID;
    }
    uint64_t mant = 0;
    int exp10 = 0, any = 0, inexact = 0;
    while (*p >= '0' && *p <= '9') {
        any = 1;
        if (mant < UINT64_C(100000000000000000))
            mant = mant * 10 + (uint64_t)(*p - '0');
        else {
            exp10++;
            inexact = 1;
        }
        p++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            any = 1;
            if (mant < UINT64_C(100000000000000000)) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                exp10--;
            } else if (*p != '0') {
                inexact = 1;
            }
            p++;
        }
    }
    if (!any)
        return DS_NUM_INVALID;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        if (!(*p >= '0' && *p <= '9'))
            return DS_NUM_INVALID;
        int e = 0;
        while (*p >= '0' && *p <= '9') {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
    }
    while (is_blank(*p))
        p++;
    if (*p != '\0')
        return DS_NUM_INVALID;
    double v;
    if (!inexact && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Exact operands and one rounding: correctly rounded (Clinger). */
        v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        if (neg)
            v = -v;
    } else {
        v = strtod(start, NULL);
    }
    if (!isfinite(v))
        return DS_NUM_NONFINITE;
    *out = v;
    return DS_NUM_OK;
}

int ds_parse_bool(const char *s, double *out)
{
    static const char *const yes[] = {"TRUE", "True", "true", "YES", "Yes", "yes", "Y", "y"};
    static const char *const no[] = {"FALSE", "False", "false", "NO", "No", "no", "N", "n"};
    const char *b;
    size_t n;
    trim(s, &b, &n);
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (eq(b, n, yes[i])) {
            *out = 1.0;
            return 1;
        }
        if (eq(b, n, no[i])) {
            *out = 0.0;
            return 1;
        }
    }
    return 0;
}

void ds_snippet(char *buf, size_t n, const char *s, size_t len)
{
    const size_t limit = 40;
    size_t o = 0;
    if (n < 8) {
        if (n)
            buf[0] = '\0';
        return;
    }
#define PUT(c)                       \
    do {                             \
        if (o + 1 < n)               \
            buf[o++] = (char)(c);    \
    } while (0)
    PUT('\'');
    size_t i;
    for (i = 0; i < len && i < limit && o + 8 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\r') {
            PUT('\\');
            PUT('r');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c == '\\' || c == '\'') {
            PUT('\\');
            PUT(c);
        } else if (c < 0x20 || c == 0x7f) {
            char hex[5];
            snprintf(hex, sizeof hex, "\\x%02x", c);
            for (int k = 0; hex[k]; k++)
                PUT(hex[k]);
        } else {
            PUT(c); /* UTF-8 bytes pass through */
        }
    }
    PUT('\'');
    if (i < len) {
        PUT('.');
        PUT('.');
        PUT('.');
    }
#undef PUT
    buf[o] = '\0';
}

void ds_column_label(char *buf, size_t n, const char *name, size_t c)
{
    if (name && name[0]) {
        char q[128];
        ds_snippet(q, sizeof q, name, strlen(name));
        snprintf(buf, n, "column %zu (%s)", c + 1, q);
    } else {
        snprintf(buf, n, "column %zu (unnamed)", c + 1);
    }
}

size_t ds_cell_line(const ntk_table *t, size_t r, size_t c)
{
    size_t line = t->line[r];
    for (size_t j = 0; j < c && j < t->n_cols; j++)
        for (const char *p = t->cells[r * t->n_cols + j]; (p = strchr(p, '\n')) != NULL; p++)
            line++;
    return line;
}

char *ds_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void ds_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    if (!p || bytes < 2 * huge)
        return;
    uintptr_t b = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (e > b)
        (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

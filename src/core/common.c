/* Error reports, progress and checked allocation (see ntk/common.h). */
#include "ntk/common.h"

#include "alloc_large.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

void ntk_error_clear(ntk_error *err)
{
    if (!err)
        return;
    err->status = NTK_OK;
    err->msg[0] = '\0';
}

ntk_status ntk_error_set(ntk_error *err, ntk_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
        /* Messages are one line: fold any newline a caller let through. */
        for (char *c = err->msg; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
    }
    return status;
}

const char *ntk_status_name(ntk_status status)
{
    switch (status) {
    case NTK_OK: return "ok";
    case NTK_EFAILED: return "failed";
    case NTK_EINPUT: return "bad input";
    case NTK_ENOMEM: return "out of memory";
    case NTK_EIO: return "input/output error";
    case NTK_ENUMERIC: return "numerical failure";
    }
    return "unknown status";
}

int ntk_progress_report(const ntk_progress *p, const char *stage, size_t done, size_t total)
{
    if (!p || !p->fn)
        return 0;
    return p->fn(p->ctx, stage, done, total);
}

size_t ntk_memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "MemAvailable: %llu kB", &v) == 1) {
            kb = (size_t)v;
            break;
        }
    }
    fclose(f);
    return kb * 1024;
}

static void format_bytes(size_t bytes, char *buf, size_t n)
{
    double b = (double)bytes;
    if (b >= 1024.0 * 1024 * 1024)
        snprintf(buf, n, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024)
        snprintf(buf, n, "%.1f MiB", b / (1024.0 * 1024));
    else
        snprintf(buf, n, "%zu bytes", bytes);
}

/* From this size on, blocks get huge pages (see alloc_large.h). */
#define HUGE_ALLOC_MIN ((size_t)2 << 20)

void *ntk_alloc_large(size_t bytes)
{
    if (bytes < HUGE_ALLOC_MIN)
        return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void *ntk_alloc_checked(size_t bytes, const char *what, ntk_error *err)
{
    if (bytes == 0)
        bytes = 1;
    size_t avail = ntk_memory_available();
    char need[64], have[64];
    if (avail && bytes > avail) {
        format_bytes(bytes, need, sizeof need);
        format_bytes(avail, have, sizeof have);
        ntk_error_set(err, NTK_ENOMEM, "%s needs %s but only %s of memory is available",
                      what ? what : "allocation", need, have);
        return NULL;
    }
    void *p = ntk_alloc_large(bytes);
    if (!p) {
        format_bytes(bytes, need, sizeof need);
        ntk_error_set(err, NTK_ENOMEM, "could not allocate %s for %s", need,
                      what ? what : "allocation");
    }
    return p;
}

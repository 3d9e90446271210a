/* Parameters, defaults and the automatic choice of the Nyström path
 * (ntk/nystrom.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/nystrom.h"
#include "ntk/solver.h"

#define DEFAULT_MIN_CENTERS 2000
#define DEFAULT_MAX_CENTERS 8000

void ntk_nystrom_params_init(ntk_nystrom_params *p)
{
    memset(p, 0, sizeof *p);
    p->selection = NTK_CENTERS_UNIFORM;
    p->keep_cross = -1;
    p->jitter = 1e-12;
    p->residual_rows = 1000;
}

const char *ntk_nystrom_params_check(const ntk_nystrom_params *p)
{
    if (p->selection != NTK_CENTERS_UNIFORM && p->selection != NTK_CENTERS_RPCHOLESKY &&
        p->selection != NTK_CENTERS_KMEANS)
        return "unknown center selection (uniform, rpcholesky or kmeans)";
    if (p->keep_cross < -1 || p->keep_cross > 1)
        return "keep_cross must be -1, 0 or 1";
    if (!(p->jitter >= 0.0) || !isfinite(p->jitter) || p->jitter > 1e-2)
        return "the center jitter must be between 0 and 1e-2";
    return NULL;
}

size_t ntk_nystrom_default_centers(size_t n, size_t k)
{
    size_t m = (size_t)ceil(sqrt((double)n)) * (k ? k : 1);
    if (m < DEFAULT_MIN_CENTERS)
        m = DEFAULT_MIN_CENTERS;
    if (m > DEFAULT_MAX_CENTERS)
        m = DEFAULT_MAX_CENTERS;
    return m < n ? m : n;
}

int ntk_nystrom_auto(size_t n, const double *times, size_t n_times, int float_kernel)
{
    if (n > NTK_NYSTROM_AUTO_N)
        return 1;
    int finite = 0;
    for (size_t t = 0; t < n_times; t++)
        finite |= !isinf(times[t]);
    double bytes = 8.0 * (double)n * (double)n;
    if (finite && n < NTK_CHEB_MIN_N)
        bytes *= 3.0;
    if (float_kernel)
        bytes *= 0.5;
    size_t avail = ntk_memory_available();
    return avail && bytes > 0.5 * (double)avail;
}

const char *ntk_center_method_name(ntk_center_method m)
{
    return m == NTK_CENTERS_RPCHOLESKY ? "rpcholesky" : m == NTK_CENTERS_KMEANS ? "kmeans" : "uniform";
}

void ntk_nystrom_fit_result_free(ntk_nystrom_fit_result *r)
{
    if (!r)
        return;
    free(r->centers);
    free(r->center_rows);
    free(r->times);
    free(r->coef);
    free(r->train_pred);
    free(r);
}

/* Error measures (see ntk/metrics.h). */
#include "ntk/metrics.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void ntk_metrics_regression(const double *y, const double *pred, size_t n,
                            ntk_regression_metrics *m)
{
    m->n = n;
    if (n == 0) {
        m->rmse = m->mae = m->r2 = NAN;
        return;
    }
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    double sse = 0.0, sae = 0.0, sst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = pred[i] - y[i];
        sse += e * e;
        sae += fabs(e);
        sst += (y[i] - mean) * (y[i] - mean);
    }
    m->rmse = sqrt(sse / (double)n);
    m->mae = sae / (double)n;
    m->r2 = (n >= 2 && sst > 0.0) ? 1.0 - sse / sst : NAN;
    if (isinf(sse) || isinf(sst) || isinf(sae)) {
        /* Values near the double range: squares overflow; redo the sums on
         * values divided by the largest magnitude u (r2 is scale-free). */
        double u = 0.0, mu = 0.0;
        for (size_t i = 0; i < n; i++)
            u = fmax(u, fmax(fabs(y[i]), fabs(pred[i])));
        if (!isfinite(u))
            return;
        for (size_t i = 0; i < n; i++)
            mu += y[i] / u;
        mu /= (double)n;
        sse = sae = sst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double e = pred[i] / u - y[i] / u;
            sse += e * e;
            sae += fabs(e);
            sst += (y[i] / u - mu) * (y[i] / u - mu);
        }
        m->rmse = sqrt(sse / (double)n) * u;
        m->mae = sae / (double)n * u;
        m->r2 = (n >= 2 && sst > 0.0) ? 1.0 - sse / sst : NAN;
    }
}

size_t ntk_argmax(const double *scores, size_t k)
{
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (scores[c] > scores[best])
            best = c;
    return best;
}

void ntk_metrics_classification(const size_t *labels, const size_t *pred, size_t n, size_t k,
                                size_t *confusion, ntk_classification_metrics *m)
{
    if (confusion)
        memset(confusion, 0, k * k * sizeof *confusion);
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        correct += labels[i] == pred[i];
        if (confusion && labels[i] < k && pred[i] < k)
            confusion[labels[i] * k + pred[i]]++;
    }
    m->n = n;
    m->n_correct = correct;
    m->accuracy = n ? (double)correct / (double)n : NAN;
}

/* Central-interval half widths in standard deviations: Φ⁻¹(0.75),
 * Φ⁻¹(0.95), Φ⁻¹(0.975). */
static const double interval_z[3] = {0.67448975019608171, 1.6448536269514722,
                                      1.959963984540054};

void ntk_metrics_calibration(const double *y, const double *mean, const double *var, size_t n,
                             double var_floor, ntk_calibration *out)
{
    double nlpd = 0.0;
    size_t in[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double v = var[i] > var_floor ? var[i] : var_floor;
        double e = y[i] - mean[i];
        nlpd += 0.5 * log(2.0 * M_PI * v) + 0.5 * e * e / v;
        double sd = sqrt(v);
        for (int c = 0; c < 3; c++)
            in[c] += fabs(e) <= interval_z[c] * sd;
    }
    out->nlpd = n ? nlpd / (double)n : NAN;
    for (int c = 0; c < 3; c++)
        out->coverage[c] = n ? (double)in[c] / (double)n : NAN;
}

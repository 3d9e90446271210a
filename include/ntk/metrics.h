/* ntk/metrics.h — error measures of predictions against targets. */
#ifndef NTK_METRICS_H
#define NTK_METRICS_H

#include <stddef.h>

#include "ntk/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Regression errors in the target's own units. R² = 1 − SSE/SST with SST
 * about the mean of y (NAN when n < 2 or y is constant). */
typedef struct {
    size_t n;
    double rmse, mae, r2;
} ntk_regression_metrics;

NTK_API void ntk_metrics_regression(const double *y, const double *pred, size_t n,
                            ntk_regression_metrics *m);

/* Index of the largest of k scores (the first one on ties). */
NTK_API size_t ntk_argmax(const double *scores, size_t k);

/* Classification: labels and predictions are class indices 0..k-1.
 * confusion (k×k, row = true class, column = predicted) may be NULL. */
typedef struct {
    size_t n, n_correct;
    double accuracy; /* NAN when n = 0 */
} ntk_classification_metrics;

NTK_API void ntk_metrics_classification(const size_t *labels, const size_t *pred, size_t n, size_t k,
                                size_t *confusion, ntk_classification_metrics *m);

/* Calibration of Gaussian predictive distributions N(mean[i], var[i]) against
 * observed y[i]: the mean negative log predictive density (nats per row) and
 * the fraction of y inside the central 50/90/95% intervals mean ± z·σ.
 * Variances below var_floor (> 0) are raised to it, so a zero predictive
 * variance does not make the NLPD infinite. All NAN when n = 0. */
typedef struct {
    double nlpd;
    double coverage[3]; /* 50%, 90%, 95% */
} ntk_calibration;

NTK_API void ntk_metrics_calibration(const double *y, const double *mean, const double *var, size_t n,
                             double var_floor, ntk_calibration *out);

#ifdef __cplusplus
}
#endif
#endif

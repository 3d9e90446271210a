/* ntk/metrics.h — error measures of predictions against targets. */
#ifndef NTK_METRICS_H
#define NTK_METRICS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Regression errors in the target's own units. R² = 1 − SSE/SST with SST
 * about the mean of y (NAN when n < 2 or y is constant). */
typedef struct {
    size_t n;
    double rmse, mae, r2;
} ntk_regression_metrics;

void ntk_metrics_regression(const double *y, const double *pred, size_t n,
                            ntk_regression_metrics *m);

/* Index of the largest of k scores (the first one on ties). */
size_t ntk_argmax(const double *scores, size_t k);

/* Classification: labels and predictions are class indices 0..k-1.
 * confusion (k×k, row = true class, column = predicted) may be NULL. */
typedef struct {
    size_t n, n_correct;
    double accuracy; /* NAN when n = 0 */
} ntk_classification_metrics;

void ntk_metrics_classification(const size_t *labels, const size_t *pred, size_t n, size_t k,
                                size_t *confusion, ntk_classification_metrics *m);

#ifdef __cplusplus
}
#endif
#endif

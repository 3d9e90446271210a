"""scikit-learn's own estimator checks, every one that applies.

Not run by scikit-learn for these estimators (nothing skipped here):
check_estimators_nan_inf, because NaN is a missing value that the library's
encoder imputes (tag allow_nan; infinities are still refused), and the
sample_weight checks, because fit takes no sample weights."""
from sklearn.utils.estimator_checks import parametrize_with_checks

import ntk


@parametrize_with_checks([ntk.NTKRegressor(), ntk.NTKClassifier(),
                          ntk.NTKRegressor(depth=2, times=(1.0, 100.0), time_scale="mean",
                                           reg=1e-3, reg_scale="relative")])
def test_sklearn_check(estimator, check):
    check(estimator)

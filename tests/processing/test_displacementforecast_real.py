"""displacementforecast's default on real series cut at 70 % of their dates and forecast at the rest (tests/data,
with their licences): Boissano RADARSAT PS and EGMS Ustica descending 22. Its RMSE is within 1.05x the line's and
most held-out values fall within 2 sigma of its forecasts."""

import os

import numpy as np
import pytest
from testutils import dated_point_series

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
SETS = {"boissano": os.path.join(DATA, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp"),
        "ustica_desc": os.path.join(DATA, "egms_ustica", "desc_022_subset.gpkg")}


def _dated(path, n_series=120):
    """``(dates, (n_dates, m) mm)``: up to ``n_series`` complete series of the layer, drawn with a fixed seed."""
    dates, d = dated_point_series(path)
    d = d[:, np.isfinite(d).all(axis=0)]
    keep = np.random.default_rng(0).choice(d.shape[1], min(n_series, d.shape[1]), replace=False)
    return dates, d[:, np.sort(keep)]


@pytest.mark.parametrize("name", sorted(SETS))
def test_default_is_no_worse_than_the_line_and_its_sigma_covers(qgis_app, name):
    from insar_geohazards.algorithms.hazard import forecast as fc

    dates, d = _dated(SETS[name])
    k = int(round(0.7 * len(dates)))
    best = fc.forecast_series(d[:k], dates[:k], dates[k:])
    line = fc.forecast_series(d[:k], dates[:k], dates[k:], model="linear")
    # the line checked against numpy's polyfit, written apart from the plugin's fit
    x = np.array([(q - dates[0]).days for q in dates]) / 365.25
    coef = np.polyfit(x[:k], d[:k, 0], 1)
    assert np.allclose(line.value_mm[:, 0], np.polyval(coef, x[k:]), rtol=1e-8, atol=1e-8)
    rmse = np.sqrt(np.mean((d[k:] - best.value_mm) ** 2))
    rmse_line = np.sqrt(np.mean((d[k:] - line.value_mm) ** 2))
    assert rmse <= 1.05 * rmse_line, (rmse, rmse_line)
    coverage = np.mean(np.abs(d[k:] - best.value_mm) <= 2 * best.sigma_mm)
    assert 0.78 <= coverage <= 0.99, coverage
    estimate = fc.coverage_share(best.coverage_hits.sum(), best.coverage_count.sum())
    assert 0.85 <= estimate <= 0.99, estimate

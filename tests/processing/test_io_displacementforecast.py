"""fileio/hazard/displacementforecast.py: the metadata the forecast rasters carry, the point table, the block writer's
hold-out sums (the same for any block layout)."""

import datetime as dt

import numpy as np
import pytest
from testutils import write_geotiff

FDATES = [dt.date(2026, 1, 1), dt.date(2027, 1, 1)]


def test_metadata_is_carried_and_the_acquisition_dates_replaced(qgis_app, tmp_path):
    from insar_geohazards.fileio.hazard.displacementforecast import carried_metadata

    path = write_geotiff(tmp_path / "ts.tif", np.zeros((2, 3, 3)), descriptions=["2020-01-01", "2020-02-01"],
                         metadata={"REFERENCE_DATE": "2020-01-01", "SIGN": "LOS positive toward the satellite",
                                   "DATES": "2020-01-01,2020-02-01", "HEADING_DEG": "-12.1"})
    md = carried_metadata(path, FDATES, "best", "bic", 4)
    assert md["REFERENCE_DATE"] == "2020-01-01" and md["HEADING_DEG"] == "-12.1"
    assert md["SIGN"] == "LOS positive toward the satellite" and md["UNIT"] == "mm"
    assert md["DATES"] == "2026-01-01,2027-01-01" and md["FORECAST_HOLDOUT_DATES"] == "4"
    assert md["MODEL_CODES"].startswith("1=linear, 2=annual")


def test_point_fields_keep_attributes_and_drop_the_acquisitions(qgis_app):
    from insar_geohazards.algorithms.hazard.forecast import Forecast
    from insar_geohazards.fileio.hazard.displacementforecast import point_fields
    from insar_geohazards.fileio.motion.points import DatedFeatures

    dates = [dt.date(2020, 1, 1), dt.date(2020, 1, 13), dt.date(2020, 1, 25)]
    data = DatedFeatures(dates, ["D20200101", "D20200113", "D20200125"], np.zeros((3, 2)), {"PID": np.array([7, 8])})
    at = np.full((4, 2), -1)
    at[:2, 0] = [1, 2]
    res = Forecast(np.array([[1.0, np.nan], [2.0, np.nan]]), np.array([[0.5, np.nan], [0.7, np.nan]]),
                   np.array([1, 0], np.uint8), np.zeros(2), np.zeros(2), None, np.zeros(2), np.zeros(2),
                   np.array([2, 0]), at, np.array([True, False]), np.array([3, 0], np.uint8), np.array([1.5, np.nan]),
                   np.array([0.6, np.nan]), np.array([True, False]))
    fields = point_fields(data, res, FDATES)
    assert list(fields) == ["PID", "MODEL", "MODEL_NAME", "STEPS", "STEPS_USED", "STEP_DATES", "CLOSE", "RUNNER_UP",
                            "GAP_IC", "MODEL_WEIGHT", "D20260101", "D20270101", "S20260101", "S20270101"]
    assert list(fields["MODEL_NAME"]) == ["linear", None] and list(fields["MODEL"]) == [1, 0]
    assert fields["S20270101"][0] == 0.7
    assert list(fields["STEP_DATES"]) == ["2020-01-13,2020-01-25", None] and list(fields["STEPS"]) == [2, 0]
    assert list(fields["STEPS_USED"]) == [1, 0] and list(fields["CLOSE"]) == [1, 0]
    assert list(fields["RUNNER_UP"]) == [3, 0] and fields["MODEL_WEIGHT"][0] == 0.6


def test_holdout_sums_do_not_depend_on_the_blocks(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard.displacementforecast import RasterOutputs

    info = raster_info(write_geotiff(tmp_path / "g.tif", np.zeros((6, 4))))
    rng = np.random.default_rng(0)
    sse, count = rng.random(6) * 1e3, rng.integers(0, 5, 6).astype(float)
    hits = np.floor(count * rng.random(6) * 10)
    totals = []
    for cuts in ((0, 6), (0, 1, 2, 3, 4, 5, 6), (0, 4, 6)):
        sink = RasterOutputs({}, info, FDATES, {})

        class B:
            def __init__(self, r0):
                self.row0 = r0

        for a, b in zip(cuts[:-1], cuts[1:]):
            by_model = np.zeros((b - a, 7))
            by_model[:, 1] = hits[a:b]
            steps = np.zeros((6, b - a, 4), np.int32)
            steps[0, :, 0] = 1
            choice = np.zeros((4, b - a, 4), np.float32)
            choice[0, :, :2] = 1
            sink(B(a), {"forecast": None, "sigma": None, "model": np.ones((b - a, 4), np.uint8), "sse": sse[a:b],
                        "count": count[a:b], "cover_hits": hits[a:b], "cover_count": 10 * count[a:b],
                        "cover_hits_by_model": by_model, "cover_count_by_model": 10 * by_model / np.maximum(
                            hits[a:b, None], 1) * count[a:b, None], "steps": steps, "choice": choice})
        totals.append(sink.summary())
    assert len({t["rmse"] for t in totals}) == 1
    assert len({t["coverage"] for t in totals}) == 1
    assert len({t["coverage_by_model"][1] for t in totals}) == 1
    assert totals[0]["coverage"] == pytest.approx(hits.sum() / (10 * count.sum()))
    assert totals[0]["counts"][1] == 24
    assert (totals[0]["found"], totals[0]["close"], totals[0]["used"]) == (6, 12, 0)

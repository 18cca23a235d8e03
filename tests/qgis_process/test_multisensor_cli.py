"""multisensortimeseries through headless ``qgis_process --json run``: two per-date series (repeated SERIES=) and a
manifest of an interferogram stack, outputs written with the dock's metadata."""

import csv

import numpy as np
from testutils_cli import requires_qgis_process, run_json
from testutils_multisensor import scene

pytestmark = requires_qgis_process


def test_series_and_manifest(tmp_path):
    from osgeo import gdal

    sc = scene(str(tmp_path / "in"))
    out = tmp_path / "out"
    out.mkdir()
    res = run_json("multisensortimeseries", {
        "SERIES": sc["series"], "MANIFEST": sc["manifest"], "INCIDENCES": "36,41", "HEADINGS": "-12,192",
        "OUTPUT_UP": str(out / "up.tif"), "OUTPUT_EAST": str(out / "east.tif"),
        "OUTPUT_SIGMA_UP": str(out / "sup.tif"), "OUTPUT_SIGMA_EAST": str(out / "se.tif"),
        "OUTPUT_VELOCITY": str(out / "v.tif"), "OUTPUT_REPORT": str(out / "r.csv")})
    ds = gdal.Open(res["OUTPUT_UP"])
    assert ds.GetMetadata()["TIMESERIES_COMPONENT"] == "UP"
    assert ds.GetRasterBand(1).GetDescription() == "2019-01-03"
    v = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    # the bowl subsides at 25 mm/yr at its centre (row ~10, col 11)
    assert -30 < v[1, 10, 11] < -18 and np.isfinite(v[1]).mean() > 0.9
    with open(res["OUTPUT_REPORT"], encoding="utf-8") as fh:
        assert [r["stack"] for r in csv.DictReader(fh)] == ["s1_asc", "s1_desc", "tsx_asc"]

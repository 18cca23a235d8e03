"""geohazard:unwrap through headless ``qgis_process --json``: tiled built-in unwrapping (MAX_MEMORY_MB).

The tiled run starts ``qgis_process.bin``; the run with a velocity prior takes the same ``KEY=value`` strings in
this test process's QGIS (testutils_cli.in_app: the provider's parameter check and run as qgis_process makes them),
about 2.7 CPU-s less than a start of qgis_process."""

import os

import numpy as np
from testutils_cli import in_app_json, requires_qgis_process, run_json
from testutils_unwrap import correct_share, synthetic_interferogram

pytestmark = requires_qgis_process


def test_unwrap_in_tiles_json(tmp_path):
    from osgeo import gdal
    from testutils import write_geotiff

    d = synthetic_interferogram(300, 60, seed=8, bowls=((0.5, 0.5, -35.0, 14.0),), holes=())
    ifg = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", d["wrapped"])
    coh = write_geotiff(tmp_path / "coh.tif", d["coherence"])
    res = run_json("unwrap", {"INPUT": [ifg], "COHERENCE": [coh], "MAX_MEMORY_MB": 1, "OUTPUT": str(tmp_path / "unw"),
                              "OUTPUT_REPORT": str(tmp_path / "r.csv")})
    unw = gdal.Open(os.path.join(res["OUTPUT"], "20200101_20200113.unw.tif")).ReadAsArray()
    cc = gdal.Open(os.path.join(res["OUTPUT"], "20200101_20200113.conncomp.tif")).ReadAsArray()
    assert correct_share(unw, cc, d["truth"], d["land"] & (d["coherence"] >= 0.3)) > 0.98
    with open(res["OUTPUT_REPORT"]) as fh:
        header, row = fh.read().splitlines()[:2]
    assert dict(zip(header.split(","), row.split(",")))["tiles"] == "2"
    assert np.isfinite(unw).mean() > 0.5


def test_unwrap_with_a_velocity_prior_json(qgis_app, tmp_path):
    """A steep basin (gradients beyond pi per pixel) with a velocity prior in mm/yr, end to end."""
    import sys

    from osgeo import gdal
    from testutils import write_geotiff

    from insar_geohazards.algorithms import conventions

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core"))
    from test_unwrap_unwrap_prior import steep_basin

    wrapped, truth = steep_basin()
    ifg = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", wrapped,
                        metadata={"WAVELENGTH_METRES": "0.0554658"})
    velocity = conventions.phase_to_los_mm(0.8 * truth, 0.0554658) / (12 / 365.25)
    prior = write_geotiff(tmp_path / "velocity.tif", velocity)
    res = in_app_json("unwrap", {"INPUT": [ifg], "PRIOR": [prior], "PRIOR_UNITS": 2, "MIN_COMPONENT_PIXELS": 10,
                                 "OUTPUT": str(tmp_path / "unw"), "OUTPUT_REPORT": str(tmp_path / "r.csv")})
    unw = gdal.Open(os.path.join(res["OUTPUT"], "20200101_20200113.unw.tif")).ReadAsArray()
    cc = gdal.Open(os.path.join(res["OUTPUT"], "20200101_20200113.conncomp.tif")).ReadAsArray()
    assert correct_share(unw, cc, truth, np.ones(truth.shape, bool)) >= 0.99
    with open(res["OUTPUT_REPORT"]) as fh:
        header, row = fh.read().splitlines()[:2]
    assert float(dict(zip(header.split(","), row.split(",")))["prior_share"]) > 0.85

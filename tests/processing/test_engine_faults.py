"""okadaforward and coulombstress grids on the block engine: pinned to the loops they replaced.

Real Coulomb 3.x inputs (tests/data/coulomb_inputs), grids with several blocks (the row
budget is per point: 200 000 for Okada, 50 000 for Coulomb), fixed and optimally oriented
receivers, several depths; bytes must equal the frozen loops' (tests/engine_reference.py)
in the same session, and a LocalCluster run must equal the local run.
"""

import os

import numpy as np
import pytest
from engine_reference import coulomb_grid_frozen, okada_grid_frozen
from testutils_faults import DATA, read_raster


def _sources(alg, params):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    from insar_geohazards.fileio.faults.faults import read_source_faults

    ctx = QgsProcessingContext()
    sources, crs, cin = alg.read_sources(params, ctx)  # as the tool hands them to its run, which reads them
    return read_source_faults(sources), cin, ctx, QgsProcessingFeedback()


def _grid(alg, params, ctx, crs_faults):
    from insar_geohazards.processing_provider.tools.faults._common import _grid as grid

    return grid(alg, params, ctx, crs_faults, "EXTENT", "PIXEL_SIZE")


def test_okadaforward_equals_the_frozen_loop(alg, run_alg, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem

    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    params = {"COULOMB_INP": os.path.join(DATA, "Example-1.inp"), "CRS": "EPSG:32610",
              "EXTENT": "-100000,100000,-100000,100000 [EPSG:32610]", "PIXEL_SIZE": 400.0, "INCIDENCE": 35.0,
              "HEADING": 190.0, "OUTPUT": str(tmp_path / "d.tif")}  # 500 x 500 pixels: 2 blocks of 400 rows
    out = run_alg("okadaforward", params)["OUTPUT"]
    a = alg("okadaforward")
    faults, cin, ctx, _ = _sources(a, params)
    gt, nrows, ncols = _grid(a, params, ctx, QgsCoordinateReferenceSystem("EPSG:32610"))
    ref = okada_grid_frozen(gt, nrows, ncols, faults.table(), cin.poisson,
                            np.array(los_unit_vector(35.0, 190.0), dtype=float).reshape(3))
    arr, _, _ = read_raster(out)
    assert arr.tobytes() == ref.tobytes() and np.abs(ref).max() > 100.0


@pytest.mark.parametrize("optimal", [False, True])
def test_coulombstress_equals_the_frozen_loop(alg, run_alg, tmp_path, optimal):
    from qgis.core import QgsCoordinateReferenceSystem

    from insar_geohazards.algorithms.faults.stress import regional_stress_tensor

    params = {"COULOMB_INP": os.path.join(DATA, "simple_receiver_bm.inp"), "CRS": "EPSG:32610",
              "DEPTHS": "5, 10", "EXTENT": "-60000,60000,-60000,60000 [EPSG:32610]", "PIXEL_SIZE": 500.0,
              "UNITS": 0, "OPTIMAL": optimal, "RECEIVER_STRIKE": 30.0, "RECEIVER_DIP": 60.0, "RECEIVER_RAKE": 90.0,
              "OUTPUT": str(tmp_path / "c.tif")}  # 240 x 240 pixels, blocks of 208 rows
    out = run_alg("coulombstress", params)["OUTPUT"]
    a = alg("coulombstress")
    faults, cin, ctx, _ = _sources(a, params)
    gt, nrows, ncols = _grid(a, params, ctx, QgsCoordinateReferenceSystem("EPSG:32610"))
    rec = {} if optimal else {"strike_deg": 30.0, "dip_deg": 60.0, "rake_deg": 90.0}
    ref = coulomb_grid_frozen(gt, nrows, ncols, faults.table(), [5000.0, 10000.0],
                              regional=regional_stress_tensor(cin.regional) if optimal else None,
                              mu=cin.shear_modulus_pa, nu=cin.poisson, friction=cin.friction, rec=rec, scale=1e5)
    arr, _, _ = read_raster(out)
    assert arr.tobytes() == ref.tobytes() and np.isfinite(ref).mean() > 0.9


def test_elastic_grids_on_a_dask_localcluster_equal_the_local_run(run_alg, tmp_path):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    base = {"COULOMB_INP": os.path.join(DATA, "simple_receiver_bm.inp"), "CRS": "EPSG:32610",
            "EXTENT": "-60000,60000,-60000,60000 [EPSG:32610]", "PIXEL_SIZE": 500.0}
    got = []
    for sched in ("", "local"):
        c = run_alg("coulombstress", {**base, "DEPTHS": "7", "DASK_SCHEDULER": sched,
                                      "OUTPUT": str(tmp_path / f"c{sched}.tif")})["OUTPUT"]
        o = run_alg("okadaforward", {**base, "DASK_SCHEDULER": sched, "OUTPUT": str(tmp_path / f"o{sched}.tif")})
        got.append((read_raster(c)[0], read_raster(o["OUTPUT"])[0]))
    assert got[0][0].tobytes() == got[1][0].tobytes() and got[0][1].tobytes() == got[1][1].tobytes()

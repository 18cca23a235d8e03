"""geohazard:referencepoint on small synthetic stacks with a known truth and on the Mexico City stack."""

from __future__ import annotations

import os

import numpy as np
import testutils_hostile as hk
from testutils_stack_corrections import MEXICO, _read


def test_referencepoint_mexico_city_outside_the_bowl_and_feeds_sbas(qgis_app, tmp_path):
    g = os.path.join(MEXICO, "geotiffs")
    res = hk.run("referencepoint", {"INTERFEROGRAMS": g, "COHERENCE": g, "OUTPUT": str(tmp_path / "ref.gpkg"),
                                    "OUTPUT_REPORT": str(tmp_path / "ref.csv")})
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    f = next(iter(ds.GetLayer(0)))
    col = f["COL"]
    ds = None
    assert col < 60  # the subsidence bowl fills columns 70+ (SBAS velocities < -180 mm/yr there)
    assert res["REFERENCE_POINT"].endswith("[EPSG:4326]")
    res2 = hk.run("stackingvelocity", {"INTERFEROGRAMS": g, "REFERENCE": res["REFERENCE_POINT"],
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    v = _read(res2["OUTPUT_VELOCITY"])
    assert np.isfinite(v).mean() > 0.9 and np.nanpercentile(v[:, 70:], 10) < -100

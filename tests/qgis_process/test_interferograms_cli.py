"""The Interferograms tools through headless ``qgis_process --json``: interferogramfilter on a folder of wrapped
interferograms, with looks, its outputs named as the inputs on the looked grid."""

import os

import numpy as np
from testutils_cli import requires_qgis_process, run_json
from testutils_unwrap import synthetic_interferogram

pytestmark = requires_qgis_process


def test_interferogramfilter_on_a_folder_json(tmp_path):
    from osgeo import gdal
    from testutils import write_geotiff

    folder = tmp_path / "wrapped"
    folder.mkdir()
    pairs = ["20200101_20200113", "20200113_20200125"]
    truths, raws = [], []
    for k, pair in enumerate(pairs):
        d = synthetic_interferogram(128, 160, seed=k, bowls=((0.5, 0.5, -30.0, 24.0),), holes=(), water=False, looks=1,
                                    coh_range=(0.5, 0.9))
        write_geotiff(folder / f"{pair}.wrapped.tif", d["wrapped"])
        truths.append(d["truth"])
        raws.append(d["wrapped"])
    res = run_json("interferogramfilter", {"INPUT": str(folder), "ALPHA": 0.7, "LOOKS_Y": 2, "LOOKS_X": 2,
                                           "OUTPUT": str(tmp_path / "flt"), "OUTPUT_COHERENCE": str(tmp_path / "coh")})
    assert sorted(os.listdir(res["OUTPUT"])) == [f"{p}.wrapped.tif" for p in pairs]
    assert sorted(os.listdir(res["OUTPUT_COHERENCE"])) == [f"{p}.coh.tif" for p in pairs]
    ds = gdal.Open(os.path.join(res["OUTPUT"], f"{pairs[0]}.wrapped.tif"))
    assert (ds.RasterYSize, ds.RasterXSize) == (64, 80) and ds.GetGeoTransform()[1] == 60.0
    filtered = ds.ReadAsArray()
    ds = None
    truth = np.angle(np.exp(1j * truths[0]).reshape(64, 2, 80, 2).mean(axis=(1, 3)))
    looked = np.angle(np.exp(1j * raws[0]).reshape(64, 2, 80, 2).mean(axis=(1, 3)))

    def err(phase):
        return np.sqrt(np.mean(np.angle(np.exp(1j * (phase - truth))) ** 2))

    assert err(filtered) < 0.6 * err(looked), (err(filtered), err(looked))

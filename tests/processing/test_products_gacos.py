"""LiCSAR's GACOS maps as delivered feed troposphericcorrection's delay path (DELAYS empty).

LiCSAR serves one GACOS map per epoch, ``epochs/<date>/<date>.sltd.geo.tif`` (LiCSBAS01_get_geotiff.py
``--get_gacos`` puts them in ``GACOS/`` beside ``GEOC``): the slant total delay in radians of phase, 0 = no data;
COMET's tools subtract map(second) - map(first) from the unwrapped phase (licsar_proc ``make_gacos_ifg``:
``gmt grdmath <second> <first> SUB``). The oracle: a frame whose interferograms carry a known delay, corrected with the
frame's own maps, gives back the interferograms without it.
"""

import os

import numpy as np
import pytest
from testutils import read_array, recording_feedback
from testutils_products import LICSAR_GT, Truth, _name, licsar_frame, write_tif


def _delay(truth, k):
    rows, cols = truth.shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    return 3.0 + 1.5 * np.sin(0.3 * xx + k) + 0.1 * k * yy / rows  # radians, never 0 (LiCSAR's no data)


@pytest.mark.parametrize("layout", ["GEOC", "portal"])
def test_licsar_gacos_maps_remove_the_delay_they_describe(run_alg, tmp_path, layout):
    from osgeo import gdal

    t = Truth()
    top = licsar_frame(tmp_path / "w", t, layout=layout, gacos=True)
    pair_dir = top if layout == "GEOC" else os.path.join(top, "interferograms")
    clean = {}
    for k, d in enumerate(t.dates):  # the frame's maps: a known delay per epoch
        folder = os.path.join(top, "epochs", f"{d:%Y%m%d}") if layout != "GEOC" else \
            os.path.join(str(tmp_path / "w"), "GACOS")
        write_tif(os.path.join(folder, f"{d:%Y%m%d}.sltd.geo.tif"), _delay(t, k), geotransform=LICSAR_GT)
    for pair in t.pairs:  # the interferograms carry them: + map(second) - map(first)
        path = os.path.join(pair_dir, _name(pair), _name(pair) + ".geo.unw.tif")
        unw = gdal.Open(path).ReadAsArray().astype(np.float64)
        clean[_name(pair)] = unw.astype(np.float32)
        k1, k2 = t.dates.index(pair[0]), t.dates.index(pair[1])
        write_tif(path, np.where(unw != 0, unw + _delay(t, k2) - _delay(t, k1), 0.0), geotransform=LICSAR_GT)
    fb = recording_feedback()
    res = run_alg("troposphericcorrection", {"INTERFEROGRAMS": top, "METHOD": 2, "OUTPUT": str(tmp_path / "out")},
                  feedback=fb)
    assert "LiCSAR's GACOS slant delays of the frame's 7 epochs" in fb.text
    files = sorted(f for f in os.listdir(res["OUTPUT"]) if f.endswith(".tif"))
    assert len(files) == len(t.pairs)
    for f in files:
        name = f[:17]
        got = read_array(os.path.join(res["OUTPUT"], f))
        want = clean[name]
        ok = want != 0
        np.testing.assert_allclose(got[ok], want[ok], atol=2e-5)
        assert np.isnan(got[~ok]).all()


def test_a_missing_gacos_epoch_is_named(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    t = Truth()
    top = licsar_frame(tmp_path / "w", t, layout="portal", gacos=True)
    d = t.dates[3]
    os.remove(os.path.join(top, "epochs", f"{d:%Y%m%d}", f"{d:%Y%m%d}.sltd.geo.tif"))
    with pytest.raises(QgsProcessingException, match=rf"no GACOS map .* for 1 of its 7 dates, e.g. {d:%Y%m%d}"):
        run_alg("troposphericcorrection", {"INTERFEROGRAMS": top, "METHOD": 2, "OUTPUT": str(tmp_path / "out")})

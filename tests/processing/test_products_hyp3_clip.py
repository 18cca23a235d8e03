"""HyP3 products clipped by ASF's MintPy recipe, read as delivered by the stack tools.

The recipe ("Time series analysis with HyP3 and MintPy", ASFHyP3/hyp3-docs ``docs/tutorials/
hyp3_insar_stack_for_ts_analysis.ipynb``, section 3.1) extracts each product's zip, takes the common overlap of
the products (``get_common_overlap``: the largest upper-left x, smallest upper-left y ...) and writes, beside each
of the product's ``_water_mask``, ``_corr``, ``_unw_phase``, ``_dem``, ``_lv_theta`` and ``_lv_phi`` GeoTIFFs, a
copy clipped with ``gdal.Translate(projWin=overlap)`` named ``f'{file.stem}_clipped{file.suffix}'`` (``_clip.tif``
in its earlier versions and MintPy's HyP3 examples); the product's ``.txt`` stays in its folder. Products are made by
tests/testutils_products.py (hyp3-gamma's layout). Truths: the planted velocity on the common window, the products'
baselines (``Baseline:`` of each ``.txt``).
"""

import glob
import os

import numpy as np
import pytest
from testutils import read_raster, recording_feedback
from testutils_products import HYP3_ORIGIN, Truth, hyp3_common_window, hyp3_products

REF = "394960,3960720 [EPSG:32611]"  # inside every product, still ground
RECIPE = ("_water_mask.tif", "_corr.tif", "_unw_phase.tif", "_dem.tif", "_lv_theta.tif", "_lv_phi.tif")


def _recipe(root, suffix):
    """Section 3.1 of the recipe on the products under ``root`` (each clipped file beside its original)."""
    from osgeo import gdal

    corners = [gdal.Info(f, format="json")["cornerCoordinates"] for f in glob.glob(os.path.join(root, "*",
                                                                                                  "*_dem.tif"))]
    overlap = [max(c["upperLeft"][0] for c in corners), min(c["upperLeft"][1] for c in corners),
               min(c["lowerRight"][0] for c in corners), max(c["lowerRight"][1] for c in corners)]
    for ext in RECIPE:
        for f in glob.glob(os.path.join(root, "*", f"*{ext}")):
            gdal.Translate(f[:-4] + f"{suffix}.tif", f, projWin=overlap)


def _products(tmp_path, suffix="_clip"):
    t = Truth()
    shifts = {p: (k % 3 - 1, (k * 2) % 5 - 2) for k, p in enumerate(t.pairs)}
    hyp3_products(tmp_path / "data", t, shifts=shifts)
    _recipe(str(tmp_path / "data"), suffix)
    return t, shifts


def _velocity(run_alg, tmp_path, given, name, fb=None):
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": given, "REFERENCE": REF, "MIN_TEMPORAL_COHERENCE": 0,
                                    "OUTPUT_VELOCITY": str(tmp_path / f"{name}_v.tif"),
                                    "OUTPUT_TIMESERIES": str(tmp_path / f"{name}_ts.tif")}, feedback=fb)
    return res


@pytest.mark.parametrize("suffix", ["_clip", "_clipped"])
def test_recipe_folder_reads_the_clipped_files_and_gives_the_truth(run_alg, tmp_path, suffix):
    t, shifts = _products(tmp_path, suffix)
    fb = recording_feedback()
    res = _velocity(run_alg, tmp_path, str(tmp_path / "data"), "a", fb)
    vel, ds = read_raster(res["OUTPUT_VELOCITY"])
    rw, cw = hyp3_common_window(t, shifts)
    np.testing.assert_allclose(vel, t.velocity[rw, cw], atol=2e-3)
    assert ds.GetGeoTransform()[0] == HYP3_ORIGIN[0] + cw.start * 80.0
    assert "15 product(s) read from the GeoTIFFs ASF's MintPy recipe clipped to the common overlap" in fb.text
    assert "unclipped copies of the files clipped by ASF's MintPy recipe" in fb.text
    assert "the pairs cover different areas" not in fb.text  # the clipped files share one grid


def test_clipped_files_alone_and_as_a_list_take_the_txt_beside_them(run_alg, tmp_path):
    """The originals deleted (the folder of clipped files), and the clipped files given one by one: the same stack,
    the products' baselines from their .txt (before, a list ran without them)."""
    t, shifts = _products(tmp_path)
    for ext in RECIPE:
        for f in glob.glob(os.path.join(str(tmp_path / "data"), "*", f"*{ext}")):
            os.remove(f)
    listed = sorted(glob.glob(os.path.join(str(tmp_path / "data"), "*", "*_unw_phase_clip.tif"))
                    + glob.glob(os.path.join(str(tmp_path / "data"), "*", "*_corr_clip.tif")))
    fb = recording_feedback()
    a = _velocity(run_alg, tmp_path, str(tmp_path / "data"), "a")
    b = _velocity(run_alg, tmp_path, listed, "b", fb)
    for key in ("OUTPUT_VELOCITY", "OUTPUT_TIMESERIES"):
        assert read_raster(a[key])[0].tobytes() == read_raster(b[key])[0].tobytes(), key
    rw, cw = hyp3_common_window(t, shifts)
    np.testing.assert_allclose(read_raster(b["OUTPUT_VELOCITY"])[0], t.velocity[rw, cw], atol=2e-3)
    md = read_raster(b["OUTPUT_TIMESERIES"])[1].GetMetadata()
    bperp = [float(v) for v in md["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(bperp, [t.bperp[d] - t.bperp[t.dates[0]] for d in t.dates], atol=1e-3)
    assert abs(float(md["HEADING_DEG"]) % 360 - (-12.5 % 360)) < 1e-6
    assert "perpendicular baselines of the 15 interferograms: from the products' .txt files" in fb.text


def test_a_truncated_clipped_file_is_named(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    _products(tmp_path)
    victim = sorted(glob.glob(os.path.join(str(tmp_path / "data"), "*", "*_unw_phase_clip.tif")))[3]
    with open(victim, "r+b") as fh:
        fh.truncate(200)
    with pytest.raises(QgsProcessingException, match=os.path.basename(victim)[:40]):
        run_alg("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "data"), "REFERENCE": REF,
                                     "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    assert not os.path.exists(tmp_path / "v.tif")

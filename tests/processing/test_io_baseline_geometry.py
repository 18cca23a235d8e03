"""BASELINES given as a product brings the product's geometry with its baselines: a time series that carries no
slant range or incidence is corrected for its DEM error with nothing typed, the values read from the product's own
files (LiCSAR metadata.txt, HyP3 .txt loose or in zips, ISCE2 reference/IW*.xml and los.rdr, MintPy's geometry file
or attributes); the log names the file and the value, and a typed value that contradicts the product is a warning
naming both. The expected values are what each producer writes (tests/testutils_products.py cites the layouts)."""

import os
import re

import numpy as np
import pytest
from testutils import recording_feedback, write_geotiff
from testutils_products import Truth, hyp3_products, licsar_frame


def _series(tmp_path, t: Truth) -> str:
    """A time series (mm) of ``t``'s dates that carries no geometry and no baselines."""
    ts = np.stack([t.disp_mm(d) for d in t.dates]).astype(np.float32)
    return write_geotiff(str(tmp_path / "series" / "ts.tif"), ts, descriptions=[d.isoformat() for d in t.dates])


def _run(run_alg, tmp_path, t, baselines, **extra):
    fb = recording_feedback()
    os.makedirs(tmp_path / "out", exist_ok=True)
    res = run_alg("demerrorcorrection", {"INPUT": _series(tmp_path, t), "BASELINES": baselines,
                                         "OUTPUT": str(tmp_path / "out" / "c.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "out" / "dz.tif"), **extra}, feedback=fb)
    assert os.path.exists(res["OUTPUT"])
    want = ", ".join(f"{t.bperp[d] - t.bperp[t.dates[0]]:+.1f}" for d in t.dates)
    assert f"perpendicular baselines (m) of the dates: {want}" in fb.text
    return fb


def _logged(fb, name: str) -> float:
    hit = re.search(rf"{name} ([0-9.]+) (m|deg): (.*)", fb.text)
    assert hit, fb.text
    return float(hit.group(1))


def test_a_licsar_frame_s_baselines_bring_its_metadata_txt(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    fb = _run(run_alg, tmp_path, t, [os.path.join(geoc, "baselines")])
    assert _logged(fb, "slant range") == pytest.approx(880461.8)
    assert _logged(fb, "incidence angle") == pytest.approx(39.2346)
    assert "GEOC/metadata.txt" in fb.text
    # the portal layout: <frame>/metadata/baselines beside metadata.txt; the frame folder itself as BASELINES
    top = licsar_frame(tmp_path / "portal", t, layout="portal")
    fb = _run(run_alg, tmp_path / "p", t, [os.path.join(top, "metadata")])
    assert _logged(fb, "slant range") == pytest.approx(880461.8)


def test_a_typed_slant_range_that_contradicts_the_product_is_a_warning_naming_both(run_alg, tmp_path):
    t = Truth()
    geoc = licsar_frame(tmp_path / "work", t)
    fb = _run(run_alg, tmp_path, t, [os.path.join(geoc, "baselines")], SLANT_RANGE_M=850000.0)
    assert _logged(fb, "slant range") == 850000.0
    assert any("850000" in w and "880461.8" in w and "metadata.txt" in w for w in fb.warnings), fb.warnings


@pytest.mark.parametrize("zipped", [False, True], ids=["folders", "zips"])
def test_hyp3_products_bring_their_slant_range_and_incidence(run_alg, tmp_path, zipped):
    """The .txt's 'Slant range center' (the mean over the products) and 90 deg minus lv_theta's mean (HyP3's
    incidence: the same value the stack tools read from the product)."""
    t = Truth()
    root = tmp_path / "hyp3"
    hyp3_products(root, t, zipped=t.pairs if zipped else ())
    assert all(f.endswith(".zip") for f in os.listdir(root)) == zipped
    fb = _run(run_alg, tmp_path, t, [str(root)])
    assert _logged(fb, "slant range") == pytest.approx(880000.0)
    assert f"HyP3 .txt of {len(t.pairs)} products (mean)" in fb.text
    assert _logged(fb, "incidence angle") == pytest.approx(38.0, abs=0.5)
    assert "lv_theta" in fb.text


def _isce_stack(root, t: Truth, *, incidence=36.5):
    """An ISCE2 topsStack's ``baselines/<ref>_<sec>/<ref>_<sec>.txt`` (per swath 'Bperp (average):', as
    ``computeBaseline.py`` writes them), ``reference/IW1.xml``, ``IW2.xml`` (bursts with ``startingrange``,
    ``rangepixelsize``, ``numberofsamples``) and ``merged/geom_reference/los.rdr`` (band 1 incidence, 0 = no data)."""
    from osgeo import gdal

    ref = t.dates[0]
    for d in t.dates[1:]:
        name = f"{ref:%Y%m%d}_{d:%Y%m%d}"
        os.makedirs(os.path.join(root, "baselines", name), exist_ok=True)
        b = t.bperp[d] - t.bperp[ref]
        with open(os.path.join(root, "baselines", name, name + ".txt"), "w") as fh:
            fh.write(f"swath: IW1\nBperp (average): {b + 0.4:.4f}\nBpar (average): 12.0\n"
                     f"swath: IW2\nBperp (average): {b - 0.4:.4f}\nBpar (average): 12.5\n")
    os.makedirs(os.path.join(root, "reference"), exist_ok=True)
    for swath, near in (("IW1", 800000.0), ("IW2", 850000.0)):
        bursts = "".join(f"""    <component name="burst{k}">
      <property name="startingrange"><value>{near}</value></property>
      <property name="rangepixelsize"><value>2.329562</value></property>
      <property name="numberofsamples"><value>25000</value></property>
    </component>
""" for k in (1, 2))
        with open(os.path.join(root, "reference", swath + ".xml"), "w") as fh:
            fh.write(f'<component name="{swath}">\n  <component name="bursts">\n{bursts}  </component>\n'
                     "</component>\n")
    geom = os.path.join(root, "merged", "geom_reference")
    os.makedirs(geom, exist_ok=True)
    inc = np.full((20, 30), incidence, np.float32)
    inc[:2, :3] = 0.0
    ds = gdal.GetDriverByName("ENVI").Create(os.path.join(geom, "los.rdr"), 30, 20, 2, gdal.GDT_Float32)
    ds.GetRasterBand(1).WriteArray(inc)
    ds.GetRasterBand(2).WriteArray(np.full((20, 30), 102.0, np.float32))
    ds = None
    return os.path.join(root, "baselines")


def test_an_isce_baselines_folder_brings_the_reference_swaths_range_and_los_incidence(run_alg, tmp_path):
    t = Truth()
    folder = _isce_stack(str(tmp_path / "stack"), t)
    fb = _run(run_alg, tmp_path, t, [folder])
    far = 850000.0 + 2.329562 * 24999
    assert _logged(fb, "slant range") == pytest.approx((800000.0 + far) / 2)  # middle of IW1's near, IW2's far
    assert _logged(fb, "incidence angle") == pytest.approx(36.5)
    assert "reference/IW1.xml, IW2.xml" in fb.text and "los.rdr" in fb.text


def _mintpy_series(path, t: Truth, **extra):
    from testutils_mintpy import write_timeseries

    ts = np.zeros((len(t.dates), 6, 7), np.float32)
    return write_timeseries(path, ts, t.dates, bperp=[t.bperp[d] for d in t.dates], **extra)


def test_a_mintpy_timeseries_h5_brings_its_work_folder_s_geometry(run_alg, tmp_path):
    """timeseries.h5 beside inputs/geometryGeo.h5: the means of slantRangeDistance and incidenceAngle."""
    from testutils_mintpy import write_geometry

    t = Truth()
    os.makedirs(tmp_path / "mintpy" / "inputs")
    h5 = _mintpy_series(str(tmp_path / "mintpy" / "timeseries.h5"), t)
    xx = np.arange(7)[None, :] * np.ones((6, 1))
    write_geometry(str(tmp_path / "mintpy" / "inputs" / "geometryGeo.h5"), (6, 7), slant_range_m=870000.0 + 10 * xx,
                   incidence_deg=34.0 + 0.1 * xx)
    fb = _run(run_alg, tmp_path, t, [h5])
    assert _logged(fb, "slant range") == pytest.approx(870030.0)
    assert _logged(fb, "incidence angle") == pytest.approx(34.3, abs=1e-4)
    assert "inputs/geometryGeo.h5" in fb.text


def test_mintpy_attributes_give_the_scene_centre_as_mintpy_computes_it(run_alg, tmp_path):
    """No geometry file: MintPy's utils.range_distance / incidence_angle of the attributes (scene centre)."""
    import math

    t = Truth()
    attrs = {"STARTING_RANGE": 799000.0, "RANGE_PIXEL_SIZE": 46.6, "EARTH_RADIUS": 6371000.0,
             "HEIGHT": 693000.0}
    os.makedirs(tmp_path / "m")
    h5 = _mintpy_series(str(tmp_path / "m" / "timeseries.h5"), t, extra=attrs)
    fb = _run(run_alg, tmp_path, t, [h5])
    near, far = 799000.0, 799000.0 + 46.6 * 3000

    def inc(r):
        return math.degrees(math.pi - math.acos((6371e3 ** 2 + r ** 2 - (6371e3 + 693e3) ** 2) / (2 * 6371e3 * r)))

    # the write helper sets WIDTH from the array (7): the attributes given win only where the helper sets none
    width = 7.0
    assert _logged(fb, "slant range") == pytest.approx(near + 46.6 * (width - 1) / 2, abs=0.01)
    assert _logged(fb, "incidence angle") == pytest.approx((inc(near) + inc(near + 46.6 * width)) / 2, abs=1e-6)
    del far


def test_a_mintpy_ifgram_stack_h5_gives_the_baselines_of_its_pairs(run_alg, tmp_path):
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    pytest.importorskip("h5py", reason="h5py is not installed")
    t = Truth()
    bperp = np.array([t.bperp[b] - t.bperp[a] for a, b in t.pairs])
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.zeros((len(t.pairs), 6, 7), np.float32), t.pairs,
                            bperp_m=bperp, wavelength_m=0.0555, geotransform=(500000.0, 30.0, 0.0, 4100000.0, 0.0,
                                                                                  -30.0), epsg=32633)
    fb = _run(run_alg, tmp_path, t, [h5], SLANT_RANGE_M=880000.0, INCIDENCE=39.0)
    assert "given by BASELINES" in fb.text

"""geohazard:sbasinversion — parameters, wrong parameters, synthetic truth, real Mexico City run, cancel."""

import os

import numpy as np
import pytest
from testutils import missing_parameters, write_geotiff
from testutils import read_raster as _read
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

NAME = "sbasinversion"
PUBLIC = ["INTERFEROGRAMS", "COHERENCE", "MINTPY_STACK", "WAVELENGTH_M", "INPUT_UNITS", "REFERENCE",
          "MAX_TEMPORAL_BASELINE", "MAX_PERP_BASELINE", "MIN_MEAN_COHERENCE", "DROP_PAIRS", "WEIGHTING",
          "COHERENCE_THRESHOLD", "ISBAS_MIN_COUNT", "MIN_TEMPORAL_COHERENCE", "DEM", "OUTPUT_TIMESERIES",
          "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT", "OUTPUT_POINTS",
          "OUTPUT_MINTPY_TIMESERIES", "OUTPUT_MINTPY_VELOCITY", "OUTPUT_REPORT", "BASELINES"]
OUTS = ["OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT"]


def _outputs(tmp_path):
    return {k: str(tmp_path / f"{k.lower()}.tif") for k in OUTS}


def _synthetic_folder(tmp_path, *, noise=0.0, shape=(10, 12)):
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(8), max_neighbours=3))
    truth, ifg, vel = synthetic_stack(net, shape=shape, noise_mm=noise)
    folder = tmp_path / "ifgs"
    folder.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", ifg[k], nodata=-9999.0)
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.coh.tif", np.full(shape, 0.8))
    return net, truth, vel, folder


def test_parameters(alg):
    a = alg(NAME)
    assert not missing_parameters(a, PUBLIC)
    assert a.parameterDefinition("WAVELENGTH_M").defaultValue() is None  # metadata, else Sentinel-1 (see
    # test_formats_wavelength.py)
    assert a.parameterDefinition("INTERFEROGRAMS").layerType() == 3  # QgsProcessing.SourceType.TypeRaster
    assert "from coherence" in a.parameterDefinition("WEIGHTING").options()[1]
    assert "OUTPUT_NETWORK_PNG" in [o.name() for o in a.outputDefinitions()]
    assert "Berardino" in a.shortHelpString() and a.group() == "Time series"
    from insar_geohazards.fileio.timeseries import (
        stacks,  # the INPUT_UNITS choices are the reader's unit codes, in order
    )

    opts = a.parameterDefinition("INPUT_UNITS").options()
    assert [opts[c].split(",")[0].split(" of ")[0] for c in (stacks.RAD_AWAY, stacks.RAD_TOWARD, stacks.METRES,
                                                             stacks.MILLIMETRES)] == \
        ["Radians", "Radians", "Metres", "Millimetres"]
    assert "with range" in opts[stacks.RAD_AWAY] and "toward" in opts[stacks.RAD_TOWARD]


def test_synthetic_folder_truth_and_exports(run_alg, tmp_path):
    h5py = pytest.importorskip("h5py", reason="h5py is not installed")
    net, truth, vel, folder = _synthetic_folder(tmp_path)
    dem = write_geotiff(tmp_path / "dem.tif", np.arange(120.0).reshape(10, 12) + 1000.0)
    params = {"INTERFEROGRAMS": str(folder), "COHERENCE": str(folder), "INPUT_UNITS": 3, "REFERENCE": None,
              "DEM": dem,
              "WEIGHTING": 1, "OUTPUT_POINTS": str(tmp_path / "pts.gpkg"),
              "OUTPUT_MINTPY_TIMESERIES": str(tmp_path / "timeseries.h5"),
              "OUTPUT_MINTPY_VELOCITY": str(tmp_path / "velocity.h5"),
              "OUTPUT_REPORT": str(tmp_path / "report.html"), **_outputs(tmp_path)}
    res = run_alg(NAME, params)
    ts, ds = _read(res["OUTPUT_TIMESERIES"])
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)] == \
        [d.isoformat() for d in net.dates]
    r, c = int(ds.GetMetadataItem("REFERENCE_ROW")), int(ds.GetMetadataItem("REFERENCE_COL"))
    np.testing.assert_allclose(ts, truth - truth[:, r:r + 1, c:c + 1], atol=1e-3)
    v, _ = _read(res["OUTPUT_VELOCITY"])
    from insar_geohazards.algorithms.timeseries.sbas import linear_velocity

    vt, _ = linear_velocity(truth - truth[:, r:r + 1, c:c + 1], net.years)
    np.testing.assert_allclose(v, vt, atol=1e-3)
    n, _ = _read(res["OUTPUT_COHCOUNT"])
    assert (n == net.n_pairs).all()
    with h5py.File(res["OUTPUT_MINTPY_TIMESERIES"]) as f:
        np.testing.assert_allclose(f["timeseries"][:] * 1000, ts, atol=1e-3)
    with h5py.File(res["OUTPUT_MINTPY_VELOCITY"]) as f:
        np.testing.assert_allclose(f["velocity"][:] * 1000, v, atol=1e-3)
    from osgeo import ogr

    vds = ogr.Open(res["OUTPUT_POINTS"])
    lyr = vds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    assert names[:5] == ["PID", "VEL", "V_STDEV", "COHERENCE", "HEIGHT"] and names[-1] == f"D{net.dates[-1]:%Y%m%d}"
    assert lyr.GetFeatureCount() == 120
    feat = lyr.GetNextFeature()
    x, y = feat.GetGeometryRef().GetX(), feat.GetGeometryRef().GetY()
    col, row = int((x - 500000.0) / 30.0), int((4100000.0 - y) / 30.0)
    assert feat.GetField("HEIGHT") == 1000.0 + row * 12 + col
    np.testing.assert_allclose(feat.GetField(f"D{net.dates[-1]:%Y%m%d}"), ts[-1, row, col], atol=1e-4)
    assert lyr.GetSpatialRef().GetAuthorityCode(None) == "32633"
    assert os.path.exists(res["OUTPUT_NETWORK_PNG"]) and "connected" in (tmp_path / "report.txt").read_text()
    assert os.path.exists(os.path.splitext(res["OUTPUT_VELOCITY"])[0] + ".qml")


def test_real_mexico_city_subsidence(run_alg, tmp_path, data_dir):
    """30 real Sentinel-1 interferograms: the known subsidence bowl, -200..-300 mm/yr LOS to the east."""
    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    res = run_alg(NAME, {
        "INTERFEROGRAMS": folder, "COHERENCE": folder,
        "BASELINES": os.path.join(data_dir, "sentinel1_mexico_city", "baselines"),
        "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "WEIGHTING": 1, "MIN_TEMPORAL_COHERENCE": 0.7,
        "OUTPUT_POINTS": str(tmp_path / "pts.gpkg"), "OUTPUT_REPORT": str(tmp_path / "net.html"),
        **_outputs(tmp_path)})
    v, ds = _read(res["OUTPUT_VELOCITY"])
    assert v.shape == (60, 100)
    assert np.isfinite(v).mean() > 0.9
    west, east = np.nanmedian(v[:, :15]), np.nanpercentile(v[:, 70:], 10)
    assert abs(west) < 30, west
    assert -330 < east < -180, east
    tcoh, _ = _read(res["OUTPUT_TEMPORAL_COHERENCE"])
    assert np.nanmedian(tcoh) > 0.9
    text = (tmp_path / "net.txt").read_text()
    assert "30 interferograms, 13 dates" in text and "bperp" in text


def test_mintpy_stack_input_equals_geotiffs(run_alg, tmp_path):
    pytest.importorskip("h5py", reason="h5py is not installed")
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    net, truth, vel, folder = _synthetic_folder(tmp_path, noise=1.0)
    lam = 0.0555
    from osgeo import gdal

    ifg = np.stack([gdal.Open(str(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif")).ReadAsArray() for a, b in net.pairs])
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), -ifg / 1000 * 4 * np.pi / lam, net.pairs,
                            wavelength_m=lam, geotransform=(500000.0, 30.0, 0, 4100000.0, 0, -30.0), epsg=32633)
    a = run_alg(NAME, {"MINTPY_STACK": h5, "REFERENCE": "500045,4099955 [EPSG:32633]",
                       "MIN_TEMPORAL_COHERENCE": 0, **_outputs(tmp_path)})
    ts_h5, _ = _read(a["OUTPUT_TIMESERIES"])
    out2 = tmp_path / "geotiff"
    out2.mkdir()
    b = run_alg(NAME, {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "REFERENCE": "500045,4099955 [EPSG:32633]",
                       "MIN_TEMPORAL_COHERENCE": 0, **_outputs(out2)})
    ts_tif, _ = _read(b["OUTPUT_TIMESERIES"])
    np.testing.assert_allclose(ts_h5, ts_tif, atol=1e-3)
    assert np.nanmax(np.abs(ts_tif[:, 1, 1])) < 1e-6  # the reference pixel (row 1, col 1)


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    net, truth, vel, folder = _synthetic_folder(tmp_path)
    outs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match="REFERENCE: the point .* is outside"):
        run_alg(NAME, {"INTERFEROGRAMS": str(folder), "REFERENCE": "0,0 [EPSG:32633]", **outs})
    folders = {  # a folder of interferograms (file name -> values, -9999 = no data) -> what the refusal says
        "bad": ({"20200101_20200113_unw.tif": np.ones((4, 4)), "20200113_20200125_unw.tif": np.ones((5, 4))},
                "20200113_20200125_unw.tif has 5 rows x 4 columns"),
        "nodate": ({"ifg_unw.tif": np.ones((4, 4))}, "no date pair found in the file name 'ifg_unw.tif'"),
        "dup": ({"20200101_20200113_unw.tif": np.ones((4, 4)), "20200113-20200101_unw.tif": np.ones((4, 4))},
                "duplicate interferogram 20200101-20200113"),
        "nan": ({"20200101_20200113_unw.tif": np.full((4, 4), -9999.0),
                 "20200113_20200125_unw.tif": np.full((4, 4), -9999.0)}, "every pixel is no-data"),
    }
    for name, (files, message) in folders.items():
        (tmp_path / name).mkdir()
        for file_name, values in files.items():
            write_geotiff(tmp_path / name / file_name, values, nodata=-9999.0)
        with pytest.raises(QgsProcessingException, match=message):
            run_alg(NAME, {"INTERFEROGRAMS": str(tmp_path / name), **outs})
    with pytest.raises(QgsProcessingException, match="COHERENCE"):
        run_alg(NAME, {"INTERFEROGRAMS": str(folder), "WEIGHTING": 1, **outs})
    hole = tmp_path / "hole"
    hole.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        arr = np.ones((10, 12)) * k
        arr[2, 3] = -9999.0
        write_geotiff(hole / f"{a:%Y%m%d}_{b:%Y%m%d}_unw.tif", arr, nodata=-9999.0)
    with pytest.raises(QgsProcessingException, match=r"REFERENCE: .*row 2, column 3\) has no data"):
        run_alg(NAME, {"INTERFEROGRAMS": str(hole), "REFERENCE": "500100,4099920 [EPSG:32633]", **outs})
    assert not any(os.path.exists(p) for p in outs.values())
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part.tif")]


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    net, truth, vel, folder = _synthetic_folder(tmp_path)

    class CancelSoon(QgsProcessingFeedback):
        def setProgress(self, p):
            super().setProgress(p)
            if p > 30:
                self.cancel()

    outs = _outputs(tmp_path)
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "MAX_MEMORY_MB": 16, **outs},
                feedback=CancelSoon())
    assert not any(os.path.exists(p) for p in outs.values())

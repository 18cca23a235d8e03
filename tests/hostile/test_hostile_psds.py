"""Hostile inputs for the PS/DS tools: amplitudedispersion, phaselinking, pstimeseries."""

import os

import numpy as np
import registry
import testutils_hostile as hk
from testutils import write_geotiff

TOOLS = registry.hostile_tools("psds")  # the tools whose hostile family is "psds" in tests/registry.py


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    files, sim = hk.slc_files(j(tmp, "slc"))
    shape = sim.slc.shape[1:]
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    if tool == "amplitudedispersion":
        outs = ["OUTPUT_MEAN_AMPLITUDE", "OUTPUT_DISPERSION", "OUTPUT_PS_MASK"]
        params = {"INPUT": files, **{o: j(out, f"{o.lower()}.tif") for o in outs}}
        overlap, implausible = None, None
    elif tool == "phaselinking":
        outs = ["OUTPUT", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_SHP_COUNT"]
        params = {"INPUT": files, "WINDOW_ROWS": 3, "WINDOW_COLS": 5, **{o: j(out, f"{o.lower()}.tif") for o in outs}}
        far = write_geotiff(j(tmp, "ps_far.tif"), np.zeros(shape), geotransform=(1500000.0, 20, 0, 5100000.0, 0, -20))
        overlap, implausible = {"PS_MASK": far}, None
    else:
        outs = ["OUTPUT"]
        disp = write_geotiff(j(tmp, "da.tif"), np.full(shape, 0.1), geotransform=gt)
        params = {"INPUT": files, "DISPERSION": disp, "ARC_COHERENCE": 0.05, "OUTPUT": j(out, "pts.gpkg")}
        far = write_geotiff(j(tmp, "da_far.tif"), np.full(shape, 0.1),
                            geotransform=(1500000.0, 20, 0, 5100000.0, 0, -20))
        overlap, implausible = {"DISPERSION": far}, {"WAVELENGTH_M": 0.002}

    def spoil(kind, folder):
        if kind == "truncated":
            bad, _ = hk.slc_files(j(folder, "trunc"))
            hk.truncate(bad[3], 0.5)
            return {"INPUT": bad}, os.path.basename(bad[3])
        if kind == "nan":
            bad, _ = hk.slc_files(j(folder, "nan"))
            from osgeo import gdal

            for p in bad:
                ds = gdal.Open(p, gdal.GA_Update)
                ds.GetRasterBand(1).WriteArray(np.full(shape, np.nan + 1j * np.nan, np.complex64))
                ds = None
            return {"INPUT": bad}, "no valid pixel"
        bad, _ = hk.slc_files(j(folder, "radar"), georef=False)
        over = {"INPUT": bad}
        if tool == "pstimeseries":
            over["DISPERSION"] = write_geotiff(j(folder, "da_radar.tif"), np.full(shape, 0.1), geotransform=None,
                                               epsg=None)
        return over, None

    return hk.Recipe(params, outs, ("INPUT", outs[0]), spoil, raster="INPUT", nocrs="accept", overlap=overlap,
                    implausible=implausible)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_real_raster_given_as_slc_is_refused(qgis_app, tmp_path):
    files = [hk.los_raster(tmp_path / f"slc_2020010{i}.tif", seed=i) for i in range(1, 6)]
    hk.expect_refusal("amplitudedispersion", {"INPUT": files, "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "a.tif"),
                                             "OUTPUT_DISPERSION": str(tmp_path / "d.tif"),
                                             "OUTPUT_PS_MASK": str(tmp_path / "m.tif")}, "real values")


def test_temporal_coherence_above_one_is_refused(qgis_app, tmp_path):
    files, sim = hk.slc_files(str(tmp_path / "slc"))
    shape = sim.slc.shape[1:]
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    tc = write_geotiff(tmp_path / "tc.tif", np.full(shape, 200.0), geotransform=gt)
    msg = hk.expect_refusal("pstimeseries", {"INPUT": files, "TEMPORAL_COHERENCE": tc,
                                            "OUTPUT": str(tmp_path / "p.gpkg")}, "TEMPORAL_COHERENCE")
    assert "0-1" in msg


def test_a_non_raster_file_in_the_list_is_named(qgis_app, tmp_path):
    files, _ = hk.slc_files(str(tmp_path / "slc"))
    bad = hk.garbage(str(tmp_path / "slc" / "slc_20200301.tif"))
    msg = hk.expect_refusal("amplitudedispersion", {"INPUT": files + [bad],
                                                    "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "a.tif"),
                                                    "OUTPUT_DISPERSION": str(tmp_path / "d.tif"),
                                                    "OUTPUT_PS_MASK": str(tmp_path / "m.tif")}, "slc_20200301.tif")
    assert "Incorrect parameter value" not in msg


def test_pstimeseries_baselines_without_a_geometry_are_refused(qgis_app, tmp_path):
    """With baselines the height error scales with B_perp / (R sin(incidence)): formerly a silent 850 km / 37
    degrees; now typed or carried, else refused before anything is written."""
    files, sim = hk.slc_files(str(tmp_path / "slc"))
    shape = sim.slc.shape[1:]
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    da = write_geotiff(tmp_path / "da.tif", np.full(shape, 0.1), geotransform=gt)
    (tmp_path / "b.txt").write_text("".join(f"{d:%Y%m%d} {20.0 * (-1) ** i * i:.1f}\n"
                                            for i, d in enumerate(sim.dates)))
    hk.expect_refusal("pstimeseries", {"INPUT": files, "DISPERSION": da, "BASELINES": str(tmp_path / "b.txt"),
                                       "OUTPUT": str(tmp_path / "p.gpkg")}, r"SLANT_RANGE_M: the inputs carry no slant")
    assert not (tmp_path / "p.gpkg").exists()

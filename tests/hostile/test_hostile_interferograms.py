"""Hostile inputs for the Interferograms tools (``geohazard:interferogramfilter``): the shared cases of
tests/testutils_hostile.py on each tool's small valid run (the recipe its entry in tests/registry.py names), then the
family's own refusals."""

import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils import write_geotiff

SHAPE = (24, 28)
PAIRS = ["20200101_20200113", "20200113_20200125"]


def wrapped_files(folder, *, gt=hk.GT, epsg=32633, value=None, seed=0, pairs=PAIRS, degrees=False):
    """Wrapped phase (radians, or degrees) of fringes with noise, one file per pair."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    files = []
    for k, pair in enumerate(pairs):
        phase = np.angle(np.exp(1j * (0.5 * (k + 1) * c + 0.2 * r + rng.normal(0, 0.4, SHAPE))))
        arr = np.degrees(phase) if degrees else phase if value is None else np.full(SHAPE, value)
        files.append(write_geotiff(os.path.join(folder, f"{pair}.wrapped.tif"), arr, geotransform=gt, epsg=epsg))
    return files


def filter_recipe(tool, tmp):
    tmp, j = str(tmp), os.path.join
    os.makedirs(j(tmp, "out"), exist_ok=True)
    params = {"INPUT": wrapped_files(j(tmp, "ifgs")), "LOOKS_Y": 2, "LOOKS_X": 2, "PATCH_SIZE": 8,
              "OUTPUT": j(tmp, "out", "flt"),
              "OUTPUT_COHERENCE": j(tmp, "out", "coh")}

    def spoil(kind, folder):
        if kind == "truncated":
            bad = wrapped_files(j(folder, "trunc"))
            hk.truncate(bad[1])
            return {"INPUT": bad}, os.path.basename(bad[1])
        if kind == "nan":
            return {"INPUT": wrapped_files(j(folder, "nan"), value=np.nan)}, "no valid|all no-data|NoData|nodata"
        return {"INPUT": wrapped_files(j(folder, "radar"), epsg=None, gt=None)}, None

    return hk.Recipe(params, ["OUTPUT", "OUTPUT_COHERENCE"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     nocrs="accept")


def _wrapped(path, *, gt=hk.GT, epsg=32633, nan=False, seed=0, degrees=False):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:40, 0:48]
    phase = np.angle(np.exp(1j * (0.3 * xx + 0.2 * yy + 0.3 * rng.standard_normal((40, 48)))))
    if degrees:
        phase = np.degrees(phase)
    return write_geotiff(path, np.full((40, 48), np.nan) if nan else phase, geotransform=gt, epsg=epsg)


def _wrapped_folder(folder, **kw):
    os.makedirs(folder, exist_ok=True)
    for i, pair in enumerate(("20200101_20200113", "20200113_20200125")):
        _wrapped(os.path.join(folder, f"{pair}.wrapped.tif"), seed=i, **kw)
    return folder


def _land_cover(path, *, gt=hk.GT, epsg=32633, nan=False, shape=(24, 28)):
    lc = np.where(np.arange(shape[1])[None, :] < shape[1] // 2, 111.0, 311.0) * np.ones(shape)
    return write_geotiff(path, np.full(shape, np.nan) if nan else lc, geotransform=gt, epsg=epsg)


def _densities(path, rows=("111,1000,town", "311,2.5,forest")):
    with open(path, "w", encoding="utf-8") as f:
        f.write("class,density,label\n" + "\n".join(rows) + "\n")
    return path


def detect_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "basindetection":
        folder = _wrapped_folder(j(tmp, "ifgs"))
        params = {"INPUT": folder, "MIN_SIZE_M": 0.0, "OUTPUT": j(out, "basins.gpkg")}

        def spoil(kind, where):
            if kind == "truncated":
                f = _wrapped_folder(j(where, "trunc_ifgs"))
                hk.truncate(j(f, "20200101_20200113.wrapped.tif"))
                return {"INPUT": f}, "20200101_20200113"
            if kind == "nan":
                return {"INPUT": _wrapped_folder(j(where, "nan_ifgs"), nan=True)}, "no valid pixel|nodata|NoData"
            return {"INPUT": _wrapped_folder(j(where, "nocrs_ifgs"), epsg=None, gt=None)}, \
                "coordinate reference system"

        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT", nocrs="refuse")
    lc = _land_cover(j(tmp, "lc.tif"))
    r = write_geotiff(j(tmp, "r.tif"), np.full((24, 28), 0.6))
    params = {"LAND_COVER": lc, "DENSITIES": _densities(j(tmp, "d.csv")), "R_INDEX": r,
              "OUTPUT": j(out, "targets.tif")}

    def spoil(kind, where):
        if kind == "truncated":
            return {"LAND_COVER": hk.truncate(_land_cover(j(where, "trunc_lc.tif")))}, "trunc_lc"
        if kind == "nan":
            return {"LAND_COVER": _land_cover(j(where, "nan_lc.tif"), nan=True)}, "no valid pixel|nodata|NoData"
        # radar geometry: the land cover and the R-index pixel for pixel, neither georeferenced
        return {"LAND_COVER": _land_cover(j(where, "nocrs_lc.tif"), epsg=None, gt=None),
                "R_INDEX": write_geotiff(j(where, "nocrs_r.tif"), np.full((24, 28), 0.6), geotransform=None,
                                         epsg=None)}, None

    far = write_geotiff(j(tmp, "r_far.tif"), np.full((24, 28), 0.6), geotransform=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT"], ("LAND_COVER", "OUTPUT"), spoil, raster="LAND_COVER", nocrs="accept",
                     overlap={"R_INDEX": far})


#: the tools of the family and the recipe tests/registry.py names for each (the other tools of the family add theirs)
TOOLS, recipe = registry.hostile_family("interferograms", globals())
test_hostile = hk.hostile_cases(TOOLS, recipe)


def _nothing_written(tmp_path, name="flt"):
    out = tmp_path / name
    assert not out.exists() or not hk.listing(str(out)), sorted(hk.listing(str(out)))


def test_phase_in_degrees_is_refused_naming_degrees(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"), degrees=True)
    msg = hk.expect_refusal("interferogramfilter", {"INPUT": files, "PATCH_SIZE": 16, "OUTPUT": str(tmp_path / "flt")},
                            "degrees")
    assert PAIRS[0] in msg or PAIRS[1] in msg
    _nothing_written(tmp_path)


def test_an_unwrapped_interferogram_is_refused(qgis_app, tmp_path):
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    unw = write_geotiff(str(tmp_path / f"{PAIRS[0]}.unw.tif"), 2.0 * c + r, geotransform=hk.GT)
    hk.expect_refusal("interferogramfilter", {"INPUT": [unw], "PATCH_SIZE": 16, "OUTPUT": str(tmp_path / "flt")},
                      "already unwrapped")
    _nothing_written(tmp_path)


def test_looks_larger_than_the_raster_are_refused(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"))
    msg = hk.expect_refusal("interferogramfilter", {"INPUT": files, "LOOKS_Y": SHAPE[0] + 1,
                                                    "OUTPUT": str(tmp_path / "flt")}, "larger than the interferogram")
    assert "LOOKS_Y" in msg and f"{SHAPE[0]} rows" in msg
    _nothing_written(tmp_path)


def test_a_patch_size_not_a_multiple_of_four_is_refused(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"))
    hk.expect_refusal("interferogramfilter", {"INPUT": files, "PATCH_SIZE": 30, "OUTPUT": str(tmp_path / "flt")},
                      "PATCH_SIZE")
    _nothing_written(tmp_path)


def test_phase_in_cycles_is_refused_saying_how_to_convert(qgis_app, tmp_path):
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    cycles = np.angle(np.exp(1j * (0.9 * c + 0.3 * r))) / (2 * np.pi)  # -0.5..0.5 with fringes
    src = write_geotiff(str(tmp_path / f"{PAIRS[0]}.wrapped.tif"), cycles, geotransform=hk.GT)
    msg = hk.expect_refusal("interferogramfilter", {"INPUT": [src], "PATCH_SIZE": 16, "OUTPUT": str(tmp_path / "flt")},
                            "cycles")
    assert "2 pi" in msg and PAIRS[0] in msg
    _nothing_written(tmp_path)


def test_a_patch_larger_than_the_raster_is_refused_naming_its_size(qgis_app, tmp_path):
    rng = np.random.default_rng(1)
    r, c = np.mgrid[0:64, 0:64].astype(float)
    src = write_geotiff(str(tmp_path / f"{PAIRS[0]}.wrapped.tif"),
                        np.angle(np.exp(1j * (0.5 * c + rng.normal(0, 0.5, c.shape)))), geotransform=hk.GT)
    msg = hk.expect_refusal("interferogramfilter", {"INPUT": [src], "PATCH_SIZE": 256, "OUTPUT": str(tmp_path / "flt")},
                            "PATCH_SIZE")
    assert "64 rows x 64 columns" in msg
    _nothing_written(tmp_path)


def test_interferograms_on_different_grids_are_refused(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"))
    far = wrapped_files(str(tmp_path / "far"), gt=hk.FAR_GT, pairs=["20200125_20200206"])
    hk.expect_refusal("interferogramfilter", {"INPUT": files + far, "OUTPUT": str(tmp_path / "flt")},
                      "not on the same grid")
    _nothing_written(tmp_path)


def test_basindetection_refuses_phase_in_degrees(qgis_app, tmp_path):
    folder = _wrapped_folder(str(tmp_path / "deg"), degrees=True)
    msg = hk.expect_refusal("basindetection", {"INPUT": folder, "OUTPUT": str(tmp_path / "b.gpkg")}, "degrees")
    assert "INPUT" in msg and "radians" in msg


def test_basindetection_refuses_complex_data_given_as_a_velocity_or_gradient_map(qgis_app, tmp_path):
    path = write_geotiff(tmp_path / "complex.tif", np.exp(1j * np.linspace(0, 3, 320)).reshape(16, 20),
                         geotransform=hk.GT, dtype="complex64")
    for kind in (1, 2):
        msg = hk.expect_refusal("basindetection", {"INPUT": [path], "INPUT_TYPE": kind,
                                                   "OUTPUT": str(tmp_path / f"b{kind}.gpkg")}, "complex")
        assert "INPUT" in msg


def test_targetsuitability_lists_unknown_land_cover_codes(qgis_app, tmp_path):
    lc = _land_cover(str(tmp_path / "lc.tif"))
    r = write_geotiff(str(tmp_path / "r.tif"), np.full((24, 28), 0.6))
    msg = hk.expect_refusal("targetsuitability", {"LAND_COVER": lc, "R_INDEX": r,
                                                  "DENSITIES": _densities(str(tmp_path / "d.csv"), ("111,1000",)),
                                                  "OUTPUT": str(tmp_path / "t.tif")}, "no density")
    assert "LAND_COVER" in msg and "311 (broad-leaved forest)" in msg
    assert not os.path.exists(tmp_path / "t.tif")


@pytest.mark.parametrize("text, match", [("class;value\n111;2\n", "class,density"),
                                         ("class,density\n111,-1\n", ">= 0")])
def test_targetsuitability_refuses_a_bad_density_table(qgis_app, tmp_path, text, match):
    lc = _land_cover(str(tmp_path / "lc.tif"))
    r = write_geotiff(str(tmp_path / "r.tif"), np.full((24, 28), 0.6))
    path = tmp_path / "d.csv"
    path.write_text(text)
    msg = hk.expect_refusal("targetsuitability", {"LAND_COVER": lc, "R_INDEX": r, "DENSITIES": str(path),
                                                  "OUTPUT": str(tmp_path / "t.tif")}, match)
    assert "DENSITIES" in msg


def _calibration_run(tmp_path, **extra):
    """A valid targetsuitability run on the hostile land cover (30 m pixels, 24 x 28) but for ``extra``."""
    params = {"LAND_COVER": _land_cover(str(tmp_path / "lc.tif")),
              "R_INDEX": write_geotiff(str(tmp_path / "r.tif"), np.full((24, 28), 0.6)),
              "OUTPUT": str(tmp_path / "t.tif")}
    params.update(extra)
    return params


def test_targetsuitability_needs_densities_or_calibration_points(qgis_app, tmp_path):
    msg = hk.expect_refusal("targetsuitability", _calibration_run(tmp_path), "DENSITIES")
    assert "CALIBRATION_POINTS" in msg and "no densities of its own" in msg
    area = hk.polygon_layer(str(tmp_path / "a.gpkg"), [hk.square(hk.GT[0], hk.GT[3] - 300.0, 300.0)])
    msg = hk.expect_refusal("targetsuitability", _calibration_run(
        tmp_path, DENSITIES=_densities(str(tmp_path / "d.csv")), CALIBRATION_AREA=area), "CALIBRATION_AREA needs")
    assert "CALIBRATION_POINTS" in msg


def test_targetsuitability_calibration_points_off_the_land_cover(qgis_app, tmp_path):
    # the points 1000 km away, and points whose coordinates are metres but whose layer says degrees
    far = hk.points_layer(str(tmp_path / "far.gpkg"), x0=hk.FAR_GT[0], y0=hk.FAR_GT[3] - 700.0)
    msg = hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=far),
                            "CALIBRATION_POINTS: none of its 400 point")
    assert "falls on LAND_COVER" in msg
    assert not os.path.exists(tmp_path / "t.tif")
    nocrs = hk.points_layer(str(tmp_path / "nocrs.gpkg"), x0=hk.GT[0], y0=hk.GT[3] - 700.0, epsg=None)
    msg = hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=nocrs),
                            "CALIBRATION_POINTS")
    assert "coordinate reference system" in msg or "CRS" in msg
    mislabelled = hk.points_layer(str(tmp_path / "deg.gpkg"), epsg=4326)
    hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=mislabelled),
                      "CALIBRATION_POINTS: none of its 400 point")


def test_targetsuitability_calibration_area_without_overlap(qgis_app, tmp_path):
    pts = hk.points_layer(str(tmp_path / "pts.gpkg"), x0=hk.GT[0], y0=hk.GT[3] - 700.0)
    area = hk.polygon_layer(str(tmp_path / "a.gpkg"), [hk.square(hk.FAR_GT[0], hk.FAR_GT[3] - 900.0, 900.0)])
    msg = hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=pts,
                                                                  CALIBRATION_AREA=area), "CALIBRATION_AREA")
    assert "covers no pixel of LAND_COVER" in msg
    assert not os.path.exists(tmp_path / "t.tif")


def test_targetsuitability_calibration_too_small_or_on_a_line(qgis_app, tmp_path):
    # 24 x 28 pixels of 30 m: 0.6 km2 of land cover, seen at R 0.6: no class reaches 1 km2 seen
    pts = hk.points_layer(str(tmp_path / "pts.gpkg"), x0=hk.GT[0], y0=hk.GT[3] - 700.0)
    msg = hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=pts),
                            "no land-cover class has the 1 km2")
    assert "CALIBRATION_POINTS" in msg
    line = hk.write_layer(str(tmp_path / "line.gpkg"), [f"POINT({hk.GT[0] + 30 * k} {hk.GT[3] - 30 * k})"
                                                         for k in range(1, 9)], layer="points")
    hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, CALIBRATION_POINTS=line),
                      "one line and span no area; give CALIBRATION_AREA")


def test_targetsuitability_calibration_needs_a_georeferenced_land_cover(qgis_app, tmp_path):
    lc = _land_cover(str(tmp_path / "radar_lc.tif"), epsg=None, gt=None)
    r = write_geotiff(str(tmp_path / "radar_r.tif"), np.full((24, 28), 0.6), geotransform=None, epsg=None)
    pts = hk.points_layer(str(tmp_path / "pts.gpkg"), x0=hk.GT[0], y0=hk.GT[3] - 700.0)
    hk.expect_refusal("targetsuitability", _calibration_run(tmp_path, LAND_COVER=lc, R_INDEX=r,
                                                            CALIBRATION_POINTS=pts),
                      "LAND_COVER has no coordinate reference system")

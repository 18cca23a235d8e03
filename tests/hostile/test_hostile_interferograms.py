"""Hostile inputs for the Interferograms tools (``geohazard:interferogramfilter``): the shared cases of
tests/testutils_hostile.py on each tool's small valid run (the recipe its entry in tests/registry.py names), then the
family's own refusals."""

import os

import numpy as np
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
    params = {"INPUT": wrapped_files(j(tmp, "ifgs")), "LOOKS_Y": 2, "LOOKS_X": 2, "OUTPUT": j(tmp, "out", "flt"),
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


#: the tools of the family and the recipe tests/registry.py names for each (the other tools of the family add theirs)
TOOLS, recipe = registry.hostile_family("interferograms", globals())
test_hostile = hk.hostile_cases(TOOLS, recipe)


def _nothing_written(tmp_path, name="flt"):
    out = tmp_path / name
    assert not out.exists() or not hk.listing(str(out)), sorted(hk.listing(str(out)))


def test_phase_in_degrees_is_refused_naming_degrees(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"), degrees=True)
    msg = hk.expect_refusal("interferogramfilter", {"INPUT": files, "OUTPUT": str(tmp_path / "flt")}, "degrees")
    assert PAIRS[0] in msg or PAIRS[1] in msg
    _nothing_written(tmp_path)


def test_an_unwrapped_interferogram_is_refused(qgis_app, tmp_path):
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    unw = write_geotiff(str(tmp_path / f"{PAIRS[0]}.unw.tif"), 2.0 * c + r, geotransform=hk.GT)
    hk.expect_refusal("interferogramfilter", {"INPUT": [unw], "OUTPUT": str(tmp_path / "flt")}, "already unwrapped")
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


def test_interferograms_on_different_grids_are_refused(qgis_app, tmp_path):
    files = wrapped_files(str(tmp_path / "ifgs"))
    far = wrapped_files(str(tmp_path / "far"), gt=hk.FAR_GT, pairs=["20200125_20200206"])
    hk.expect_refusal("interferogramfilter", {"INPUT": files + far, "OUTPUT": str(tmp_path / "flt")},
                      "not on the same grid")
    _nothing_written(tmp_path)

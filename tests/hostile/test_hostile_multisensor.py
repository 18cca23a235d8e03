"""Hostile inputs for multisensortimeseries: the family's standard cases (output = input, read-only folder, a
truncated or all-NaN series, no CRS, stacks far apart, an implausible incidence, cancel, extra bands) and the bad
input of a multi-sensor run (a stack without geometry, a band date that cannot be read, the same geometry with an
unknown wavelength, a reference point outside a stack, a manifest that names nothing usable)."""

import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils_multisensor import GT, scene, write_raster

TOOLS = registry.hostile_tools("multisensor")  # the tools whose hostile family is "multisensor" in tests/registry.py
OUTPUTS = ["OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST", "OUTPUT_VELOCITY", "OUTPUT_REPORT"]


def _series(folder, name, *, nan=False, epsg=32633, gt=GT, seed=0):
    sc = scene(os.path.join(folder, name + "_scene"), with_ifg=False, seed=seed)
    dates, vals, _ = sc["stacks"]["s1_desc"]
    if nan:
        vals = np.full_like(vals, np.nan)
    return write_raster(os.path.join(folder, name + ".tif"), vals, gt=gt, epsg=epsg,
                        descriptions=[d.isoformat() for d in dates], metadata={"UNIT": "mm"})


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    sc = scene(os.path.join(tmp, "in"), with_ifg=False)
    params = {"SERIES": sc["series"], "INCIDENCES": "36,41", "HEADINGS": "-12,192"}
    params.update({o: os.path.join(out, o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif")) for o in OUTPUTS})

    def spoil(kind, folder):
        if kind == "truncated":
            bad = hk.truncate(_series(folder, "trunc"))
            return {"SERIES": [sc["series"][0], bad]}, os.path.basename(bad)
        if kind == "nan":
            return {"SERIES": [sc["series"][0], _series(folder, "nan", nan=True)]}, None
        radar = [_series(folder, "radar_a", epsg=None, seed=1), _series(folder, "radar_b", epsg=None, seed=2)]
        return {"SERIES": radar}, None

    far = (GT[0] + 1_000_000.0, 30.0, 0.0, GT[3] + 1_000_000.0, 0.0, -30.0)
    return hk.Recipe(params, OUTPUTS, ("SERIES", "OUTPUT_UP"), spoil, raster="SERIES", nocrs="accept",
                     overlap={"SERIES": [sc["series"][0], _series(tmp, "far", gt=far)]},
                     implausible={"INCIDENCES": "95,41"})


test_hostile = hk.hostile_cases(TOOLS, recipe)


def _refused(params, match, out):
    hk.expect_refusal("multisensortimeseries", params, match)
    assert not os.listdir(out), f"a refused run left {os.listdir(out)}"


def test_same_geometry_different_wavelength_without_metadata(qgis_app, tmp_path):
    """An X-band interferogram stack on the track of a C-band series, in radians with no wavelength anywhere: refused
    naming both stacks (its wavelength is never borrowed from the C-band stack)."""
    from testutils import read_bands

    sc = scene(str(tmp_path / "in"))
    for f in os.listdir(tmp_path / "in" / "tsx_asc"):
        p = str(tmp_path / "in" / "tsx_asc" / f)
        arr = read_bands(p)[0]
        write_raster(p, arr)
    with open(sc["manifest"], "w", encoding="utf-8") as fh:
        fh.write("name,path,incidence_deg,heading_deg\ntsx_asc,tsx_asc,36,-12\n")
    out = tmp_path / "out"
    out.mkdir()
    params = {"SERIES": sc["series"], "MANIFEST": sc["manifest"], "INCIDENCES": "36,41", "HEADINGS": "-12,192",
              **{o: str(out / (o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif"))) for o in OUTPUTS}}
    _refused(params, r"stack 'tsx_asc' is in radians but has no wavelength.*'s1_asc' \(0\.0554658 m\)", str(out))


@pytest.mark.parametrize("case", ["no_geometry", "bad_date", "reference_outside", "manifest_column",
                                  "manifest_missing_path", "incidence_count"])
def test_bad_input(qgis_app, tmp_path, case):
    sc = scene(str(tmp_path / "in"), with_ifg=False, metadata_geometry=False)
    out = tmp_path / "out"
    out.mkdir()
    params = {"SERIES": sc["series"], "INCIDENCES": "36,41", "HEADINGS": "-12,192",
              **{o: str(out / (o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif"))) for o in OUTPUTS}}
    dates, vals, _ = sc["stacks"]["s1_desc"]
    if case == "no_geometry":
        params.pop("HEADINGS")
        match = r"stack 's1_asc' has no geometry"
    elif case == "bad_date":
        desc = [d.isoformat() for d in dates]
        desc[0] = "first acquisition"
        params["SERIES"] = [sc["series"][0], write_raster(tmp_path / "in" / "nodates.tif", vals, descriptions=desc)]
        match = r"stack 'nodates': cannot read a date from the description 'first acquisition' of band 1"
    elif case == "reference_outside":
        params["SERIES"] = [sc["series"][0], write_raster(tmp_path / "in" / "west.tif", vals[:, :, :8],
                                                          descriptions=[d.isoformat() for d in dates])]
        params["REFERENCE"] = f"{GT[0] + 500.0},{GT[3] - 200.0} [EPSG:32633]"
        match = r"REFERENCE: the reference point .* lies outside stack 'west'"
    elif case == "manifest_column":
        m = tmp_path / "in" / "m.csv"
        m.write_text("name,path,incidence\nx,s1_desc.tif,41\n", encoding="utf-8")
        params["MANIFEST"] = str(m)
        match = r"MANIFEST row 1: unknown column\(s\) \['incidence'\]"
    elif case == "manifest_missing_path":
        m = tmp_path / "in" / "m.json"
        m.write_text('[{"name": "ers", "path": "ers_asc.tif", "incidence_deg": 23, "heading_deg": -13}]',
                     encoding="utf-8")
        params["MANIFEST"] = str(m)
        match = r"MANIFEST row 1 \('ers'\): .*ers_asc.tif' does not exist"
    else:
        params["INCIDENCES"] = "36,41,23"
        match = r"INCIDENCES: 3 values for 2 SERIES raster\(s\)"
    _refused(params, match, str(out))


def test_a_mintpy_stack_given_as_a_series_is_sent_to_the_sbas_tool(qgis_app, tmp_path):
    import datetime as dt

    pytest.importorskip("h5py", reason="h5py is not installed")
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    sc = scene(str(tmp_path / "in"), with_ifg=False)
    stack = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.zeros((1, 18, 22), np.float32),
                               [(dt.date(2019, 1, 3), dt.date(2019, 1, 15))], wavelength_m=0.0555,
                               geotransform=GT, epsg=32633)
    params = {"SERIES": [sc["series"][0], stack], "INCIDENCES": "36,41", "HEADINGS": "-12,192",
              **{o: str(tmp_path / (o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif"))) for o in OUTPUTS}}
    hk.expect_refusal("multisensortimeseries", params, "ifgramStack.h5 is a MintPy interferogram stack")
    assert not any((tmp_path / (o.lower() + ".tif")).exists() for o in OUTPUTS)


@pytest.mark.parametrize("vector, message", [
    ((-1.24, -0.2, 1.55), r"\(-1.24, -0.2, 1.55\) is not a ground-to-satellite unit vector"),  # scaled
    ((0.62, 0.1, -0.777), r"\(0.62, 0.1, -0.777\) is not a ground-to-satellite unit vector \(norm 1, up > 0\)"),
])
def test_los_vectors_that_are_not_unit_or_point_down_are_refused(qgis_app, tmp_path, vector, message):
    """A manifest's los_east/los_north/los_up (numbers here, rasters alike) are checked as typed values are: unit
    length, from the ground to the satellite (up > 0), as EGMS and LiCSAR E/N/U give them."""
    sc = scene(str(tmp_path / "in"), with_ifg=False, metadata_geometry=False)
    manifest = tmp_path / "stacks.csv"
    manifest.write_text("name,path,kind,los_east,los_north,los_up\n"
                        f"asc,{sc['series'][0]},series,{vector[0]},{vector[1]},{vector[2]}\n"
                        f"desc,{sc['series'][1]},series,0.62,-0.1,0.777\n")
    params = {"MANIFEST": str(manifest),
              **{o: str(tmp_path / (o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif"))) for o in OUTPUTS}}
    msg = hk.expect_refusal("multisensortimeseries", params, f"stack 'asc': LOS vector {message}")
    assert msg.count("stack 'asc'") == 1, msg
    assert not any((tmp_path / (o.lower() + ".tif")).exists() for o in OUTPUTS)


# ------------------------------------------------------------------------------------------ trust: no silent answer
def _outputs(out) -> dict:
    return {o: str(out / (o.lower() + (".csv" if o == "OUTPUT_REPORT" else ".tif"))) for o in OUTPUTS}


def _base(tmp_path, *, with_ifg=False, geometry=True):
    """The two-series scene (and the interferogram stack of its manifest) with a valid parameter set."""
    sc = scene(str(tmp_path / "in"), with_ifg=with_ifg, metadata_geometry=False)
    out = tmp_path / "out"
    out.mkdir()
    params = {"SERIES": sc["series"], **_outputs(out)}
    if geometry:
        params.update({"INCIDENCES": "36,41", "HEADINGS": "-12,192"})
    if with_ifg:
        params["MANIFEST"] = sc["manifest"]
    return sc, params, out


def _los_rasters(folder, vec, shape, *, names=("e", "n", "u"), scale=1.0):
    return [write_raster(os.path.join(folder, f"los_{k}.tif"), np.full(shape, v * scale)) for k, v in zip(names, vec)]


def _desc_by_manifest(sc, tmp_path, **columns) -> str:
    """A manifest giving the descending series with ``columns`` (e.g. los_east=path ...)."""
    m = tmp_path / "in" / "desc.csv"
    keys = list(columns)
    m.write_text("name,path," + ",".join(keys) + "\ndesc," + sc["series"][1] + ","
                 + ",".join(str(columns[k]) for k in keys) + "\n", encoding="utf-8")
    return str(m)


def _own_constants(folder, seed=5, keep=None):
    """Give every interferogram of ``folder`` its own constant (radians), as an unwrapper without a reference does;
    ``keep(values) -> values`` changes the data too."""
    from testutils import read_bands

    rng = np.random.default_rng(seed)
    for f in sorted(os.listdir(folder)):
        p = os.path.join(str(folder), f)
        vals, ds = read_bands(p)
        md = ds.GetMetadata()
        ds = None
        vals = vals[0] + rng.uniform(-20.0, 20.0)
        write_raster(p, keep(vals) if keep else vals, metadata=md)


def test_los_vector_rasters_that_are_not_unit_vectors_are_refused(qgis_app, tmp_path):
    """Ground-to-satellite LOS unit vectors (EGMS los_east/los_north/los_up, norm 1, up > 0:
    https://land.copernicus.eu/en/technical-library/egms-product-description-document) scaled by 2 are refused
    naming the stack and the norm found."""
    sc, params, out = _base(tmp_path)
    e, n, u = _los_rasters(str(tmp_path / "in"), sc["stacks"]["s1_desc"][2], sc["shape"], scale=2.0)
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12",
                   "MANIFEST": _desc_by_manifest(sc, tmp_path, los_east=e, los_north=n, los_up=u)})
    _refused(params, r"stack 'desc': its LOS vector .*not a unit vector.*norm 2", str(out))


def test_los_vector_rasters_pointing_into_the_ground_are_refused(qgis_app, tmp_path):
    """The satellite-to-ground vector (up < 0) given where the ground-to-satellite one is expected is refused, saying
    to negate it."""
    sc, params, out = _base(tmp_path)
    e, n, u = _los_rasters(str(tmp_path / "in"), sc["stacks"]["s1_desc"][2], sc["shape"], scale=-1.0)
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12",
                   "MANIFEST": _desc_by_manifest(sc, tmp_path, los_east=e, los_north=n, los_up=u)})
    _refused(params, r"stack 'desc': its LOS vector points into the ground.*negate", str(out))


def test_three_band_los_raster_given_as_each_component_reads_its_three_bands(qgis_app, tmp_path):
    """One raster holding east, north and up as bands 1-3 given as los_east, los_north and los_up: each component
    is read from its own band (the run equals the one with three one-band rasters), and the log says so."""
    from testutils import read_bands, recording_feedback

    sc, params, out = _base(tmp_path)
    vec = sc["stacks"]["s1_desc"][2]
    e, n, u = _los_rasters(str(tmp_path / "in"), vec, sc["shape"])
    three = write_raster(tmp_path / "in" / "los3.tif", np.stack([np.full(sc["shape"], v) for v in vec]))
    base = {**params, "SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12"}
    res1 = hk.run("multisensortimeseries", {**base, "MANIFEST": _desc_by_manifest(
        sc, tmp_path, los_east=e, los_north=n, los_up=u)})
    up1 = read_bands(res1["OUTPUT_UP"])[0]
    out2 = tmp_path / "out2"
    out2.mkdir()
    fb = recording_feedback()
    res2 = hk.run("multisensortimeseries", {**base, **_outputs(out2), "MANIFEST": _desc_by_manifest(
        sc, tmp_path, los_east=three, los_north=three, los_up=three)}, fb)
    np.testing.assert_array_equal(read_bands(res2["OUTPUT_UP"])[0], up1)
    assert np.isfinite(up1).mean() > 0.9
    assert "los3.tif" in fb.text and "bands 1, 2 and 3" in fb.text


def test_one_band_raster_given_as_two_los_components_is_refused(qgis_app, tmp_path):
    sc, params, out = _base(tmp_path)
    e, n, u = _los_rasters(str(tmp_path / "in"), sc["stacks"]["s1_desc"][2], sc["shape"])
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12",
                   "MANIFEST": _desc_by_manifest(sc, tmp_path, los_east=e, los_north=e, los_up=u)})
    _refused(params, r"stack 'desc': los_east and los_north are the same raster \(los_e.tif", str(out))


@pytest.mark.parametrize("which, values, match", [
    ("INCIDENCE_RASTERS", (np.radians(36.0), np.radians(41.0)), r"INCIDENCE_RASTERS: .* radians"),
    ("HEADING_RASTERS", (np.radians(-12.0), np.radians(192.0)), r"HEADING_RASTERS: .* radians"),
    ("HEADING_RASTERS", (-12.0 + 3600.0, 192.0), r"HEADING_RASTERS: .*3588.*-360 to 360"),
    ("INCIDENCE_RASTERS", (90.0 - 36.0 + 40.0, 41.0), r"INCIDENCE_RASTERS: .*94.*0 to 80"),
])
def test_angle_rasters_in_the_wrong_unit_or_range_are_refused(qgis_app, tmp_path, which, values, match):
    """Incidence and heading rasters hold degrees (incidence from the vertical, 15-65 for spaceborne SAR; heading
    clockwise from north, about -12 / 192 for Sentinel-1: https://sentinels.copernicus.eu/web/sentinel/technical-guides
    /sentinel-1-sar/products-algorithms/level-1-algorithms/ground-range-detected); radians or values far outside the
    range are refused naming the raster."""
    sc, params, out = _base(tmp_path, geometry=False)
    other = "HEADING_RASTERS" if which == "INCIDENCE_RASTERS" else "INCIDENCE_RASTERS"
    good = (36.0, 41.0) if other == "INCIDENCE_RASTERS" else (-12.0, 192.0)
    for key, vals in ((which, values), (other, good)):
        params[key] = [write_raster(tmp_path / "in" / f"{key.lower()}_{i}.tif", np.full(sc["shape"], v))
                       for i, v in enumerate(vals)]
    _refused(params, match, str(out))


@pytest.mark.parametrize("how", ["series_twice", "series_and_manifest", "copy"])
def test_the_same_stack_given_twice_is_refused(qgis_app, tmp_path, how):
    """A stack counted twice halves its noise variance (sigmas too small): refused naming both."""
    import shutil

    sc, params, out = _base(tmp_path)
    a, b = sc["series"]
    if how == "series_twice":
        params.update({"SERIES": [a, b, a], "INCIDENCES": "36,41,36", "HEADINGS": "-12,192,-12"})
        match = r"stack 's1_asc_3' is .*the same file as stack 's1_asc'"
    elif how == "series_and_manifest":
        m = tmp_path / "in" / "again.csv"
        m.write_text(f"name,path,incidence_deg,heading_deg\nasc_again,{a},36,-12\n", encoding="utf-8")
        params["MANIFEST"] = str(m)
        match = r"stack 'asc_again' is .*the same file as stack 's1_asc'"
    else:
        c = str(tmp_path / "in" / "copy_of_desc.tif")
        shutil.copy(b, c)
        params.update({"SERIES": [a, b, c], "INCIDENCES": "36,41,41", "HEADINGS": "-12,192,192"})
        match = r"stack 'copy_of_desc' holds the same values as stack 's1_desc'"
    _refused(params, match, str(out))


def test_interferogram_without_a_date_pair_in_its_name_is_named_in_the_log(qgis_app, tmp_path):
    """A file of an interferogram folder whose name holds no date pair is left out with a warning naming it (it
    was dropped without a word)."""
    from testutils import read_bands

    sc, params, out = _base(tmp_path, with_ifg=True)
    folder = tmp_path / "in" / "tsx_asc"
    first = sorted(os.listdir(folder))[0]
    write_raster(folder / "ifg_second_pass.unw.tif", read_bands(str(folder / first))[0],
                 metadata={"WAVELENGTH_M": "0.031"})
    fb = hk.warning_feedback()
    hk.run("multisensortimeseries", params, fb)
    assert any("ifg_second_pass.unw.tif" in w and "tsx_asc" in w for w in fb.warnings), fb.warnings


def test_output_over_an_interferogram_named_by_the_manifest_is_refused(qgis_app, tmp_path):
    """An output path equal to a file only the MANIFEST names (an interferogram of its folder) is refused, and the
    file is left as it was."""
    sc, params, out = _base(tmp_path, with_ifg=True)
    target = sorted(os.path.join(tmp_path, "in", "tsx_asc", f) for f in os.listdir(tmp_path / "in" / "tsx_asc"))[3]
    before = hk.digest([target])
    params["OUTPUT_EAST"] = target
    msg = hk.expect_refusal("multisensortimeseries", params, r"OUTPUT_EAST: .* input")
    assert "MANIFEST" in msg
    assert hk.digest([target]) == before
    assert not [f for f in os.listdir(out)], "a refused run left files"


def test_one_stack_only_is_refused(qgis_app, tmp_path):
    sc, params, out = _base(tmp_path)
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12"})
    _refused(params, r"one stack .*'s1_asc'.*east and up need at least two", str(out))


def test_stacks_of_one_geometry_only_are_refused(qgis_app, tmp_path):
    sc, params, out = _base(tmp_path)
    params.update({"INCIDENCES": "36,36", "HEADINGS": "-12,-12"})
    _refused(params, r"every stack .*one line of sight.*'s1_asc' \(.*'s1_desc' \(", str(out))


def test_a_stack_with_two_dates_is_refused(qgis_app, tmp_path):
    sc, params, out = _base(tmp_path)
    dates, vals, _ = sc["stacks"]["s1_desc"]
    short = write_raster(tmp_path / "in" / "short.tif", vals[:2], descriptions=[d.isoformat() for d in dates[:2]])
    params["SERIES"] = [sc["series"][0], short]
    _refused(params, r"stack 'short' has 2 dates.*at least 8", str(out))


def test_a_run_asking_for_no_output_is_refused(qgis_app, tmp_path):
    sc, params, out = _base(tmp_path)
    for o in OUTPUTS:
        params.pop(o)
    _refused(params, r"no output was asked for", str(out))


def test_a_grid_far_too_large_is_refused_up_front(qgis_app, tmp_path):
    """A TEMPLATE grid of 2.5 billion pixels: refused before anything is read, naming the size (it ran silently for
    minutes)."""
    from osgeo import gdal, osr

    sc, params, out = _base(tmp_path)
    t = str(tmp_path / "in" / "huge.tif")
    ds = gdal.GetDriverByName("GTiff").Create(t, 50000, 50000, 1, gdal.GDT_Byte, ["TILED=YES", "SPARSE_OK=TRUE"])
    ds.SetGeoTransform((GT[0] - 750000.0, 30.0, 0.0, GT[3] + 750000.0, 0.0, -30.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    ds = None
    params["TEMPLATE"] = t
    _refused(params, r"output grid is 50000 x 50000 pixels: one row .* more than the memory budget", str(out))


# ------------------------------------------------------------------------------------------ each input at its limits
def _desc(sc):
    dates, vals, _ = sc["stacks"]["s1_desc"]
    return dates, vals, [d.isoformat() for d in dates]


def _second_stack_in_manifest(folder, params, sc, name, columns, values):
    """The second series of ``sc`` given in a manifest (``folder/m.csv``: name, path, ``columns`` = ``values``) and
    the first as SERIES with its typed geometry."""
    m = folder / "m.csv"
    m.write_text(f"name,path,{columns}\n{name},{sc['series'][1]},{values}\n", encoding="utf-8")
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12", "MANIFEST": str(m)})


def _series_limit(case, sc, tmp_path, params):
    """Spoil the descending series (or its geometry) for ``case``; returns the regex of the refusal."""
    dates, vals, desc = _desc(sc)
    folder = tmp_path / "in"
    if case == "one_band":
        params["SERIES"] = [sc["series"][0], write_raster(folder / "one.tif", vals[:1], descriptions=desc[:1])]
        return r"stack 'one' \(one.tif\) has 1 band; a per-date series needs one band per date"
    if case == "date_twice":
        d2 = list(desc)
        d2[5] = d2[4]
        params["SERIES"] = [sc["series"][0], write_raster(folder / "twice.tif", vals, descriptions=d2)]
        return r"stack 'twice': date .* appears twice \(bands 5 and 6\)"
    if case == "unknown_unit":
        params["SERIES"] = [sc["series"][0], write_raster(folder / "furlong.tif", vals, descriptions=desc,
                                                          metadata={"UNIT": "furlong"})]
        return r"stack 'furlong': metadata UNIT='furlong' is not one of mm, m, rad"
    if case == "radians_without_wavelength":
        params["SERIES"] = [sc["series"][0], write_raster(folder / "phase.tif", vals / 4.4, descriptions=desc,
                                                          metadata={"UNIT": "rad"})]
        return r"stack 'phase' is in radians but has no wavelength"
    if case == "rotated":
        gt = (GT[0], 30.0, 2.0, GT[3], 2.0, -30.0)
        params["SERIES"] = [sc["series"][0], write_raster(folder / "rot.tif", vals, gt=gt, descriptions=desc)]
        return r"stack 'rot' has a rotated geotransform"
    if case == "interferograms_with_their_own_constants_and_no_common_data":
        def sparse(v):
            out = np.full_like(v, np.nan)
            out[:3, :3] = v[:3, :3]  # data on 9 pixels only
            return out

        _own_constants(folder / "tsx_asc", keep=sparse)
        params["MANIFEST"] = sc["manifest"]
        return r"stack 'tsx_asc' has data on only 9 of the \d+ pixels sampled on the ground every stack covers"
    if case == "heading_raster_all_nan":
        params.pop("HEADINGS")
        params.pop("INCIDENCES")
        params["INCIDENCE_RASTERS"] = [write_raster(folder / f"inc{i}.tif", np.full(sc["shape"], v))
                                       for i, v in enumerate((36.0, 41.0))]
        params["HEADING_RASTERS"] = [write_raster(folder / "h0.tif", np.full(sc["shape"], -12.0)),
                                     write_raster(folder / "h1.tif", np.full(sc["shape"], np.nan))]
        return r"HEADING_RASTERS: h1.tif has no valid pixel"
    if case == "incidence_and_heading_one_raster":
        both = write_raster(folder / "both.tif", np.full(sc["shape"], 41.0))
        _second_stack_in_manifest(folder, params, sc, "desc", "incidence_deg,heading_deg", f"{both},{both}")
        return r"stack 'desc': its incidence and heading are the same raster \(both.tif\)"
    if case == "two_band_raster_as_the_three_los_components":
        two = write_raster(folder / "two.tif", np.ones((2,) + sc["shape"]) * 0.5)
        params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12",
                       "MANIFEST": _desc_by_manifest(sc, tmp_path, los_east=two, los_north=two, los_up=two)})
        return r"stack 'desc': los_east, los_north and los_up are the same raster \(two.tif, 2 band\(s\)\)"
    if case == "los_vector_half_pointing_down":
        e, n, u = sc["stacks"]["s1_desc"][2]
        up = np.full(sc["shape"], u)
        up[:, :11] = -u
        paths = [write_raster(folder / f"v{k}.tif", np.full(sc["shape"], x)) for k, x in (("e", e), ("n", n))]
        paths.append(write_raster(folder / "vu.tif", up))
        params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12",
                       "MANIFEST": _desc_by_manifest(sc, tmp_path, los_east=paths[0], los_north=paths[1],
                                                     los_up=paths[2])})
        return r"stack 'desc': its LOS vector points into the ground on 198 of 396 pixels"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["one_band", "date_twice", "unknown_unit", "radians_without_wavelength", "rotated",
                                  "interferograms_with_their_own_constants_and_no_common_data",
                                  "heading_raster_all_nan",
                                  "incidence_and_heading_one_raster", "two_band_raster_as_the_three_los_components",
                                  "los_vector_half_pointing_down"])
def test_a_raster_input_at_its_limits_is_refused(qgis_app, tmp_path, case):
    sc, params, out = _base(tmp_path, with_ifg="constants" in case)
    params.pop("MANIFEST", None)
    _refused(params, _series_limit(case, sc, tmp_path, params), str(out))


# ------------------------------------------------------------------------------------------ inputs that disagree
def _inconsistent(case, sc, tmp_path, params):
    dates, vals, desc = _desc(sc)
    folder = tmp_path / "in"
    if case == "incidence_rasters_count":
        params.pop("INCIDENCES")
        params["INCIDENCE_RASTERS"] = [write_raster(folder / "i0.tif", np.full(sc["shape"], 36.0))]
        return r"INCIDENCE_RASTERS: 1 raster\(s\) for 2 SERIES raster\(s\)"
    if case == "wavelengths_count":
        params["WAVELENGTHS"] = "0.0555,0.0555,0.031"
        return r"WAVELENGTHS: 3 values for 2 SERIES raster\(s\)"
    if case == "reference_date_of_no_stack":
        params["REFERENCE_DATE"] = "2019-01-04"
        return r"reference_date 2019-01-04 is not a date of any stack"
    if case == "reference_on_a_hole_of_one_stack":
        v = vals.copy()
        v[:, 5, 5] = np.nan
        params["SERIES"] = [sc["series"][0], write_raster(folder / "hole.tif", v, descriptions=desc)]
        params["REFERENCE"] = f"{GT[0] + 5.5 * 30},{GT[3] - 5.5 * 30} [EPSG:32633]"
        return r"REFERENCE: stack 'hole' has no data at the reference point on 67 of its 67 bands"
    if case == "stacks_decades_apart":
        late = [d.replace(year=d.year + 20) for d in dates]
        params["SERIES"] = [sc["series"][0], write_raster(folder / "late.tif", vals,
                                                          descriptions=[d.isoformat() for d in late])]
        return r"stacks 's1_asc' \(data until 2021-04-10\) and 'late' \(data from 2039-01-08\) are 17.7 years apart"
    if case == "interferograms_with_their_own_constants_and_stacks_sharing_no_ground":
        # 'mid' overlaps the interferograms' grid and 'far', 'far' does not reach the interferograms' grid
        mid = (GT[0] + 15 * 30.0, 30.0, 0.0, GT[3], 0.0, -30.0)
        far = (GT[0] + 30 * 30.0, 30.0, 0.0, GT[3], 0.0, -30.0)
        params["SERIES"] = [write_raster(folder / "mid.tif", vals, gt=mid, descriptions=desc),
                            write_raster(folder / "far.tif", sc["stacks"]["s1_asc"][1], gt=far,
                                         descriptions=[d.isoformat() for d in sc["stacks"]["s1_asc"][0]])]
        params.update({"INCIDENCES": "41,36", "HEADINGS": "192,-12", "MANIFEST": sc["manifest"]})
        _own_constants(folder / "tsx_asc")
        return (r"the interferograms of stack\(s\) 'tsx_asc' carry each its own constant and the stacks share no "
                "ground that every one of them covers")
    if case == "split_interferogram_network":
        folder_i = folder / "tsx_asc"
        for f in ("20190323_20190414", "20190403_20190414", "20190403_20190425"):  # every pair across 04-03..04-14
            os.remove(folder_i / f"{f}.unw.tif")
        params["MANIFEST"] = sc["manifest"]
        return r"stack 'tsx_asc': its interferogram network is split into 2 subsets"
    if case == "declared_geometry_of_the_other_track":
        _second_stack_in_manifest(folder, params, sc, "desc_as_asc", "incidence_deg,heading_deg", "36,-12")
        return r"every stack looks at the ground along one line of sight"
    if case == "look_up":
        _second_stack_in_manifest(folder, params, sc, "desc", "incidence_deg,heading_deg,look", "41,192,up")
        return r"stack 'desc': look must be 'right' or 'left', got 'up'"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["incidence_rasters_count", "wavelengths_count", "reference_date_of_no_stack",
                                  "reference_on_a_hole_of_one_stack", "stacks_decades_apart",
                                  "interferograms_with_their_own_constants_and_stacks_sharing_no_ground",
                                  "split_interferogram_network",
                                  "declared_geometry_of_the_other_track", "look_up"])
def test_inputs_that_disagree_are_refused(qgis_app, tmp_path, case):
    with_ifg = case == "split_interferogram_network" or "constants" in case
    sc, params, out = _base(tmp_path, with_ifg=with_ifg)
    _refused(params, _inconsistent(case, sc, tmp_path, params), str(out))


# ------------------------------------------------------------------------------------------ manifests that lie
def _lying(case, sc, tmp_path, params):
    folder = tmp_path / "in"
    m = folder / ("m.json" if case in ("not_json", "json_not_a_list") else "m.csv")
    ifg = folder / "tsx_asc"
    rows = {
        "series_declared_for_a_folder": (f"name,path,kind,incidence_deg,heading_deg\nx,{ifg},series,30,-10\n",
                                         r"MANIFEST row 1 \('x'\): kind is series but .*tsx_asc' is a folder"),
        "interferograms_declared_for_a_series": (
            f"name,path,kind,incidence_deg,heading_deg\nx,{sc['series'][1]},interferograms,41,192\n",
            r"stack 'x': 1 interferogram\(s\) found .* a stack needs at least two"),
        "unknown_kind": (f"name,path,kind\nx,{sc['series'][1]},offsets\n",
                         r"MANIFEST row 1 \('x'\): kind must be 'series', 'interferograms' or 'points' \(EGMS\), "
                         r"got 'offsets'"),
        "header_only": ("name,path,incidence_deg,heading_deg\n", r"MANIFEST: m.csv lists no stack"),
        "not_json": ('[{"name": "x", "path": ', r"MANIFEST: m.json is not valid JSON"),
        "json_not_a_list": ('{"name": "x"}', r"MANIFEST: expected a JSON list of objects"),
        "wavelength_not_a_number": (f"name,path,wavelength_m,incidence_deg,heading_deg\nx,{sc['series'][1]},C,41,"
                                    "192\n", r"MANIFEST row 1: wavelength_m 'C' is not a number"),
        "wavelength_in_centimetres": (f"name,path,wavelength_m,incidence_deg,heading_deg\nx,{sc['series'][1]},5.55,"
                                      "41,192\n", r"MANIFEST row 1 \('x'\) wavelength_m = 5.55 m is not physically "
                                                  "plausible"),
        "incidence_in_radians": (f"name,path,incidence_deg,heading_deg\nx,{sc['series'][1]},0.7156,192\n",
                                 r"MANIFEST row 1 \('x'\) incidence_deg: the value 0.7156 looks like radians"),
        "heading_out_of_range": (f"name,path,incidence_deg,heading_deg\nx,{sc['series'][1]},41,912\n",
                                 r"MANIFEST row 1 \('x'\) heading_deg = 912 deg is not physically plausible"),
        "reference_date_not_of_the_stack": (
            f"name,path,incidence_deg,heading_deg,reference_date\nx,{sc['series'][1]},41,192,2019-01-09\n",
            r"stack 'x': reference date 2019-01-09 is not one of its dates"),
        "two_rows_one_name": (f"name,path,incidence_deg,heading_deg\nx,{sc['series'][1]},41,192\nx,{ifg},30,-10\n",
                              r"MANIFEST row 2: a stack is already named 'x'"),
        "los_numbers_not_unit": (f"name,path,los_east,los_north,los_up\nx,{sc['series'][1]},0.6,-0.1,0.9\n",
                                 r"stack 'x': LOS vector \(0.6, -0.1, 0.9\) is not a ground-to-satellite unit vector"),
        "a_truncated_interferogram": (None, r"MANIFEST: .*\.unw\.tif cannot be read .* truncated"),
        "garbage_series": (None, r"MANIFEST: garbage.tif is not a raster GDAL can read"),
    }
    text, match = rows[case]
    if case == "a_truncated_interferogram":
        hk.truncate(str(ifg / sorted(os.listdir(ifg))[7]), 0.5)
        text = f"name,path,incidence_deg,heading_deg\ntsx,{ifg},30,-10\n"
    if case == "garbage_series":
        hk.garbage(str(folder / "garbage.tif"))
        text = f"name,path,incidence_deg,heading_deg\nx,{folder / 'garbage.tif'},41,192\n"
    m.write_text(text, encoding="utf-8")
    params.update({"SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12", "MANIFEST": str(m)})
    return match


@pytest.mark.parametrize("case", ["series_declared_for_a_folder", "interferograms_declared_for_a_series",
                                  "unknown_kind", "header_only", "not_json", "json_not_a_list",
                                  "wavelength_not_a_number", "wavelength_in_centimetres", "incidence_in_radians",
                                  "heading_out_of_range", "reference_date_not_of_the_stack", "two_rows_one_name",
                                  "los_numbers_not_unit", "a_truncated_interferogram", "garbage_series"])
def test_a_manifest_that_lies_is_refused(qgis_app, tmp_path, case):
    sc, params, out = _base(tmp_path, with_ifg=True)
    _refused(params, _lying(case, sc, tmp_path, params), str(out))


# ------------------------------------------------------------------------------------------ accepted, and said
def test_an_interferogram_empty_on_the_common_ground_is_left_out_and_named(qgis_app, tmp_path):
    """In a stack tied to the common ground (its interferograms carry their own constants), an interferogram without
    data there cannot be tied: it is left out, named in the log, and the rest of the stack is used."""
    from testutils import read_bands

    sc, params, out = _base(tmp_path, with_ifg=True)
    folder = tmp_path / "in" / "tsx_asc"
    _own_constants(folder)
    first = sorted(os.listdir(folder))[4]
    vals, ds = read_bands(str(folder / first))
    md = ds.GetMetadata()
    ds = None
    v = np.full_like(vals[0], np.nan)
    v[:3, :3] = vals[0, :3, :3]  # 9 pixels with data: too few to take its median from
    write_raster(folder / first, v, metadata=md)
    fb = hk.warning_feedback()
    res = hk.run("multisensortimeseries", params, fb)
    pair = first.split(".")[0]
    assert any("stack 'tsx_asc': 1 of its interferograms" in w and pair in w for w in fb.warnings), fb.warnings
    assert np.isfinite(read_bands(res["OUTPUT_VELOCITY"])[0][1]).mean() > 0.9


def test_series_bands_out_of_date_order_give_the_sorted_result(qgis_app, tmp_path):
    from testutils import read_bands

    sc, params, out = _base(tmp_path)
    dates, vals, desc = _desc(sc)
    order = np.random.default_rng(1).permutation(len(dates))
    shuffled = write_raster(tmp_path / "in" / "shuffled.tif", vals[order], descriptions=[desc[i] for i in order])
    res = hk.run("multisensortimeseries", params)
    out2 = tmp_path / "out2"
    out2.mkdir()
    res2 = hk.run("multisensortimeseries", {**params, **_outputs(out2), "SERIES": [sc["series"][0], shuffled]})
    np.testing.assert_array_equal(read_bands(res2["OUTPUT_UP"])[0], read_bands(res["OUTPUT_UP"])[0])


def test_a_series_in_metres_or_with_a_nodata_value_gives_the_same_result(qgis_app, tmp_path):
    """UNIT=m is read as metres (x 1000) and a -9999 nodata value as no data: the result is the one of the series in
    mm with NaN."""
    from testutils import read_bands

    sc, params, out = _base(tmp_path)
    dates, vals, desc = _desc(sc)
    v = vals.copy()
    v[:, 3, 4] = np.nan
    mm = write_raster(tmp_path / "in" / "mm.tif", v, descriptions=desc, metadata={"UNIT": "mm"})
    res = hk.run("multisensortimeseries", {**params, "SERIES": [sc["series"][0], mm]})
    ref = read_bands(res["OUTPUT_VELOCITY"])[0]
    metres = np.where(np.isfinite(v), v / 1000.0, -9999.0)
    from testutils import write_geotiff

    m = write_geotiff(tmp_path / "in" / "m.tif", metres, geotransform=GT, epsg=32633, nodata=-9999.0,
                      descriptions=desc, metadata={"UNIT": "m"})
    out2 = tmp_path / "out2"
    out2.mkdir()
    res2 = hk.run("multisensortimeseries", {**params, **_outputs(out2), "SERIES": [sc["series"][0], m]})
    np.testing.assert_allclose(read_bands(res2["OUTPUT_VELOCITY"])[0], ref, atol=1e-3, equal_nan=True)


def test_a_three_band_los_raster_read_by_its_band_descriptions(qgis_app, tmp_path):
    """Bands described up, north, east (in that order) are read as what they say."""
    from testutils import read_bands, recording_feedback

    sc, params, out = _base(tmp_path)
    e, n, u = sc["stacks"]["s1_desc"][2]
    three = write_raster(tmp_path / "in" / "unE.tif", np.stack([np.full(sc["shape"], x) for x in (u, n, e)]),
                         descriptions=["los_up", "los_north", "los_east"])
    fb = recording_feedback()
    base = {**params, "SERIES": [sc["series"][0]], "INCIDENCES": "36", "HEADINGS": "-12"}
    res = hk.run("multisensortimeseries", {**base, "MANIFEST": _desc_by_manifest(
        sc, tmp_path, los_east=three, los_north=three, los_up=three)}, fb)
    assert "bands 3, 2 and 1 (as its band descriptions name them)" in fb.text
    out2 = tmp_path / "out2"
    out2.mkdir()
    res2 = hk.run("multisensortimeseries", {**params, **_outputs(out2)})
    np.testing.assert_allclose(read_bands(res["OUTPUT_VELOCITY"])[0], read_bands(res2["OUTPUT_VELOCITY"])[0],
                               atol=1e-4, equal_nan=True)


def test_a_typed_value_that_contradicts_the_metadata_is_warned_naming_both(qgis_app, tmp_path):
    sc = scene(str(tmp_path / "in"), with_ifg=False, metadata_geometry=True)
    out = tmp_path / "out"
    out.mkdir()
    fb = hk.warning_feedback()
    hk.run("multisensortimeseries", {"SERIES": sc["series"], "INCIDENCES": "38,41", "HEADINGS": "-12,192",
                                     **_outputs(out)}, fb)
    assert any("stack 's1_asc' incidence_deg = 38 deg disagrees with the inputs' metadata (s1_asc.tif "
               "(incidence_deg) = 36 deg); using stack 's1_asc' incidence_deg" in w for w in fb.warnings), fb.warnings

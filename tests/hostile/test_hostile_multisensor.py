"""Hostile inputs for multisensortimeseries: the family's standard cases (output = input, read-only folder, a
truncated or all-NaN series, no CRS, stacks far apart, an implausible incidence, cancel, extra bands) and the bad
input of a multi-sensor run (a stack without geometry, a band date that cannot be read, the same geometry with an
unknown wavelength, a reference point outside a stack, a manifest that names nothing usable)."""

import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils_multisensor import GT, scene, write_raster

TOOLS = ["multisensortimeseries"]
OUTPUTS = ["OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST", "OUTPUT_VELOCITY", "OUTPUT_REPORT"]


def _series(folder, name, *, nan=False, epsg=32633, gt=GT):
    sc = scene(os.path.join(folder, name + "_scene"), with_ifg=False)
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
        radar = [_series(folder, "radar_a", epsg=None), _series(folder, "radar_b", epsg=None)]
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

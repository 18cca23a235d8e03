"""The per-file work a stack tool does once per run: the input listing (real paths, side-cars) shared by the
guard, the history and the geometry stamping; the headers the guard read reused by ``raster_info``; each
input raster read once for the geometry its outputs carry on."""

from __future__ import annotations

import os

import numpy as np
import pytest
from testutils_multisensor import write_raster
from testutils_seed import drawn_seed


@pytest.fixture
def sbas(qgis_app):
    from qgis.core import QgsApplication

    return QgsApplication.processingRegistry().algorithmById("geohazard:sbasinversion").create()


def _stack(folder, n=3):
    os.makedirs(folder, exist_ok=True)
    names = [f"2020010{k + 1}_2020011{k + 1}.tif" for k in range(n)]
    for k, name in enumerate(names):
        write_raster(os.path.join(folder, name), np.full((4, 5), float(k), np.float32))
    return [os.path.join(folder, n) for n in names]


def test_listing_resolves_links_like_realpath(tmp_path, sbas):
    from insar_geohazards.processing_provider.inputs.guard import input_files

    real = _stack(str(tmp_path / "real"))
    os.symlink(tmp_path / "real", tmp_path / "linked_dir")
    os.makedirs(tmp_path / "mixed")
    os.symlink(real[0], tmp_path / "mixed" / os.path.basename(real[0]))  # a link to a file of another folder
    write_raster(str(tmp_path / "mixed" / "20200201_20200213.tif"), np.zeros((4, 5), np.float32))
    for folder in ("linked_dir", "mixed"):
        listed = input_files(sbas, {"INTERFEROGRAMS": str(tmp_path / folder)}, None)
        rasters = sorted(p for p in listed if p.endswith(".tif"))
        expected = sorted({os.path.realpath(os.path.join(tmp_path, folder, f))
                           for f in os.listdir(tmp_path / folder)})
        assert rasters == expected
        assert all(v == "INTERFEROGRAMS" for v in listed.values())
        assert all(p + ".aux.xml" in listed for p in expected)  # side-cars beside the real file


def test_listing_is_made_once_per_run(tmp_path, sbas):
    from insar_geohazards.processing_provider.inputs.guard import input_files, remember_input_files

    folder = str(tmp_path / "ifg")
    _stack(folder)
    params = {"INTERFEROGRAMS": folder}
    first = remember_input_files(sbas, params, None)
    late = _stack(str(tmp_path / "ifg"), n=4)[-1]  # a file that appears after the guard listed the inputs
    assert os.path.realpath(late) not in input_files(sbas, params, None)
    assert input_files(sbas, params, None) == first
    assert os.path.realpath(late) in input_files(sbas, dict(params), None)  # another run's parameters: listed again
    sbas._geohazard_input_files = None  # what processAlgorithm does when the run ends
    assert os.path.realpath(late) in input_files(sbas, params, None)


def test_raster_info_reuses_the_guards_header_within_a_run(tmp_path, qgis_app):
    from insar_geohazards.fileio.base.probe import remember_header, run_headers
    from insar_geohazards.fileio.base.raster import raster_info

    path = _stack(str(tmp_path / "ifg"), n=1)[0]
    fresh = raster_info(path)
    header = {k: v for k, v in vars(fresh).items() if k != "path"}
    header["crs_wkt"] = "the header the guard read"
    with run_headers():
        remember_header(path, header)
        assert raster_info(path).crs_wkt == "the header the guard read"
        raster_info(path).nodata.append(1.0)  # a caller changing its copy changes no other caller's
        assert raster_info(path).nodata == fresh.nodata
    assert raster_info(path).crs_wkt == fresh.crs_wkt  # outside a run: read from the file
    remember_header(path, header)  # outside a run: not kept
    assert raster_info(path).crs_wkt == fresh.crs_wkt


def test_header_cache_is_found_through_links_and_relative_paths(tmp_path, qgis_app, monkeypatch):
    from insar_geohazards.fileio.base.probe import known_header, remember_header, run_headers

    path = _stack(str(tmp_path / "ifg"), n=1)[0]
    os.symlink(tmp_path / "ifg", tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    with run_headers():
        remember_header(str(tmp_path / "link" / os.path.basename(path)), {"crs_wkt": "kept"})
        assert known_header(path) == {"crs_wkt": "kept"}
        assert known_header(os.path.join("ifg", os.path.basename(path))) == {"crs_wkt": "kept"}
        assert known_header(str(tmp_path / "missing.tif")) is None


@pytest.mark.parametrize("options", [[], ["BIGTIFF=YES"], ["ENDIANNESS=BIG"], ["BIGTIFF=YES", "ENDIANNESS=BIG"],
                                     ["GEOTIFF_VERSION=1.1"]])
def test_crs_text_shared_by_identical_geokeys_is_gdals(tmp_path, qgis_app, options):
    """Files whose geo-key tags match one already read get its CRS text: it must be the text GDAL builds
    for each of them, whatever the CRS, the TIFF flavour (BigTIFF, big-endian) or the GeoTIFF version."""
    from osgeo import gdal, osr

    from insar_geohazards.fileio.base.probe import _WKT_BY_GEOKEYS, crs_wkt, quiet_gdal_reads

    specs = ["EPSG:4326", "EPSG:32614", "EPSG:3035", "EPSG:4326+5773", "ESRI:54009",
             "+proj=tmerc +lat_0=1 +lon_0=12 +k=0.9 +x_0=5 +y_0=7 +ellps=GRS80 +units=m", ""]
    drv = gdal.GetDriverByName("GTiff")
    for rep in range(2):  # the second pass is answered from the shared texts
        for k, spec in enumerate(specs):
            path = str(tmp_path / f"f{k}_{rep}.tif")
            ds = drv.Create(path, 3, 2, 1, gdal.GDT_Float32, options=options)
            ds.SetGeoTransform((0, 1, 0, 2, 0, -1))
            if spec:
                srs = osr.SpatialReference()
                srs.SetFromUserInput(spec)
                ds.SetSpatialRef(srs)
            ds = None
            with quiet_gdal_reads():  # PAM off, as while inputs are checked and read
                assert crs_wkt(gdal.Open(path)) == (gdal.Open(path).GetProjection() or ""), (spec, options)
    assert len(_WKT_BY_GEOKEYS) >= len(specs) - 1  # the texts were kept (a file without a CRS has no geo-keys)
    # the geo-keys of f1 (UTM 14N) with a PAM side-car giving WGS 84: GDAL's answer, not the shared text
    import shutil

    shutil.copy(tmp_path / "f1_0.tif", tmp_path / "pam.tif")
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    (tmp_path / "pam.tif.aux.xml").write_text(f"<PAMDataset><SRS>{wgs84.ExportToWkt()}</SRS></PAMDataset>")
    assert '32614' in crs_wkt(gdal.Open(str(tmp_path / "f1_0.tif")))  # kept with these settings
    gdal_text = gdal.Open(str(tmp_path / "pam.tif")).GetProjection()
    assert 'ID["EPSG",4326]' in gdal_text or 'AUTHORITY["EPSG","4326"]' in gdal_text
    assert crs_wkt(gdal.Open(str(tmp_path / "pam.tif"))) == gdal_text


def test_model_steps_share_the_probes_of_unchanged_files(tmp_path, qgis_app, monkeypatch):
    """Within a model run a raster an earlier step probed, with the same options and unchanged since, is not opened
    again (Corrected SBAS's six steps read one coherence stack); a changed file, other options, a refused file and
    a run outside a model are probed again, and the answers and the first refusal are the ones of a fresh probe."""
    import time

    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.base import probe

    os.makedirs(tmp_path / "coh")
    paths = [str(tmp_path / "coh" / f"202001{k + 10}_202002{k + 10}.cc.tif") for k in range(12)]
    for k, path in enumerate(paths):
        write_raster(path, np.full((4, 5), k / 12, np.float32))
    (tmp_path / "broken.tif").write_bytes(b"II*\x00 not a raster")
    opened = []
    real = probe.probe_raster
    monkeypatch.setattr(probe, "probe_raster", lambda name, path, **kw: opened.append(path) or real(name, path, **kw))
    kw = {"complex_ok": False, "multiband_ok": False, "coherence": True}
    jobs = [("COHERENCE", p, kw) for p in paths]
    first = probe.probe_rasters(jobs)
    fresh = repr(first)  # compared as text: a header's nodata may be NaN
    assert repr(probe.probe_rasters(jobs)) == fresh and len(opened) == 24  # outside a model: every run probes
    with probe.shared_probes():
        opened.clear()
        assert repr(probe.probe_rasters(jobs)) == fresh and len(opened) == 12
        assert repr(probe.probe_rasters(jobs)) == fresh and len(opened) == 12  # the next step: nothing opened
        assert repr(probe.probe_rasters([("INPUT", paths[0], {**kw, "coherence": False})])) \
            == repr(probe.probe_rasters(jobs[:1]))
        assert len(opened) == 13  # other options: probed
        time.sleep(0.01)
        write_raster(paths[3], np.full((4, 5), 0.5, np.float32))  # changed since
        again = probe.probe_rasters(jobs)
        assert opened[13:] == [paths[3]]
        assert repr(again[:3] + again[4:]) == repr(first[:3] + first[4:])
        for _ in range(2):  # a refusal is never kept; the first in list order is the one raised
            with pytest.raises(GeohazardError, match="broken.tif"):
                probe.probe_rasters(jobs[:5] + [("COHERENCE", str(tmp_path / "broken.tif"), kw)] + jobs[5:])
    assert opened.count(str(tmp_path / "broken.tif")) == 2


def test_probe_finds_valid_pixels_away_from_the_rows_it_reads(tmp_path, qgis_app):
    """A raster whose first and last rows are all no-data is still searched whole before it is called empty;
    a float32 nodata is matched as GDAL matches it (rounded to float32)."""
    from insar_geohazards.fileio.base.probe import probe_raster

    a = np.full((6, 5), np.nan, np.float32)
    a[3, 2] = 1.5
    write_raster(str(tmp_path / "middle.tif"), a)
    write_raster(str(tmp_path / "empty.tif"), np.full((6, 5), np.nan, np.float32))
    kw = {"complex_ok": False, "multiband_ok": False, "coherence": False}
    assert probe_raster("INPUT", str(tmp_path / "middle.tif"), **kw)["valid"]
    assert not probe_raster("INPUT", str(tmp_path / "empty.tif"), **kw)["valid"]
    from insar_geohazards.fileio.base.probe import _rows_have_valid

    row = np.array([[np.float32(0.1), np.nan, np.inf]], np.float32)
    assert not _rows_have_valid([row], 0.1)  # 0.1 as a double is not the float32 pixel, GDAL still matches it
    assert _rows_have_valid([row], None)
    assert _rows_have_valid([row], 1e300)  # a nodata beyond float32 (infinity once rounded) hides nothing finite
    assert not _rows_have_valid([np.zeros((1, 4), np.uint8)], 0.0)
    assert _rows_have_valid([np.array([[0, 3]], np.uint8)], 0.0)


def test_geometry_reads_each_input_once(tmp_path, qgis_app, monkeypatch):
    from insar_geohazards.fileio.base import metadata

    paths = _stack(str(tmp_path / "ifg"))
    listed = [str(tmp_path / "ifg")] + paths + [p + ".aux.xml" for p in paths]
    assert metadata.raster_files(listed) == paths
    opened = []
    real_open = metadata.gdal.Open
    monkeypatch.setattr(metadata.gdal, "Open", lambda p, *a: opened.append(p) or real_open(p, *a))
    metadata.carried_geometry(listed)
    assert sorted(opened) == sorted(paths)


def test_geometry_looks_up_absent_side_cars_in_one_listing(tmp_path, qgis_app, monkeypatch):
    """A run's input listing names every possible side-car of every input (most absent): the rasters among it are
    found without a stat of each absent name, and a side-car that exists, a folder (also with a trailing
    separator) and a relative path are still taken as before."""
    from insar_geohazards.fileio.base import metadata
    from insar_geohazards.fileio.base.probe import SIDECARS

    paths = _stack(str(tmp_path / "ifg"), n=6)
    other = _stack(str(tmp_path / "more"), n=2)
    with open(paths[0] + ".aux.xml", "w") as fh:
        fh.write("<PAMDataset/>")
    listed = [p + s for p in paths for s in SIDECARS] + paths + [str(tmp_path / "more") + os.sep]
    monkeypatch.chdir(tmp_path)
    listed.append(os.path.join("more", os.path.basename(other[0])))
    stats = []
    for name in ("isdir", "isfile"):
        real = getattr(os.path, name)
        monkeypatch.setattr(metadata.os.path, name, lambda p, _real=real: stats.append(p) or _real(p))
    assert metadata.raster_files(listed) == paths + other + [os.path.join("more", os.path.basename(other[0]))]
    assert len(stats) <= 2 * (len(paths) + 3), f"{len(stats)} stats for {len(paths)} rasters"


def _random_tree(root, rng):
    """Folders, files, links to files and to folders (absolute and relative, one dangling), drawn at random."""
    names = []
    for k in range(int(rng.integers(3, 6))):
        folder = os.path.join(root, f"d{k}", f"sub{int(rng.integers(0, 2))}")
        os.makedirs(folder, exist_ok=True)
        for j in range(int(rng.integers(1, 4))):
            path = os.path.join(folder, f"f{j}.tif")
            open(path, "w").close()
            names.append(path)
    targets = list(names) + sorted({os.path.dirname(p) for p in names})
    for k in range(int(rng.integers(2, 6))):
        target = targets[int(rng.integers(len(targets)))]
        link = os.path.join(root, f"d{int(rng.integers(0, 3))}", f"link{k}")
        if os.path.lexists(link):
            continue
        os.symlink(target if rng.random() < 0.5 else os.path.relpath(target, os.path.dirname(link)), link)
        names.append(link)
    os.symlink(os.path.join(root, "nowhere"), os.path.join(root, "dangling"))
    return names + [os.path.join(root, "dangling"), os.path.join(root, "absent.tif")]


def test_real_paths_are_realpaths(tmp_path):
    """Paths resolved a folder at a time are ``os.path.realpath``'s answers: files, links to files and to folders
    (absolute, relative, dangling), files inside linked folders, absent files, relative paths, ``..``, ``.``,
    doubled and trailing separators, drawn at random."""
    from insar_geohazards.processing_provider.inputs.listing import real_paths

    seed = drawn_seed()
    rng = np.random.default_rng(seed)
    names = _random_tree(str(tmp_path), rng)
    linked = [p for p in names if os.path.isdir(p) and os.path.islink(p)]
    paths = list(names)
    for _ in range(60):
        p = names[int(rng.integers(len(names)))]
        form = int(rng.integers(6))
        if form == 0 and linked:  # a file seen through a linked folder
            folder = linked[int(rng.integers(len(linked)))]
            inside = sorted(os.listdir(folder)) or ["x"]
            p = os.path.join(folder, inside[int(rng.integers(len(inside)))])
        elif form == 1:
            p = os.path.join(os.path.dirname(p), "..", os.path.basename(os.path.dirname(p)), os.path.basename(p))
        elif form == 2:
            p = p.replace(os.sep, os.sep * 2, 1 + int(rng.integers(3)))
        elif form == 3:
            p = os.path.relpath(p, str(tmp_path))
        elif form == 4:
            p = os.path.dirname(p) + os.sep + ("." if rng.random() < 0.5 else "")
        paths.append(p)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert real_paths(paths) == [os.path.realpath(p) for p in paths], f"seed {seed}"
    finally:
        os.chdir(old)


def test_listing_keeps_the_first_parameter_of_a_file_in_order(qgis_app):
    """The listing's keys are added as ``setdefault`` adds them one by one: the first parameter naming a file keeps
    it, in the order first named (lists drawn at random, overlapping or not)."""
    from insar_geohazards.processing_provider.inputs.listing import _add_first

    seed = drawn_seed()
    rng = np.random.default_rng(seed)
    for _ in range(200):
        out, expected = {}, {}
        for name in ("INTERFEROGRAMS", "COHERENCE", "DEM"):
            keys = [f"/s/{int(k)}" for k in rng.integers(0, int(rng.integers(1, 40)), int(rng.integers(0, 30)))]
            _add_first(out, keys, name)
            for k in keys:
                expected.setdefault(k, name)
        assert list(out.items()) == list(expected.items()), f"seed {seed}"


def test_folder_split_is_os_path_split():
    """The geometry's split of a listed path is ``os.path.split``'s, on paths drawn at random from separators,
    dots and names (absolute, relative, doubled and trailing separators)."""
    from insar_geohazards.fileio.base.metadata import _split

    seed = drawn_seed()
    rng = np.random.default_rng(seed)
    parts = [os.sep, "a", "b.tif", ".", "..", "x.aux.xml"]
    for _ in range(5000):
        p = "".join(parts[int(i)] for i in rng.integers(0, len(parts), int(rng.integers(0, 8))))
        assert _split(p) == os.path.split(p), f"{p!r}, seed {seed}"


def test_parameter_help_kept_is_the_help_worked_out(qgis_app):
    """Every tool's parameter help, looked up again for a new instance, is what the help text gives it."""
    from qgis.core import QgsApplication

    from insar_geohazards.processing_provider.inputs.declare import parameter_help

    provider = QgsApplication.processingRegistry().providerById("geohazard")
    checked = 0
    for listed in provider.algorithms():
        alg = listed.create()
        text = getattr(alg, "HELP", None)  # a tool's (the shipped models have none)
        if not isinstance(text, str):
            continue
        for d in alg.parameterDefinitions():
            for _ in range(2):
                assert parameter_help(text, d.name(), d.description()) == \
                    parameter_help.__wrapped__(text, d.name(), d.description())
            checked += 1
    assert checked > 500


def test_a_runs_lists_are_expanded_once_and_the_same(tmp_path, sbas):
    """Within a run a list of rasters (a folder, or files with side-cars and a coherence file among them) is expanded
    once and every later ask gets the same files and the same files left out; outside a run, and for another
    list, it is expanded again."""
    from insar_geohazards.processing_provider.inputs import stacks

    ifgs = _stack(str(tmp_path / "ifg"), n=4)
    with open(ifgs[0] + ".aux.xml", "w") as fh:
        fh.write("<PAMDataset/>")
    write_raster(str(tmp_path / "ifg" / "20200101_20200111.cc.tif"), np.ones((4, 5), np.float32))
    listed = sorted(os.path.join(tmp_path, "ifg", n) for n in os.listdir(tmp_path / "ifg"))
    for value in (str(tmp_path / "ifg"), listed):
        params = {"INTERFEROGRAMS": value, "COHERENCE": value}
        plain = {}
        for name, want in (("INTERFEROGRAMS", "ifg"), ("COHERENCE", "coh")):
            left: list = []
            plain[name] = (stacks.expand_raster_inputs(sbas, params, name, None, want=want, ignored=left), left)
        calls = []
        real = stacks._expand_raster_inputs
        stacks._expand_raster_inputs = lambda *a, _calls=calls, _real=real, **k: _calls.append(a[2]) or _real(*a, **k)
        try:
            sbas._geohazard_expanded = {}  # what processAlgorithm makes at a run's start
            for _ in range(3):
                for name, want in (("INTERFEROGRAMS", "ifg"), ("COHERENCE", "coh")):
                    left = []
                    assert (stacks.expand_raster_inputs(sbas, params, name, None, want=want, ignored=left),
                            left) == plain[name]
                    assert stacks.expand_raster_inputs(sbas, params, name, None, want=want) == plain[name][0]
            assert sorted(calls) == ["COHERENCE", "INTERFEROGRAMS"]
            sbas._geohazard_expanded = None  # the run ended
            stacks.expand_raster_inputs(sbas, params, "INTERFEROGRAMS", None, want="ifg")
            assert len(calls) == 3
        finally:
            stacks._expand_raster_inputs = real
            sbas._geohazard_expanded = None
    assert plain["INTERFEROGRAMS"][0] == ifgs and plain["COHERENCE"][0][-1].endswith(".cc.tif")

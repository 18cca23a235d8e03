"""The per-file work a stack tool does once per run: the input listing (real paths, side-cars) shared by the
guard, the history and the geometry stamping; the headers the guard read reused by ``raster_info``; each
input raster read once for the geometry its outputs carry on."""

from __future__ import annotations

import os

import numpy as np
import pytest
from testutils_multisensor import write_raster


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
    from insar_geohazards.io.probe import remember_header, run_headers
    from insar_geohazards.io.raster import raster_info

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


def test_geometry_reads_each_input_once(tmp_path, qgis_app, monkeypatch):
    from insar_geohazards.io import metadata

    paths = _stack(str(tmp_path / "ifg"))
    listed = [str(tmp_path / "ifg")] + paths + [p + ".aux.xml" for p in paths]
    assert metadata.raster_files(listed) == paths
    opened = []
    real_open = metadata.gdal.Open
    monkeypatch.setattr(metadata.gdal, "Open", lambda p, *a: opened.append(p) or real_open(p, *a))
    metadata.carried_geometry(listed)
    assert sorted(opened) == sorted(paths)

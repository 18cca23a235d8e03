"""One wavelength rule for every phase tool: WAVELENGTH_M given > file metadata > Sentinel-1, logged.

References nobody here wrote: the WAVELENGTH_METRES that GAMMA/PyRate wrote into the real Mexico
City GeoTIFFs, and the WAVELENGTH attribute of a MintPy ifgramStack.h5.
"""

import os
import shutil

import numpy as np
import pytest
from testutils import recording_feedback, write_geotiff

from insar_geohazards.algorithms.conventions import ALOS_WAVELENGTH_M, SENTINEL1_WAVELENGTH_M

MEXICO_WAVELENGTH_M = 0.05550415767769124  # WAVELENGTH_METRES in every Mexico City GeoTIFF (GAMMA header)
TOOLS = {"sbasinversion": "WAVELENGTH_M", "stackingvelocity": "WAVELENGTH_M", "phasegradientstacking": "WAVELENGTH_M",
         "pstimeseries": "WAVELENGTH_M"}


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    return ds.ReadAsArray().astype(float), ds


def _mexico(data_dir):
    return os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")


def test_every_wavelength_parameter_is_optional_and_empty(alg):
    from qgis.core import QgsProcessingParameterDefinition

    for name, pid in TOOLS.items():
        a = alg(name)
        d = a.parameterDefinition(pid)
        assert d is not None, (name, pid)
        assert d.defaultValue() is None and d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional, name
        assert "metadata" in d.description() and "WAVELENGTH_METRES" in a.shortHelpString(), name


def test_mexico_metadata_is_read_and_logged():
    """The real GeoTIFFs carry WAVELENGTH_METRES; the helper finds the same value in all 30."""
    from insar_geohazards.algorithms.formats.wavelength import choose_wavelength, collect
    from insar_geohazards.fileio.base.metadata import geotiff_metadata

    here = os.path.join(os.path.dirname(__file__), "..", "data", "sentinel1_mexico_city", "geotiffs")
    files = sorted(os.path.join(here, f) for f in os.listdir(here) if f.endswith("_unw.tif"))
    found, problems = collect(geotiff_metadata(files))
    assert len(found) == 30 and not problems
    choice = choose_wavelength(None, found)
    assert choice.wavelength_m == MEXICO_WAVELENGTH_M
    assert "WAVELENGTH_METRES (and the same in 29 other file(s))" in choice.message


def test_sbas_mexico_uses_metadata_and_warns_on_disagreement(run_alg, tmp_path, data_dir):
    """Before: the Sentinel-1 default silently (velocities 0.069 % too small). Now: the metadata, logged;
    a user value that disagrees is used with a warning stating the difference."""
    folder = _mexico(data_dir)
    outs = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
            "OUTPUT_COHCOUNT")
    base = {"INTERFEROGRAMS": folder, "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "MIN_TEMPORAL_COHERENCE": 0.0}
    vel = {}
    for tag, extra in (("meta", {}), ("s1", {"WAVELENGTH_M": SENTINEL1_WAVELENGTH_M})):
        fb = recording_feedback()
        res = run_alg("sbasinversion", {**base, **extra, **{k: str(tmp_path / f"{tag}_{k}.tif") for k in outs}},
                      feedback=fb)
        vel[tag], ds = _read(res["OUTPUT_VELOCITY"])
        info = "\n".join(fb.info)
        if tag == "meta":
            assert f"wavelength {MEXICO_WAVELENGTH_M:.8g} m: from the inputs' metadata" in info
            assert "WAVELENGTH_METRES" in info and not any("wavelength" in w.lower() for w in fb.warnings)
        else:
            assert f"wavelength {SENTINEL1_WAVELENGTH_M:.8g} m: given by WAVELENGTH_M" in info
            assert any("disagrees with the inputs' metadata" in w and "-0.0692 %" in w for w in fb.warnings)
        ts, tds = _read(res["OUTPUT_TIMESERIES"])
        assert float(tds.GetMetadataItem("WAVELENGTH_M")) == pytest.approx(
            MEXICO_WAVELENGTH_M if tag == "meta" else SENTINEL1_WAVELENGTH_M, rel=1e-12)
    ok = np.isfinite(vel["meta"]) & (np.abs(vel["s1"]) > 1.0)
    assert ok.sum() > 1000
    ratio = vel["meta"][ok] / vel["s1"][ok]
    np.testing.assert_allclose(ratio, MEXICO_WAVELENGTH_M / SENTINEL1_WAVELENGTH_M, rtol=1e-5)


def test_stacking_on_mexico_uses_metadata(run_alg, tmp_path, data_dir):
    fb = recording_feedback()
    run_alg("stackingvelocity", {"INTERFEROGRAMS": _mexico(data_dir), "REFERENCE": "-99.1780,19.4400 [EPSG:4326]",
                                 "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    assert any(f"wavelength {MEXICO_WAVELENGTH_M:.8g} m: from the inputs' metadata" in m for m in fb.info)


def _synthetic(tmp_path, metadata, *, n=6):
    """Interferograms of a constant rate, phase in radians (grows with range) for ALOS L band."""
    import datetime as dt

    from osgeo import gdal

    folder = tmp_path / "ifg"
    folder.mkdir(exist_ok=True)
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=46 * i) for i in range(n)]
    rate = np.linspace(-40.0, 40.0, 30).reshape(5, 6)  # mm/yr, positive toward the satellite
    for a, b in zip(dates[:-1], dates[1:]):
        mm = rate * (b - a).days / 365.25
        phase = -mm / 1000.0 * 4 * np.pi / ALOS_WAVELENGTH_M
        p = write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", phase)
        md = metadata(a) if callable(metadata) else metadata
        if md:
            ds = gdal.Open(p, gdal.GA_Update)
            ds.SetMetadata(md)
            ds = None
    return folder, rate


def test_synthetic_stacks_metadata_default_and_conflicts(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    outs = lambda t: {k: str(tmp_path / f"{t}_{k}.tif") for k in  # noqa: E731
                      ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
                       "OUTPUT_COHCOUNT")}
    ref = "500015,4099985 [EPSG:32633]"
    # L-band GeoTIFFs that say so: the true rates come back only with their wavelength
    folder, rate = _synthetic(tmp_path, {"WAVELENGTH_METRES": f"{ALOS_WAVELENGTH_M!r}"})
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder), "REFERENCE": ref, "MIN_TEMPORAL_COHERENCE": 0,
                                    **outs("alos")}, feedback=fb)
    v, _ = _read(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(v, rate - rate[0, 0], atol=1e-3)
    # the same files without metadata: Sentinel-1 default, said so in the log
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    for f in bare.iterdir():
        from osgeo import gdal

        ds = gdal.Open(str(f), gdal.GA_Update)
        ds.SetMetadata({})
        ds = None
        aux = str(f) + ".aux.xml"
        if os.path.exists(aux):
            os.remove(aux)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(bare), "REFERENCE": ref, "MIN_TEMPORAL_COHERENCE": 0,
                                    **outs("bare")}, feedback=fb)
    assert any("Sentinel-1 C-band default" in m for m in fb.info)
    v2, _ = _read(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(v2, (rate - rate[0, 0]) * SENTINEL1_WAVELENGTH_M / ALOS_WAVELENGTH_M, atol=1e-3)
    # files that disagree among themselves: one stack, one sensor
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    folder2, _ = _synthetic(mixed, lambda a: {"WAVELENGTH": "0.0555" if a.month > 3 else "0.2360571"})
    with pytest.raises(QgsProcessingException, match="different wavelengths.*one sensor"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder2), "REFERENCE": ref, **outs("mixed")})
    # unreadable metadata: an error naming file and key without WAVELENGTH_M, a warning with it
    odd = tmp_path / "odd"
    odd.mkdir()
    folder3, _ = _synthetic(odd, {"WAVELENGTH_METRES": "5.5 cm"})
    with pytest.raises(QgsProcessingException, match=r"_.*unw\.tif: metadata WAVELENGTH_METRES='5.5 cm'.*WAVELENGTH_M"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder3), "REFERENCE": ref, **outs("odd")})
    fb = recording_feedback()
    run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder3), "REFERENCE": ref, "WAVELENGTH_M": ALOS_WAVELENGTH_M,
                              "MIN_TEMPORAL_COHERENCE": 0, **outs("odd2")}, feedback=fb)
    assert any("5.5 cm" in w and "ignored" in w for w in fb.warnings)
    assert not os.path.exists(outs("mixed")["OUTPUT_VELOCITY"]) and not os.path.exists(outs("odd")["OUTPUT_VELOCITY"])


def test_mintpy_attribute_no_longer_beats_the_user(run_alg, tmp_path):
    """Before: the HDF5 WAVELENGTH silently won over WAVELENGTH_M. Now: the user's value, with a warning."""
    pytest.importorskip("h5py", reason="h5py is not installed")
    import datetime as dt

    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    pairs = list(zip(dates[:-1], dates[1:]))
    rate = np.linspace(-30.0, 30.0, 20).reshape(4, 5)
    lam = 0.0555
    mm = np.stack([rate * (b - a).days / 365.25 for a, b in pairs])
    h5 = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), -mm / 1000 * 4 * np.pi / lam, pairs, wavelength_m=lam,
                            geotransform=(500000.0, 30.0, 0, 4100000.0, 0, -30.0), epsg=32633)
    outs = lambda t: {k: str(tmp_path / f"{t}_{k}.tif") for k in  # noqa: E731
                      ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
                       "OUTPUT_COHCOUNT")}
    base = {"MINTPY_STACK": h5, "REFERENCE": "500015,4099985 [EPSG:32633]", "MIN_TEMPORAL_COHERENCE": 0}
    fb = recording_feedback()
    v_attr, _ = _read(run_alg("sbasinversion", {**base, **outs("a")}, feedback=fb)["OUTPUT_VELOCITY"])
    assert any("from the inputs' metadata (ifgramStack.h5 WAVELENGTH)" in m for m in fb.info)
    np.testing.assert_allclose(v_attr, rate - rate[0, 0], atol=1e-3)
    fb = recording_feedback()
    v_user, _ = _read(run_alg("sbasinversion", {**base, "WAVELENGTH_M": 0.0560, **outs("u")},
                              feedback=fb)["OUTPUT_VELOCITY"])
    assert any("WAVELENGTH_M = 0.056 m disagrees" in w and "ifgramStack.h5 WAVELENGTH = 0.0555 m" in w
               for w in fb.warnings)
    np.testing.assert_allclose(v_user, (rate - rate[0, 0]) * 0.0560 / lam, atol=1e-3)

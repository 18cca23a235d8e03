"""The producer registry (algorithms/formats/producers.py): every producer declares a name, a recogniser and a
reader; detection follows the list's order (checked against the if-chain the stack reader used before the registry,
written out here), and no module outside the registry carries its own list of producers."""

import itertools
import os
import re

import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import (
    gamma,
    gunw,
    hyp3,
    hyp3_walk,
    licsar,
    licsbas,
    mintpy,
    nisar,
    opera,
    producers,
    product_walks,
    roipac,
)
from insar_geohazards.algorithms.formats.producer_spec import Producer
from insar_geohazards.algorithms.formats.products import producer_of
from insar_geohazards.algorithms.formats.stack_spec import Entry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = ("LiCSAR", "LiCSBAS", "HyP3", "ARIA", "NISAR", "OPERA", "ISCE2", "GMTSAR", "SNAP", "GAMMA", "ROI_PAC",
         "MintPy")


def test_every_producer_declares_name_recogniser_and_reader():
    assert [p.name for p in producers.PRODUCERS] == list(NAMES)
    declared = [licsar.PRODUCER, licsbas.PRODUCER, hyp3_walk.PRODUCER, gunw.PRODUCER, nisar.PRODUCER, opera.PRODUCER,
                *product_walks.PRODUCERS, roipac.PRODUCER, mintpy.PRODUCER]
    assert list(producers.PRODUCERS) == declared  # the modules' own declarations, nothing made up in the registry
    for p in producers.PRODUCERS:
        assert isinstance(p, Producer) and p.name and p.name.strip() == p.name
        assert p.reads_stacks or p.reads_h5_layers, p.name
        # a recogniser without its reader (or the reverse) is a half-declared producer
        assert (p.claims is None) == (p.read_stack is None), p.name
        assert (p.claims_h5 is None) == (p.read_h5_layer is None), p.name
        for f in (p.claims, p.read_stack, p.claims_alone, p.container_name, p.claims_h5, p.read_h5_layer):
            assert f is None or callable(f), p.name
    assert [p.name for p in producers.STACK_PRODUCERS] == ["LiCSAR", "HyP3", "ARIA", "NISAR", "OPERA", "ISCE2",
                                                          "GMTSAR", "SNAP", "GAMMA", "ROI_PAC"]
    assert [p.name for p in producers.H5_PRODUCERS] == ["LiCSBAS", "OPERA", "MintPy"]  # MintPy takes the rest
    assert producers.by_name("GAMMA").radar_hint and producers.by_name("EGMS") is None


def _reference_producer_of(entries):
    """The if-chain the stack reader used before the registry (the same recognisers, one elif per producer)."""
    found = {}
    gamma_pars = any(gamma.is_dem_par_name(e.name) or gamma.is_image_par_name(e.name) for e in entries)
    for e in entries:
        folder = os.path.basename(os.path.dirname(e.member or e.path))
        name = hyp3.product_name(e.name)
        if (e.name.endswith(licsar.UNW_SUFFIX) and e.name == folder + licsar.UNW_SUFFIX
                and licsar.pair_of_folder(folder) is not None) or (e.name.endswith(licsar.CC_SUFFIX)
                                                                   and licsar.pair_of_folder(folder)):
            found.setdefault("LiCSAR", e.rel)
        elif name is not None and hyp3.file_role(e.name, name) is not None:
            found.setdefault("HyP3", e.rel)
        elif gunw.is_gunw_name(e.name):
            found.setdefault("ARIA", e.rel)
        elif nisar.NAME.match(e.name):
            found.setdefault("NISAR", e.rel)
        elif e.name.upper().startswith("NISAR_"):
            gunw.refuse_nisar(e.name)
        elif opera.name_parts(e.name) is not None:
            found.setdefault("OPERA", e.rel)
        elif product_walks.is_isce_unw(e):
            found.setdefault("ISCE2", e.rel)
        elif product_walks.is_gmtsar_unw(e):
            found.setdefault("GMTSAR", e.rel)
        elif product_walks.is_snap_unw(e):
            found.setdefault("SNAP", e.rel)
        elif product_walks.is_gamma_unw(e) and gamma_pars:
            found.setdefault("GAMMA", e.rel)
        elif roipac.is_roipac_unw(e):
            found.setdefault("ROI_PAC", e.rel)
    if not found:
        hit = next((e for e in entries if product_walks.is_snap_header(e)), None)
        if hit is not None:
            found["SNAP"] = hit.rel
    if len(found) > 1:
        (a, fa), (b, fb) = list(found.items())[:2]
        raise GeohazardError(f"the inputs mix products of two producers: {a} ({fa}) and {b} ({fb}); one stack comes "
                             "from one producer and one frame: give them apart")
    return next(iter(found), None)


SAMPLES = {  # file names as each producer delivers them (the layouts cited in test_formats_products.py,
    # test_formats_gunw_opera.py, test_product_walks.py)
    "LiCSAR": ["GEOC/20200101_20200113/20200101_20200113.geo.unw.tif",
               "GEOC/20200101_20200113/20200101_20200113.geo.cc.tif"],
    "HyP3": ["S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2/"
             "S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2_unw_phase.tif"],
    "ARIA": ["S1-GUNW-A-R-064-tops-20200130_20200124-135156-00119W_00034N-PP-3a3e-v2_0_4.nc"],
    "OPERA": ["OPERA_L3_DISP-S1_IW_F11116_VV_20160705T140755Z_20160729T140756Z_v1.0_20250318T222753Z.nc"],
    "ISCE2": ["merged/interferograms/20200101_20200113/filt_fine.unw"],
    "GMTSAR": ["intf/2020001_2020013/unwrap_ll.grd"],
    "SNAP": ["S1_20200101_20200113.data/Unw_Phase_ifg_VV_01Jan2020_13Jan2020.img"],
    "GAMMA": ["gamma/20200101_20200113.unw", "gamma/20200101_utm_dem.par"],
    "ROI_PAC": ["roipac/geo_20200101-20200113.unw", "roipac/geo_20200101-20200113.unw.rsc"],
    "plain": ["rasters/velocity.tif", "rasters/20200101_20200113.unw"],  # a date-pair .unw alone: no GAMMA stack
    "NISAR_reserved": ["NISAR_notes_20200101_20200113.unw"],  # named NISAR_, not a GUNW: no producer takes it
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    root = tmp_path_factory.mktemp("producers")
    out = {}
    for kind, rels in SAMPLES.items():
        entries = []
        for rel in rels:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("WIDTH 2\nFILE_LENGTH 2\n" if rel.endswith(".rsc") else "")
            entries.append(Entry(str(path), rel))
        out[kind] = entries
    return out


def _outcome(f, entries):
    try:
        return f(entries)
    except GeohazardError as exc:
        return f"refused: {exc}"


def test_detection_follows_the_list_as_the_if_chain_did(samples):
    kinds = list(samples)
    for kind in kinds:
        got = producer_of(samples[kind])
        assert got == _reference_producer_of(samples[kind])
        assert got == (kind if kind in NAMES else None)
    # two producers mixed: refused naming both, in the order their files come
    for a, b in itertools.permutations(kinds, 2):
        entries = samples[a] + samples[b]
        got, want = _outcome(producer_of, entries), _outcome(_reference_producer_of, entries)
        assert got == want, (a, b)
    got = _outcome(producer_of, samples["HyP3"] + samples["LiCSAR"])
    assert got.startswith("refused: the inputs mix products of two producers: HyP3 (S1AA_") and \
        "and LiCSAR (GEOC/20200101_20200113/20200101_20200113.geo.unw.tif)" in got
    # GAMMA comes before ROI_PAC: a ROI_PAC geo_<d1>-<d2>.unw beside a GAMMA parameter file is GAMMA's
    assert producer_of(samples["ROI_PAC"] + samples["GAMMA"]) == "GAMMA"
    everything = [e for k in kinds for e in samples[k]]
    assert _outcome(producer_of, everything) == _outcome(_reference_producer_of, everything)
    assert _outcome(producer_of, everything[::-1]) == _outcome(_reference_producer_of, everything[::-1])


def test_misnamed_nisar_gunw_refused_by_its_recogniser(tmp_path):
    e = Entry(str(tmp_path / "NISAR_L2_PR_GUNW_renamed.h5"), "NISAR_L2_PR_GUNW_renamed.h5")
    with pytest.raises(GeohazardError, match="named as a NISAR GUNW product but not as NISAR names them"):
        producer_of([e])


def test_container_names_are_the_producers_netcdf_files():
    assert producers.container_producer(os.path.basename(SAMPLES["ARIA"][0])).name == "ARIA"
    assert producers.container_producer(SAMPLES["OPERA"][0]).name == "OPERA"
    assert producers.container_producer("velocity.nc") is None


_NAME_ALT = "|".join(re.escape(n) for n in NAMES)
#: A comparison with a producer's name (``== "GAMMA"``, ``in ("ARIA", "OPERA")``) or a dict keyed by one.
_COMPARED = re.compile(rf'(?:==|!=|\bin)\s*[\(\[{{]?\s*"({_NAME_ALT})"|^\s*[{{]?"({_NAME_ALT})"\s*:', re.M)
_TUPLE = re.compile(rf'\(\s*"({_NAME_ALT})"(?:\s*,\s*"(?:{_NAME_ALT})")+\s*\)')
#: The producers' recognisers: called only by their own module and the registry.
_RECOGNISERS = re.compile(r"\b(?:is_gunw_name|is_licsbas|is_opera|is_isce_unw|is_gmtsar_unw|is_snap_unw|"
                          r"is_gamma_unw|is_roipac_unw|is_snap_header|refuse_nisar|opera\.name_parts)\(|"
                          r"\bnisar\.NAME\.match\(")


def test_no_module_outside_the_registry_lists_the_producers():
    """A module may treat a producer or two apart (the GDAL side reads LiCSAR's E/N/U rasters and HyP3's lv_theta),
    but a list of them (four or more names compared or used as keys) or a call of their recognisers (the if-chain
    the stack reader had) belongs to the registry."""
    own = {os.path.join("algorithms", "formats", f) for f in ("producers.py", "producer_spec.py")}
    offenders = []
    for top in ("algorithms", "fileio", "processing_provider", "ui"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)
                if rel in own:
                    continue
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                compared = {a or b for a, b in _COMPARED.findall(text)}
                compared |= {n for t in _TUPLE.finditer(text) for n in re.findall(_NAME_ALT, t.group(0))}
                if len(compared) >= 4:
                    offenders.append(f"{rel}: compares with {sorted(compared)}")
                module = os.path.splitext(f)[0]
                calls = {m.group(0) for m in _RECOGNISERS.finditer(text)}
                if calls and module not in ("product_walks", "gunw", "opera", "licsbas", "roipac", "nisar"):
                    offenders.append(f"{rel}: calls the recognisers {sorted(calls)}")
    assert not offenders, "producers listed outside algorithms/formats/producers.py:\n" + "\n".join(offenders)


def test_hdf5_readers_without_h5py_say_how_to_install_it(monkeypatch, tmp_path):
    from insar_geohazards.algorithms.formats import h5_layers
    from insar_geohazards.algorithms.optional import MissingPackageError, install_line

    monkeypatch.setitem(__import__("sys").modules, "h5py", None)  # an import of h5py fails as when it is missing
    path = tmp_path / "timeseries.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(MissingPackageError) as err:
        h5_layers.open_layer(str(path))
    assert "needs the Python package h5py" in str(err.value) and install_line("h5py") in str(err.value)

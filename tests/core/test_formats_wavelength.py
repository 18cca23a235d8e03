"""The wavelength rule (algorithms/formats/wavelength.py): user > metadata > Sentinel-1, with reasons."""

import pytest

from insar_geohazards.algorithms.conventions import ENVISAT_WAVELENGTH_M, SENTINEL1_WAVELENGTH_M
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats.wavelength import choose_wavelength, collect, wavelength_from_metadata


def test_metadata_keys_and_values():
    assert wavelength_from_metadata({"WAVELENGTH_METRES": "0.05550415767769124"}) == \
        ("WAVELENGTH_METRES", 0.05550415767769124)
    assert wavelength_from_metadata({"wavelength": b"0.2360571"}) == ("WAVELENGTH", 0.2360571)  # HDF5 bytes
    assert wavelength_from_metadata({"DATA_UNITS": "RADIANS"}) is None
    for bad in ("5.5 cm", "5.6", "nan", "5405000000"):
        with pytest.raises(GeohazardError, match="WAVELENGTH_METRES"):
            wavelength_from_metadata({"WAVELENGTH_METRES": bad})


def test_rule_order_and_messages():
    found, problems = collect([("a.tif", {"WAVELENGTH_METRES": "0.0555"}), ("b.tif", {"WAVELENGTH_METRES": "0.0555"}),
                               ("c.tif", {})])
    assert found == [("a.tif WAVELENGTH_METRES", 0.0555), ("b.tif WAVELENGTH_METRES", 0.0555)] and not problems
    c = choose_wavelength(None, found)
    assert c.wavelength_m == 0.0555 and "a.tif WAVELENGTH_METRES (and the same in 1 other file(s))" in c.message
    assert not c.warnings
    c = choose_wavelength(0.0555, found)  # agrees: no warning
    assert c.source == "given by WAVELENGTH_M" and not c.warnings
    c = choose_wavelength(ENVISAT_WAVELENGTH_M, found, parameter="WAVELENGTH")
    assert c.wavelength_m == ENVISAT_WAVELENGTH_M and "WAVELENGTH = 0.056235689 m disagrees" in c.warnings[0]
    assert "+1.33 %" in c.warnings[0]
    c = choose_wavelength(None, [])
    assert c.wavelength_m == SENTINEL1_WAVELENGTH_M and "Sentinel-1 C-band default" in c.message


def test_conflicts_and_unreadable_metadata():
    with pytest.raises(GeohazardError, match="a.tif WAVELENGTH = 0.0555 m but b.tif WAVELENGTH = 0.236 m"):
        choose_wavelength(0.0555, [("a.tif WAVELENGTH", 0.0555), ("b.tif WAVELENGTH", 0.236)])
    found, problems = collect([("a.tif", {"WAVELENGTH": "C-band"})])
    assert not found and problems[0].startswith("a.tif: metadata WAVELENGTH='C-band'")
    with pytest.raises(GeohazardError, match="give the wavelength in WAVELENGTH_M"):
        choose_wavelength(None, found, problems=problems)
    c = choose_wavelength(0.0555, found, problems=problems)
    assert c.wavelength_m == 0.0555 and "ignored" in c.warnings[0]
    with pytest.raises(GeohazardError, match="WAVELENGTH_M = 55.5 is not a radar wavelength"):
        choose_wavelength(55.5, [])

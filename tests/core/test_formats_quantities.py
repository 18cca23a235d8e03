"""A value and its unit as product headers write them (algorithms/formats/quantities.py), and the radar wavelength
a header states, checked against its sensor's band (algorithms/formats/wavelength.py ``header_wavelength``).

The header lines are those of the producers' files: GAMMA ISP image parameter files (``radar_frequency:
5.4050005e+09   Hz``; PyRate's Envisat ``20060619_slc.par`` in tests/data), GMTSAR ``.PRM`` (``radar_wavelength =
0.0554658``, metres, no unit; ``SC_identity = 10`` for Sentinel-1 in GMTSAR's ``make_s1a_tops``), SNAP BEAM-DIMAP
(``<MDATTR name="radar_frequency" unit="MHz">``), ROI_PAC ``.rsc`` (``WAVELENGTH 0.0562356``, metres)."""

import math
import os

import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import product_walks as walks
from insar_geohazards.algorithms.formats.quantities import quantity, split_value
from insar_geohazards.algorithms.formats.wavelength import band_of, header_wavelength, sensor_of

C = 299_792_458.0
S1 = C / 5.405e9


def test_split_value_and_units():
    assert split_value("1.2575 GHz") == (1.2575, "GHz")
    assert split_value("  5.334694994e+09 Hz") == (5.334694994e9, "Hz")
    assert split_value("1.0D+09") == (1e9, "")
    assert split_value("n/a") == (None, "n/a")
    assert quantity("851.2345 km", kinds=("length",), default_unit="m", where="a", key="r") == (851234.5, "length")
    assert quantity("0.6632 rad", kinds=("angle",), default_unit="degrees", where="a", key="i")[0] == \
        pytest.approx(math.degrees(0.6632))
    assert quantity("38.2", kinds=("angle",), default_unit="degrees", where="a", key="i") == (38.2, "angle")
    with pytest.raises(GeohazardError, match=r"a.par: 'heading: 12 furlongs': 'furlongs' is not a unit of angle"):
        quantity("12 furlongs", kinds=("angle",), default_unit="degrees", where="a.par", key="heading")
    with pytest.raises(GeohazardError, match=r"a.par: 'heading: north' is not a number"):
        quantity("north", kinds=("angle",), default_unit="degrees", where="a.par", key="heading")


@pytest.mark.parametrize("raw,default,unit,expected", [
    ("0.0554658", "m", "", 0.0554658),             # GMTSAR: metres, no unit
    ("55.4658 mm", "m", "", 0.0554658),            # a unit written after the number is honoured
    ("5.54658 cm", "m", "", 0.0554658),
    ("5.4050005e+09   Hz", "Hz", "", C / 5.4050005e9),  # GAMMA
    ("1.2575 GHz", "Hz", "", C / 1.2575e9),        # GAMMA L band written in GHz
    ("1257500000", "Hz", "", C / 1.2575e9),
    ("5405.000454334349", "MHz", "MHz", C / 5405.000454334349e6),  # SNAP: the unit as an attribute
])
def test_header_wavelength_reads_each_unit(raw, default, unit, expected):
    assert header_wavelength(raw, key="k", where="f", default_unit=default, unit=unit) == pytest.approx(expected,
                                                                                                        rel=1e-12)


def test_header_wavelength_refuses_implausible_values_and_other_bands_naming_the_file():
    # millimetres written where GMTSAR writes metres: 55 m, velocities x1000; the message says what mm would give
    with pytest.raises(GeohazardError, match=r"S1_20200101_ALL_F1.PRM: 'radar_wavelength: 55.4658' read in m gives a "
                                             r"wavelength of 55.4658 m, which no SAR has .*in mm it would be 5.547 cm, "
                                             r"C band"):
        header_wavelength("55.4658", key="radar_wavelength", where="S1_20200101_ALL_F1.PRM", default_unit="m",
                          sensor="S1")
    # GHz written without its unit where GAMMA writes Hz
    with pytest.raises(GeohazardError, match=r"in GHz it would be 23.84 cm, L band"):
        header_wavelength("1.2575", key="radar_frequency", where="a.rmli.par", default_unit="Hz")
    # an L-band value in a Sentinel-1 file
    with pytest.raises(GeohazardError, match=r"a.rmli.par: 'radar_frequency: 1.2575e9' gives a wavelength of 23.84 "
                                             r"cm, L band, but the file is of Sentinel-1 \(C band\)"):
        header_wavelength("1.2575e9", key="radar_frequency", where="a.rmli.par", default_unit="Hz",
                          sensor="S1A IW IW1 VV")
    with pytest.raises(GeohazardError, match="is not a unit of length or frequency"):
        header_wavelength("5.4 parsecs", key="k", where="f", default_unit="m")


def test_sensors_and_bands():
    assert sensor_of("S1A IW IW1 VV") == ("Sentinel-1", "C") and sensor_of("SENTINEL-1B") == ("Sentinel-1", "C")
    assert sensor_of("PALSAR-2") == ("ALOS", "L") and sensor_of("ALOS2") == ("ALOS", "L")
    assert sensor_of("ASAR") == ("Envisat", "C") and sensor_of("TSX-1") == ("TerraSAR-X", "X")
    assert sensor_of("a scene") is None and sensor_of("") is None
    assert (band_of(S1), band_of(0.2360571), band_of(0.0311), band_of(55.0)) == ("C", "L", "X", None)


def test_gmtsar_prm_wavelength_is_checked_against_its_sc_identity():
    assert walks.prm_wavelength({"SC_identity": "10", "radar_wavelength": "0.0554658"}, "a.PRM") == 0.0554658
    assert walks.prm_wavelength({"SC_identity": "10", "radar_wavelength": "55.4658 mm"}, "a.PRM") == \
        pytest.approx(0.0554658)
    assert walks.prm_wavelength({"near_range": "800000"}, "a.PRM") is None
    with pytest.raises(GeohazardError, match=r"a.PRM: 'radar_wavelength: 0.236' gives a wavelength of 23.6 cm, L band, "
                                             r"but the file is of Sentinel-1 \(C band\)"):
        walks.prm_wavelength({"SC_identity": "10", "radar_wavelength": "0.236"}, "a.PRM")
    assert walks.prm_wavelength({"SC_identity": "5", "radar_wavelength": "0.236"}, "a.PRM") == 0.236  # ALOS


def test_the_real_envisat_parameter_file_keeps_its_wavelength():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "envisat_small_test", "gamma_obs")
    with open(os.path.join(here, "20060619_slc.par")) as fh:
        line = next(x for x in fh if x.startswith("radar_frequency:"))
    assert header_wavelength(line.split(":", 1)[1], key="radar_frequency", where="20060619_slc.par",
                             default_unit="Hz", sensor="ENVISAT") == pytest.approx(C / 5.334694994e9, rel=1e-12)

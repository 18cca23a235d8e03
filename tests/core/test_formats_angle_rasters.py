"""Angle and LOS-vector rasters checked like typed values (algorithms/formats/angle_rasters.py).

What the producers' files hold: HyP3 InSAR product guide (hyp3-docs.asf.alaska.edu/guides/insar_product_guide,
"Image Files" / product options): "The lv_theta indicates the SAR look vector elevation angle at each pixel, ranging
from -pi/2 (down) to pi/2 (up). The look vector elevation angle is defined as the angle between the horizontal
surface and the look vector"; lv_phi the orientation from east, radians. MintPy's objects/stackDict.py converts
HyP3's theta with 90 - theta * 180 / pi (github.com/insarlab/MintPy). LiCSAR/LiCSBAS: E/N/U.tif are the components
of the ground-to-satellite unit vector (U = cos(incidence)). A Sentinel-1 IW incidence of 30-46 degrees is 0.52-0.80
rad, an elevation of 44-60 degrees is 0.77-1.05 rad, U = cos(incidence) = 0.69-0.87.
"""

import math

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import angle_rasters as ar
from insar_geohazards.algorithms.geometry.los_blocks import INCIDENCE_KINDS, incidence_to_degrees

LABELS = INCIDENCE_KINDS
S1_INC = (30.0, 46.0)


def _check(lo, hi, kind, content=None, labels=LABELS, incidence=True):
    ar.check_angle_raster("x.tif", lo, hi, kind, parameter="INCIDENCE_RASTER", units_parameter="INCIDENCE_UNITS",
                          labels=labels, incidence=incidence, content=content)


def test_plausible_declarations_pass():
    _check(*S1_INC, 0)
    _check(*np.radians(S1_INC), 1)
    _check(90 - S1_INC[1], 90 - S1_INC[0], 2)
    _check(*np.radians([44.0, 60.0]), 3, content="elevation_rad")
    _check(*np.cos(np.radians(S1_INC[::-1])), 4, content="up_component")


def test_radians_declared_as_degrees_name_what_fits():
    with pytest.raises(GeohazardError, match=r"x.tif has values from 0.5236 to 0.8029, which cannot be an incidence "
                                             r"angle in degrees: they look like an incidence angle in radians or "
                                             r".*elevation angle.* or the up component.*set INCIDENCE_UNITS to "
                                             r"'incidence angle, radians' \(1\)"):
        _check(*np.radians(S1_INC), 0)


def test_degrees_declared_as_radians_and_unit_component_out_of_range():
    with pytest.raises(GeohazardError, match="look like an incidence angle in degrees"):
        _check(*S1_INC, 1)
    with pytest.raises(GeohazardError, match=r"cannot be the up component.*'incidence angle, degrees' \(0\)"):
        _check(*S1_INC, 4)


def test_hyp3_lv_theta_given_as_incidence_is_refused_naming_its_option():
    content = ar.content_of_file("S1AA_20190610T015047_20190622T015048_VVP012_INT80_G_ueF_48FE_lv_theta.tif")
    assert content == "elevation_rad"
    theta = np.radians([44.0, 60.0])
    for kind in (0, 1, 2):
        with pytest.raises(GeohazardError, match=r"holds the look vector's elevation angle from the horizontal in "
                                                 r"radians .* set INCIDENCE_UNITS to 'look elevation lv_theta, "
                                                 r"radians \(GAMMA/HyP3\)' \(3\)"):
            _check(*theta, kind, content=content)
    _check(*theta, 3, content=content)
    np.testing.assert_allclose(incidence_to_degrees(theta, 3), [46.0, 30.0])


def test_licsar_u_given_where_incidence_is_expected():
    assert ar.content_of_file("/d/124D_05291_131313.geo.U.tif") == "up_component"
    assert ar.content_of_file("124D_05291_131313.geo.E.tif") == "east_component"
    u = np.cos(np.radians(S1_INC[::-1]))
    with pytest.raises(GeohazardError, match=r"holds the up component of the LOS unit vector, cos\(incidence\) but "
                                             r"INCIDENCE_UNITS declares an incidence angle in degrees; set "
                                             r"INCIDENCE_UNITS to 'LOS up component.*' \(4\)"):
        _check(*u, 0, content="up_component")
    with pytest.raises(GeohazardError, match="LiCSAR E/N.*give the frame's U.tif"):
        _check(-0.6, -0.5, 4, content="east_component")
    # a tool that takes degrees only (no INCIDENCE_UNITS): says to convert
    with pytest.raises(GeohazardError, match="convert it first"):
        ar.check_angle_raster("U.tif", *u, 0, parameter="INCIDENCE_RASTER", content="up_component")
    np.testing.assert_allclose(incidence_to_degrees(u, 4), S1_INC[::-1])


def test_mintpy_azimuth_given_as_heading():
    with pytest.raises(GeohazardError, match=r"ISCE los band 2, MintPy azimuthAngle\) but HEADING_UNITS declares a "
                                             r"flight heading"):
        ar.check_angle_raster("geometryGeo.h5.azimuthAngle.tif", 77.0, 79.0, 0, parameter="HEADING_RASTER",
                              units_parameter="HEADING_UNITS", labels=("heading", "lv_phi rad", "lv_phi deg", "isce"),
                              incidence=False, content=ar.content_of_file("a.tif", {"ANGLE_CONTENT":
                                                                                    "isce_los_azimuth_deg"}))
    with pytest.raises(GeohazardError, match="look like the look vector's orientation .* in radians"):
        ar.check_angle_raster("phi.tif", -2.9, -2.7, 0, parameter="HEADING_RASTER", units_parameter="HEADING_UNITS",
                              labels=("h", "r", "d", "i"), incidence=False)
    ar.check_angle_raster("h.tif", -14.0, -11.0, 0, parameter="HEADING_RASTER", incidence=False)


def test_los_vectors_unit_and_upward():
    inc, head = np.radians(38.0), np.radians(-12.0)
    e, n, u = -math.sin(inc) * math.cos(head), math.sin(inc) * math.sin(head), math.cos(inc)
    ar.check_los_vector([e, np.nan], [n, 0.0], [u, 0.5], label="LOS")
    with pytest.raises(GeohazardError, match="not a unit vector: length 2"):
        ar.check_los_vector([2 * e], [2 * n], [2 * u], label="LOS")
    with pytest.raises(GeohazardError, match="1 of 1 LOS vectors point into the ground"):
        ar.check_los_vector([-e], [-n], [-u], label="LOS")


def test_a_lv_theta_in_degrees_is_an_elevation_in_degrees():
    """PyRate's GAMMA sample (tests/data/envisat_small_test/gamma_obs/20060619_utm.lv_theta) holds 67.0329 =
    90 - 22.9671 (its .inc): the name says elevation, the values say degrees."""
    content = ar.content_of_file("20060619_utm.lv_theta.tif")
    _check(67.0329, 67.0329, 2, content=content)
    with pytest.raises(GeohazardError, match=r"holds the look vector's elevation angle \(90 - incidence\) in degrees "
                                             r"but INCIDENCE_UNITS declares an incidence angle in degrees.*\(2\)"):
        _check(67.0329, 67.0329, 0, content=content)

"""Angle and line-of-sight-vector rasters checked like typed values: what a raster holds must fit what it is
declared to hold.

An incidence raster's content is declared by the tool's INCIDENCE_UNITS option (:data:`INCIDENCE_CONTENTS`, index =
option), a heading raster's by HEADING_UNITS (:data:`HEADING_CONTENTS`). The values and what the producer says about
the file are checked against it, so a wrong declaration is refused naming the content that fits instead of being
read as a 1-degree incidence:

* the producer's own names and metadata: HyP3/GAMMA ``*_lv_theta.tif`` is the look vector's elevation angle from
  the horizontal in radians and ``*_lv_phi.tif`` its orientation counter-clockwise from east in radians (HyP3 InSAR
  product guide, hyp3-docs.asf.alaska.edu/guides/insar_product_guide: "The lv_theta indicates the SAR look vector
  elevation angle at each pixel, ranging from -pi/2 (down) to pi/2 (up)"; MintPy ``objects/stackDict.py`` turns
  them into 90 - degrees(theta) and degrees(phi) - 90); LiCSAR's ``<frame>.geo.E.tif`` / ``.N.tif`` / ``.U.tif``
  are the east, north and up components of the ground-to-satellite unit vector (LiCSBAS reads U as cos(incidence));
  MintPy's ``incidenceAngle`` is degrees from the vertical and ``azimuthAngle`` ISCE's LOS azimuth
  (``ANGLE_CONTENT`` of :func:`..formats.mintpy.open_layer`);
* the values: angles that all lie within 0..pi/2 (+ a margin) declared in degrees are radians or a unit-vector
  component; angles above it declared in radians are degrees; a unit-vector component lies within 0..1.

LOS unit vectors (east, north, up rasters or fields) must have unit length and point up, from the ground to the
satellite (:func:`check_los_vector`).
"""

from __future__ import annotations

import math
import os
import re
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..geometry.los import finite_vectors

#: Contents of an incidence raster, index = the INCIDENCE_UNITS option (algorithms/geometry/los_blocks.py).
INCIDENCE_CONTENTS = ("incidence_deg", "incidence_rad", "elevation_deg", "elevation_rad", "up_component")
#: Contents of a heading raster, index = the HEADING_UNITS option (fileio/geometry/geometry.py HEADING_KINDS).
HEADING_CONTENTS = ("heading_deg", "lv_phi_rad", "lv_phi_deg", "isce_los_azimuth_deg")
_WORDS = {
    "incidence_deg": "an incidence angle in degrees", "incidence_rad": "an incidence angle in radians",
    "elevation_deg": "the look vector's elevation angle (90 - incidence) in degrees",
    "elevation_rad": "the look vector's elevation angle from the horizontal in radians",
    "up_component": "the up component of the LOS unit vector, cos(incidence)",
    "east_component": "the east component of the LOS unit vector", "north_component":
        "the north component of the LOS unit vector",
    "heading_deg": "a flight heading in degrees clockwise from north",
    "lv_phi_rad": "the look vector's orientation counter-clockwise from east in radians",
    "lv_phi_deg": "the look vector's orientation counter-clockwise from east in degrees",
    "isce_los_azimuth_deg": "the azimuth of the ground-to-satellite vector in degrees anticlockwise from north "
                            "(ISCE los band 2, MintPy azimuthAngle)",
}
#: pi/2 and a margin for rounding and resampling: angles in radians never exceed it, angles in degrees rarely do not.
RADIAN_CEILING = math.pi / 2 + 0.05
_LICSAR = re.compile(r"(?:^|[._])([ENU])\.(?:geo\.)?tif{1,2}$", re.I)


def content_band(content: str, n_bands: int) -> int:
    """The band of a raster that holds ``content`` (a name of :data:`HEADING_CONTENTS` or
    :data:`INCIDENCE_CONTENTS`): ISCE's two-band ``los`` raster (``geom_reference/los.rdr`` and its geocoded
    ``los.rdr.geo``: band 1 the incidence angle, band 2 the azimuth of the ground-to-satellite vector; ISCE2
    ``topsStack``/``stripmapStack`` ``topo``) gives its azimuth from band 2; band 1 otherwise (a one-band raster
    of that azimuth, extracted by the user, too)."""
    return 2 if content == "isce_los_azimuth_deg" and n_bands == 2 else 1


def content_of_file(filename: str, metadata: Optional[dict] = None) -> Optional[str]:
    """What a raster holds by its producer's name or our metadata (``ANGLE_CONTENT``), or None when unknown."""
    if metadata:
        declared = {str(k).upper(): v for k, v in metadata.items()}.get("ANGLE_CONTENT")
        if declared:
            return str(declared)
    base = os.path.basename(str(filename))
    low = base.lower()
    if "lv_theta" in low:
        return "elevation_rad"
    if "lv_phi" in low:
        return "lv_phi_rad"
    m = _LICSAR.search(base)
    if m:
        return {"E": "east_component", "N": "north_component", "U": "up_component"}[m.group(1).upper()]
    return None


def named_content(content: Optional[str], lo: float, hi: float) -> Optional[str]:
    """What the producer's name says a raster holds (:func:`content_of_file`), its unit taken from the values:
    HyP3 writes ``lv_theta`` in radians, PyRate's GAMMA sample in degrees (67.03 = 90 - 22.97); an "up component"
    outside 0..1 is not one (None)."""
    if content == "elevation_rad" and hi > RADIAN_CEILING:
        return "elevation_deg"
    if content == "lv_phi_rad" and max(abs(lo), abs(hi)) > 2 * math.pi + 0.05:
        return "lv_phi_deg"
    if content == "up_component" and (lo < 0.0 or hi > 1.0):
        return None
    return content


def recognised_incidence_kind(content: Optional[str], lo: float, hi: float) -> Optional[int]:
    """The INCIDENCE_UNITS option (index of :data:`INCIDENCE_CONTENTS`) of a raster the producer's name or metadata
    identifies as an incidence-like content other than an incidence in degrees (LiCSAR's ``U.tif``, HyP3's
    ``lv_theta``), or None."""
    content = named_content(content, lo, hi)
    if content in INCIDENCE_CONTENTS and content != INCIDENCE_CONTENTS[0]:
        return INCIDENCE_CONTENTS.index(content)
    return None


def _option(options: tuple, content: str, labels: Optional[tuple], units_parameter: str) -> str:
    if content in options and labels is not None:
        i = options.index(content)
        return f"set {units_parameter} to '{labels[i]}' ({i})"
    return "convert it first (e.g. with the Raster calculator) to what this parameter takes"


def _by_values(lo: float, hi: float, declared: str, incidence: bool) -> Optional[list]:
    """Contents the values fit better than ``declared``, or None when they fit it."""
    if incidence:
        if declared in ("incidence_deg", "elevation_deg") and hi <= RADIAN_CEILING:
            fits = ["incidence_rad", "elevation_rad"]
            if lo >= 0.0 and hi <= 1.0:
                fits.append("up_component")
            return fits
        if declared in ("incidence_rad", "elevation_rad") and hi > RADIAN_CEILING:
            return ["incidence_deg", "elevation_deg"]
        if declared == "up_component" and (lo < 0.0 or hi > 1.0):
            return ["incidence_deg", "elevation_deg"] if hi > RADIAN_CEILING else ["incidence_rad", "elevation_rad"]
        return None
    if declared == "lv_phi_rad" and max(abs(lo), abs(hi)) > 2 * math.pi + 0.05:
        return ["lv_phi_deg"]
    if declared in ("heading_deg", "lv_phi_deg", "isce_los_azimuth_deg") and max(abs(lo), abs(hi)) <= math.pi + 0.05:
        return ["lv_phi_rad"]
    return None


def check_angle_raster(label: str, lo: float, hi: float, declared: int, *, parameter: str,
                       units_parameter: str = "", labels: Optional[tuple] = None, incidence: bool = True,
                       content: Optional[str] = None) -> None:
    """Refuse an incidence (``incidence``) or heading raster whose content contradicts the declared one.

    Parameters
    ----------
    label : str
        The file, as named in messages.
    lo, hi : float
        Smallest and largest valid value.
    declared : int
        The declared content: an index of :data:`INCIDENCE_CONTENTS` (or :data:`HEADING_CONTENTS`).
    parameter, units_parameter : str
        The raster's parameter and the one declaring its content (empty: the tool takes one content only).
    labels : tuple of str, optional
        The options of ``units_parameter`` as the dialog shows them (index = content); None when the tool has no
        such option.
    content : str, optional
        What the producer says the file holds (:func:`content_of_file`).

    Raises
    ------
    GeohazardError
        Naming the file, what it holds or looks like, and the setting that fits.
    """
    options = INCIDENCE_CONTENTS if incidence else HEADING_CONTENTS
    content = named_content(content, lo, hi)
    if not 0 <= declared < len(options):
        raise GeohazardError(f"{units_parameter or parameter}: option {declared} is not one of 0..{len(options) - 1}")
    want = options[declared]
    declared_words = _WORDS[want]
    units_parameter = units_parameter or parameter
    if content is not None and content != want and content in _WORDS:
        if content in ("east_component", "north_component"):
            raise GeohazardError(
                f"{parameter}: {label} holds {_WORDS[content]} (LiCSAR E/N), not "
                f"{'an incidence' if incidence else 'a heading'}; give the frame's U.tif as the incidence raster "
                f"({_option(INCIDENCE_CONTENTS, 'up_component', labels if incidence else None, units_parameter)})"
                if incidence else
                f"{parameter}: {label} holds {_WORDS[content]} (LiCSAR E/N), not a heading; type the frame's heading "
                "(LiCSAR metadata.txt) instead")
        fix = _option(options, content, labels, units_parameter)
        raise GeohazardError(f"{parameter}: {label} holds {_WORDS[content]} but {units_parameter} declares "
                             f"{declared_words}; {fix}")
    fits = _by_values(lo, hi, want, incidence)
    if fits:
        names = " or ".join(_WORDS[f] for f in fits)
        usable = [f for f in fits if f in options and labels is not None]
        fix = "; set " + units_parameter + " to " + " or ".join(
            f"'{labels[options.index(f)]}' ({options.index(f)})" for f in usable) if usable else \
            "; convert it first (e.g. with the Raster calculator) to " + declared_words
        raise GeohazardError(f"{parameter}: {label} has values from {lo:.4g} to {hi:.4g}, which cannot be "
                             f"{declared_words}: they look like {names}{fix}")


def check_los_vector(east, north, up, *, label: str, tolerance: float = 0.02) -> None:
    """Refuse LOS vectors (arrays of east, north, up components; NaN ignored) that are not unit vectors or point
    into the ground: ours point from the ground to the satellite, so their up component is positive.

    Raises
    ------
    GeohazardError
        Naming ``label``, the largest departure from unit length or the share pointing down.
    """
    found = finite_vectors(east, north, up)
    if found is None:
        return
    e, n, u, norm = found
    worst = float(np.max(np.abs(norm - 1.0)))
    if worst > tolerance:
        k = int(np.argmax(np.abs(norm - 1.0)))
        raise GeohazardError(f"{label}: the LOS vector (east, north, up) is not a unit vector: length {norm[k]:.4g} "
                             f"at ({e[k]:.4g}, {n[k]:.4g}, {u[k]:.4g}); give the unit vector's components (LiCSAR "
                             "E/N/U, EGMS los_east/los_north/los_up), not angles or scaled values")
    down = int((u <= 0.0).sum())
    if down:
        raise GeohazardError(f"{label}: {down} of {u.size} LOS vectors point into the ground (up component <= 0); "
                             "the LOS vector goes from the ground to the satellite (up > 0): a satellite-to-ground "
                             "vector must be negated")

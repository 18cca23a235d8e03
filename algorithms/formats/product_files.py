"""What a file of a known product is, when it is given where an interferogram is expected (LiCSAR's frame geometry,
a GACOS map, a HyP3 product's other files): the words an error message adds. Pure; imported by the date parsers,
so it imports none of them."""

from __future__ import annotations

import os
from typing import Optional

from . import hyp3, licsar

_SCENE_WORDS = {"E": "the east component of its line-of-sight vector", "N": "the north component of its "
                "line-of-sight vector", "U": "the up component of its line-of-sight vector", "hgt": "its DEM",
                "mli": "its amplitude", "landmask": "its land mask"}


def describe_file(path: str) -> Optional[str]:
    """What a product file that is not an interferogram is ("LiCSAR's frame geometry ..."), or None."""
    base = os.path.basename(str(path))
    m = licsar.SCENE_RE.match(base)
    if m:
        return (f"a file of LiCSAR frame {m.group('frame')}: {_SCENE_WORDS[m.group('key')]}, not an interferogram; "
                "give the frame's folder (LiCSBAS GEOC/ or the portal's frame folder) and it is read as such")
    if licsar.GACOS_RE.match(base):
        return "a GACOS delay map of one date (LiCSAR), not an interferogram"
    name = hyp3.product_name(base)
    role = hyp3.file_role(base, name) if name else None
    if role and role != "unw":
        return (f"the {role} file of HyP3 product {name}, not its unwrapped phase; give the product's zip or folder "
                "(or its _unw_phase.tif)")
    return None


def date_pair_problem(message: str, path: str) -> str:
    """``message`` (no date pair in a file name) with what the file is when it is a known product file."""
    what = describe_file(path)
    return f"{message}. {os.path.basename(str(path))} is {what}" if what else message

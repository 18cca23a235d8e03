"""Perpendicular baselines of interferograms from GAMMA baseline files.

Files may be gzip-compressed (``.par.gz``).

* ``*_bperp.par`` (output of GAMMA ``base_perp``): a table with columns
  ``line range B_t B_c B_n look_angle bpara bperp blen``; the interferogram's baseline is
  the mean of the ``bperp`` column over the table (scene centre in practice).
* ``*_base.par`` (output of GAMMA ``base_orbit``/``base_est_fft``): the ``precision_baseline(TCN)``
  (or ``initial_baseline(TCN)``) vector; only its length is available without the
  look angle, so ``*_bperp.par`` is preferred when both exist.

The date pair comes from the file name (:func:`..formats.dates.parse_date_pair`).

Products' own baseline files are read too: LiCSAR's ``baselines`` (one perpendicular baseline per epoch relative to
the frame's primary epoch, :func:`.licsar.parse_baselines`; every pair of its epochs is given) and HyP3's
``<product>.txt`` (``Baseline:`` of its pair, :mod:`.hyp3`), as files or in the folders given (HyP3 products one
folder down).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
from typing import Iterable

import numpy as np

from ..errors import GeohazardError
from . import hyp3, licsar
from .baseline_geometry import hyp3_parameter_texts
from .dates import parse_date_pair

_NUM = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def _open_text(path: str):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_gamma_bperp(path: str) -> float:
    """Mean perpendicular baseline (m) of a GAMMA ``*_bperp.par`` table.

    Raises
    ------
    GeohazardError
        Naming the file when it holds no table row.
    """
    values = []
    in_table = False
    with _open_text(path) as fh:
        for line in fh:
            if line.startswith("****"):
                in_table = True
                continue
            if in_table:
                parts = line.split()
                if len(parts) == 9 and all(re.fullmatch(_NUM, p) for p in parts):
                    values.append(float(parts[7]))
                elif parts and values:
                    break
    if not values:
        raise GeohazardError(f"baseline file {path!r}: no 'bperp' table found (expected GAMMA base_perp output)")
    return float(np.mean(values))


def read_gamma_base_par(path: str) -> float:
    """Length (m) of the cross-track/normal baseline of a GAMMA ``*_base.par`` (``sqrt(B_c^2 + B_n^2)``),
    signed by ``B_c``: a proxy for the perpendicular baseline when no ``*_bperp.par`` exists."""
    with _open_text(path) as fh:
        text = fh.read()
    for key in ("precision_baseline(TCN):", "initial_baseline(TCN):"):
        m = re.search(re.escape(key) + rf"\s+({_NUM})\s+({_NUM})\s+({_NUM})", text)
        if m:
            _, bc, bn = (float(g) for g in m.groups())
            if key.startswith("precision") and bc == 0 and bn == 0:
                continue
            return float(np.copysign(np.hypot(bc, bn), bc))
    raise GeohazardError(f"baseline file {path!r}: no 'precision_baseline(TCN)' or 'initial_baseline(TCN)' line")


def read_baselines(paths: Iterable[str]) -> dict:
    """Perpendicular baselines by date pair from GAMMA files, LiCSAR ``baselines``, HyP3 ``<name>.txt`` (loose or
    inside the products' zips), or folders of them.

    Parameters
    ----------
    paths : iterable of str
        Files (``*_bperp.par``, ``*_base.par``, ``baselines``, HyP3 ``.txt`` or ``.zip``) and/or folders
        (searched for all of them, HyP3 products one level down).

    Returns
    -------
    dict
        ``{(date, date): bperp_m}``; ``*_bperp.par`` wins over ``*_base.par`` for the same pair.
    """
    files = []
    zips = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(f for pat in ("*_bperp.par", "*_bperp.par.gz", "*_base.par", "*_base.par.gz", "baselines")
                            for f in glob.glob(os.path.join(p, pat)))
            files += sorted(f for pat in ("*.txt", "*/*.txt") for f in glob.glob(os.path.join(p, pat))
                            if is_hyp3_parameters(f))
            zips += sorted(glob.glob(os.path.join(p, "*.zip")))
        elif p and p.lower().endswith(".zip"):
            zips.append(p)
        elif p:
            files.append(p)
    out: dict = {}
    exact: set = set()
    for z in zips:
        for name, text in hyp3_parameter_texts(z):
            _hyp3_pair(out, exact, name, text)
    for f in files:
        if os.path.basename(f) == "baselines":
            out.update(_licsar_pairs(f))
            continue
        if is_hyp3_parameters(f):
            with _open_text(f) as fh:
                _hyp3_pair(out, exact, os.path.basename(f), fh.read())
            continue
        pair = tuple(sorted(parse_date_pair(f)))
        if f.endswith(("_bperp.par", "_bperp.par.gz")):
            out[pair] = read_gamma_bperp(f)
            exact.add(pair)
        elif pair not in exact:
            out[pair] = read_gamma_base_par(f)
    return out


def _hyp3_pair(out: dict, exact: set, name: str, text: str) -> None:
    """The ``Baseline:`` of one HyP3 ``<name>.txt`` into ``out`` (``{(earlier, later): bperp_m}``)."""
    value = hyp3.parameters_baseline(hyp3.parse_parameters(text, name), name)
    if value is None:
        raise GeohazardError(f"baseline file {name!r}: the HyP3 parameter file has no 'Baseline:' value")
    d1, d2 = parse_date_pair(name)
    out[tuple(sorted((d1, d2)))] = value if d1 <= d2 else -value
    exact.add(tuple(sorted((d1, d2))))


def is_hyp3_parameters(path: str) -> bool:
    """A HyP3 product's parameter file ``<product name>.txt`` (not its README)."""
    base = os.path.basename(path)
    name = hyp3.product_name(base)
    return bool(name) and base == name + ".txt"


def _licsar_pairs(path: str) -> dict:
    """Every pair of the epochs of a LiCSAR ``baselines`` file:
    ``{(earlier, later): bperp(later) - bperp(earlier)}``."""
    with _open_text(path) as fh:
        per_date = licsar.parse_baselines(fh.read(), os.path.basename(path))
    days = sorted(per_date)
    return {(a, b): per_date[b] - per_date[a] for i, a in enumerate(days) for b in days[i + 1:]}

"""The lane helpers of the multi-sensor kernels (``algorithms/timeseries/multisensor/lanes.py``) from one template.

A lane helper is a loop over the batch axis (the pixels of a batch, the last and contiguous axis of every work array)
doing one statement per pixel: ``for q in range(y.size): y[q] += c * a[q]``. Written inline in a kernel such a loop
is not vectorised (LLVM cannot rule out that the arrays overlap); in a small function numba checks that at run time
and vectorises it. Each helper keeps the operation order of the scalar expression it replaces, so every pixel's
arithmetic is the same bits whatever the batch.

Every helper is one :class:`Lane` of :data:`SPEC` (its name, arguments, docstring, loop index and range, the loop's
body); the decorator, signature and loop are the template's (:func:`render`). Change SPEC, then run
``make generate`` (``generate.py``); ``tests/core/test_multisensor_package.py`` checks that the file is what it writes.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional


class Lane(NamedTuple):
    name: str
    args: str           # space separated; the first one's size (or rows) is the loop's range when ``range`` is ""
    doc: Optional[str]
    index: str          # the loop's index: q over the pixels of the batch, i over rows of pixels
    range: str
    body: str           # the loop's body (its lines, indented as in the loop)


SPEC = (
    Lane('_v_and_finite', 'ok a',
         None,
         'q', 'ok.size',
         'ok[q] = ok[q] and a[q] == a[q]'),
    Lane('_v_residual_of', 'r a f',
         '``r = a - f``.',
         'q', 'r.size',
         'r[q] = a[q] - f[q]'),
    Lane('_v_lag1', 'z r0 r1 r2 h1 h2 s',
         '``z = |r1 - (h2 r0 + h1 r2) / s|``.',
         'q', 'z.size',
         'z[q] = abs(r1[q] - (h2 * r0[q] + h1 * r2[q]) / s)'),
    Lane('_v_order', 'a b',
         '``a, b = min(a, b), max(a, b)`` element by element.',
         'q', 'a.size',
         (
             'x = a[q]\n'
             'y = b[q]\n'
             'a[q] = x if x < y else y\n'
             'b[q] = y if x < y else x')),
    Lane('_v_closure', 'rss cnt d xa xb',
         'Add the squared residual ``d - (xb - xa)`` where it is finite.',
         'q', 'rss.size',
         (
             'e = d[q] - (xb[q] - xa[q])\n'
             'ok = e == e\n'
             'rss[q] += e * e if ok else 0.0\n'
             'cnt[q] += 1 if ok else 0')),
    Lane('_v_count_valid', 'c v sv',
         None,
         'q', 'c.size',
         'c[q] += 1 if (v[q] == v[q] and sv[q] == sv[q]) else 0'),
    Lane('_v_weights', 'wrow yrow v sv use min_sigma',
         None,
         'q', 'wrow.size',
         (
             'x = v[q]\n'
             'sg = sv[q]\n'
             'if use[q] and x == x and sg == sg:\n'
             '    sg = max(sg, min_sigma)\n'
             '    wrow[q] = 1.0 / (sg * sg)\n'
             '    yrow[q] = x\n'
             'else:\n'
             '    wrow[q] = 0.0\n'
             '    yrow[q] = 0.0')),
    Lane('_v_sub_mul', 'y a b',
         '``y -= a * b``.',
         'q', 'y.size',
         'y[q] -= a[q] * b[q]'),
    Lane('_v_div', 'y a',
         None,
         'q', 'y.size',
         'y[q] = y[q] / a[q]'),
    Lane('_v_sub_dot4', 'y a b',
         '``y -= a[0] b[0]; y -= a[1] b[1]; ...`` for the four rows of ``a`` and ``b`` (in that order).',
         'q', 'y.size',
         'y[q] = y[q] - a[0, q] * b[0, q] - a[1, q] * b[1, q] - a[2, q] * b[2, q] - a[3, q] * b[3, q]'),
    Lane('_m_sub_mul', 'y a x',
         '``y[i] -= a * x[i]`` for every row ``i`` of ``y`` and ``x`` (``a`` one row).',
         'i', 'y.shape[0]',
         '_v_sub_mul(y[i], a, x[i])'),
    Lane('_m_sub_mul4_row', 'y a x0 x1 x2 x3',
         None,
         'q', 'y.size',
         'y[q] = y[q] - a[0, q] * x0[q] - a[1, q] * x1[q] - a[2, q] * x2[q] - a[3, q] * x3[q]'),
    Lane('_m_sub_mul4', 'y a x0 x1 x2 x3',
         '``y[i] -= a[0] x0[i]; y[i] -= a[1] x1[i]; ...`` for every row ``i`` (in that order).',
         'i', 'y.shape[0]',
         '_m_sub_mul4_row(y[i], a, x0[i], x1[i], x2[i], x3[i])'),
    Lane('_m_div', 'y a',
         '``y[i] /= a`` for every row ``i``.',
         'i', 'y.shape[0]',
         '_v_div(y[i], a)'),
    Lane('_v_sq_sum', 'acc a',
         '``acc += a * a``.',
         'q', 'acc.size',
         'acc[q] += a[q] * a[q]'),
    Lane('_v_add_mul', 'y a b',
         '``y += a * b``.',
         'q', 'y.size',
         'y[q] += a[q] * b[q]'),
    Lane('_v_mul', 'y a b',
         '``y = a * b``.',
         'q', 'y.size',
         'y[q] = a[q] * b[q]'),
    Lane('_v_smul', 'y c a',
         '``y = c * a`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] = c * a[q]'),
    Lane('_v_mul_s', 'y a c',
         '``y = a * c`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] = a[q] * c'),
    Lane('_v_add_smul', 'y c a',
         '``y += c * a`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] += c * a[q]'),
    Lane('_v_sub_smul', 'y c a',
         '``y -= c * a`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] -= c * a[q]'),
    Lane('_v_add_mul_ss', 'y a c1 c2',
         '``y += a * c1 * c2`` (scalars ``c1``, ``c2``; left to right).',
         'q', 'y.size',
         'y[q] += a[q] * c1 * c2'),
    Lane('_v_fill', 'y c',
         None,
         'q', 'y.size',
         'y[q] = c'),
    Lane('_v_copy', 'y a',
         None,
         'q', 'y.size',
         'y[q] = a[q]'),
    Lane('_v_sdiv', 'y c a',
         '``y = c / a`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] = c / a[q]'),
    Lane('_v_neg_div', 'y a b',
         '``y = -a / b``.',
         'q', 'y.size',
         'y[q] = -a[q] / b[q]'),
    Lane('_v_diag_inv', 'y acc li',
         '``y = 1 / (li li) - acc / li``.',
         'q', 'y.size',
         (
             'v = li[q]\n'
             'y[q] = 1.0 / (v * v) - acc[q] / v')),
    Lane('_v_lin2', 'y c1 a c2 b',
         '``y = c1 * a + c2 * b``.',
         'q', 'y.size',
         'y[q] = c1 * a[q] + c2 * b[q]'),
    Lane('_v_add_lin4', 'y c1 a1 c2 a2 c3 a3 c4 a4',
         '``y += c1 a1 + c2 a2 + c3 a3 + c4 a4`` (summed left to right, then added).',
         'q', 'y.size',
         'y[q] += c1 * a1[q] + c2 * a2[q] + c3 * a3[q] + c4 * a4[q]'),
    Lane('_v_sqrt_pos', 'y acc fixed',
         '``y = sqrt(acc)`` where ``acc > 0`` and not ``fixed``, else 0.',
         'q', 'y.size',
         (
             'a = acc[q]\n'
             'y[q] = math.sqrt(a) if (a > 0.0 and not fixed) else 0.0')),
    Lane('_v_date_var3', 'y fixed c0 a0 w00 b0 s0 s1 s2 d0 d1 d2 f00 f01 f02 f10 f11 f12 f20 f21 f22 g00 g01 g02 '
                         'g10 g11 g12 g20 g21 g22 has1 c1 a1 c01 a2 wo2 b1 c4 b2 t0 t1 t2 e0 e1 e2',
         "One date's standard deviation with three deterministic terms, in one pass: the operations of the general\n"
         "    sequence in solve_batch (``_v_lin2``, ``_v_sub_smul``, ``_v_add_smul``, ``_v_add_lin4``, "
         "``_v_sqrt_pos``) in\n    the same order, so every pixel's value is the same bits.",
         'q', 'y.size',
         (
             'v = c0 * a0[q] + w00 * b0[q]\n'
             'v -= s0 * d0[q]\n'
             'v += f00 * g00[q]\n'
             'v += f01 * g01[q]\n'
             'v += f02 * g02[q]\n'
             'v -= s1 * d1[q]\n'
             'v += f10 * g10[q]\n'
             'v += f11 * g11[q]\n'
             'v += f12 * g12[q]\n'
             'v -= s2 * d2[q]\n'
             'v += f20 * g20[q]\n'
             'v += f21 * g21[q]\n'
             'v += f22 * g22[q]\n'
             'if has1:\n'
             '    v += c1 * a1[q] + c01 * a2[q] + wo2 * b1[q] + c4 * b2[q]\n'
             '    v -= t0 * e0[q]\n'
             '    v -= t1 * e1[q]\n'
             '    v -= t2 * e2[q]\n'
             'y[q] = math.sqrt(v) if (v > 0.0 and not fixed) else 0.0')),
    Lane('_v_residual', 'res2 chi nval y m w',
         'Add the squared residual ``y - m`` where the weight ``w`` is positive.',
         'q', 'y.size',
         (
             'e = y[q] - m[q]\n'
             'ok = w[q] > 0.0\n'
             'res2[q] += e * e if ok else 0.0\n'
             'chi[q] += w[q] * e * e if ok else 0.0\n'
             'nval[q] += 1.0 if ok else 0.0')),
    Lane('_v_add_mul3', 'y c a b',
         '``y += c * a * b`` (``c`` a scalar).',
         'q', 'y.size',
         'y[q] += c[q] * a[q] * b[q]'),
)

HEADER = '''"""Lane helpers of the multi-sensor kernels: loops over the batch axis, one statement per pixel.

Written by ``scripts/generate/multisensor_lanes.py`` from its SPEC (the one template of every helper).
"""

# fmt: off
# ruff: noqa: E501
from __future__ import annotations

import math

from ..._numba import njit


'''


def _wrap(head: str, args: list) -> str:
    lines, cur = [], head
    for i, a in enumerate(args):
        piece = a + ("):" if i == len(args) - 1 else ", ")
        if len(cur) + len(piece.rstrip()) > 120:
            lines.append(cur.rstrip())
            cur = " " * len(head)
        cur += piece
    lines.append(cur)
    return "\n".join(lines)


def render_one(lane: Lane) -> str:
    out = ["@njit(cache=True)", _wrap(f"def {lane.name}(", lane.args.split())]
    if lane.doc:
        out.append(f'    """{lane.doc}"""')
    out.append(f"    for {lane.index} in range({lane.range}):")
    out += ["        " + line if line else "" for line in lane.body.split("\n")]
    return "\n".join(out)


def render(marker: str) -> str:
    """The text of lanes.py, ``marker`` its first line."""
    names = "".join(f"    {lane.name!r},\n" for lane in SPEC)
    return (marker + "\n" + HEADER + "\n\n".join(render_one(lane) + "\n" for lane in SPEC)
            + "\n\n__all__ = [\n" + names + "]\n")


NUMPY_HEADER = '''"""The lane helpers of :mod:`.lanes` on whole arrays: their numpy form, for a first run's numpy path.

Written by ``scripts/generate/multisensor_lanes.py`` from the same SPEC as :mod:`.lanes`: a helper whose body is
arithmetic only (no branch but a conditional value, no call but another such helper) is one numpy statement per
line here, its loop index dropped, a conditional value ``np.where`` (both sides computed), with the same IEEE
operations on each element in the same order, so a pixel gets the compiled helper's bits. It takes that form where
every array is float64 and as wide as the output (numpy would round a float32 product, or broadcast what the loop
reads in part); elsewhere it runs the loop. Registered as the helpers' stand-ins
(:func:`~algorithms._numba.python_equivalent`) wherever the kernels run as Python (no numba, or a run on the numpy
path): the package imports this module first.
"""

# fmt: off
# ruff: noqa: E501
from __future__ import annotations

import numpy as np

from ..._numba import python_equivalent
from . import lanes as _compiled


def _whole(y, *args) -> bool:
    """True when ``y`` and every array of ``args`` are float64 arrays of ``y``'s width (the loop's range)."""
    if not isinstance(y, np.ndarray) or y.dtype != np.float64:
        return False
    for a in args:
        if isinstance(a, np.ndarray):
            if a.dtype != np.float64 or a.shape[-1] != y.shape[-1]:
                return False
        elif not isinstance(a, (float, int, np.floating, np.integer)) or isinstance(a, bool):
            return False
    return True


'''

#: what a lane's body may hold to have a numpy form: names, numbers, the four operations, comparisons, parentheses
#: and indexing; a conditional value (``a if c else b``, both sides computed: ``np.where``) and ``abs``
_ARITHMETIC = re.compile(r"^[\w\s\[\],.()+\-*/=<>]*$")
_CONDITIONAL = re.compile(r"^(?P<lhs>.+?) (?P<op>[-+]?=) (?P<a>.+) if (?P<c>.+) else (?P<b>.+)$")


def _numpy_line(line: str, idx: str, args: list, written: set) -> str:
    line = re.sub(rf"\[(\d+), {idx}\]", r"[\1]", line)
    line = line.replace(f"[{idx}]", "")
    line = re.sub(r"\babs\(", "np.abs(", line)
    m = _CONDITIONAL.match(line)
    if m:
        line = f"{m['lhs']} {m['op']} np.where({m['c'].strip('()')}, {m['a']}, {m['b']})"
    m = re.match(r"^(\w+) = (.*)$", line)
    if m and m.group(1) in args:  # an output written whole: in place
        line = f"{m.group(1)}[...] = {m.group(2)}"
    elif m and m.group(2) in written:  # a value read before its array is written: a copy, as the loop's scalar
        line = f"{m.group(1)} = {m.group(2)}.copy()"
    return line


def numpy_form(lane: Lane, numpy_names: set) -> Optional[str]:
    """``lane`` on whole arrays (see :data:`NUMPY_HEADER`), or None where its body is not arithmetic only."""
    body = lane.body
    args = lane.args.split()
    calls = re.findall(r"\b(_[vm]_\w+)\(", body)
    lines_in = body.split("\n")
    conditional = [ln for ln in lines_in if re.search(r"\b(if|else)\b", ln)]
    if not _ARITHMETIC.match(body) or re.search(r"\b(and|or|not|max|min|math)\b", body) \
            or any(c not in numpy_names for c in calls) or any(not _CONDITIONAL.match(ln) for ln in conditional):
        return None
    idx = lane.index
    written = {m.group(1) for ln in lines_in for m in [re.match(rf"^(\w+)\[{idx}\] [-+]?=", ln)] if m}
    lines = [_numpy_line(line, idx, args, written) for line in lines_in]
    whole = ", ".join(args)
    if idx == "i":  # rows of lanes: the arrays a row reads must have the output's rows
        rows = sorted(set(re.findall(rf"\b(\w+)\[{idx}\]", body)) - {args[0]})
        same = "".join(f" and {r}.shape[0] == {args[0]}.shape[0]" for r in rows)
        cond = f"_whole({whole}) and {args[0]}.ndim == 2{same}"
    else:
        cond = f"_whole({whole})"
    out = [f"def {lane.name}({whole}):"]
    if lane.doc:
        out.append(f'    """{lane.doc}"""')
    out.append(f"    if {cond}:")
    out += ["        " + line for line in lines]
    out.append("        return")
    out.append(f"    for {idx} in range({lane.range}):")
    out += ["        " + line for line in lines_in]
    return "\n".join(out)


def render_numpy(marker: str) -> str:
    """The text of lanes_numpy.py (the helpers with a numpy form), ``marker`` its first line."""
    forms, names = [], set()
    for lane in SPEC:
        text = numpy_form(lane, names)
        if text is not None:
            forms.append(text)
            names.add(lane.name)
    register = "".join(f"python_equivalent(_compiled.{n}, {n})\n" for n in sorted(names))
    return marker + "\n" + NUMPY_HEADER + "\n\n\n".join(forms) + "\n\n\n" + register

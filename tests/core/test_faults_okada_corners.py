"""Okada's kernels are what the AST passes write from their plain-Python sources, with DC3D's terms written once.

``scripts/generate`` writes ``faults/okada_corners.py``, ``okada_dc3d.py`` and ``okada_numpy.py`` from
``okada_corners_src.py``, ``okada_dc3d_src.py`` and ``okada_numpy_src.py`` (``scripts/generate/okada_passes.py``):
the corner geometry's slopes and DC3D's parts A, B and C are plain functions of ``dc3d_terms.py`` that the kernels
call, pasted at their calls. An edit of a generated module (or of a source without regenerating) fails here; the
passes are checked on small sources against what plain Python computes, the plain sources run as Python against
the compiled kernels' bytes; the values against Okada's tables are in the other ``test_faults_okada*`` files.
"""

import ast
import inspect
import math
import os
import sys

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.faults import (
    dc3d_terms,
    okada,
    okada_block,
    okada_corners,
    okada_corners_src,
    okada_dc3d,
    okada_numpy,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "generate"))

import generate  # noqa: E402
import okada_passes  # noqa: E402

FAULTS = os.path.join(ROOT, "algorithms", "faults")
GENERATED = (okada_corners, okada_dc3d, okada_numpy)


def _functions(text):
    return {node.name: node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_regenerating_changes_nothing():
    made = generate.generated()
    for module in GENERATED:
        text = made[os.path.realpath(module.__file__)]
        assert _read(module.__file__) == text, f"{module.__name__} differs from its source: run make generate"
        source = "algorithms/faults/" + module.__name__.rsplit(".", 1)[1] + "_src.py"
        assert text.startswith(f"{generate.PREFIX} from {source}:")
        tree = ast.parse(text)  # nothing of the sources' machinery is left: no terms module, no inline call
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "dc3d_terms"]
        terms = {name for name, _ in inspect.getmembers(dc3d_terms, inspect.isfunction)}
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") in terms]
    assert not os.path.exists(os.path.join(ROOT, "scripts", "generate", "templates", "dc3d_terms.py.in"))


def test_no_module_of_the_plugin_imports_the_sources():
    """The sources are read by ``make generate``; the plugin runs what it wrote (no import of them at start)."""
    for folder, _dirs, names in os.walk(os.path.join(ROOT, "algorithms")):
        for name in names:
            if not name.endswith(".py") or name.endswith("_src.py") or name == "dc3d_terms.py":
                continue
            tree = ast.parse(_read(os.path.join(folder, name)))
            imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
            imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert not {m for m in imported if m.endswith("_src") or m.endswith("dc3d_terms")}, name


def test_each_dc3d_term_is_written_once_and_used_by_every_kernel():
    terms = {  # a line of the corner geometry, of part A, B and C (DC3D's order): the terms', a kernel's, DC3D's
        "geometry": ("hz = yb * q * x32 + xi * q * y32 * cd",) * 3,
        "A": ("u[8] += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)",
              "pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)",
              "u[8] += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)"),
        "B": ("u[11] += c * (-q * hz + alp3 * ak4 * sdsd)", "pb11 += c * (-q * hz + alp3 * ak4 * sdsd)",
              "u[11] += c * (-q * hz + alp3 * ak4 * sdsd)"),
        "C": ("u[9] += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))",
              "pc9 += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))",
              "u[9] += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))"),
    }
    users = {  # the one-station kernel and the block kernels that need it; DC3D's function
        okada_corners: {"geometry": 5, "A": 5, "B": 3, "C": 3},
        okada_dc3d: {"geometry": 1, "A": 1, "B": 1, "C": 1},
    }
    written = _read(dc3d_terms.__file__)
    for module, count in users.items():
        generated = _read(module.__file__)
        functions = _functions(generated)
        lines = generated.split("\n")
        for part, (in_terms, in_kernel, in_dc3d) in terms.items():
            assert written.count(in_terms) == 1, part
            term = in_kernel if module is okada_corners else in_dc3d
            places = [name for name, node in functions.items()
                      if term in "\n".join(lines[node.lineno - 1:node.end_lineno])]
            assert len(places) == count[part], (module.__name__, part, places)
            assert ("_plane_corners" if module is okada_corners else "_corner_geometry" if part == "geometry"
                    else f"_part_{part.lower()}") in places
    for name in ("okada_corners_src.py", "okada_dc3d_src.py", "okada_numpy_src.py"):  # no source writes a term
        text = _read(os.path.join(FAULTS, name))
        assert not any(t[0] in text or t[1] in text for t in terms.values()), name


def test_the_kernels_used_are_the_generated_ones():
    assert okada._plane_corners is okada_corners._plane_corners
    for name in ("_real_part_a", "_image_parts_abc", "_real_part_a_grad", "_image_parts_abc_grad", "_NW",
                 "BLOCK_STATIONS"):
        assert getattr(okada_block, name) is getattr(okada_corners, name)


def test_hand_written_okada_modules_keep_functions_under_200_lines():
    for module in ("okada", "okada_block", "okada_planes", "okada_sources", "dc3d_terms", "okada_corners_src",
                   "okada_dc3d_src", "okada_numpy_src"):
        text = _read(os.path.join(FAULTS, module + ".py"))
        assert not text.startswith(generate.PREFIX)
        for name, node in _functions(text).items():
            assert node.end_lineno - node.lineno + 1 <= 200, f"{module}.{name}"


# --------------------------------------------------------------------------- the passes on small sources
TERMS = '''
import math

EPS = 1.0e-6


def inline(function):
    return function


@inline
def radius(x, y, log, grad):
    r = math.sqrt(x * x + y * y)
    if abs(x) < EPS:
        x = 0.0
    v = log(r + 1.0) if grad else 0.0
    if grad:
        w = 2.0 * r
    else:
        w = r
    return x, r, v, w


@inline
def rows(x, r, scale, u):
    u[:] = 0.0
    u[0] += scale * r
    if r == 0.0:
        t = 0.0
    else:
        t = x / r
    u[1] += t
    u[2] += r * r
'''

SOURCE = '''
import math

import numpy as np

from .dc3d_terms import radius, rows

Stations = np.ndarray


def kernel(x, y, out):
    u = np.zeros(3)
    x, r, v, w = radius(x, y, math.log, True)
    rows(x, r, 2.0 * v, u)
    out[0] = u[0] + w
    out[1] = u[1]


def stations(x: Stations, y: Stations, out):
    u = np.zeros((3,) + np.shape(x))
    x, r, v, w = radius(x, y, np.log, False)
    rows(x, r, 0.5, u)
    out[0] += u[0]
    out[1] += u[1]
'''


def _module(form, monkeypatch, tmp_path):
    """The module the passes write from SOURCE (``form``), imported from ``tmp_path``, with its plain Python twin."""
    package = tmp_path / f"pkg_{form}"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "dc3d_terms.py").write_text(TERMS)
    (package / "plain.py").write_text(SOURCE)
    (package / f"made_{form}.py").write_text(okada_passes.render(str(package / "plain.py"), "# made", form))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    return importlib.import_module(f"pkg_{form}.made_{form}"), importlib.import_module(f"pkg_{form}.plain")


def test_the_passes_paste_fold_bind_and_hold_rows_as_scalars(monkeypatch, tmp_path):
    made, plain = _module("numba", monkeypatch, tmp_path)
    body = ast.unparse(_functions(_read(made.__file__))["kernel"])
    assert "radius(" not in body and "rows(" not in body  # pasted
    assert "if grad" not in body and "grad else" not in body and "v = math.log(r + 1.0)" in body  # folded
    assert "u0 += 2.0 * v * r" in body and "u[" not in body and "np.zeros" not in body  # rows as scalars
    assert "if r == 0.0:" in body  # a branch on a value stays a branch
    assert "EPS" in _read(made.__file__).split("def kernel", 1)[0]  # the terms' constant the pasted body reads
    rng = np.random.default_rng(1)
    for x, y in [(0.0, 0.0), (1e-9, 2.0)] + [tuple(rng.normal(0, 3, 2)) for _ in range(20)]:
        a, b = np.zeros(2), np.zeros(2)
        made.kernel(x, y, a)
        plain.kernel(x, y, b)  # the source as plain Python: the same values, the same bits
        assert a.tobytes() == b.tobytes()


def test_the_numpy_pass_writes_a_branch_per_station_as_where_and_prunes(monkeypatch, tmp_path):
    made, plain = _module("numpy", monkeypatch, tmp_path)
    body = ast.unparse(_functions(_read(made.__file__))["stations"])
    assert "np.where(abs(x) < EPS, 0.0, x)" in body and "np.where(r == 0.0, 0.0, t)" in body
    assert "if " not in body and "np.sqrt(" in body and "math.sqrt" not in body
    assert "u2" not in body  # row 2 is never stored: pruned
    rng = np.random.default_rng(2)
    x, y = rng.normal(0, 3, 50), rng.normal(0, 3, 50)
    x[:3], y[:3] = 0.0, [0.0, 1.0, 1e-300]
    out = np.zeros((2, 50))
    with np.errstate(divide="ignore", invalid="ignore"):
        made.stations(x, y, out)
    for i in range(50):  # station by station, the plain source as Python: the same bits
        one = np.zeros(2)
        with np.errstate(divide="ignore", invalid="ignore"):
            plain.stations(float(x[i]), float(y[i]), one)
        assert one.tobytes() == out[:, i].copy().tobytes(), i


@pytest.mark.parametrize("source, message", [
    ("def f(x):\n    x, r, v, w = radius(x + 1.0, x, math.log, True)\n", "must be a name"),
    ("def f(x):\n    a = radius(x, x, math.log, True) + 1.0\n", "statement of its own"),
    ("def f(x):\n    x, r = radius(x, x, math.log, True)\n", "returns 4 values"),
    ("def f(x):\n    rows(x, x, 1.0)\n", "no argument for 'u'"),
    ("def f(x, out):\n    rows(x, x, t, out)\n", "reads \\['t'\\], which its body assigns"),
])
def test_the_passes_refuse_what_they_cannot_paste(source, message):
    text = "import math\n\nfrom .dc3d_terms import radius, rows\n\n\n" + source
    with pytest.raises(ValueError, match=message):
        okada_passes.transform(text, TERMS)


# --------------------------------------------------------------------------- the plain sources run as Python
def _plane_inputs(rng):
    grp = np.array([0.0, 0.0, 4e3, 0.0, 0.0, math.sin(math.radians(50.0)), math.cos(math.radians(50.0))])
    corners = np.array([[-3e3, 0.0, 0.7, -0.4, 0.1], [3e3, 0.0, -0.7, 0.4, -0.1],
                        [-3e3, 2.5e3, -0.7, 0.4, -0.1], [3e3, 2.5e3, 0.7, -0.4, 0.1]])
    x, y = rng.uniform(-9e3, 9e3, 2)
    return grp, corners, x, y


def test_the_plain_corner_kernel_runs_as_python_and_gives_the_compiled_bytes():
    """``okada_corners_src._plane_corners`` as plain Python (DC3D's terms called as functions, parts in arrays)
    against the generated kernel compiled: the same bits, displacement and derivatives, at depth and at the
    surface."""
    if not _numba.have_numba():
        pytest.skip("numba is missing: no compiled kernel to compare the plain source with")
    plain = _numba.python_twin(okada_corners_src._plane_corners)
    rng = np.random.default_rng(7)
    for case in range(12):
        grp, corners, x, y = _plane_inputs(rng)
        z = 0.0 if case % 3 == 0 else -rng.uniform(100.0, 6e3)
        grad, surface = bool(case % 2), (case % 3 == 0 and case % 2 == 0)
        outs = []
        for kernel in (okada_corners._plane_corners, plain):
            out, sa, sab, sc = np.zeros(12), np.zeros(12), np.zeros(12), np.zeros(12)
            kernel(2.0 / 3.0, x, y, z, grp, corners, 0, 4, grad, surface, out, sa, sab, sc)
            outs.append(out)
        assert np.isfinite(outs[0]).all()
        assert outs[0].tobytes() == outs[1].tobytes(), case

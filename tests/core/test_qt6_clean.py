"""Lint: code that breaks on newer QGIS / Qt6 / GDAL / numpy must not come back.

Checked on the token stream of every Python file of the repository (strings and comments are
ignored), so it needs neither QGIS nor a network:

* unscoped Qt/QGIS enums (``QgsProcessingParameterNumber.Double``, ``Qt`` + ``.LeftButton``,
  ``QVariant.Double``): PyQt6 only knows the scoped forms (``...Number.Type.Double``,
  ``Qt.MouseButton.LeftButton``), which PyQt5 5.15 (QGIS 3.22) accepts too. Heuristic: a capitalised
  attribute of a ``Qt``/``Qgis``/``Q*``/``Qgs*`` name used as a value, i.e. not followed by ``.`` or
  ``(``; upper-snake constants (``QGIS_VERSION_INT``) and the names in ``ALLOWED`` pass.
* ``gdal.Open(...)`` chained straight into ``.GetRasterBand(...)`` (and ``ogr`` into ``.GetLayer``): from GDAL 3.8
  the band/layer dies with the unnamed dataset. Keep the dataset in a variable.
* numpy names removed in numpy 2.x (``trapz``, ``in1d``, ``NaN`` ... of ``np``).
* nested enums gone from newer QGIS's Python API (``REMOVED``).
"""

from __future__ import annotations

import io
import os
import tokenize

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_DIRS = {".build", ".git", "dist", "demo_output", "__pycache__", ".pytest_cache", "data"}

# Capitalised attributes of Q*/Qgs* names that are classes or enum types, not enum values.
ALLOWED: set = set()

# Nested enums that newer QGIS no longer has in Python (use fileio/base/compat.py).
REMOVED = {
    ("QgsProcessingModelChildParameterSource", "Source"):
        "gone on QGIS 3.40 (Qgis.ProcessingModelChildParameterSource)",
}

NUMPY_REMOVED = {
    "trapz", "in1d", "row_stack", "product", "cumproduct", "alltrue", "sometrue", "float_", "complex_",
    "NaN", "Inf", "Infinity", "NINF", "PINF", "NZERO", "PZERO", "infty", "cfloat", "longfloat",
    "singlecomplex", "clongfloat", "longcomplex", "string_", "unicode_", "asfarray", "msort", "round_",
}

CHAINS = {("gdal", "Open"): {"GetRasterBand"}, ("gdal", "OpenEx"): {"GetRasterBand", "GetLayer", "GetLayerByName"},
          ("ogr", "Open"): {"GetLayer", "GetLayerByName"}}


def _is_qt_name(name: str) -> bool:
    return name in ("Qt", "Qgis") or (len(name) > 3 and name.startswith("Qgs") and name[3].isupper()) or \
        (len(name) > 2 and name[0] == "Q" and name[1].isupper() and name[2].islower())


def _is_upper_snake(name: str) -> bool:
    return name.upper() == name


def check_source(text: str, *, compat_module: bool = False) -> list[tuple[int, str]]:
    """(line, message) for every problem in ``text``; ``compat_module``: the version-guarded shim, which
    may name the API that newer QGIS removed."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER)]
    problems = []
    n = len(toks)
    for i, t in enumerate(toks):
        prev_dot = i > 0 and toks[i - 1].string == "."
        if t.type != tokenize.NAME or prev_dot or i + 2 >= n or toks[i + 1].string != ".":
            continue
        attr = toks[i + 2]
        if attr.type != tokenize.NAME:
            continue
        after = toks[i + 3].string if i + 3 < n else ""
        line = t.start[0]
        if _is_qt_name(t.string) and attr.string[0].isupper() and after not in (".", "(") \
                and not _is_upper_snake(attr.string) and (t.string, attr.string) not in ALLOWED:
            problems.append((line, f"unscoped enum {t.string}.{attr.string} (Qt6 needs {t.string}.<EnumType>."
                                   f"{attr.string})"))
        if (t.string, attr.string) in REMOVED and not compat_module:
            problems.append((line, f"{t.string}.{attr.string} is {REMOVED[t.string, attr.string]}"))
        if t.string in ("np", "numpy") and attr.string in NUMPY_REMOVED:
            problems.append((line, f"{t.string}.{attr.string} is removed in numpy 2.x"))
        bad_next = CHAINS.get((t.string, attr.string))
        if bad_next and after == "(":
            depth, j = 0, i + 3
            while j < n:
                s = toks[j].string
                depth += s in "([{"
                depth -= s in ")]}"
                if depth == 0:
                    break
                j += 1
            if j + 2 < n and toks[j + 1].string == "." and toks[j + 2].string in bad_next:
                problems.append((line, f"{t.string}.{attr.string}(...).{toks[j + 2].string}(...): the object dies "
                                       f"with the unnamed dataset on GDAL >= 3.8; keep the dataset in a variable"))
    return problems


def _python_files():
    for base, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("venv"))
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.join(base, f)


@pytest.mark.parametrize("code, expected", [
    ("x = QgsProcessingParameterNumber.Double\n", "unscoped enum QgsProcessingParameterNumber.Double"),
    ("if e.button() == Qt." "LeftButton: pass\n", "unscoped enum Qt." "LeftButton"),
    ("f = QgsField('a', QVariant.Double)\n", "unscoped enum QVariant.Double"),
    ("iface.addDockWidget(Qt." "RightDockWidgetArea, w)\n", "unscoped enum Qt." "RightDockWidgetArea"),
    ("sink.addFeature(f, QgsFeatureSink.FastInsert)\n", "unscoped enum QgsFeatureSink.FastInsert"),
    ("t = gdal.Open(path)" ".GetRasterBand(1).DataType\n", "gdal.Open(...)" ".GetRasterBand(...)"),
    ("b = gdal.Open(os.path.join(a, f(b)))" ".GetRasterBand(2)\n", "gdal.Open(...)" ".GetRasterBand(...)"),
    ("lyr = ogr.Open(p).GetLayer(0)\n", "ogr.Open(...).GetLayer(...)"),
    ("a = np." "trapz(y, x)\n", "np." "trapz is removed"),
    ("m = np." "in1d(a, b)\n", "np." "in1d is removed"),
    ("v = np." "NaN\n", "np." "NaN is removed"),
    ("v = numpy." "float_(1)\n", "numpy." "float_ is removed"),
    ("if s.source() == QgsProcessingModelChildParameterSource.Source.StaticValue: pass\n",
     "QgsProcessingModelChildParameterSource.Source is gone on QGIS 3.40"),
])
def test_checker_finds_known_breakages(code, expected):
    found = check_source(code)
    assert any(expected in msg for _, msg in found), found


@pytest.mark.parametrize("code", [
    "x = QgsProcessingParameterNumber.Type.Double\n",
    "Qt.MouseButton.LeftButton\n",
    "if Qgis.QGIS_VERSION_INT >= 33800: pass\n",
    "p = QgsProcessingParameterNumber('X', 'x', QgsProcessingParameterNumber.Type.Double)\n",
    "s = QgsProcessingModelChildParameterSource.fromModelParameter('A')\n",
    "if s.source() == Qgis.ProcessingModelChildParameterSource.StaticValue: pass\n",
    "ds = gdal.Open(path)\nb = ds.GetRasterBand(1)\n",
    "a = gdal.Open(path).ReadAsArray()\n",
    "# Qt." "LeftButton in a comment\ns = 'np." "trapz in a string'\n",
    "a = np.trapezoid(y, x) if hasattr(np, 'trapezoid') else 0\n",
    "v = np.nan\n",
])
def test_checker_passes_clean_code(code):
    assert check_source(code) == []


def test_repository_is_qt6_gdal38_numpy2_clean():
    problems = []
    for path in _python_files():
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        compat = os.path.relpath(path, ROOT) == os.path.join("fileio", "base", "compat.py")
        for line, msg in check_source(text, compat_module=compat):
            problems.append(f"{os.path.relpath(path, ROOT)}:{line}: {msg}")
    assert not problems, "\n".join(problems)

"""The Okada corner kernels and the per-patch DC3D are what their templates give, with DC3D's terms written once.

``scripts/generate`` writes ``faults/okada_corners.py`` from ``okada_corners.py.in`` and ``faults/okada_dc3d.py``
from ``okada_dc3d.py.in``: the corner geometry's slopes and DC3D's parts A, B and C are snippets of
``dc3d_terms.py.in``, pasted into the one-station kernel (``_plane_corners``), the station-block kernels
(``_real_part_a``, ``_image_parts_abc`` and their ``_grad`` twins) and DC3D's own ``_part_a/b/c``. An edit of a
generated module (or of a template without regenerating) fails here; the values are checked by the other
``test_faults_okada*`` files.
"""

import ast
import os
import sys

import pytest

from insar_geohazards.algorithms.faults import okada, okada_block, okada_corners, okada_dc3d

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "generate"))

import generate  # noqa: E402
import lanes  # noqa: E402

TERMS = os.path.join(ROOT, "scripts", "generate", "templates", "dc3d_terms.py.in")


def _functions(text):
    return {node.name: node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}


def test_regenerating_changes_nothing():
    made = generate.generated()
    for module in (okada_corners, okada_dc3d):
        text = made[os.path.realpath(module.__file__)]
        with open(module.__file__, encoding="utf-8") as f:
            assert f.read() == text, f"{module.__name__} differs from its template: run make generate"
        assert text.startswith(generate.PREFIX + " from templates/okada_")
        assert not [line for line in text.split("\n") if line.lstrip().startswith("#@")]  # every directive done


def test_each_dc3d_term_is_written_once_and_used_by_every_kernel():
    with open(TERMS, encoding="utf-8") as f:
        template = f.read()
    terms = {  # a line of the corner geometry, of part A, B and C (DC3D's order): the template's, a kernel's, DC3D's
        "geometry": ("hz = yb * q * x32 + xi * q * y32 * cd",) * 3,
        "A": ("{u}8{v} += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)",
              "pa8 += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)",
              "u[8] += c * (alp1 * (db * x11 + xy * sd) + alp2 * q * hy)"),
        "B": ("{u}11{v} += c * (-q * hz + alp3 * ak4 * sdsd)", "pb11 += c * (-q * hz + alp3 * ak4 * sdsd)",
              "u[11] += c * (-q * hz + alp3 * ak4 * sdsd)"),
        "C": ("{u}9{v} += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))",
              "pc9 += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))",
              "u[9] += k * (-et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cz * yb * qr - y0 * sdsd + q * z0 * cd))"),
    }
    users = {  # the one-station kernel and the block kernels that need it; DC3D's function
        okada_corners: {"geometry": 5, "A": 5, "B": 3, "C": 3},
        okada_dc3d: {"geometry": 1, "A": 1, "B": 1, "C": 1},
    }
    for module, count in users.items():
        with open(module.__file__, encoding="utf-8") as f:
            generated = f.read()
        functions = _functions(generated)
        lines = generated.split("\n")
        for part, (in_template, in_kernel, in_dc3d) in terms.items():
            assert template.count(in_template) == 1, part
            term = in_kernel if module is okada_corners else in_dc3d
            places = [name for name, node in functions.items()
                      if term in "\n".join(lines[node.lineno - 1:node.end_lineno])]
            assert len(places) == count[part], (module.__name__, part, places)
            assert ("_plane_corners" if module is okada_corners else "_corner_geometry" if part == "geometry"
                    else f"_part_{part.lower()}") in places
    for name in ("okada_corners.py.in", "okada_dc3d.py.in"):  # neither template writes a term itself
        with open(os.path.join(os.path.dirname(TERMS), name), encoding="utf-8") as f:
            assert not any(t[0] in f.read() for t in terms.values()), name


def test_the_kernels_used_are_the_generated_ones():
    assert okada._plane_corners is okada_corners._plane_corners
    for name in ("_real_part_a", "_image_parts_abc", "_real_part_a_grad", "_image_parts_abc_grad", "_NW",
                 "BLOCK_STATIONS"):
        assert getattr(okada_block, name) is getattr(okada_corners, name)


def test_hand_written_okada_modules_keep_functions_under_200_lines():
    for module in ("okada", "okada_block", "okada_planes", "okada_sources"):
        path = os.path.join(os.path.dirname(okada_corners.__file__), module + ".py")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert not text.startswith(generate.PREFIX)
        for name, node in _functions(text).items():
            assert node.end_lineno - node.lineno + 1 <= 200, f"{module}.{name}"


def test_snippets_paste_with_their_values_sections_and_wraps():
    template = (
        "#@ snippet term(f, guard, disp)\n"
        "a = {f}(x)\n"
        "#@ if disp\n"
        "d = a\n"
        "#@ else\n"
        "d = 0.0\n"
        "#@ end\n"
        "#@ wrap guard\n"
        "g = 2.0 * a\n"
        "#@ end\n"
        "#@ end\n"
        "\n"
        "def one(x, grad):\n"
        "    #@ term(f=\"math.log\", guard=\"if grad:\", disp=True)\n"
        "    return d\n"
        "\n"
        "\n"
        "def block(x):\n"
        "    for j in range(3):\n"
        "        #@ term(f=\"vlog\", guard=\"\", disp=False)\n"
    )
    text = lanes.paste(template)
    assert text == (
        "def one(x, grad):\n"
        "    a = math.log(x)\n"
        "    d = a\n"
        "    if grad:\n"
        "        g = 2.0 * a\n"
        "    return d\n"
        "\n"
        "\n"
        "def block(x):\n"
        "    for j in range(3):\n"
        "        a = vlog(x)\n"
        "        d = 0.0\n"
        "        g = 2.0 * a\n"
    )
    ast.parse(text)
    plain = "def f(a{l}):\n    return {b}\n"
    assert lanes.paste(plain) is plain  # a template without snippets is left as it is (the lanes' templates)
    with pytest.raises(ValueError, match="takes f, guard, disp"):
        lanes.paste(template.replace(', disp=False', ''))

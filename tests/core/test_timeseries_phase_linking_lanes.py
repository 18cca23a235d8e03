"""The generated lane modules of phase linking are what their templates give: regenerating changes nothing.

``scripts/generate`` (``make generate``) writes ``phase_linking/rows.py`` and ``phase_linking/batch.py`` from
``rows.py.in`` and ``batch.py.in`` (and every other generated module from its source): each template statement
holding a lane placeholder once per lane. An edit of a generated module (or of a source without regenerating)
fails here.
"""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "generate"))

import generate  # noqa: E402
import lanes  # noqa: E402


def test_regenerating_changes_nothing():
    made = generate.generated()
    assert len(made) == len(generate.TARGETS) >= 5
    assert generate.stale() == []
    for path, text in made.items():
        assert text.startswith(generate.PREFIX + " from "), path
        assert text.split("\n", 1)[0].endswith("make generate."), path


def test_a_lane_statement_is_written_once_per_lane_in_order():
    template = ('def f(p, q, b):\n    """Docstring naming {l} stays."""\n    a{l} = p[0, {l}]\n'
                '    q[{b}] = (a{l}\n        + 1.0)\n')
    text = lanes.expand(template, "# marker")
    body = text.split("\n", 1)[1]
    ast.parse(body)
    assert body.count("{l}") == 1  # the docstring only
    lines = [line.strip() for line in body.splitlines()]
    assert lines[2:2 + lanes.LANES] == [f"a{i} = p[0, {i}]" for i in range(lanes.LANES)]
    assert lines[2 + lanes.LANES] == "q[b] = (a0"
    assert lines[2 + lanes.LANES + 2] == "q[b + _u(1)] = (a1"
    assert lanes.lane("x{l} = y[{b}]", 3) == "x3 = y[b + _u(3)]"

"""The generated lane modules of phase linking are what their templates give: regenerating changes nothing.

``scripts/generate`` (``make generate``) writes ``phase_linking/batch.py``, ``lane.py`` and ``batch_numpy.py`` from
``batch.py.in`` (and every other generated module from its source): each template statement holding a lane
placeholder once per lane, on one lane, or on arrays of pixels. An edit of a generated module (or of a source
without regenerating) fails here.
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


def test_the_pixel_array_form_writes_each_lane_statement_once_on_arrays():
    """The numpy form of a lane template (``batch_numpy.py`` from ``batch.py.in``): a ``#@ parallel`` loop is one
    step over a slice (the compiled form drops the mark), numba's per-lane ``and`` / ``not`` / conditional value /
    ``|z|`` are element-wise, a value loaded from an array the function stores into is a copy, and the functions
    that loop over the lanes are left out. The function it writes gives, on arrays, what the compiled lanes give
    lane by lane (run here as Python)."""
    import numpy as np

    template = ('"""Doc."""\n\nimport numpy as np\n\nfrom ..._numba import njit_slp\n\nLANES = 8\n\n\n'
                '@njit_slp(error_model="numpy")\n'
                'def f(x, y, ok, n):\n'
                '    """Per lane."""\n'
                '    #@ parallel\n'
                '    for i in range(n):\n'
                '        a{l} = x[i, {l}]\n'
                '        x[i, {l}] = a{l} * 2.0 if ok[{l}] and not a{l} < 0 else abs(complex(a{l}, 1.0))\n'
                '        y[i, {l}] = a{l}\n\n\n'
                'def g(ok):\n'
                '    for l in range(LANES):\n'
                '        ok[l] = True\n')
    compiled = lanes.expand(lanes.paste(template), "# marker")
    assert "#@" not in compiled and compiled.count("a7 = x[i, 7]") == 1
    text = lanes.expand_pixel_arrays(template, "# marker", "Doc.")
    assert "def g" not in text and "njit_slp" not in text and "LANES" not in text
    assert "i = slice(0, n)" in text and "a_ = x[i, :].copy()" in text
    assert "np.where(ok[:] & ~(a_ < 0), a_ * 2.0, np.hypot(a_, 1.0))" in text
    space = {}
    exec(compile(text, "pixel_arrays", "exec"), space)  # the generated text under test
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    ok = np.array([True, True, False])
    want_x, want_y = x.copy(), np.zeros_like(x)
    for i in range(2):
        for q in range(3):
            a = x[i, q]
            want_x[i, q] = a * 2.0 if ok[q] and not a < 0 else abs(complex(a, 1.0))
            want_y[i, q] = a
    y = np.zeros_like(x)
    space["f"](x, y, ok, 2)
    assert x.tobytes() == want_x.tobytes() and y.tobytes() == want_y.tobytes()


def test_the_one_lane_form_runs_the_lane_statements_on_lane_q_alone():
    """The one-lane form (``lane.py`` from ``batch.py.in``): the root functions and the lane functions they call,
    named ``..._q``, ``q`` their last argument, a loop over the lanes a loop over ``q``; run as Python, a function
    changes lane ``q`` only, as the lane form does in that lane."""
    import numpy as np

    template = ('"""Doc."""\n\nimport numpy as np\n\nfrom ..._numba import njit_slp\n\nLANES = 8\n\n\n'
                '@njit_slp(error_model="numpy")\n'
                'def _f_b(x, ok, n):\n'
                '    """Per lane."""\n'
                '    #@ parallel\n'
                '    for i in range(n):\n'
                '        a{l} = x[i, {l}]\n'
                '        x[i, {l}] = a{l} * 2.0 if ok[{l}] else a{l}\n\n\n'
                '@njit_slp(error_model="numpy")\n'
                'def _g_b(x, ok, n):\n'
                '    for l in range(LANES):\n'
                '        ok[l] = x[0, l] > 0\n'
                '    _f_b(x, ok, n)\n\n\n'
                'def _unused_b(x):\n'
                '    x[0, {l}] = 0.0\n')
    text = lanes.expand_one_lane(template, "# marker", "Doc.", ("_g_b",))
    assert "def _g_q(x, ok, n, q):" in text and "def _f_q(x, ok, n, q):" in text and "_unused" not in text
    assert "for l in range(q, q + 1):" in text and "_f_q(x, ok, n, q)" in text and "{l}" not in text
    space = {"njit_slp": lambda **kw: (lambda f: f)}
    exec(compile(text.replace("from ..._numba import njit_slp", ""), "one_lane", "exec"), space)
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    ok = np.zeros(3, bool)
    space["_g_q"](x, ok, 2, 2)
    assert x.tolist() == [[1.0, -2.0, 6.0], [0.5, 4.0, -2.0]] and ok.tolist() == [False, False, True]


def test_generate_check_exits_0_on_the_tree():
    """``scripts/generate/generate.py --check`` (what CI and ``make generate`` users run) finds nothing stale."""
    import subprocess

    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "generate", "generate.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""

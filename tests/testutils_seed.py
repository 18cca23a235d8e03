"""Seeds of the tests that draw their world at random on every run, and how to draw one world again.

A test whose inputs change from run to run takes its seed from ``drawn_seed()``, once, and makes every random value
from it: a fresh seed on each run, or the value of ``GEOHAZARD_TEST_SEED`` when that variable is set (one variable
for the whole suite; a test's own older variable, such as ``FORECAST_WORLD_SEED``, still works for that test).
tests/conftest.py adds the seeds a failing test drew (in the test, its fixtures or at its module's import) to the
failure's report, with the command line that draws the same world again::

    GEOHAZARD_TEST_SEED=123456 make test TESTS="tests/core/test_x.py::test_y"

A bound such a test asserts holds on every world it can draw, or is derived from the sampling spread of what it
measures so that a chance failure is rarer than 1e-4 per run of the suite (the bounds' derivations are in the tests'
docstrings).
"""

from __future__ import annotations

import os
import sys

import numpy as np

ENV = "GEOHAZARD_TEST_SEED"

# The test (or the fixture's node) being set up or run, set by tests/conftest.py; empty while a module is imported.
CURRENT = {"node": ""}
# node id (or module file for a draw at import) -> the seeds drawn there, in order
DRAWN: dict = {}


def drawn_seed(below: int = 2 ** 31, *, env: str = "") -> int:
    """A seed in ``[0, below)``: ``GEOHAZARD_TEST_SEED`` (or ``env``, a test's own variable, first) modulo ``below``
    when set, else a fresh one from the operating system's entropy; recorded for the failure report."""
    name = env if env and os.environ.get(env, "").strip() else ENV
    text = os.environ.get(name, "").strip()
    if text:
        try:
            seed = int(text) % below
        except ValueError:
            raise ValueError(f"{name}={text!r} is not a whole number: set it to the seed a failing test named, "
                             f"e.g. {name}=123456") from None
    else:
        seed = int(np.random.SeedSequence().entropy % below)
    key = CURRENT["node"] or sys._getframe(1).f_globals.get("__file__", "")
    DRAWN.setdefault(key, []).append(seed)
    return seed


def failure_note(keys) -> str:
    """The seeds drawn under ``keys`` (a test's node ids from the session down, and its module's file) and how to
    draw them again; empty when none was drawn."""
    seeds = []
    for key in keys:
        for seed in DRAWN.get(key, ()):
            if seed not in seeds:
                seeds.append(seed)
    if not seeds:
        return ""
    lines = [f"this test's world was drawn at random from seed {', '.join(str(s) for s in seeds)}"]
    lines += [f"draw it again: {ENV}={s} make test TESTS=\"<this test's id>\"" for s in seeds]
    return "\n".join(lines)

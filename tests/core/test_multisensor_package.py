"""The multi-sensor core as a package: its lane helpers are what scripts/generate writes from their one template, its
parts stay readable (no class over 400 lines, no function over 200, no file over 1,500), and every name of the former
modules is still importable where it was."""

import ast
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "algorithms", "timeseries", "multisensor")
sys.path.insert(0, os.path.join(ROOT, "scripts", "generate"))

import generate  # noqa: E402
import multisensor_lanes  # noqa: E402


def test_regenerating_the_lane_helpers_changes_nothing():
    text = generate.render("multisensor_lanes.py")
    with open(os.path.join(PKG, "lanes.py"), encoding="utf-8") as fh:
        assert fh.read() == text, "lanes.py differs from its source: run make generate"
    assert text.startswith(generate.PREFIX + " from multisensor_lanes.py")
    text = generate.render("multisensor_lanes.py", "algorithms/timeseries/multisensor/lanes_numpy.py")
    with open(os.path.join(PKG, "lanes_numpy.py"), encoding="utf-8") as fh:
        assert fh.read() == text, "lanes_numpy.py differs from its source: run make generate"


def test_the_lane_helpers_are_the_template_and_only_it():
    """Every function of lanes.py is one entry of SPEC (njit, one loop whose body is the entry's), and no other module
    of the package writes a lane helper of that shape by hand."""
    names = [lane.name for lane in multisensor_lanes.SPEC]
    tree = ast.parse(generate.render("multisensor_lanes.py"))
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in funcs] == names and len(names) == len(set(names)) >= 30
    for f in funcs:
        body = [b for b in f.body if not isinstance(b, ast.Expr)]
        assert len(body) == 1 and isinstance(body[0], ast.For), f.name
    for name in sorted(os.listdir(PKG)):
        if not name.endswith(".py") or name == "lanes.py":
            continue
        with open(os.path.join(PKG, name), encoding="utf-8") as fh:
            other = ast.parse(fh.read())
        for f in (n for n in other.body if isinstance(n, ast.FunctionDef)):
            body = [b for b in f.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
            one_loop = len(body) == 1 and isinstance(body[0], ast.For)
            assert not (one_loop and f.name.startswith(("_v_", "_m_"))), f"{name}: {f.name} is a lane helper by hand"


def test_no_class_over_400_no_function_over_200_no_file_over_1500_lines():
    for name in sorted(os.listdir(PKG)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(PKG, name), encoding="utf-8") as fh:
            text = fh.read()
        assert text.count("\n") <= 1500, name
        for node in ast.walk(ast.parse(text)):
            size = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, ast.ClassDef):
                assert size <= 400, (name, node.name, size)
            elif isinstance(node, ast.FunctionDef):
                assert size <= 200, (name, node.name, size)


@pytest.mark.parametrize("name", ["Stack", "NorthModel", "Gap", "MultisensorProblem", "MultisensorResult",
                                  "solve_multisensor", "check_spatial_overlap", "grid_points_to_stack", "NORTH_MODES",
                                  "NORTH_CODES", "STATUS", "MIN_DATES", "UNITS", "los_mm", "block_bytes_per_pixel",
                                  "_shrink", "_scene_prior", "_grid_prior", "_DENSITY_GRID", "_GAP_NOISE_SHARE"])
def test_the_former_names_import_from_the_package(name):
    from insar_geohazards.algorithms.timeseries import multisensor

    assert hasattr(multisensor, name)

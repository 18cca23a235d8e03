"""Okada's first-run cost model (algorithms/faults/okada_cost.py): the work counted as the kernels evaluate it (distinct
corners, Chinnery's sum), the shipped rates against the runs they were fitted on (benchmarks/faults/work_costs.json),
the choice it makes on the benchmark rows, and the same bytes on either path."""

import json
import os

import numpy as np
import pytest

from insar_geohazards.algorithms import kernel_families
from insar_geohazards.algorithms.faults.faults import faults_from_traces
from insar_geohazards.algorithms.faults.okada_cost import (
    KINDS,
    TERMS,
    OkadaWork,
    distinct_corners,
    fallback_work,
    okada_cost,
    okada_work,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: the fit's worst relative residual is 19.5 % (gradients, numpy path); the test allows a little more
RESIDUAL = 0.25


def strip(n, span_m=24_000.0, variable=False):
    """``n`` patches end to end along one plane (dip 60, 0-15 km), 1 m of reverse slip (times 0.5-1.5 each)."""
    length = (span_m - 8000.0) / n
    traces = [np.array([[4000.0 + k * length, -span_m / 2], [4000.0 + (k + 1) * length, -span_m / 2]])
              for k in range(n)]
    t = faults_from_traces(traces, dip_deg=60.0, top_m=0.0, bottom_m=15000.0, slip_m=1.0, rake_deg=90.0).table()
    if variable:
        t[:, 7:10] *= np.random.default_rng(1).uniform(0.5, 1.5, (n, 1))
    return t


def grid(side, span_m=24_000.0):
    x = (np.arange(side) + 0.5) * span_m / side
    return np.meshgrid(x, -x)


def test_the_work_counts_the_distinct_corners_chinnerys_sum_evaluates():
    """A rectangle is Chinnery's sum over its 4 corners; patches of one plane with the same slip share their inner
    corners with opposite signs, so 40 uniform-slip patches end to end are 4 corners, and with 40 different slips the
    41 corners of the top edge and the 41 of the bottom all remain (Okada 1992, eq. 28; Chinnery 1963)."""
    assert distinct_corners(strip(1)) == (4, 1, 0)
    assert distinct_corners(strip(40)) == (4, 1, 0)
    assert distinct_corners(strip(40, variable=True)) == (82, 1, 0)
    xx, yy = grid(100)
    work = okada_work(xx.size, strip(40), "displacement")
    assert (work.pairs, work.stations, work.calls) == (4 * 10_000, 10_000, 4 * 5)  # 5 chunks of 2,048 stations
    greens = okada_work(300, strip(40), "greens", evaluations=3)  # the design matrix: every patch alone
    assert (greens.pairs, greens.calls) == (3 * 300 * 40, 3 * 40)
    point = strip(1)
    point[0, 10] = 1  # a point source (Kode 400): the numpy path would run it station by station
    assert okada_cost(okada_work(10, point, "gradients"), kernel_families.measured_costs()["work"]["okada"])[0] \
        == np.inf
    with pytest.raises(ValueError):
        OkadaWork("displacement") + OkadaWork("greens")


def test_stations_near_a_plane_add_the_per_patch_fallback():
    """At 10 km the 60-degree plane crosses the map along a line: stations on it fall back to DC3D patch by patch,
    4 corners of each of the 40 patches; at the surface the trace is such a line for the displacement too."""
    t = strip(40)
    # a station exactly on the plane's trace at 10 km depth: 10 km / tan(60) off the trace, down dip (y < trace)
    y_line = -12_000.0 - 10_000.0 / np.tan(np.radians(60.0))
    e = np.array([12_000.0, 12_000.0])
    n = np.array([y_line, y_line + 3_000.0])
    pairs, calls = fallback_work(e, n, -10_000.0, t, True)
    assert pairs == 4 * 40 * 1 and calls == 4 * 40 * 1
    assert fallback_work(e[1:], n[1:], -10_000.0, t, True) == (0.0, 0.0)


def _measured():
    with open(os.path.join(ROOT, "benchmarks", "faults", "work_costs.json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_the_shipped_rates_reproduce_the_runs_they_were_fitted_on():
    """compile_costs.json's work row of okada against every CPU-s measured on both paths
    (benchmarks/faults/work_costs.py: six grids and fault tables per kind, one numba thread), within 25 %; the work of
    the startup rows' grids counted again here gives the same units as the fit's."""
    row = kernel_families.measured_costs()["work"]["okada"]
    measured = _measured()
    for kind in KINDS:
        for i, path in enumerate(("numpy", "numba")):
            for r in measured[kind][path]["rows"]:
                est = okada_cost(OkadaWork(kind, **{t: r[t] for t in TERMS}), row)[i]
                assert abs(est - r["cpu_s"]) <= RESIDUAL * r["cpu_s"], (kind, path, r, est)
    for kind, side, depth in (("displacement", 1200, 0.0), ("gradients", 500, 10e3)):
        r = next(r for r in measured[kind]["numpy"]["rows"] if r["what"] == "grid")
        xx, yy = grid(side)
        work = okada_work(xx.size, strip(40), kind, points=(xx, yy), depths_m=(depth,))
        assert {t: getattr(work, t) for t in TERMS} == pytest.approx({t: r[t] for t in TERMS})


def test_the_model_sends_the_startup_grids_to_numpy_and_a_large_variable_slip_map_to_the_compiler():
    """The first-run choice (numpy when its CPU-s are at most compiling plus the compiled run, as
    plan_compilation takes a WorkEstimate) on the benchmark rows: okadaforward's 1200 x 1200 grid of 40 uniform-slip
    patches and coulombstress's 500 x 500 of it at 10 km run as numpy (the former patch count estimated 583 CPU-s
    for the first); the Coulomb map of 1,000 variable-slip patches on 500 x 500 nodes compiles."""
    costs = kernel_families.measured_costs()
    row = costs["work"]["okada"]
    for tool, kind, side, depth in (("okadaforward", "displacement", 1200, 0.0),
                                    ("coulombstress", "gradients", 500, 10e3)):
        xx, yy = grid(side)
        numpy_s, numba_s = okada_cost(okada_work(xx.size, strip(40), kind, points=(xx, yy), depths_m=(depth,)), row)
        compile_s = costs["tools"][tool]["okada"]
        assert numba_s < numpy_s <= compile_s + numba_s, (tool, numpy_s, numba_s, compile_s)
    xx, yy = grid(500)
    numpy_s, numba_s = okada_cost(okada_work(xx.size, strip(1000, span_m=60_000.0, variable=True), "gradients"), row)
    assert numpy_s > costs["tools"]["coulombstress"]["okada"] + numba_s


def test_either_path_gives_the_same_bytes_on_a_grid_crossing_the_plane():
    """The block functions the grid tools call, compiled and as numpy (a first run's path), on a grid whose stations
    include the line where the plane crosses the depth (the per-patch fallback): the same bytes."""
    pytest.importorskip("numba", reason="numba is not installed: there is only the numpy path")
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.algorithms.faults.grid_blocks import coulomb_grid_block, okada_grid_block

    t = strip(40, variable=True)
    block = kernel_families._Block(24, 30)
    y_line = -12_000.0 - 10_000.0 / np.tan(np.radians(60.0))  # where the plane reaches 10 km
    gt = (0.0, 800.0, 0.0, y_line + 12.5 * 500.0, 0.0, -500.0)  # row 12's centres lie on that line

    def both(fn):
        compiled = fn()
        with _numba.python_kernels(kernel_families.BY_NAME["okada"].modules()):
            numpy = fn()
        return compiled, numpy

    receiver = {"strike_deg": 90.0, "dip_deg": 60.0, "rake_deg": 90.0}
    for compiled, numpy in (
            both(lambda: okada_grid_block(block, {}, geotransform=gt, table=t, poisson=0.25,
                                          los_vec=(0.6, -0.1, 0.79))),
            both(lambda: coulomb_grid_block(block, {}, geotransform=gt, table=t, depths_m=[10e3], regional=None,
                                            shear_modulus_pa=3.2e10, poisson=0.25, friction=0.4, scale_pa=1e5,
                                            receiver=receiver))):
        for key in compiled:
            assert compiled[key].tobytes() == numpy[key].tobytes(), key
    xx, yy = np.meshgrid((np.arange(30) + 0.5) * 800.0, gt[3] - (np.arange(24) + 0.5) * 500.0)
    assert fallback_work(xx, yy, -10e3, t, True)[0] > 0  # the grid does cross the plane's fallback band


def test_sizing_a_first_run_compiles_nothing(tmp_path):
    """The estimate runs before the plan looks at the cache: a kernel compiled while sizing the work (plane_groups
    calls _dip_constants) made the family look compiled, and the run compiled the rest unannounced. In a fresh
    process with an empty cache, counting the work of a grid compiles no kernel of the family."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.join(ROOT, ".build", "plugins")!r})
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        from test_faults_okada_cost import grid, strip
        from insar_geohazards.algorithms import _numba, kernel_families
        from insar_geohazards.algorithms.faults.okada_cost import okada_work
        xx, yy = grid(200)
        okada_work(xx.size, strip(40), "gradients", points=(xx, yy), depths_m=(10e3,))
        modules = kernel_families.BY_NAME["okada"].modules()
        print(_numba.first_compilation(kernel_families.BY_NAME["okada"].kernel_modules()),
              sum(len(d.signatures) for d in _numba.family_kernels(modules)))
        """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "0"], out.stdout

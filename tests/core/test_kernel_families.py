"""The kernel families: every module a tool lists in ``KERNELS`` has a warm-up, and a family's kernels run as plain
Python for one run (the numpy path of a small first run) give numba's bytes and compile nothing, helpers called
from other kernels and other modules included."""

import glob
import os
import re

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba, kernel_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: nothing compiles")


def _tool_kernel_modules() -> set:
    names = set()
    for path in glob.glob(os.path.join(ROOT, "processing_provider", "tools", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for group in re.findall(r"(?:kernels=|OKADA_KERNELS = )\(([^)]*)\)", text):
            names.update(re.findall(r"\"([a-z_.]+)\"", group))
    return names


def test_every_kernel_module_a_tool_names_has_a_warm_up():
    modules = _tool_kernel_modules()
    assert len(modules) >= 15, modules  # the listing found the tools' KERNELS
    covered = {m for f in kernel_families.FAMILIES for m in f.kernels}
    assert modules <= covered, f"no family warms {sorted(modules - covered)}: add it to algorithms/kernel_families.py"


class _Compiled:
    """The plugin kernels numba compiles while the block runs."""

    def __enter__(self):
        from numba.core import event

        names = self.names = []

        class Listener(event.Listener):
            def on_start(self, e):
                pass

            def on_end(self, e):
                func = getattr((e.data or {}).get("dispatcher"), "py_func", None)
                names.append(getattr(func, "__qualname__", "?"))

        self._cm = event.install_listener("numba:compile", Listener())
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _both_ways(family: str, run):
    """``run()`` with numba (compiled or loaded), then with the family's kernels as Python; returns both results and
    the kernels compiled during the second."""
    fam = kernel_families.BY_NAME[family]
    compiled = run()
    with _Compiled() as seen, _numba.python_kernels(fam.modules()):
        python = run()
    return compiled, python, seen.names


def _same_bytes(a, b):
    for x, y in zip(a, b):
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@needs_numba
def test_okada_family_as_python_uses_the_python_bitcasts_and_gives_numbas_bytes():
    """Okada's kernels call LLVM intrinsics (bit casts) under numba: as Python they use the module's Python ones."""
    from insar_geohazards.algorithms.faults.faults import Faults
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    f = Faults.create(east_m=[0.0], north_m=[0.0], strike_deg=[30.0], dip_deg=[55.0], length_m=[8e3], top_m=[0.0],
                      bottom_m=[6e3], strike_slip_m=[0.5], dip_slip_m=[1.0], opening_m=[0.0])
    e = np.linspace(-9e3, 9e3, 11)

    def run():
        return list(okada_displacement(e, e[::-1].copy(), f.table(), up_m=-2e3, gradients=True))

    compiled, python, seen = _both_ways("okada", run)
    _same_bytes(compiled, python)
    assert seen == [], seen


@needs_numba
def test_okada_grid_blocks_as_python_give_numbas_bytes():
    """The grid tools' numpy path (okadaforward, coulombstress on a small grid): displacement and Coulomb stress
    (a fixed receiver, and optimally oriented planes in a regional stress) the same bytes as numba's."""
    from insar_geohazards.algorithms.faults.faults import Faults
    from insar_geohazards.algorithms.faults.grid_blocks import coulomb_grid_block, okada_grid_block

    f = Faults.create(east_m=[0.0, 6e3], north_m=[0.0, -3e3], strike_deg=[30.0, 115.0], dip_deg=[55.0, 85.0],
                      length_m=[8e3, 5e3], top_m=[0.0, 1e3], bottom_m=[6e3, 5e3], strike_slip_m=[0.5, -1.0],
                      dip_slip_m=[1.0, 0.3], opening_m=[0.0, 0.1])
    rows, cols = 5, 7
    gt = (-10e3, 20e3 / cols, 0.0, 10e3, 0.0, -20e3 / rows)
    block = kernel_families._Block(rows, cols)
    common = dict(geotransform=gt, table=f.table(), depths_m=[0.0, 5e3], shear_modulus_pa=3e10, poisson=0.25,
                  friction=0.4, scale_pa=1e5)

    def run():
        fixed = coulomb_grid_block(block, {}, regional=None, receiver={"strike_deg": 30.0, "dip_deg": 60.0,
                                                                       "rake_deg": 90.0}, **common)
        optimal = coulomb_grid_block(block, {}, regional=np.diag([-1e6, 0.0, 1e6]), receiver={}, **common)
        disp = okada_grid_block(block, {}, geotransform=gt, table=f.table(), poisson=0.25, los_vec=(0.6, -0.1, 0.79))
        return [fixed["stress"], optimal["stress"], disp["displacement"]]

    compiled, python, seen = _both_ways("okada", run)
    _same_bytes(compiled, python)
    assert seen == [], seen


@needs_numba
def test_phase_linking_family_as_python_gives_numbas_bytes():
    from insar_geohazards.algorithms.psds.phase_linking import phase_link

    rng = np.random.default_rng(3)
    n, rows, cols = 5, 6, 7
    ph = rng.uniform(-np.pi, np.pi, (1, rows, cols)) + np.cumsum(rng.normal(0, 0.4, (n, rows, cols)), axis=0)
    slc = (rng.rayleigh(1.0, (n, rows, cols)) * np.exp(1j * ph)).astype(np.complex64)

    def run():
        r = phase_link(slc, window=(3, 5), method="emi", shp_method="glrt")
        return [r.phase, r.temporal_coherence, r.shp_count]

    compiled, python, seen = _both_ways("phase_linking", run)
    _same_bytes(compiled, python)
    assert seen == [], seen


def _multisensor_solve():
    """The multi-sensor solve of two per-date series and an interferogram stack with gaps, 9 x 15 px (a whole batch
    of 128 pixels and a part of one): its output arrays by name."""
    import datetime as dt

    from insar_geohazards.algorithms.geometry.los import los_unit_vector
    from insar_geohazards.algorithms.timeseries import multisensor as ms

    rng = np.random.default_rng(21)
    shape, d0 = (9, 15), dt.date(2019, 1, 3)
    stacks = []
    for name, geom, start in (("asc", (39.0, -12.0), 0), ("desc", (41.0, 192.0), 5)):
        dates = [d0 + dt.timedelta(days=start + 12 * k) for k in range(40)]
        t = np.array([(d - d0).days / 365.25 for d in dates])[:, None, None]
        e, _, u = (float(v) for v in los_unit_vector(*geom))
        los = (e * 6.0 * t + u * (-20.0 * t + 4.0 * np.sin(2 * np.pi * t))) * np.ones(shape)[None]
        los = (los + rng.normal(0, 1.0, los.shape)).astype(np.float32)
        los[5, 2, :4] = np.nan  # a missing value here and there
        stacks.append(ms.Stack(name, dates=dates, values=los - los[0], incidence_deg=geom[0], heading_deg=geom[1]))
    asc = stacks[0]
    pairs = [(asc.dates[i], asc.dates[j]) for i in range(len(asc.dates)) for j in range(i + 1, min(40, i + 3))]
    idx = {d: i for i, d in enumerate(asc.dates)}
    ifg = np.stack([asc.values[idx[b]] - asc.values[idx[a]] for a, b in pairs])
    stacks.append(ms.Stack("tsx", pairs=pairs, values=ifg, incidence_deg=33.0, heading_deg=-10.0))
    return dict(sorted(ms.solve_multisensor(stacks, min_sigma_mm=0.5).arrays.items()))


@needs_numba
def test_multisensor_family_as_python_takes_the_lanes_numpy_form_and_gives_numbas_bytes(monkeypatch):
    """The multi-sensor solve's numpy path (a first run's): its arithmetic lane helpers on whole batches of pixels
    (lanes_numpy.py, generated from the lanes' SPEC) give the compiled kernels' bytes for every output (series,
    sigmas, velocities, residual statistics), on two per-date series and an interferogram stack with gaps; the
    numpy forms do run (not only their loops), and nothing compiles."""
    from insar_geohazards.algorithms.timeseries.multisensor import lanes_numpy

    used = []
    real = lanes_numpy._whole
    monkeypatch.setattr(lanes_numpy, "_whole", lambda *a: used.append(real(*a)) or used[-1])
    compiled, python, seen = _both_ways("multisensor", lambda: list(_multisensor_solve().values()))
    assert len(compiled) >= 8
    _same_bytes(compiled, python)
    assert seen == [], seen
    assert sum(used) > 1000, (sum(used), len(used))  # the whole-array form, thousands of times


def test_the_multisensor_warm_up_solves_interferograms_in_groups_as_real_stacks_do(monkeypatch):
    """A real interferogram stack has many pixels per pattern of valid interferograms: SBAS solves them as groups
    with its batched kernels. The multi-sensor warm-up (a few pixels) solves a network that way too, so a tool's
    run after the warm-up compiles none of them (they made its second run 3.3 -> 11.4 CPU-s when it did not)."""
    from insar_geohazards.algorithms.timeseries import sbas

    grouped = []
    real = sbas.SbasSolver._pattern_factor
    monkeypatch.setattr(sbas.SbasSolver, "_pattern_factor", lambda self, *a: grouped.append(a) or real(self, *a))
    fam = kernel_families.BY_NAME["multisensor"]
    with _numba.python_kernels(fam.modules()):
        fam.warm(1)
    assert grouped


@needs_numba
def test_without_numba_the_multisensor_lane_helpers_are_their_numpy_form(tmp_path):
    """Where numba is missing the kernels' lane helpers run as their numpy forms (registered for every run as
    Python), with the compiled kernels' bytes."""
    import subprocess
    import sys

    script = (f"import sys; sys.path[:0] = [{os.path.join(ROOT, '.build', 'plugins')!r}, "
              f"{os.path.dirname(os.path.abspath(__file__))!r}]\n"
              "import numpy as np\n"
              "from insar_geohazards.algorithms import _numba\n"
              "from insar_geohazards.algorithms.timeseries.multisensor import batch, lanes_numpy\n"
              "from test_kernel_families import _multisensor_solve\n"
              "assert not _numba.HAVE_NUMBA and _numba._twin_value(batch._v_sub_mul) is lanes_numpy._v_sub_mul\n"
              f"np.savez({str(tmp_path / 'plain.npz')!r}, **_multisensor_solve())\n")
    env = dict(os.environ, INSAR_GEOHAZARDS_DISABLE_NUMBA="1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    compiled = _multisensor_solve()
    plain = np.load(tmp_path / "plain.npz")
    assert sorted(plain.files) == sorted(compiled)
    _same_bytes([compiled[k] for k in sorted(compiled)], [plain[k] for k in sorted(compiled)])


@needs_numba
def test_python_kernels_end_with_the_block():
    from insar_geohazards.algorithms import dense

    fam = kernel_families.BY_NAME["dense"]
    with _numba.python_kernels(fam.modules()):
        assert id(dense._scaled_gram) in _numba._PYTHON_MODE
    assert id(dense._scaled_gram) not in _numba._PYTHON_MODE


#: kernels no tool calls, so no warm-up compiles them: Okada's own DC3D/DC3D0 argument lists (the published
#: routines' interface, for scripts and the tests against Okada's tables; the tools use the source table's kernels)
NOT_WARMED = {"faults.okada_dc3d._dc3d_many", "faults.okada_dc3d._dc3d0_many"}


def _every_kernel() -> dict:
    """Every numba kernel defined in ``algorithms`` (name under ``algorithms`` -> kernel), every module imported."""
    import importlib
    import pkgutil

    from insar_geohazards import algorithms

    found = {}
    for info in pkgutil.walk_packages(algorithms.__path__, algorithms.__name__ + "."):
        if info.name.endswith("_src"):  # a plain-Python source of generated kernels: make generate reads it
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if _numba._is_kernel(obj) and obj.py_func.__module__ == module.__name__:
                found[f"{module.__name__[len(algorithms.__name__) + 1:]}.{name}"] = obj
    return found


@needs_numba
def test_the_warm_up_reaches_every_kernel_a_tool_can_compile():
    """After the warm-up every first run is a warm run: each kernel of the core belongs to a family (defined in its
    modules or called, transitively, by its kernels), so the family's warm-up compiles it and the family's numpy
    path runs it as Python. A kernel outside every family would compile on a tool's first run after the warm-up."""
    kernels = _every_kernel()
    assert len(kernels) > 200, len(kernels)  # the walk found the kernels
    reached = {id(k) for k in _numba.family_kernels([m for f in kernel_families.FAMILIES for m in f.modules()])}
    missing = sorted(name for name, k in kernels.items() if id(k) not in reached and name not in NOT_WARMED)
    assert missing == [], f"kernels in no family (algorithms/kernel_families.py): {missing}"
    assert NOT_WARMED <= set(kernels), sorted(NOT_WARMED - set(kernels))  # the exceptions still exist


@needs_numba
def test_a_package_in_a_family_brings_its_modules_kernels():
    """Phase linking's family names its package: the kernels of its modules (the main kernel in ``.kernel``, the
    one-lane steps in ``.lane``) run as Python on the numpy path, not compiled."""
    from insar_geohazards.algorithms.psds.phase_linking import kernel, lane

    reached = {id(k) for k in _numba.family_kernels(kernel_families.BY_NAME["phase_linking"].modules())}
    assert id(kernel._phase_link_kernel) in reached and id(lane._steps_q) in reached


@needs_numba
@pytest.mark.parametrize("family", [f.name for f in kernel_families.FAMILIES])
def test_a_familys_numpy_path_calls_no_compiled_kernel(family, monkeypatch):
    """A small first run on the numpy path compiles nothing: the family's warm-up (its core entry points) with its
    kernels as Python calls no kernel outside the family from Python (which would compile, or load, it)."""
    fam = kernel_families.BY_NAME[family]
    fam.modules()  # imported: every kernel's class made
    called = []

    def spy(self, *args, _call=_numba.Kernel.__call__, **kwargs):
        if id(self) not in _numba._PYTHON_MODE:
            called.append(f"{self.py_func.__module__}.{self.py_func.__qualname__}")
        return _call(self, *args, **kwargs)

    monkeypatch.setattr(_numba.Kernel, "__call__", spy)
    with _numba.python_kernels(fam.modules()):
        fam.warm(1)
    assert sorted(set(called)) == [], f"add their modules to the family's calls: {sorted(set(called))}"


@needs_numba
def test_a_family_is_ready_only_once_recorded_whole_for_this_numba_and_these_files(monkeypatch, tmp_path):
    """The ready file the warm-up writes after a family's last kernel: missing, unreadable, or made by another numba
    or from other module files, the family is not ready (a cache filled in part, or left by an upgrade)."""
    monkeypatch.setattr(_numba, "family_folder", lambda modules: str(tmp_path))
    family = kernel_families.BY_NAME["dense"]
    assert not kernel_families.family_ready(family)
    kernel_families.mark_ready(family)
    assert kernel_families.family_ready(family)
    stamp = kernel_families._ready_stamp(family)
    assert stamp["numba"] == _numba._numba.__version__ and stamp["files"]
    real = kernel_families._ready_stamp
    monkeypatch.setattr(kernel_families, "_ready_stamp", lambda f: {**real(f), "numba": "0.0.0"})  # an upgrade
    assert not kernel_families.family_ready(family)
    monkeypatch.setattr(kernel_families, "_ready_stamp", real)
    next(tmp_path.glob(".geohazard-ready-dense.json")).write_text("{")
    assert not kernel_families.family_ready(family)


def test_a_lock_held_by_another_open_file_reads_busy(tmp_path):
    path = str(tmp_path / "family.lock")
    assert not _numba.lock_busy(path)
    with _numba._file_lock(path):
        assert _numba.lock_busy(path)  # a lock on another open file: another process, as flock sees it
    assert not _numba.lock_busy(path)


def test_numpy_as_fast_follows_the_measured_ratio():
    table = {"families": {"a": {"numpy_cpu_s_per_mb": 0.011, "numba_cpu_s_per_mb": 0.0075},
                          "b": {"numpy_cpu_s_per_mb": 0.6, "numba_cpu_s_per_mb": 0.0},
                          "c": {"numpy_cpu_s_per_mb": 2.4, "numba_cpu_s_per_mb": 0.5}, "d": {}}}
    assert [n for n in "abcde" if kernel_families.numpy_as_fast(n, table)] == ["a"]


@needs_numba
def test_the_warm_up_file_runs_without_pythonpath_and_records_the_family(tmp_path):
    """The command the logs give (``<python> <plugin>/warm_kernels.py``) works as typed: no PYTHONPATH, the plugin
    found beside the file; its child reports this Python with numba and the family recorded ready."""
    import json
    import subprocess
    import sys

    script = os.path.join(ROOT, ".build", "plugins", "insar_geohazards", "warm_kernels.py")
    if not os.path.exists(script):
        pytest.skip("the plugin is not linked under .build/plugins (make link)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, script, "--one", "activity"], capture_output=True, text=True, env=env,
                         cwd=str(tmp_path), timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("{")))
    assert res["numba"] and res["python"] == list(sys.version_info[:2]) and res["ready"], res
    assert list(tmp_path.rglob(".geohazard-ready-activity.json"))


@pytest.mark.skipif(not hasattr(os, "nice"), reason="process niceness is POSIX; Windows gets a priority class")
@pytest.mark.parametrize("low", [False, True])
def test_the_background_compile_beside_a_numpy_run_runs_below_normal_priority(tmp_path, low):
    """A run on the numpy path starts its family's compile ``low_priority`` (the run gets the cores first): the
    detached process logs its niceness, 10 above the caller's, and where Linux groups processes by session its new
    session's group at nice 10 too; a compile a run waits for keeps the caller's niceness and a group at 0."""
    import sys
    import time

    from insar_geohazards import warm_kernels

    log = tmp_path / "background.log"
    proc = warm_kernels.start_background(["no_such_family"], [str(tmp_path)], python=sys.executable,
                                         log_path=str(log), low_priority=low)
    assert proc is not None and proc.returncode == 0
    t0 = time.monotonic()
    while "nice" not in (log.read_text() if log.exists() else "") and time.monotonic() - t0 < 60:
        time.sleep(0.1)
    found = re.search(r"pid \d+, nice (\d+),", log.read_text())
    assert found, log.read_text()
    own = os.nice(0)
    assert int(found.group(1)) == (min(19, own + warm_kernels.LOW_PRIORITY_NICE) if low else own)
    group = re.search(r"/autogroup-\d+ nice (-?\d+)", log.read_text())  # Linux's session groups, where on
    if warm_kernels._autogroup():
        assert group and int(group.group(1)) == (warm_kernels.LOW_PRIORITY_NICE if low else 0), log.read_text()
    assert (tmp_path / ".geohazard-background-no_such_family.lock").exists()
    # who held it, for a run choosing whether to wait (algorithms/compile_choice.py): the detached process itself,
    # its niceness after lowering it, its queue of families
    import json

    record = json.loads((tmp_path / ".geohazard-background-no_such_family.lock.holder").read_text())
    pid = int(re.search(r"pid (\d+), nice", log.read_text()).group(1))
    assert record["pid"] == pid and record["nice"] == int(found.group(1)), record
    assert record["queue"] == ["no_such_family"] and record["below_normal"] is low and record["kind"] == "background"


def test_a_background_warm_up_skips_a_family_compiled_whole_meanwhile(monkeypatch):
    """When a family's turn comes and another process (the test runner's warm-up, a run) recorded it compiled whole,
    the background starts no process for it and says so."""
    from insar_geohazards import warm_kernels

    monkeypatch.setattr(warm_kernels, "_ready", lambda name: name == "activity")
    monkeypatch.setattr(warm_kernels, "_child", lambda *a, **k: pytest.fail("a process started for a ready family"))
    said = []
    results = warm_kernels.warm(["activity"], log=said.append, skip_ready=True)
    assert results == [{"family": "activity", "skipped": True, "compiled": 0, "process_cpu_s": 0.0}]
    assert said == ["[warm-up] activity: compiled whole already (another process), skipped"]

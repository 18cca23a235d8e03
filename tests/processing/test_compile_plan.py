"""A run whose kernels are not compiled: they compile in the background (a detached process) and the run waits for
them, or it runs their numpy form meanwhile where the measured table (algorithms/compile_costs.json) has it as fast;
INSAR_GEOHAZARDS_COMPILE=always compiles in the run (saying how long, from the table), never runs them as Python;
without numba the log says how to install it."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from testutils import read_array, recording_feedback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = {"families": {"sbas": {"compile_cpu_s": 14.0, "numpy_cpu_s_per_mb": 2.0, "numpy_cpu_s_small": 0.1,
                               "numba_cpu_s_per_mb": 0.1},
                      "distortion": {"compile_cpu_s": 1.5, "numpy_cpu_s_per_mb": 0.5, "numpy_cpu_s_small": 0.0,
                                     "numba_cpu_s_per_mb": 0.05},
                      "okada": {"compile_cpu_s": 30.0, "numpy_cpu_s_per_mb": 1.0, "numpy_cpu_s_small": 0.0,
                                "numba_cpu_s_per_mb": 0.1}}}
#: a run of two kernel families (of two tools in fact: the plan takes whatever modules a run lists)
SBAS = ("timeseries.sbas", "geometry.distortion")


#: SBAS's rates as measured (numpy within 1.5x of numba) and a family whose two forms are both about free
AS_FAST = {"families": {"sbas": {"compile_cpu_s": 14.3, "numpy_cpu_s_per_mb": 0.011, "numba_cpu_s_per_mb": 0.0075},
                        "activity": {"compile_cpu_s": 0.3, "numpy_cpu_s_per_mb": 0.001, "numba_cpu_s_per_mb": 0.0},
                        "distortion": {"compile_cpu_s": 10.7, "numpy_cpu_s_per_mb": 34.7,
                                       "numba_cpu_s_per_mb": 0.139}}}


def test_a_cold_run_compiles_in_the_background_unless_numpy_is_as_fast_or_the_run_small(qgis_app, cold_kernels):
    from insar_geohazards.algorithms.kernel_families import OutputWork
    from insar_geohazards.processing_provider.inputs import compilation
    from insar_geohazards.processing_provider.inputs.compilation import plan_compilation

    # a run whose numpy estimate is not a tenth of the compile (the estimate can miss a window or the dates by
    # several times), or whose size is not known: it compiles its own kernels, or joins a compile already running
    # (the desktop's warm-up, another run's)
    for size in (2**20, 10 * 2**20, None):
        plan = plan_compilation(SBAS, size, TABLE)
        assert plan.mode == "compile" and [f.name for f in plan.families] == ["sbas", "distortion"]
        assert plan.compile_s == pytest.approx(15.5)
    # another process compiling sbas: joined when it ends sooner than compiling here at this load (nearly done, at
    # this run's priority, measured at a full core), never when it runs below this run's priority
    from insar_geohazards.algorithms.compile_choice import Progress

    for nice, mode in ((0.0, "background"), (10.0, "compile")):
        with pytest.MonkeyPatch.context() as mp:
            holder = Progress("sbas", pid=1, nice=nice, left_cpu_s=0.01, rate=1.0)
            mp.setattr(compilation, "holders_of", lambda families, costs, previous=None, h=holder: [h])
            plan = plan_compilation(SBAS, 10 * 2**20, TABLE)
            assert plan.mode == mode and plan.holders == [holder], plan
    assert plan_compilation(SBAS, 2**20, TABLE).numpy_s == pytest.approx(2.6)  # the estimate, for the log
    # a small run (0.1 CPU-s as numpy against 15.5 of compiling) runs as numpy while the compile goes on behind it
    small = plan_compilation(SBAS, 1, TABLE)
    assert small.mode == "numpy" and small.numpy_s * compilation.NUMPY_MARGIN <= small.compile_s
    okada = ("faults.okada", "faults.okada_planes")
    assert plan_compilation(okada, OutputWork(10 * 2**20), TABLE).mode == "compile"
    assert plan_compilation(okada, OutputWork(2**20), TABLE).mode == "numpy"  # 1 CPU-s against 30 of compiling
    assert plan_compilation(SBAS, 10 * 2**20, {}).mode == "compile"  # no measured table
    # numpy as fast as compiled (within 1.5x per MB): the numpy form now, for every family of the run
    assert plan_compilation(("timeseries.sbas",), 10 * 2**30, AS_FAST).mode == "numpy"
    assert plan_compilation(("ada.activity",), None, AS_FAST).mode == "numpy"
    assert plan_compilation(SBAS, 10 * 2**20, AS_FAST).mode == "compile"  # the distortion's numpy is not
    # the tool's own measured row replaces the families' whole warm-ups in the estimate
    rows = {**TABLE, "tools": {"sbasinversion:nocoherence": {"sbas": 1.9, "distortion": 0.1}}}
    own = plan_compilation(SBAS, 2**20, rows, entry="sbasinversion:nocoherence")
    assert own.mode == "compile" and own.compile_s == pytest.approx(2.0)
    assert plan_compilation(SBAS, 2**20, rows, entry="sbasinversion").compile_s == pytest.approx(15.5)  # no row


def test_the_shipped_table_has_numpy_as_fast_only_where_measured_so():
    from insar_geohazards.algorithms import kernel_families

    costs = kernel_families.measured_costs()
    fast = {f.name for f in kernel_families.FAMILIES if kernel_families.numpy_as_fast(f.name, costs)}
    for name in fast:
        row = costs["families"][name]
        assert row["numpy_cpu_s_per_mb"] <= 1.5 * row["numba_cpu_s_per_mb"] + 0.002, (name, row)
    assert "phase_linking" not in fast and "multisensor" not in fast and "okada" not in fast


def test_a_small_multisensor_run_takes_the_numpy_path_by_the_shipped_table(qgis_app, cold_kernels, tmp_path):
    """The first-run benchmark's multi-sensor scene (two Sentinel-1 series of 68 / 67 dates and a TerraSAR-X
    interferogram stack, 18 x 22 px): its numpy estimate from the shipped table (the family's numpy CPU per MB, the
    lane helpers on whole batches) is under a tenth of the tool's measured compile, so it runs as numpy (about 5
    CPU-s over the compiled run, where compiling in the run cost about 95); ten times the input compiles."""
    from qgis.core import QgsApplication, QgsProcessingContext
    from testutils_multisensor import scene

    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.processing_provider.inputs import compilation

    made = scene(str(tmp_path / "ms"))
    alg = QgsApplication.processingRegistry().createAlgorithmById("geohazard:multisensortimeseries")
    params = {"SERIES": made["series"], "MANIFEST": made["manifest"], "INCIDENCES": "36,41", "HEADINGS": "-12,192"}
    work = alg.work_bytes(params, QgsProcessingContext())
    assert 0.2 * 2**20 < work < 2**20, work  # the files of all three stacks
    entry = alg.compile_entry(params, QgsProcessingContext())
    costs = kernel_families.measured_costs()
    plan = compilation.plan_compilation(alg.KERNELS, work, costs, entry=entry)
    row = costs["families"]["multisensor"]
    expected = row["numpy_cpu_s_per_mb"] * work / 2**20 + row["numpy_cpu_s_small"]
    assert plan.numpy_s == pytest.approx(expected) and plan.compile_s == pytest.approx(
        costs["tools"]["multisensortimeseries"]["multisensor"])
    assert plan.mode == "numpy" and plan.numpy_s * compilation.NUMPY_MARGIN <= plan.compile_s, plan
    assert compilation.plan_compilation(alg.KERNELS, 10 * work, costs, entry=entry).mode == "compile"


def test_the_policy_setting_forces_either_path(qgis_app, cold_kernels, monkeypatch):
    from insar_geohazards.processing_provider.inputs.compilation import plan_compilation

    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "always")
    assert plan_compilation(SBAS, 1, TABLE).mode == "compile"
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "never")
    assert plan_compilation(SBAS, 100 * 2**20, TABLE).mode == "numpy"


def test_a_compiling_run_announces_the_tables_estimate(qgis_app, cold_kernels):
    from insar_geohazards.processing_provider.inputs import compilation

    fb = recording_feedback()
    plan = compilation.plan_compilation(SBAS, 10 * 2**20, TABLE)
    assert compilation.announce_compilation(SBAS, fb, plan) == ["some.kernel"]
    assert "Compiling kernels (once per machine, ~16 s)" in fb.text, fb.text
    assert "warm_kernels" in fb.text


def _tool_kernels():
    from qgis.core import QgsApplication

    return {a.name(): a for a in QgsApplication.processingRegistry().providerById("geohazard").algorithms()
            if getattr(a, "KERNELS", ())}


def test_each_tools_estimate_sums_its_declared_rows_over_exactly_the_families_it_compiles(qgis_app, cold_kernels):
    """The "~N s" a first run announces is the compile CPU measured for that tool (and variant) in
    algorithms/compile_costs.json's ``tools``, summed over the families of its KERNELS still to compile; a tool
    without a row of its own: its families' whole warm-ups. Nothing else goes into it."""
    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.processing_provider.inputs import compilation

    costs = kernel_families.measured_costs()
    tools = _tool_kernels()
    assert {"sbasinversion", "phaselinking", "okadaforward", "multisensortimeseries", "offsettracking"} <= set(tools)
    for name, alg in tools.items():
        families = [f.name for f in kernel_families.families_of(alg.KERNELS)]
        assert families, name  # every tool with kernels has a family
        for entry in [name + (f":{v}" if v else "") for v in alg.COMPILE_VARIANTS] or [None]:
            row = costs["tools"][entry] if entry else {}
            expected = sum(row[f] if entry else costs["families"][f]["compile_cpu_s"] for f in families)
            plan = compilation.plan_compilation(alg.KERNELS, None, entry=entry)
            assert plan.mode in ("compile", "numpy") and [f.name for f in plan.families] == families, entry
            assert plan.compile_s == pytest.approx(expected), entry
            fb = recording_feedback()
            compilation.announce_compilation(alg.KERNELS, fb, plan)
            if expected > 0:  # a family with nothing to compile (numpy only) has no estimate to give
                assert f"once per machine, ~{max(1, round(expected))} s)" in fb.text, (entry, fb.text)
            assert (f"Compile cost row {entry}." in fb.text) == bool(entry), (entry, fb.text)


def test_every_tools_declared_rows_are_in_the_shipped_table(qgis_app):
    """Each row a tool declares (its id, and ``<id>:<variant>`` per variant) is measured in compile_costs.json, for
    exactly the families its KERNELS name, with a positive CPU; the table has no row of a tool that does not
    declare it; the tools whose family warm-up missed their compile most declare theirs."""
    from insar_geohazards.algorithms import kernel_families

    rows = kernel_families.measured_costs().get("tools", {})
    tools = _tool_kernels()
    declared = set()
    for name, alg in tools.items():
        families = {f.name for f in kernel_families.families_of(alg.KERNELS)}
        for variant in alg.COMPILE_VARIANTS:
            entry = name + (f":{variant}" if variant else "")
            declared.add(entry)
            assert entry in rows, f"{entry}: run benchmarks/compile/measure.py --tools"
            assert set(rows[entry]) == families and all(v > 0 for v in rows[entry].values()), (entry, rows[entry])
    assert set(rows) == declared
    assert {"sbasinversion", "sbasinversion:nocoherence", "okadaforward", "coulombstress", "coulombonfaults",
            "phaselinking", "offsettracking", "multisensortimeseries"} <= declared


def test_sbas_without_coherence_uses_its_own_row(qgis_app, tmp_path):
    """sbasinversion's solver compiles about half as much when it reads no coherence: such a run (no COHERENCE, or
    COHERENCE given with neither weighting nor a coherence threshold) reads its ``nocoherence`` row; a run weighting
    by coherence or thresholding it, its plain row."""
    import testutils_hostile as hk
    from qgis.core import QgsApplication, QgsProcessingContext

    files, coh = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=5, shape=(6, 7), coherence=True)
    alg, ctx = QgsApplication.processingRegistry().createAlgorithmById("geohazard:sbasinversion"), \
        QgsProcessingContext()
    both = {"INTERFEROGRAMS": files, "COHERENCE": coh}
    assert alg.compile_entry({**both, "WEIGHTING": 1}, ctx) == "sbasinversion"
    assert alg.compile_entry({**both, "COHERENCE_THRESHOLD": 0.3}, ctx) == "sbasinversion"
    assert alg.compile_entry(both, ctx) == "sbasinversion:nocoherence"  # given, but the solver does not read it
    assert alg.compile_entry({"INTERFEROGRAMS": files}, ctx) == "sbasinversion:nocoherence"


def test_a_family_already_compiled_is_left_out_of_the_estimate(qgis_app, monkeypatch):
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba, kernel_families
    from insar_geohazards.processing_provider.inputs.compilation import plan_compilation

    monkeypatch.delenv("INSAR_GEOHAZARDS_COMPILE", raising=False)
    monkeypatch.setattr(kernel_families, "family_ready", lambda family: False)
    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: ["some.kernel"])
    # the SBAS family compiled (the warm-up ran it), the distortion's not
    monkeypatch.setattr(_numba, "first_compilation",
                        lambda modules: not any(m.__name__.endswith("timeseries.sbas") for m in modules))
    plan = plan_compilation(SBAS, None, TABLE)
    assert [f.name for f in plan.families] == ["distortion"] and plan.compile_s == pytest.approx(1.5)
    # a tool's own row: its cost of the family still to compile only
    rows = {**TABLE, "tools": {"sbasinversion": {"sbas": 9.0, "distortion": 0.25}}}
    plan = plan_compilation(SBAS, None, rows, entry="sbasinversion")
    assert plan.compile_s == pytest.approx(0.25) and plan.entry == "sbasinversion" and plan.measured


def test_the_shipped_table_names_every_family_with_measured_costs():
    from insar_geohazards.algorithms import kernel_families

    table = kernel_families.measured_costs()
    assert table.get("families"), "algorithms/compile_costs.json is missing: run benchmarks/compile/measure.py"
    assert set(table["families"]) == set(kernel_families.BY_NAME)
    for name, row in table["families"].items():
        # a family whose code is numpy only (the closure sums) compiles nothing: both columns 0
        assert (row["compile_cpu_s"] > 0 and row["kernels"] > 0) or row["kernels"] == row["compile_cpu_s"] == 0, name
        assert row["numpy_cpu_s_per_mb"] >= 0 and row["numba_cpu_s_per_mb"] >= 0, name


def test_without_numba_the_message_names_the_install_for_each_platform(monkeypatch):
    import platform

    from insar_geohazards.algorithms import kernel_families as compilation

    for system, expected in (("Windows", "OSGeo4W Shell (Start menu, as administrator) and run: python -m pip install "
                                         "numba"),
                             ("Darwin", "QGIS.app/Contents/MacOS/bin/python3 -m pip install numba")):
        monkeypatch.setattr(platform, "system", lambda s=system: s)
        text = compilation.numba_missing_message(17.0)
        assert expected in text and "about 17x slower" in text, text
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(os.path, "exists", lambda p: p == "/etc/debian_version")
    assert "sudo apt install python3-numba" in compilation.numba_missing_message(None)


def test_without_numba_the_slowdown_is_the_tools_own_families():
    """Each tool's message gives the measured ratio of the families it uses (compile_costs.json read here by
    hand), not one figure for every tool: okada ~464x, phase linking ~5x, SBAS ~1.5x."""
    import json

    from insar_geohazards.algorithms import kernel_families as kf

    with open(kf.COSTS_FILE, encoding="utf-8") as fh:
        table = json.load(fh)["families"]
    texts = {}
    for family, kernels in (("okada", ("faults.okada",)), ("phase_linking", ("psds.phase_linking",)),
                            ("sbas", ("timeseries.sbas",))):
        ratio = table[family]["numpy_cpu_s_per_mb"] / table[family]["numba_cpu_s_per_mb"]
        texts[family] = kf.numba_missing_message(kernels=kernels)
        shown = f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
        assert f"{family}: about {shown} slower" in texts[family], texts[family]
    assert len(set(texts.values())) == 3


def test_without_numba_the_log_gives_this_runs_own_estimate_on_both_paths(qgis_app, monkeypatch):
    """A run without numba says what its kernels cost as plain Python against compiled for this run: from the tool's
    per-configuration cost model when it has one (Okada's grid here), else from its input bytes and its families'
    measured rates per MB (compile_costs.json read here by hand); every family of the tool counts as not compiled."""
    import json

    from qgis.core import QgsApplication, QgsProcessingContext

    from insar_geohazards.algorithms import _numba
    from insar_geohazards.algorithms import kernel_families as kf
    from insar_geohazards.processing_provider.inputs import compilation

    okada = ("faults.okada", "faults.okada_planes")
    text = kf.numba_missing_message(kernels=okada, work=compilation.WorkEstimate(1, 12.0, 3.0))
    assert "this run's kernels (okada) run as plain Python: ~12.0 CPU-s against ~3.0 compiled by the cost " \
           "measured for this run's configuration, about 4.0x slower" in text, text
    with open(kf.COSTS_FILE, encoding="utf-8") as fh:
        row = json.load(fh)["families"]["unwrap"]
    numpy_s = row["numpy_cpu_s_per_mb"] * 5 + row["numpy_cpu_s_small"]
    numba_s = row["numba_cpu_s_per_mb"] * 5 + row["numba_cpu_s_small"]
    text = kf.numba_missing_message(kernels=("unwrap.unwrap",), work=5 * 2**20)
    assert f"~{numpy_s:.1f} CPU-s against ~{numba_s:.1f} compiled for its 5 MB" in text, text
    assert f"about {numpy_s / numba_s:.0f}x slower" in text, text
    text = kf.numba_missing_message(kernels=("ada.activity",), work=2**20)  # fractions of a second: no ratio
    assert "under a second either way" in text and "x slower" not in text, text
    # a tool's kernels without numba: all its families are to choose for, and its model gives the log's figures
    monkeypatch.setattr(_numba, "HAVE_NUMBA", False)
    assert [f.name for f in compilation.pending_families(okada)] == ["okada"]
    inp = os.path.join(ROOT, "tests", "data", "coulomb_inputs", "Example-2_CSZ_LL.inp")
    params = {"COULOMB_INP": inp, "CRS": "EPSG:32610", "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
              "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]", "PIXEL_SIZE": 2000.0}
    alg = QgsApplication.processingRegistry().createAlgorithmById("geohazard:okadaforward")
    work = alg.work_bytes(params, QgsProcessingContext())
    assert isinstance(work, compilation.WorkEstimate) and 0 < work.numba_s < work.numpy_s
    fb = recording_feedback()
    with compilation.compilation_progress(okada, fb, work):
        pass
    assert f"~{work.numpy_s:.1f} CPU-s against ~{work.numba_s:.2g} compiled" in fb.text or \
        f"~{work.numpy_s:.2g} CPU-s against" in fb.text, fb.text


SCRIPT = textwrap.dedent(r"""
    import json, os, sys
    if os.environ.get("HIDE_NUMBA"):  # as on a machine without numba: its import fails
        sys.modules["numba"] = None
    sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests"),
                    "/usr/share/qgis/python/plugins", "/usr/share/qgis/python"]
    from qgis.core import QgsApplication, QgsProcessingContext
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin
    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    import processing
    from testutils import recording_feedback
    compiled = []
    from insar_geohazards.algorithms import _numba
    if _numba.HAVE_NUMBA:
        from numba.core import event

        class Compiled(event.Listener):
            def on_start(self, e):
                pass

            def on_end(self, e):
                compiled.append(e.data["dispatcher"].py_func.__qualname__)

        event.register("numba:compile", Compiled())
    fb = recording_feedback()
    params = json.loads(sys.argv[1])
    tool = sys.argv[2] if len(sys.argv) > 2 else "sbasinversion"
    processing.run(f"geohazard:{tool}", params, context=QgsProcessingContext(), feedback=fb)
    print("RESULT " + json.dumps({"log": fb.text, "compiled": compiled}), flush=True)
    os._exit(0)
""").replace("ROOT", repr(ROOT))


def _run_cold(tmp_path, params, tool="sbasinversion", **env):
    cache = tmp_path / "numba_cache"
    cache.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "cold_run.py"
    script.write_text(SCRIPT)
    full = dict(os.environ, QT_QPA_PLATFORM="offscreen", NUMBA_CACHE_DIR=str(cache))
    full.pop("INSAR_GEOHAZARDS_COMPILE", None)
    full.update(env)
    out = subprocess.run([sys.executable, str(script), json.dumps(params), tool], env=full, capture_output=True,
                         text=True, timeout=900)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, f"exit {out.returncode}; stdout: {out.stdout[-1500:]}; stderr: {out.stderr[-3000:]}"
    return json.loads(line[len("RESULT "):])


def _stop_background_compiles(folder) -> None:
    """Stop the detached background compiles into the numba cache under ``folder`` (the processes whose
    NUMBA_CACHE_DIR is there), and wait until they are gone (Linux's /proc; elsewhere they are left to finish)."""
    import signal
    import time

    key = b"NUMBA_CACHE_DIR=" + str(folder).encode()
    for _ in range(100 if os.path.isdir("/proc") else 0):
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as fh:
                        if any(v.startswith(key) for v in fh.read().split(b"\0")):
                            pids.append(int(entry))
                except OSError:
                    continue
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        time.sleep(0.1)


def _unwrap_stack(folder):
    """Three small wrapped interferograms of a closed triplet (a subsiding bowl) for ``unwrap``."""
    from testutils import write_geotiff
    from testutils_unwrap import synthetic_interferogram

    folder.mkdir(parents=True)
    d01 = synthetic_interferogram(40, 48, seed=1, bowls=((0.5, 0.5, -30.0, 14.0),), holes=())
    d12 = synthetic_interferogram(40, 48, seed=2, bowls=((0.45, 0.55, -25.0, 12.0),), holes=())
    truths = {"20200101_20200113": d01["truth"], "20200113_20200125": d12["truth"],
              "20200101_20200125": d01["truth"] + d12["truth"]}
    return [write_geotiff(folder / f"{name}.wrapped.tif", np.angle(np.exp(1j * t))) for name, t in truths.items()]


def _folder_bytes(folder):
    return {f: read_array(os.path.join(folder, f)).tobytes() for f in sorted(os.listdir(folder)) if f.endswith(".tif")}


@pytest.mark.slow
def test_a_cold_run_waits_for_the_background_compile_compiles_nothing_itself_and_gives_the_same_bytes(
        qgis_app, run_alg, tmp_path):
    """A first run on an empty cache: the families compile in a detached process, the run waits for it (saying so)
    and then loads them; the run's own process compiles not one kernel; a second run finds them ready. The unwrapper's
    family (17 kernels, seconds to compile) stands for every family: the wait, the load and the ready record are the
    same code for each (SBAS's own warm-up coverage is what the test suite's warm-up log checks)."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    import testutils_hostile as hk

    wrapped = _unwrap_stack(tmp_path / "wrapped")

    def unwrap(tag):
        return {"INPUT": wrapped, "OUTPUT": str(tmp_path / f"unw_{tag}")}

    # an empty numba cache: a first run on this machine; told to wait, it waits for the background compile
    cold = _run_cold(tmp_path, unwrap("cold"), "unwrap", INSAR_GEOHAZARDS_COMPILE="wait")
    assert "compiling them in the background" in cold["log"] and "Kernels ready" in cold["log"], cold["log"]
    assert cold["compiled"] == [], cold["compiled"]  # not one kernel compiled in the run, not even a helper
    again = _run_cold(tmp_path, unwrap("again"), "unwrap")  # the same cache: ready, nothing said, nothing compiled
    assert "background" not in again["log"] and again["compiled"] == [], again

    files, coh = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=8, shape=(20, 22), coherence=True)

    def sbas(tag):
        return {"INTERFEROGRAMS": files, "COHERENCE": coh, "WEIGHTING": 1,
                "OUTPUT_TIMESERIES": str(tmp_path / f"ts_{tag}.tif"), "OUTPUT_VELOCITY": str(tmp_path / f"v_{tag}.tif")}

    small = _run_cold(tmp_path / "small", sbas("small"))  # another empty cache, the default policy: as numpy
    _stop_background_compiles(tmp_path / "small")  # its compile behind it proves nothing more here: CPU for others
    # (SBAS's numpy form is measured as fast as its compiled one: any size runs as numpy; a small run of a family
    # whose numpy form is slower does too, test_a_cold_run_compiles_in_the_background_unless_numpy_is_as_fast...)
    assert "this run runs them as numpy (their numpy form is measured as fast" in small["log"], small["log"]
    assert small["compiled"] == [], small["log"]
    # a first run of a numpy-as-fast family starts no compile behind it: its ledger counts the run instead
    import glob

    cache = str(tmp_path / "small" / "numba_cache")
    assert "it starts after ~" in small["log"] and "(now 0.0 over 0 runs; " in small["log"], small["log"]
    assert not glob.glob(os.path.join(cache, "**", ".geohazard-background*"), recursive=True)
    ledgers = glob.glob(os.path.join(cache, "**", ".geohazard-ledger-sbas.json"), recursive=True)
    assert len(ledgers) == 1, ledgers
    with open(ledgers[0], encoding="utf-8") as fh:
        assert json.load(fh)["runs"] == 1
    run_alg("unwrap", unwrap("numba"))  # this process: the kernels compiled or loaded from the cache
    expected = _folder_bytes(tmp_path / "unw_numba")
    assert expected and _folder_bytes(tmp_path / "unw_cold") == expected == _folder_bytes(tmp_path / "unw_again")
    run_alg("sbasinversion", sbas("numba"))
    for name in ("ts", "v"):
        a, b = read_array(tmp_path / f"{name}_small.tif"), read_array(tmp_path / f"{name}_numba.tif")
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


@pytest.mark.slow
def test_without_numba_each_run_says_how_to_install_it(tmp_path):
    import testutils_hostile as hk

    files = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=6, shape=(8, 9))
    res = _run_cold(tmp_path, {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, HIDE_NUMBA="1")
    assert "numba is not installed" in res["log"], res["log"]
    assert "apt install python3-numba" in res["log"] or "pip install numba" in res["log"], res["log"]
    assert "this run's kernels (sbas) run as plain Python: ~" in res["log"], res["log"]  # its own estimate
    assert np.isfinite(read_array(tmp_path / "v.tif")).any()


def test_a_warmed_family_is_ready_though_its_inner_helpers_have_no_cache_entry(qgis_app, monkeypatch):
    """SBAS's helpers compiled inside its kernels (Cholesky steps, lane operations) get no cache entry of their own:
    once the family's warm-up ran, a run loads the family (no numpy path, no compile notice)."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba, kernel_families
    from insar_geohazards.processing_provider.inputs.compilation import plan_compilation

    monkeypatch.delenv("INSAR_GEOHAZARDS_COMPILE", raising=False)
    for name in ("sbas", "distortion"):
        kernel_families.BY_NAME[name].warm(1)  # compiled, or loaded from the cache the test runner warmed
    # as where the helpers were never called from Python: kernels without a cache entry of their own
    real = _numba.kernels_to_compile
    helper = "insar_geohazards.algorithms.timeseries.sbas._chol_subst"
    monkeypatch.setattr(_numba, "kernels_to_compile", lambda modules: real(modules) + (
        [helper] if any(m.__name__.endswith("timeseries.sbas") for m in modules) else []))
    assert plan_compilation(SBAS, 2**20, TABLE).mode == "ready"


def test_okadas_grid_and_receiver_tools_estimate_their_first_run_per_configuration(qgis_app, cold_kernels,
                                                                                    monkeypatch):
    """On a first run okadaforward, coulombstress and coulombonfaults give their CPU-s on each path from Okada's
    per-configuration model (stations x the distinct corners of the sources, depths; compile_costs.json's work row of
    okada): the grid's pixel centres at each depth, counted as algorithms.faults.okada_cost counts them; an input not
    readable yet: None; the kernels compiled: None (nothing to choose)."""
    from qgis.core import QgsApplication, QgsProcessingContext

    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.algorithms.faults.okada_cost import okada_cost, okada_work
    from insar_geohazards.fileio.faults.faults import read_source_faults
    from insar_geohazards.processing_provider.inputs.compilation import WorkEstimate
    from insar_geohazards.processing_provider.tools.faults._common import _grid

    reg, ctx = QgsApplication.processingRegistry(), QgsProcessingContext()
    inp = os.path.join(ROOT, "tests", "data", "coulomb_inputs", "Example-2_CSZ_LL.inp")
    common = {"COULOMB_INP": inp, "CRS": "EPSG:32610", "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
              "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]"}  # 240 km square
    okada = reg.createAlgorithmById("geohazard:okadaforward")
    sources, crs, _ = okada.read_sources(common, ctx)
    faults = read_source_faults(sources)  # as the run reads them
    row = kernel_families.measured_costs()["work"]["okada"]

    def centres(px_m):  # the output grid the tool writes
        gt, rows, cols = _grid(okada, {**common, "PIXEL_SIZE": px_m}, ctx, crs, "EXTENT", "PIXEL_SIZE")
        assert abs(rows - 240e3 / px_m) <= 1 and abs(cols - 240e3 / px_m) <= 1
        return np.meshgrid(gt[0] + (np.arange(cols) + 0.5) * gt[1], gt[3] + (np.arange(rows) + 0.5) * gt[5])

    work = okada.work_bytes({**common, "PIXEL_SIZE": 2000.0}, ctx)
    xx, yy = centres(2000.0)
    expected = okada_cost(okada_work(xx.size, faults.table(), "displacement", points=(xx, yy)), row)
    assert isinstance(work, WorkEstimate) and (work.numpy_s, work.numba_s) == pytest.approx(expected)
    assert 0 < work.numba_s < work.numpy_s
    coulomb = reg.createAlgorithmById("geohazard:coulombstress")
    work = coulomb.work_bytes({**common, "PIXEL_SIZE_KM": 4.0, "DEPTHS": "5,10"}, ctx)
    xx, yy = centres(4000.0)
    expected = okada_cost(okada_work(xx.size, faults.table(), "gradients", evaluations=2, points=(xx, yy),
                                     depths_m=(5e3, 10e3)), row)
    assert isinstance(work, WorkEstimate) and (work.numpy_s, work.numba_s) == pytest.approx(expected)
    assert okada.work_bytes({**common, "COULOMB_INP": inp + ".missing", "PIXEL_SIZE": 2000.0}, ctx) is None
    # the log says which path and why, with both estimates
    from insar_geohazards.processing_provider.inputs import compilation

    plan = compilation.plan_compilation(okada.KERNELS, WorkEstimate(1, 2.0, 0.5), entry="okadaforward")
    assert plan.mode == "numpy"
    fb = recording_feedback()
    compilation.announce_numpy_path(plan, fb)
    assert "by the cost measured for this run's configuration it costs less than the ~12 CPU-s of compiling plus " \
           "the ~0.5 of a compiled run; ~2.0 CPU-s estimated" in fb.text, fb.text
    plan = compilation.plan_compilation(okada.KERNELS, WorkEstimate(1, 90.0, 4.0), entry="okadaforward")
    assert plan.mode in ("compile", "background")
    fb = recording_feedback()
    compilation.announce_compilation(okada.KERNELS, fb, plan)
    assert "Compiling, because as numpy this run would cost ~90.0 CPU-s by the cost measured for its configuration, " \
           "more than the ~12 of compiling plus the ~4.0 of a compiled run" in fb.text, fb.text
    monkeypatch.setattr(kernel_families, "family_ready", lambda family: True)  # compiled: nothing to choose
    assert okada.work_bytes({**common, "PIXEL_SIZE": 2000.0}, ctx) is None


@pytest.fixture
def family_in_tmp(monkeypatch, tmp_path):
    """The ``activity`` family's lock and ready files in ``tmp_path``; not ready; waits tick fast."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.algorithms import _numba, kernel_families
    from insar_geohazards.processing_provider.inputs import compilation

    monkeypatch.setattr(_numba, "family_folder", lambda modules: str(tmp_path))
    monkeypatch.setattr(compilation, "TICK_SECONDS", 0.05)
    monkeypatch.setattr(compilation, "WAIT_LOG_SECONDS", 0.2)
    monkeypatch.setattr(compilation, "TEXT_SECONDS", 1)
    family = kernel_families.BY_NAME["activity"]
    return family, compilation.CompilePlan("background", [family], 0.3)


@pytest.fixture
def holders(tmp_path):
    """Processes holding a family's lock (tests/testutils_compile.py), ended with the test."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("another process's progress is read from Linux's /proc")
    from testutils_compile import Holders

    h = Holders(tmp_path)
    yield h
    h.close()


def test_a_run_during_a_warm_up_joins_it_says_so_and_loads_when_it_ends(qgis_app, family_in_tmp, tmp_path,
                                                                        holders, monkeypatch):
    """Another process at this run's priority compiles the family and progresses (it has done most of the family:
    the table's 2 CPU-s here): the run starts nothing, waits, logs and moves the progress text meanwhile, and goes
    on once the family is recorded ready."""
    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.processing_provider.inputs import compilation

    family, plan = family_in_tmp
    plan.compile_s = 2.0
    monkeypatch.setattr(kernel_families, "measured_costs", lambda: {"families": {"activity": {"compile_cpu_s": 2.0}}})
    started = []
    holders.start(family.name, lock_folder=str(tmp_path), spin_s=1.5, before_s=1.5)
    fb = recording_feedback()
    monkeypatch.setattr(compilation, "_start_background", lambda families: started.append(families))
    assert compilation.wait_for_background(plan, fb) is True, fb.text
    assert started == []  # joined, never a second compilation
    assert "being compiled by another process" in fb.text and "Still compiling in the background" in fb.text
    assert "Kernels ready (activity)" in fb.text, fb.text
    assert fb.progress_texts and all("Waiting for the fast kernels" in t for t in fb.progress_texts)


def test_without_a_python_to_compile_in_the_background_the_run_compiles_itself(qgis_app, family_in_tmp,
                                                                                monkeypatch):
    from insar_geohazards import warm_kernels
    from insar_geohazards.processing_provider.inputs import compilation

    _, plan = family_in_tmp
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "wait")  # only a waiting run starts a compile to wait for
    monkeypatch.setattr(warm_kernels, "find_python", lambda: "")
    fb = recording_feedback()
    assert compilation.wait_for_background(plan, fb) is False
    assert "this run compiles them" in fb.text


def test_a_background_compile_that_fails_is_said_and_the_run_compiles_itself(qgis_app, family_in_tmp, tmp_path,
                                                                            monkeypatch):
    """The background's Python has no numba: it ends without the family; the run names its log and compiles."""
    import sys

    from insar_geohazards import warm_kernels
    from insar_geohazards.processing_provider.inputs import compilation

    _, plan = family_in_tmp
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "wait")
    fake = tmp_path / "python3"
    code = ("import runpy, sys; sys.modules['numba'] = None; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} -c "{code}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(warm_kernels, "find_python", lambda: str(fake))
    fb = recording_feedback()
    assert compilation.wait_for_background(plan, fb) is False
    assert "compiling them in the background" in fb.text and "ended without compiling activity" in fb.text, fb.text
    log = (tmp_path / ".geohazard-background.log").read_text()
    assert "numba cannot be imported" in log, log


def test_cancel_stops_the_wait(qgis_app, family_in_tmp):
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.algorithms.errors import OperationCanceled
    from insar_geohazards.processing_provider.inputs import compilation

    family, plan = family_in_tmp
    plan.compile_s = 1e6  # waiting for the holder (this process, idle) stays the sooner: the cancel ends it
    fb = recording_feedback()
    fb.cancel()
    with _numba.family_lock(family.name, family.modules()), pytest.raises(OperationCanceled):
        compilation.wait_for_background(plan, fb)


@pytest.mark.parametrize("how", ["stopped", "nice 19"])
def test_a_run_never_waits_for_a_starved_compile_and_says_why(qgis_app, family_in_tmp, tmp_path, holders, how,
                                                              monkeypatch):
    """Another process holds the family's lock and is stopped (SIGSTOP) or at nice 19: the run's plan compiles here
    (or takes numpy), never waits, and its log says which and why; compiling, the run does not wait for the lock
    (the holder keeps it) and says it compiles beside it."""
    from insar_geohazards.algorithms import _numba
    from insar_geohazards.processing_provider.inputs import compilation

    family, _ = family_in_tmp
    monkeypatch.delenv("INSAR_GEOHAZARDS_COMPILE", raising=False)  # the default policy
    proc = holders.start(family.name, nice=19 if how == "nice 19" else 0, lock_folder=str(tmp_path))
    if how == "stopped":
        holders.stop(proc)
    table = {"families": {"activity": {"compile_cpu_s": 50.0, "numpy_cpu_s_per_mb": 40.0, "numba_cpu_s_per_mb": 0.1}}}
    plan = compilation.plan_compilation(("ada.activity",), 2**20, table)
    assert plan.mode == "compile" and [h.pid for h in plan.holders] == [proc.pid], plan
    why = "below this run's priority" if how == "nice 19" else "makes no progress"
    assert why in plan.choice.reason and "compiling here is sooner" in plan.choice.reason, plan.choice.reason
    fb = recording_feedback()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compilation, "plan_compilation", lambda *a, **k: plan)
        mp.setattr(compilation, "announce_compilation", lambda *a, **k: [])
        with compilation.compilation_progress(("ada.activity",), fb, 2**20):
            assert _numba.lock_holder(_numba.family_lock_path(family.name, family.modules()))["pid"] == proc.pid
    assert "Chosen: compiling here is sooner" in fb.text and why in fb.text, fb.text
    assert "Compiling activity beside the process compiling them now, without waiting for it" in fb.text, fb.text


def test_a_wait_ends_when_the_holder_drops_below_the_runs_priority(qgis_app, family_in_tmp, tmp_path, holders,
                                                                   monkeypatch):
    """A run told to wait (INSAR_GEOHAZARDS_COMPILE=wait) for a holder at its own priority: once the holder's
    niceness is raised to 19 (as a background compile lowers itself), the next choice ends the wait and the run
    compiles itself, saying why."""
    import threading

    from insar_geohazards.processing_provider.inputs import compilation

    family, plan = family_in_tmp
    monkeypatch.setenv("INSAR_GEOHAZARDS_COMPILE", "wait")
    proc = holders.start(family.name, lock_folder=str(tmp_path), spin_s=600.0)  # progresses: worth waiting for
    timer = threading.Timer(0.5, lambda: os.setpriority(os.PRIO_PROCESS, proc.pid, 19))
    fb = recording_feedback()
    timer.start()
    try:
        assert compilation.wait_for_background(plan, fb) is False, fb.text
    finally:
        timer.join()
    assert "Not waiting any longer" in fb.text and "below this run's priority" in fb.text, fb.text

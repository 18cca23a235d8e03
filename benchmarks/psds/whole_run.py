"""Whole ``qgis_process run geohazard:phaselinking`` against dolphin's net phase linking, same stack, same run.

EMI, GLRT SHP (alpha 0.05), 11 x 11 window, PS mask given, 30 dates x 200 x 200 px (``bench_psds.py simulate``).
Ours timed from outside (start-up, reading, SHP, EMI, writing); dolphin inside its process around
``run_phase_linking`` only (arrays in memory, JAX compiled on a crop first). Wall and CPU seconds.

Steps (the psds family's whole_run case calls them):
  prepare STACK.npz DIR            GeoTIFFs of the stack (system Python, GDAL)
  dolphin STACK.npz OUT.json       dolphin EMI, best of BENCH_REPEAT (peer venv)
  ours DIR OUT.json                qgis_process runs, best of BENCH_REPEAT (warm-up run first: numba cache)
  first DIR OUT.json               a fresh install: first run on an empty numba cache, then the second run
  report OURS.json DOLPHIN.json STACK.npz DIR RESULT.json
"""

import datetime as dt
import json
import os
import subprocess
import time

import numpy as np
from common import compile_family, cpu_s, loadavg, qgis_env, save_json, steps

HALF = (5, 5)
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))


def prepare(stack_path, work):
    from osgeo import gdal

    d = np.load(stack_path)
    slc, ps = d["slc"], d["ps_mask"]
    os.makedirs(os.path.join(work, "slc"), exist_ok=True)
    drv = gdal.GetDriverByName("GTiff")
    for i in range(slc.shape[0]):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=12 * i)
        ds = drv.Create(os.path.join(work, "slc", f"{day:%Y%m%d}.slc.tif"), slc.shape[2], slc.shape[1], 1,
                        gdal.GDT_CFloat32, ["TILED=YES"])
        ds.GetRasterBand(1).WriteArray(slc[i])
        ds = None
    ds = drv.Create(os.path.join(work, "ps_mask.tif"), slc.shape[2], slc.shape[1], 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(ps.astype(np.uint8))
    ds = None


def qgis_command(work, extra=()):
    files = sorted(os.path.join(work, "slc", f) for f in os.listdir(os.path.join(work, "slc")) if f.endswith(".tif"))
    return ["qgis_process.bin", "run", "geohazard:phaselinking", "--"] + [f"INPUT={f}" for f in files] + [
        f"WINDOW_ROWS={2 * HALF[0] + 1}", f"WINDOW_COLS={2 * HALF[1] + 1}", "SHP_METHOD=0", "ALPHA=0.05", "METHOD=0",
        f"PS_MASK={os.path.join(work, 'ps_mask.tif')}", f"OUTPUT={os.path.join(work, 'phase.tif')}",
        f"OUTPUT_TEMPORAL_COHERENCE={os.path.join(work, 'tcoh.tif')}",
        f"OUTPUT_SHP_COUNT={os.path.join(work, 'count.tif')}", *extra]


def _timed(cmd, env, log=None):
    c0, t0 = cpu_s(children=True), time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, check=True, text=True)
    if log is not None:
        log.append(out.stdout + out.stderr)
    return time.perf_counter() - t0, cpu_s(children=True) - c0


def ours(work, out_json):
    env = qgis_env()
    cmd = qgis_command(work)
    _timed(cmd, env)  # warm-up: numba's on-disk cache, the file system cache
    # the fixed cost: the same process listing the provider's algorithms (start-up, plugin load, no work)
    startup = [_timed(["qgis_process.bin", "list"], env) for _ in range(REPEAT)]
    runs = [_timed(cmd, env) for _ in range(REPEAT)]
    res = {"runs_wall_cpu_s": runs, "startup_list_wall_cpu_s": startup,
           "wall_s": min(r[0] for r in runs), "cpu_s": min(r[1] for r in runs),
           "startup_wall_s": min(s[0] for s in startup), "startup_cpu_s": min(s[1] for s in startup),
           "load_average": loadavg()}
    save_json(out_json, res)
    print(json.dumps(res))


def first(work, out_json):
    """A fresh install: the run on an empty numba cache of its own (no warm-up) and the choice its log gives, then the
    family compiled into that cache at normal priority (:func:`common.compile_family`), then the compiled run."""
    import re
    import tempfile

    cache = tempfile.mkdtemp(prefix="psds_first_")
    env = qgis_env(NUMBA_CACHE_DIR=cache)
    env.pop("INSAR_GEOHAZARDS_COMPILE", None)
    cmd = qgis_command(work)
    first_log = []
    cold = _timed(cmd, env, first_log)
    as_numpy = "this run runs them as numpy" in first_log[0]
    chosen = re.findall(r"Chosen: ([^.]*)", first_log[0])
    # the family compiled at normal priority (the warm-up command, passing by the background compile a numpy run
    # leaves below normal priority), then the compiled run on that cache
    compiled = compile_family(env, "phase_linking")
    warm = _timed(cmd, env)
    how = "ran as numpy" if as_numpy else "compiled its kernels in the run"
    res = {"first_wall_cpu_s": cold, "second_wall_cpu_s": warm, "compile_wall_cpu_s": compiled,
           "first_as_numpy": as_numpy, "first_choice": chosen[:1],
           "first_over_second_wall": round(cold[0] / max(warm[0], 0.01), 2),
           "first_over_second_cpu": round(cold[1] / max(warm[1], 0.01), 2), "load_average": loadavg()}
    save_json(out_json, res)
    print(json.dumps(res))
    print(json.dumps({"bench": {
        "ours": f"first / second run **{cold[1]:.1f} / {warm[1]:.1f} CPU-s** ({cold[0]:.0f} / {warm[0]:.0f} s; "
                f"the first {how}; the family compiled at normal priority between them: {compiled['cpu_s']:.0f} "
                f"CPU-s, {compiled['wall_s']:.0f} s)",
        "ratio": f"{cold[1] / max(warm[1], 0.01):.2f}x the compiled run's CPU",
        "date": time.strftime("%Y-%m-%d") + f", load {loadavg()[0]:.1f}"}}))


def dolphin(stack_path, out_json):
    from bench_dolphin import glrt_link

    d = np.load(stack_path)
    slc, ps = d["slc"], d["ps_mask"]
    hr, hc = HALF
    rows = slc.shape[1]
    # dolphin's own workflow goes in blocks with a halo; a whole 1 Mpx stack at once asks JAX for ~70 GB. Blocks of
    # one shape (the last one shifted up to fit) so that JAX compiles once.
    step = min(int(os.environ.get("DOLPHIN_BLOCK_ROWS", "0")) or rows, rows)
    height = min(step + 2 * hr, rows)

    def run_blocks():
        if height >= rows:
            return glrt_link(slc, ps, hr, hc).cpx_phase
        out = np.empty(slc.shape, np.complex64)
        for r0 in range(0, rows, step):
            r1 = min(r0 + step, rows)
            top = min(max(r0 - hr, 0), rows - height)
            cpx = glrt_link(slc[:, top:top + height], ps[top:top + height], hr, hc).cpx_phase
            out[:, r0:r1] = cpx[:, r0 - top:r1 - top]
        return out

    glrt_link(slc[:, :height, :40], ps[:height, :40], hr, hc)  # JAX / numba compilation
    if height < rows:
        glrt_link(slc[:, :height], ps[:height], hr, hc)  # and at the blocks' shape
    runs = []
    for _ in range(REPEAT):
        c0, t0 = time.process_time(), time.perf_counter()
        cpx_phase = run_blocks()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    import dolphin as _d

    phase = np.angle(cpx_phase * np.conj(cpx_phase[0])).astype(np.float32)
    np.save(out_json.replace(".json", "_phase.npy"), phase)
    out = {"version": _d.__version__, "block_rows": step, "runs_wall_cpu_s": runs, "wall_s": min(r[0] for r in runs),
           "cpu_s": min(r[1] for r in runs), "load_average": loadavg()}
    save_json(out_json, out)
    print(json.dumps(out))


def report(ours_json, dolphin_json, stack_path, work, out_json):
    from bench_psds import _rms_err
    from osgeo import gdal

    a = json.load(open(ours_json))
    b = json.load(open(dolphin_json))
    d = np.load(stack_path)
    truth, labels = d["phase_true"], d["labels"]
    inner = np.zeros(labels.shape, bool)
    inner[HALF[0]:-HALF[0], HALF[1]:-HALF[1]] = True
    ds_px = (labels >= 0) & inner
    phase = gdal.Open(os.path.join(work, "phase.tif")).ReadAsArray()
    peer = np.load(dolphin_json.replace(".json", "_phase.npy"))
    npx = labels.size
    res = {"shape": list(truth.shape), "dolphin": b["version"],
           "ours_whole_run_wall_s": a["wall_s"], "ours_whole_run_cpu_s": a["cpu_s"],
           "ours_startup_wall_s": a["startup_wall_s"], "ours_startup_cpu_s": a["startup_cpu_s"],
           "dolphin_net_wall_s": b["wall_s"], "dolphin_net_cpu_s": b["cpu_s"],
           "ours_px_per_s_whole_run": npx / a["wall_s"], "dolphin_px_per_s_net": npx / b["wall_s"],
           "ratio_wall": b["wall_s"] / a["wall_s"], "ratio_cpu": b["cpu_s"] / a["cpu_s"],
           "ours_rms_rad": _rms_err(phase, truth, ds_px), "dolphin_rms_rad": _rms_err(peer, truth, ds_px),
           "ours_minus_dolphin_rms_rad": _rms_err(phase, peer, ds_px),
           "load_average_ours_dolphin": [a["load_average"], b["load_average"]]}
    save_json(out_json, res)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    steps(__doc__, prepare=prepare, ours=ours, first=first, dolphin=dolphin, report=report)

"""SBAS at 1 Mpx: geohazard:sbasinversion (whole qgis_process run) against MintPy ``ifgram_inversion.py`` (whole
run), and against its I/O floor.

Usage (make bench FAMILY=timeseries CASE=mintpy_1mpx, CASE=floor_1mpx):
    bench_sbas_1mpx.py STACK_DIR MINTPY_BIN_DIR OUT_JSON [--repeat N] [--threads N] [--weight no|var] [--variants]
    bench_sbas_1mpx.py floor STACK_DIR OUT_JSON [--rounds N] [--threads N]
    bench_sbas_1mpx.py first STACK_DIR OUT_JSON [--threads N]

MintPy gets the same cores as ours (numba threads): one OpenBLAS thread per process and ``-c local --num-worker N``,
as its documentation runs it (``--variants``: on N OpenBLAS threads and on one process, OpenBLAS's overhead).
The floor, alternated round by round with ours (its wall time split by the time-stamped lines of its output) and
``qgis_process.bin list`` (start-up alone): GDAL alone reading every input once and writing our last run's five
outputs (``io-floor``, its own process) with GDAL's default options for our layout (256-px tiles, DEFLATE 6,
predictor 3, one thread) and with our writer's (DEFLATE 1, ZSTD 1 for the series, worker threads). Before every
timed run: ``sync``, the previous outputs removed and every input read once (untimed).
``first``: a fresh install's first run (an empty numba cache of its own, no warm-up), the compile it leaves to a
background process (CPU-s from that process's log), then, that compile over, the compiled run on the same cache.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from common import (
    ROOT,
    compile_family,
    cpu_model,
    cpu_s,
    fresh,
    loadavg,
    option,
    qgis_cmd,
    qgis_env,
    read_tif,
    save_json,
    time_v,
    warm,
)

OUTPUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
           "OUTPUT_COHCOUNT")


def sbas_params(tif, meta, out, *, weighted=False, memory_mb=512):
    """geohazard:sbasinversion's parameters for a stack of make_stack.py / make_big_stack.py."""
    x, y = meta["ref_xy"]
    params = {"INTERFEROGRAMS": tif, "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
              "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "MAX_MEMORY_MB": memory_mb, "WEIGHTING": 1 if weighted else 0, "LOOKS": meta.get("looks", 10)}
    if weighted:
        params["COHERENCE"] = tif
    params.update({k: os.path.join(out, k.lower() + ".tif") for k in OUTPUTS})
    return params


def ours(tif, meta, out, *, weighted, threads):
    """The whole qgis_process run into an empty folder (replacing the previous run's outputs, tens of MB freed by
    the file system inside the run, would cost either side ~0.3 CPU-s)."""
    return time_v(qgis_cmd("sbasinversion", sbas_params(tif, meta, fresh(out), weighted=weighted)),
                  env=qgis_env(threads))


def mintpy(stack_dir, bindir, *, weight, out, blas_threads=1, workers=2):
    """MintPy's whole ``ifgram_inversion.py`` run. ``blas_threads``: OpenBLAS/OpenMP threads; ``workers`` > 1:
    MintPy's own parallelism, ``-c local --num-worker N`` (a Dask LocalCluster of processes). The defaults are
    the baseline of every SBAS ratio (one OpenBLAS thread per process, 2 workers for 2 cores)."""
    cmd = [os.path.join(bindir, "ifgram_inversion.py"), os.path.join(stack_dir, "ifgramStack.h5"), "-w", weight,
           "-o", "timeseries.h5", "temporalCoherence.h5", "numInvIfgram.h5", "--ram", "4"]
    if workers > 1:
        cmd += ["-c", "local", "--num-worker", str(workers)]
    env = {**os.environ, **{k: str(blas_threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                          "MKL_NUM_THREADS")}}
    return time_v(cmd, cwd=fresh(out), env=env)


def compare(our_dir, mp_dir, truth):
    """Ours against MintPy on the time series and the temporal coherence, and both velocities against the truth."""
    import h5py

    from insar_geohazards.algorithms.timeseries.sbas import linear_velocity

    ts_ours = read_tif(os.path.join(our_dir, "output_timeseries.tif"))
    v_ours = read_tif(os.path.join(our_dir, "output_velocity.tif"))
    tc_ours = read_tif(os.path.join(our_dir, "output_temporal_coherence.tif"))
    with h5py.File(os.path.join(mp_dir, "timeseries.h5")) as f:
        ts_mp = f["timeseries"][:].astype(np.float64) * 1000.0
        dates = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in (x.decode() for x in f["date"][:])])
    with h5py.File(os.path.join(mp_dir, "temporalCoherence.h5")) as f:
        tc_mp = f["temporalCoherence"][:].astype(np.float64)
    v_mp, _ = linear_velocity(ts_mp, (dates - dates[0]).astype(int) / 365.25)
    ok = np.isfinite(ts_ours).all(axis=0) & np.isfinite(ts_mp).all(axis=0)
    diff = np.abs(ts_ours - ts_mp)[:, ok]
    return {"velocity_rms_error_ours_mm_yr": float(np.sqrt(np.nanmean((v_ours - truth) ** 2))),
            "velocity_rms_error_mintpy_mm_yr": float(np.sqrt(np.nanmean((v_mp - truth) ** 2))),
            "pixels_compared": int(ok.sum()), "ts_max_abs_diff_mm": float(diff.max()),
            "ts_p99_9_abs_diff_mm": float(np.percentile(diff, 99.9)),
            "ts_max_abs_mm": float(np.abs(ts_mp[:, ok]).max()),
            "tcoh_max_abs_diff": float(np.nanmax(np.abs(tc_ours - tc_mp)[ok]))}


def main():
    stack_dir, bindir, out_json = (os.path.abspath(a) for a in sys.argv[1:4])
    repeat, threads = option(sys.argv, "--repeat", 1, int), option(sys.argv, "--threads", 2, int)
    weight = option(sys.argv, "--weight", "no")
    # (name, OpenBLAS threads, MintPy workers): the first is the baseline of the ratio
    configs = [(f"mintpy_{weight}", 1, threads)]
    if "--variants" in sys.argv:
        configs += [(f"mintpy_{weight}_blas{threads}", threads, 0), (f"mintpy_{weight}_blas1_1proc", 1, 0)]
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    truth = np.load(os.path.join(stack_dir, "truth_velocity.npy")).astype(np.float64)
    work = os.path.join(stack_dir, "runs_1mpx")
    peer_env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    venv_py = os.path.join(bindir, "python")
    peer_versions = subprocess.run(
        [venv_py, "-c", "import mintpy, numpy, json; from threadpoolctl import threadpool_info; "
                        "print(json.dumps({'mintpy': mintpy.__version__, 'numpy': numpy.__version__, "
                        "'blas': [(i.get('internal_api'), i.get('version'), i.get('num_threads')) "
                        "for i in threadpool_info()]}))"],
        capture_output=True, text=True, env={**os.environ, **peer_env}).stdout.strip()
    res = {"stack": meta, "threads": threads, "machine": platform.node(), "cpus": os.cpu_count(),
           "peer": json.loads(peer_versions) if peer_versions else None, "peer_env": peer_env,
           "peer_configs": [{"name": n, "blas_threads": b, "workers": w} for n, b, w in configs],
           "weight": weight, "load_before": loadavg(), "runs": []}
    # numba kernels compile on the first run after a change (cached on disk afterwards): warm up
    mex = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
    wmeta = {"ref_xy": [-99.178, 19.44], "epsg": 4326, "wavelength_m": meta["wavelength_m"], "looks": 10}
    ours(mex, wmeta, os.path.join(work, "warmup"), weighted=False, threads=threads)
    npx = meta["rows"] * meta["cols"]
    tifs = [os.path.join(stack_dir, "tif", f) for f in sorted(os.listdir(os.path.join(stack_dir, "tif")))]
    for _ in range(repeat):
        run = {"load_start": loadavg()}
        # every tool starts with its inputs in the page cache (read once, untimed): cold-cache disk
        # reads would favour whichever tool runs second
        warm(tifs)
        our_dir = os.path.join(work, f"ours_{weight}")
        t = ours(os.path.join(stack_dir, "tif"), meta, our_dir, weighted=weight == "var", threads=threads)
        run["ours"] = {"wall_s": t["wall_s"], "cpu_s": t["cpu_s"], "px_per_s": round(npx / t["wall_s"]),
                       "peak_rss_mb": t["peak_rss_mb"]}
        for name, blas, workers in configs:
            warm([os.path.join(stack_dir, "ifgramStack.h5")])
            t = mintpy(stack_dir, bindir, weight=weight, out=os.path.join(work, name), blas_threads=blas,
                       workers=workers)
            run[name] = {"wall_s": t["wall_s"], "cpu_s": t["cpu_s"], "px_per_s": round(npx / t["wall_s"]),
                         "peak_rss_mb": t["peak_rss_mb"], "blas_threads": blas, "workers": workers}
            run[f"ratio_{name}_over_ours"] = round(t["wall_s"] / run["ours"]["wall_s"], 2)
            run[f"cpu_ratio_{name}_over_ours"] = round(t["cpu_s"] / run["ours"]["cpu_s"], 2)
        run["load_end"] = loadavg()
        print(json.dumps(run), flush=True)
        res["runs"].append(run)
    res[f"compare_{weight}"] = compare(os.path.join(work, f"ours_{weight}"), os.path.join(work, configs[0][0]), truth)
    res["load_after"] = loadavg()
    print(json.dumps({f"compare_{weight}": res[f"compare_{weight}"]}), flush=True)
    save_json(out_json, res)



KEYS = ("ours", "floor", "floor_our_options", "startup")


def prepare(inputs, out_dir=None):
    """Untimed: remove the previous outputs, write back every dirty page, read every input once."""
    if out_dir:
        fresh(out_dir)
    warm(inputs)


def run_timed(cmd, env=None, marks=()):
    """Run ``cmd``; wall seconds, CPU seconds (user + sys, its children included), peak RSS (MB), stdout, and
    the seconds from the start at which the first line containing each of ``marks`` arrived."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, bufsize=1)
    seen, lines = {}, []
    for line in proc.stdout:
        now = time.perf_counter() - t0
        lines.append(line)
        for m in marks:
            if m not in seen and m in line:
                seen[m] = now
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = "".join(lines)
    if proc.returncode != 0:
        sys.stderr.write(text[-3000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd[:4])}")
    return {"wall_s": round(wall, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "peak_rss_mb": round(ru.ru_maxrss / 1024.0)}, text, seen


def ours_timed(stack_dir, meta, out_dir, env):
    """The whole run, its wall time split into parts by the time-stamped lines of its output."""
    # stdbuf: qgis_process writes through C stdio, block-buffered into a pipe; line-buffered, each line is
    # time-stamped when printed
    cmd = ["stdbuf", "-oL"] + qgis_cmd("sbasinversion", sbas_params(os.path.join(stack_dir, "tif"), meta, out_dir))
    marks = ("Inputs", "Reference pixel", "block pass:", "Results")
    res, text, seen = run_timed(cmd, env=env, marks=marks)
    if set(marks[:2] + marks[3:]) - set(seen):
        raise SystemExit(f"ours: missing progress lines {set(marks) - set(seen)}")
    # the engine logs its summary only for passes of 5 s or more: a shorter one ends where the results begin,
    # its finish counted in it (finish_s 0)
    end = seen.get("block pass:", seen["Results"])
    parts = {"startup_s": seen["Inputs"], "guard_stack_s": seen["Reference pixel"] - seen["Inputs"],
             "block_pass_s": end - seen["Reference pixel"], "finish_s": seen["Results"] - end,
             "exit_s": res["wall_s"] - seen["Results"]}
    res["parts"] = {k: round(v, 3) for k, v in parts.items()}
    res["kernel_lines"] = [ln.strip() for ln in text.splitlines() if re.search(r"ompil|kernel|numpy", ln)][:8]
    m = re.search(r"totals read ([\d.]+) s, compute ([\d.]+) s, write ([\d.]+) s", text)
    if m:
        res["block_stages_s"] = {"read": float(m.group(1)), "compute": float(m.group(2)),
                                 "write": float(m.group(3))}
    return res


def floor_run(stack_dir, our_dir, which):
    """The floor's own clock and CPU (from its first open to its last output closed): the process's start,
    ``import osgeo`` and the loading of the values it writes are left out."""
    proc, text, _ = run_timed([sys.executable, os.path.abspath(__file__), "io-floor", stack_dir, our_dir, which])
    parts = json.loads(text.strip().splitlines()[-1])
    return {"wall_s": parts["total_s"], "cpu_s": parts["cpu_s"], "peak_rss_mb": proc["peak_rss_mb"],
            "parts": {"read_s": parts["read_s"], "write_s": parts["write_s"]}, "process_wall_s": proc["wall_s"]}


def io_floor(stack_dir, our_dir, which):
    """Print the floor ``which`` (gdal_default or our_options) as JSON: read_s, write_s, total_s, cpu_s."""
    from osgeo import gdal

    gdal.UseExceptions()
    values = {}
    for name in ("output_timeseries", "output_velocity", "output_velocity_std", "output_temporal_coherence",
                 "output_cohcount"):
        ds = gdal.Open(os.path.join(our_dir, name + ".tif"))
        values[name] = (ds.ReadAsArray(), ds.GetRasterBand(1).DataType)
    base = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
    options, overrides = base + ["NUM_THREADS=1"], {}
    if which == "our_options":
        options = base + ["ZLEVEL=1", "NUM_THREADS=ALL_CPUS"]
        overrides["output_timeseries"] = [o for o in options if o not in ("COMPRESS=DEFLATE", "ZLEVEL=1")] + [
            "COMPRESS=ZSTD", "ZSTD_LEVEL=1"]
    files = sorted(glob.glob(os.path.join(stack_dir, "tif", "*_unw.tif")))
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(our_dir))) as tmp:
        t0, c0 = time.perf_counter(), cpu_s()
        total = 0.0
        for f in files:
            ds = gdal.Open(f)
            total += float(ds.GetRasterBand(1).ReadAsArray()[0, 0])
        t_read = time.perf_counter() - t0
        for name, (arr, gtype) in values.items():
            n = arr.shape[0] if arr.ndim == 3 else 1
            opts = list(overrides.get(name, options)) + (["INTERLEAVE=BAND"] if n > 1 else [])
            if gtype == gdal.GDT_Int16:
                opts = [o for o in opts if not o.startswith("PREDICTOR")]
            ds = gdal.GetDriverByName("GTiff").Create(os.path.join(tmp, name + ".tif"), arr.shape[-1], arr.shape[-2],
                                                      n, gtype, opts)
            for i in range(n):
                ds.GetRasterBand(i + 1).WriteArray(arr[i] if arr.ndim == 3 else arr)
            ds = None
        wall = time.perf_counter() - t0
    print(json.dumps({"read_s": round(t_read, 3), "write_s": round(wall - t_read, 3), "total_s": round(wall, 3),
                      "cpu_s": round(cpu_s() - c0, 3), "n_inputs": len(files)}))


def spread(values):
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def summary(runs, key):
    """Median, min and max of every number under ``key`` across the rounds."""
    out = {}
    for field in ("wall_s", "cpu_s", "peak_rss_mb"):
        out[field] = spread([r[key][field] for r in runs])
    for group in ("parts", "block_stages_s"):
        if all(group in r[key] for r in runs):
            out[group] = {k: spread([r[key][group][k] for r in runs]) for k in runs[0][key][group]
                          if isinstance(runs[0][key][group][k], (int, float))}
    return out


def floor_main():
    stack_dir, out_json = (os.path.abspath(a) for a in sys.argv[2:4])
    rounds = option(sys.argv, "--rounds", 5, int)
    threads = option(sys.argv, "--threads", 2, int)
    work = os.path.join(stack_dir, "runs_floor")
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    env = qgis_env(threads)
    tif = os.path.join(stack_dir, "tif")
    inputs = [os.path.join(tif, f) for f in sorted(os.listdir(tif)) if f.endswith("_unw.tif")]
    our_dir = os.path.join(work, "ours")
    res = {"stack": meta, "threads": threads, "machine": platform.node(), "cpu": cpu_model(),
           "cpus": os.cpu_count(), "rounds": rounds, "load_before": loadavg(), "runs": []}
    prepare(inputs, our_dir)
    ours_timed(stack_dir, meta, our_dir, env)  # warm-up: numba's cache, the values the floor writes
    floor_values = os.path.join(work, "floor_values")
    if os.path.isdir(floor_values):
        shutil.rmtree(floor_values)
    shutil.copytree(our_dir, floor_values)
    for i in range(rounds):
        run = {"round": i + 1, "load_start": loadavg()}
        steps = [("ours", lambda: ours_timed(stack_dir, meta, our_dir, env)),
                 ("floor", lambda: floor_run(stack_dir, floor_values, "gdal_default")),
                 ("startup", lambda: run_timed(["qgis_process.bin", "list"], env=env)[0]),
                 ("floor_our_options", lambda: floor_run(stack_dir, floor_values, "our_options"))]
        if i % 2:
            steps = steps[::-1]
        for name, step in steps:
            prepare(inputs, our_dir if name == "ours" else None)
            run[name] = step()
        run["ours_over_floor"] = round(run["ours"]["wall_s"] / run["floor"]["wall_s"], 3)
        run["load_end"] = loadavg()
        print(json.dumps({k: run[k] for k in ("round", "load_start", "ours_over_floor")} | {
            k: {f: run[k][f] for f in ("wall_s", "cpu_s")} for k in KEYS if k in run}),
            flush=True)
        res["runs"].append(run)
    runs = res["runs"]
    res["summary"] = {k: summary(runs, k) for k in KEYS if k in runs[0]}
    res["summary"]["ours_over_floor"] = spread([r["ours_over_floor"] for r in runs])
    res["summary"]["ours_over_floor_of_medians"] = round(
        res["summary"]["ours"]["wall_s"]["median"] / res["summary"]["floor"]["wall_s"]["median"], 3)
    res["summary"]["ours_minus_startup_over_floor"] = round(
        (res["summary"]["ours"]["wall_s"]["median"] - res["summary"]["startup"]["wall_s"]["median"])
        / res["summary"]["floor"]["wall_s"]["median"], 3)
    res["load_after"] = loadavg()
    save_json(out_json, res)
    print(report(res), flush=True)


def report(res) -> str:
    """Medians [min-max] over the rounds, as text."""
    sm = res["summary"]

    def f(d):
        return f"{d['median']:.2f} [{d['min']:.2f}-{d['max']:.2f}]"

    lines = [f"{res['rounds']} rounds, load {res['load_before']} -> {res['load_after']}, {res['cpu']}"]
    for key in KEYS:
        if key not in sm:
            continue
        s = sm[key]
        lines.append(f"{key:18s} wall {f(s['wall_s'])} s, CPU {f(s['cpu_s'])} s, "
                     f"peak {s['peak_rss_mb']['median']:.0f} MB")
        for group in ("parts", "block_stages_s"):
            if group in s:
                lines.append("    " + ", ".join(f"{k} {f(v)}" for k, v in s[group].items()))
    lines.append(f"ours / floor: per round {f(sm['ours_over_floor'])}, of the medians "
                 f"{sm['ours_over_floor_of_medians']}; ours minus start-up / floor "
                 f"{sm['ours_minus_startup_over_floor']}")
    return "\n".join(lines)


def first_main():
    """First run on an empty numba cache against the compiled run (the same cache once the family is compiled at
    normal priority: :func:`common.compile_family`)."""
    stack_dir, out_json = (os.path.abspath(a) for a in sys.argv[2:4])
    threads = option(sys.argv, "--threads", 2, int)
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    cache = tempfile.mkdtemp(prefix="sbas_first_")
    env = qgis_env(threads, NUMBA_CACHE_DIR=cache)
    env.pop("INSAR_GEOHAZARDS_COMPILE", None)
    out_dir = os.path.join(stack_dir, "runs_1mpx", "first")
    tifs = [os.path.join(stack_dir, "tif", f) for f in sorted(os.listdir(os.path.join(stack_dir, "tif")))]
    prepare(tifs, out_dir)
    cold = ours_timed(stack_dir, meta, out_dir, env)
    # the family compiled at normal priority (the warm-up command, passing by the background compile a numpy run
    # leaves below normal priority), then the compiled run on that cache
    compiled = compile_family(env, "sbas")
    prepare(tifs, out_dir)
    warm_run = ours_timed(stack_dir, meta, out_dir, env)
    shutil.rmtree(cache, ignore_errors=True)
    res = {"first": cold, "compiled": warm_run, "compile_at_normal_priority": compiled,
           "first_over_compiled_cpu": round(cold["cpu_s"] / warm_run["cpu_s"], 2),
           "first_over_compiled_wall": round(cold["wall_s"] / warm_run["wall_s"], 2), "load_average": loadavg(),
           "cpu": cpu_model()}
    save_json(out_json, res)
    print(json.dumps(res))
    print(json.dumps({"bench": {
        "ours": f"first / compiled run **{cold['wall_s']:.1f} / {warm_run['wall_s']:.1f} s**, {cold['cpu_s']:.1f} / "
                f"{warm_run['cpu_s']:.1f} CPU-s (the family compiled at normal priority between them: "
                f"{compiled['cpu_s']:.0f} CPU-s, {compiled['wall_s']:.0f} s, once per machine, not in the run)",
        "ratio": f"{res['first_over_compiled_wall']}x the compiled run's wall, "
                 f"{res['first_over_compiled_cpu']}x its CPU",
        "peak_rss": f"{cold['peak_rss_mb']} / {warm_run['peak_rss_mb']} MB",
        "date": time.strftime("%Y-%m-%d") + f", load {loadavg()[0]:.1f}"}}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["io-floor"]:
        io_floor(*sys.argv[2:5])
    elif sys.argv[1:2] == ["floor"]:
        floor_main()
    elif sys.argv[1:2] == ["first"]:
        first_main()
    else:
        main()

"""SBAS 1 Mpx against its I/O floor, alternated round by round (ours first on odd rounds, the floor on even ones).

Usage (make bench FAMILY=timeseries CASE=floor_1mpx): floor_1mpx.py STACK_DIR OUT_JSON [--rounds N] [--threads N]

* ours: the whole ``qgis_process.bin run geohazard:sbasinversion``, its wall time split by the time-stamped lines of
  its output into start-up, guard and stack, block pass (with the engine's read / compute / write totals), finish
  and exit;
* start-up alone: ``qgis_process.bin list``;
* floor (``--io-floor``, its own process): GDAL alone reads every input once and writes our last run's five outputs,
  nothing computed, with GDAL's default options for our layout (256-px tiles, DEFLATE 6, predictor 3, one thread)
  and with our writer's (DEFLATE 1, ZSTD 1 for the series, worker threads).
Before every timed run: ``sync``, the previous outputs removed and every input read once (untimed). Medians and
spread over the rounds, and the ratio ours / floor.
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

from common import cpu_model, cpu_s, fresh, loadavg, option, qgis_cmd, qgis_env, save_json, warm

HERE = os.path.dirname(os.path.abspath(__file__))
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


def ours(stack_dir, meta, out_dir, env):
    from bench_sbas_1mpx import sbas_params  # here: the floor's process imports nothing of the plugin

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
    m = re.search(r"totals read ([\d.]+) s, compute ([\d.]+) s, write ([\d.]+) s", text)
    if m:
        res["block_stages_s"] = {"read": float(m.group(1)), "compute": float(m.group(2)),
                                 "write": float(m.group(3))}
    return res


def floor(stack_dir, our_dir, which):
    """The floor's own clock and CPU (from its first open to its last output closed): the process's start,
    ``import osgeo`` and the loading of the values it writes are left out."""
    proc, text, _ = run_timed([sys.executable, os.path.abspath(__file__), "--io-floor", stack_dir, our_dir, which])
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


def main():
    stack_dir, out_json = (os.path.abspath(a) for a in sys.argv[1:3])
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
    ours(stack_dir, meta, our_dir, env)  # warm-up: numba's cache, the values the floor writes
    floor_values = os.path.join(work, "floor_values")
    if os.path.isdir(floor_values):
        shutil.rmtree(floor_values)
    shutil.copytree(our_dir, floor_values)
    for i in range(rounds):
        run = {"round": i + 1, "load_start": loadavg()}
        steps = [("ours", lambda: ours(stack_dir, meta, our_dir, env)),
                 ("floor", lambda: floor(stack_dir, floor_values, "gdal_default")),
                 ("startup", lambda: run_timed(["qgis_process.bin", "list"], env=env)[0]),
                 ("floor_our_options", lambda: floor(stack_dir, floor_values, "our_options"))]
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


if __name__ == "__main__":
    if sys.argv[1:2] == ["--io-floor"]:
        io_floor(*sys.argv[2:5])
    else:
        main()

"""Peak memory of the built-in unwrapper on an N x N interferogram (default 5000).

Usage: python memory.py N [global | tiled [MAX_MEMORY_MB] | tool [MAX_MEMORY_MB]]

``global``: everything in memory (the resident set before and the peak during the call); ``tiled``: inputs in raw
files, ``unwrap_tiled`` under the budget, the whole process's peak; ``tool``: a whole ``qgis_process run
geohazard:unwrap`` under ``/usr/bin/time -v``.
"""

import os
import resource
import shutil
import sys
import tempfile
import time

import numpy as np
from common import qgis_run, write_tif

from insar_geohazards.algorithms.engine import CallableSource
from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram
from insar_geohazards.algorithms.unwrap.unwrap_tiles import unwrap_tiled

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rows_of(n, r0, r1, rng):
    """Bowl (40 rad, radius 300 px) + ramp, coherence 0.2-0.95, noise from coherence (9 looks)."""
    c = np.arange(n, dtype=np.float32)
    r = np.arange(r0, r1, dtype=np.float32)[:, None]
    t = 0.02 * c[None, :] - 40.0 * np.exp(-((r - n / 2) ** 2 + (c[None, :] - n / 2) ** 2) / (2 * 300.0 ** 2))
    g = 0.2 + 0.75 * (0.5 + 0.5 * np.sin(r / 300.0) * np.cos(c[None, :] / 400.0))
    sigma = np.sqrt(1 - g ** 2) / g / np.sqrt(2 * 9)
    return np.angle(np.exp(1j * (t + rng.standard_normal(t.shape) * sigma))).astype(np.float32), g.astype(np.float32)


def main_global(n):
    rng = np.random.default_rng(0)
    phase = np.empty((n, n), np.float32)
    coh = np.empty((n, n), np.float32)
    for r0 in range(0, n, 500):
        phase[r0:r0 + 500], coh[r0:r0 + 500] = rows_of(n, r0, min(n, r0 + 500), rng)
    before = rss_mb()
    t0 = time.perf_counter()
    res = unwrap_interferogram(phase, coh)
    sec = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"global {n} x {n}: inputs in memory {before:.0f} MB RSS; peak {peak:.0f} MB; unwrapper's share "
          f"{peak - before:.0f} MB ({(peak - before) * 2**20 / n / n:.1f} bytes/pixel); {sec:.1f} s; "
          f"{100 * res.stats['share_unwrapped']:.1f}% unwrapped in {res.stats['components']} component(s)")


def main_tiled(n, budget_mb):
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp(prefix="unwrap_mem_", dir=os.path.join(ROOT, ".build"))
    files = {k: os.path.join(tmp, k) for k in ("phase", "coh", "unw", "cc")}
    with open(files["phase"], "wb") as fp, open(files["coh"], "wb") as fc:
        for r0 in range(0, n, 250):
            p, g = rows_of(n, r0, min(n, r0 + 250), rng)
            fp.write(p.tobytes())
            fc.write(g.tobytes())

    def reader(path):
        def read(r0, r1):
            return np.fromfile(path, np.float32, count=(r1 - r0) * n, offset=4 * r0 * n).reshape(r1 - r0, n)
        return read

    out_u, out_c = open(files["unw"], "wb"), open(files["cc"], "wb")

    def writer(row0, u, c):
        out_u.write(u.tobytes())
        out_c.write(c.tobytes())

    before = rss_mb()
    t0 = time.perf_counter()
    stats = unwrap_tiled({"phase": CallableSource(reader(files["phase"])),
                          "coherence": CallableSource(reader(files["coh"]))}, n, n, writer,
                         max_memory_mb=budget_mb, scratch_dir=tmp)
    sec = time.perf_counter() - t0
    out_u.close()
    out_c.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for f in files.values():
        os.remove(f)
    os.rmdir(tmp)
    print(f"tiled {n} x {n}, budget {budget_mb} MB: {stats['tiles']} tiles; RSS before {before:.0f} MB; "
          f"peak {peak:.0f} MB; {sec:.1f} s; {100 * stats['share_unwrapped']:.1f}% unwrapped in "
          f"{stats['components']} component(s); seams rejected {stats['seams_rejected']}, conflicts "
          f"{stats['seam_conflicts']}")


def main_tool(n, budget_mb):
    folder = os.path.join(ROOT, ".build", f"unwrap_tool_mem_{n}")
    phase, coh = os.path.join(folder, "20200101_20200113.wrapped.tif"), os.path.join(folder, "coh.tif")
    if not os.path.exists(phase):
        os.makedirs(folder, exist_ok=True)
        rng = np.random.default_rng(0)
        strips = [rows_of(n, r0, min(n, r0 + 250), rng) for r0 in range(0, n, 250)]
        for path, k in ((phase, 0), (coh, 1)):
            write_tif(path, np.concatenate([s[k] for s in strips]),
                      options=["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"])
    shutil.rmtree(os.path.join(folder, "unw"), ignore_errors=True)
    r = qgis_run("unwrap", {"INPUT": phase, "COHERENCE": coh, "MAX_MEMORY_MB": budget_mb,
                            "OUTPUT": os.path.join(folder, "unw")})
    print(f"tool {n} x {n}, budget {budget_mb} MB: {r['wall_s']:.1f} s, {r['cpu_s']:.1f} CPU-s, "
          f"peak RSS {r['peak_rss_mb']:.0f} MB; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    mode = sys.argv[2] if len(sys.argv) > 2 else "global"
    budget = sys.argv[3] if len(sys.argv) > 3 else "512"
    if mode == "tiled":
        main_tiled(size, float(budget))
    elif mode == "tool":
        main_tool(size, budget)
    else:
        main_global(size)

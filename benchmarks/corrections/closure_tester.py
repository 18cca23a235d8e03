"""Phase-closure correction on stacks of the third generator (tests/testutils_closure_tester.py, an outside tester's
setting: about 80 interferograms, 2-4 of them one or two cycles off beyond an incoherent line, patches, single
pixels): ours and MintPy 1.6.4's own ``correct_unwrap_error`` step side by side, fixed / left / new per planted value.

    /usr/bin/python3 benchmarks/corrections/closure_tester.py [--seeds 1,2,3,21,22,23,31,32,33] [--mintpy VENV_PYTHON]
        [--qgis] [--work DIR] [--json OUT]

Seeds 1-3 were looked at while the step was changed; seeds 21-23 are held out; seeds 31-33 (more dates, a denser
network, patches at the last dates) were made after the ground's choice among corrections was set, and only measured.
Ours: the tool's core as the Corrected SBAS model runs it (COHERENCE_THRESHOLD 0.3, regions, pixels). MintPy: the stack
written as ``inputs/ifgramStack.h5`` with the generator's connected components (``connectComponent``), then
smallbaselineApp's ``modify_network``, ``reference_point`` (``mintpy.reference.yx`` = a pixel of the stable corner, free
of planted errors) and ``correct_unwrap_error`` with ``mintpy.unwrapError.method = phase_closure`` and its defaults; its
correction is read from ``unwrapPhase_phaseClosure`` against the input referenced to the same pixel. Counts
(testutils_corrections :func:`scenario_counts`): fixed = planted values brought back to the truth, left = planted values
unchanged, new = values changed where nothing was planted or moved to another wrong multiple; both sides' cycles are
taken relative to those at the reference pixel (an interferogram shifted everywhere by whole cycles is right once
referenced).

With ``--qgis`` the stack is also written as GeoTIFFs (chain_stacks.write_stack, the components beside them for
MintPy) and run through ``qgis_process``: the tool alone (``geohazard:unwrapclosurecorrection``, COHERENCE_THRESHOLD
0.3, counted as above) and the shipped model ``geohazard:correctedsbas`` (the planted values of the interferograms its
network step drops count as left; its final velocity's RMS against the truth), beside MintPy's eight matching
smallbaselineApp steps (chain_mintpy.py, with the same components) on the pixels where both have a velocity.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.dirname(HERE)]
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "geohazard_bench_numba"))

import numpy as np  # noqa: E402
from closure_world import count_line  # noqa: E402
from testutils_closure_tester import CYCLE_MM, HOLDOUT, MM_PER_RAD, TUNING, WAVELENGTH_M, stack_for  # noqa: E402
from testutils_closure_world import loop_counts  # noqa: E402
from testutils_corrections import scenario_counts  # noqa: E402

_MINTPY = r"""
import contextlib, io, os, sys
import h5py, numpy as np
d = np.load(sys.argv[1])
work = sys.argv[2]
os.makedirs(os.path.join(work, "inputs"), exist_ok=True)
unw, coh, cc = d["unw_rad"], d["coh"], d["cc"]
m, rows, cols = unw.shape
attrs = {"LENGTH": rows, "WIDTH": cols, "WAVELENGTH": float(d["wavelength"]), "PLATFORM": "Sen", "PROCESSOR": "gamma",
         "ALOOKS": 1, "RLOOKS": 1, "X_FIRST": 500000.0, "Y_FIRST": 2150000.0, "X_STEP": 80.0, "Y_STEP": -80.0,
         "X_UNIT": "meters", "Y_UNIT": "meters", "EPSG": 32614, "UTM_ZONE": "14N", "ORBIT_DIRECTION": "ASCENDING",
         "HEADING": -12.0, "ANTENNA_SIDE": -1, "CENTER_LINE_UTC": 43200, "STARTING_RANGE": 800000.0,
         "RANGE_PIXEL_SIZE": 2.3, "AZIMUTH_PIXEL_SIZE": 14.0, "EARTH_RADIUS": 6371000.0, "HEIGHT": 693000.0,
         "INCIDENCE_ANGLE": 38.0, "SLANT_RANGE_DISTANCE": 850000.0, "UNIT": "radian", "PROJECT_NAME": "tester"}
with h5py.File(os.path.join(work, "inputs", "ifgramStack.h5"), "w") as f:
    f.create_dataset("unwrapPhase", data=unw.astype(np.float32))
    f.create_dataset("coherence", data=coh.astype(np.float32))
    f.create_dataset("connectComponent", data=cc.astype(np.int16))
    f.create_dataset("date", data=np.array([[a.encode(), b.encode()] for a, b in d["date12"]]))
    f.create_dataset("bperp", data=d["bperp"].astype(np.float32))
    f.create_dataset("dropIfgram", data=np.ones(m, bool))
    for k, v in {**attrs, "FILE_TYPE": "ifgramStack"}.items():
        f.attrs[k] = str(v)
with h5py.File(os.path.join(work, "inputs", "geometryGeo.h5"), "w") as f:
    f.create_dataset("height", data=d["dem"].astype(np.float32))
    f.create_dataset("incidenceAngle", data=d["inc"].astype(np.float32))
    f.create_dataset("slantRangeDistance", data=d["slant"].astype(np.float32))
    for k, v in {**attrs, "FILE_TYPE": "geometry"}.items():
        f.attrs[k] = str(v)
ry, rx = (int(x) for x in d["ref"])
cfg = os.path.join(work, "tester.cfg")
with open(cfg, "w") as f:
    f.write("mintpy.compute.cluster = no\nmintpy.plot = no\nmintpy.load.processor = gamma\n"
            f"mintpy.reference.yx = {ry},{rx}\nmintpy.unwrapError.method = phase_closure\n")
from mintpy.smallbaselineApp import TimeSeriesAnalysis
os.chdir(work)
with contextlib.redirect_stdout(io.StringIO()):
    app = TimeSeriesAnalysis(cfg, work)
    app.open()
    for step in ("modify_network", "reference_point", "correct_unwrap_error"):
        app.run(steps=[step])
with h5py.File(os.path.join(work, "inputs", "ifgramStack.h5"), "r") as f:
    before = f["unwrapPhase"][:].astype(np.float64)
    after = f["unwrapPhase_phaseClosure"][:].astype(np.float64)
    kept = f["dropIfgram"][:]
before -= before[:, ry:ry + 1, rx:rx + 1]
np.save(sys.argv[3], np.rint((after - before) / (2 * np.pi)).astype(np.int16))
np.save(sys.argv[3] + ".kept.npy", kept)
"""


def run_ours(sc, min_coherence=0.0, reference=True):
    """Integer cycles (M, rows, cols) the tool's core adds, as the Corrected SBAS model runs it (every value; the
    model's STABLE_AREA, the stable corner, as the reference of the corrections unless ``reference`` is False)."""
    from insar_geohazards.algorithms.corrections import closure as cl

    tri = cl.network_triplets([tuple(p) for p in sc["pairs"]])
    x = sc["ifg_mm"]
    off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM, reference=sc["stable"] if reference else None)
    res = cl.correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, closure_offset=off, coherence=sc["coherence"],
                                   min_coherence=min_coherence)
    return np.rint((res["corrected_mm"] - x) / CYCLE_MM).astype(np.int16)


def reference_pixel(sc):
    """The most coherent pixel of the stable corner free of planted errors."""
    mc = np.where(sc["stable"] & ~(sc["planted"] != 0).any(axis=0), sc["coherence"].mean(axis=0), -1.0)
    return np.unravel_index(int(np.argmax(mc)), mc.shape)


def run_mintpy(sc, python, work=None):
    """MintPy's cycles in LOS-mm sign (M, rows, cols) and the CPU seconds of its process."""
    dates = [f"{d:%Y%m%d}" for d in sc["dates"]]
    ref = reference_pixel(sc)
    with tempfile.TemporaryDirectory() as tmp:
        work = work or os.path.join(tmp, "mintpy")
        f = os.path.join(tmp, "s.npz")
        np.savez(f, unw_rad=-sc["ifg_mm"] / MM_PER_RAD, coh=sc["coherence"], cc=sc["components"],
                 date12=np.array([(dates[i], dates[j]) for i, j in sc["pairs"]]),
                 bperp=np.array([sc["bperp_m"][j] - sc["bperp_m"][i] for i, j in sc["pairs"]]), dem=sc["dem"],
                 inc=sc["incidence_deg"], slant=sc["slant_range_m"], ref=np.array(ref), wavelength=WAVELENGTH_M)
        script = os.path.join(tmp, "m.py")
        with open(script, "w") as fh:
            fh.write(_MINTPY)
        out = os.path.join(tmp, "u.npy")
        t0 = os.times()
        subprocess.run([python, script, f, work, out], check=True)
        t1 = os.times()
        # radians grow away from the satellite: a cycle added in radians is a cycle taken off in LOS mm
        return -np.load(out), (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)


def run_qgis(sc, work, mintpy_python=""):
    """The tool alone and the shipped model through ``qgis_process`` on the stack written to ``work``: {tool
    cycles (LOS-mm sign, referenced), dropped interferograms (indices), velocity RMS of ours and MintPy's}."""
    import csv
    import glob
    import shutil

    import chain_speed
    import chain_stacks
    from common import qgis_env, time_v
    from osgeo import gdal

    sdir = os.path.join(work, "stack")
    if not os.path.exists(os.path.join(sdir, "truth.npz")):
        chain_stacks.write_stack({**sc, "cycles": sc["planted"], "mean_coherence": sc["coherence"].mean(axis=0)},
                                 sdir)
        os.makedirs(os.path.join(sdir, "conncomp"), exist_ok=True)
        drv = gdal.GetDriverByName("GTiff")
        for k, (i, j) in enumerate(sc["pairs"]):
            src = gdal.Open(os.path.join(sdir, "coh", f"{sc['dates'][i]:%Y%m%d}_{sc['dates'][j]:%Y%m%d}.cc.tif"))
            ds = drv.CreateCopy(os.path.join(sdir, "conncomp", f"{sc['dates'][i]:%Y%m%d}_{sc['dates'][j]:%Y%m%d}"
                                                               ".conncomp.tif"), src)
            ds.GetRasterBand(1).WriteArray(sc["components"][k].astype(np.float32))
            ds = None
    ifgs = sorted(glob.glob(os.path.join(sdir, "ifg", "*.tif")))
    cohs = sorted(glob.glob(os.path.join(sdir, "coh", "*.tif")))
    out = {}
    tool = os.path.join(work, "tool")
    shutil.rmtree(tool, ignore_errors=True)
    r = time_v(["qgis_process.bin", "run", "geohazard:unwrapclosurecorrection", "--",
                *[f"INTERFEROGRAMS={p}" for p in ifgs], *[f"COHERENCE={p}" for p in cohs], "COHERENCE_THRESHOLD=0.3",
                f"OUTPUT={tool}"], env=qgis_env())
    out["tool_cpu_s"] = r["cpu_s"]
    before = np.stack([gdal.Open(p).ReadAsArray().astype(np.float64) for p in ifgs])
    after = np.stack([gdal.Open(os.path.join(tool, os.path.basename(p))).ReadAsArray().astype(np.float64)
                      for p in ifgs])
    cyc = -np.rint((after - before) / (2 * np.pi)).astype(np.int64)  # radians grow away from the satellite
    ref = reference_pixel(sc)
    out["tool"] = cyc - cyc[:, ref[0]:ref[0] + 1, ref[1]:ref[1] + 1]
    model = os.path.join(work, "model")
    shutil.rmtree(model, ignore_errors=True)
    os.makedirs(model)
    r = time_v(["qgis_process.bin", "run", "geohazard:correctedsbas", "--", *chain_speed.model_args(sdir, model)],
               env=qgis_env())
    out["model_cpu_s"] = r["cpu_s"]
    names = [os.path.basename(p).split(".")[0] for p in ifgs]
    with open(os.path.join(model, "net.csv")) as f:
        rows = list(csv.DictReader(f))
    keep_col = next(k for k in rows[0] if k.lower() in ("kept", "keep", "used"))
    name_col = next(k for k in rows[0] if k.lower() in ("interferogram", "name", "pair"))
    dropped = {row[name_col] for row in rows if row[keep_col].strip().lower() in ("0", "false", "no")}
    out["dropped"] = [k for k, n in enumerate(names) if any(n in d or d in n for d in dropped)]
    mp_h5 = None
    if mintpy_python:
        res = chain_speed.timed([mintpy_python, os.path.join(HERE, "chain_mintpy.py"), sdir,
                                 os.path.join(work, "mintpy_chain")])
        import json

        mp_h5 = json.loads(res["stdout"].strip().splitlines()[-1])["velocity"]
        out["mintpy_chain_cpu_s"] = res["cpu_s"]
    chain_speed.VENV = mintpy_python or chain_speed.VENV
    out.update(chain_speed.velocity_rms(sdir, os.path.join(model, "v_final.tif"), mp_h5))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(ROOT, ".build", "plugins"))
    ap.add_argument("--seeds", default="")
    ap.add_argument("--mintpy", default="", help="the Python of a venv with MintPy 1.6.4")
    ap.add_argument("--json", default="")
    ap.add_argument("--qgis", action="store_true", help="also the tool and the model through qgis_process")
    ap.add_argument("--work", default=os.path.join(ROOT, ".build", "bench", "closure_tester"))
    a = ap.parse_args(argv)
    sys.path.insert(0, a.root)
    from common import save_json

    seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else list(TUNING) + list(HOLDOUT)
    rows = {}
    print(f"{'stack':14s} {'ifgs':>4s} {'planted':>8s} | {'ours fixed':>10s} {'left':>6s} {'new':>5s} {'CPU s':>6s} | "
          f"{'MintPy fixed':>12s} {'left':>6s} {'new':>5s} {'CPU s':>6s}")
    for s in seeds:
        sc = stack_for(s)
        loops = loop_counts(sc["pairs"])
        t0 = time.process_time()
        ref = reference_pixel(sc)
        ours = run_ours(sc)
        ours = ours - ours[:, ref[0]:ref[0] + 1, ref[1]:ref[1] + 1]  # referenced as MintPy's: a whole cycle is no error
        row = {"ours": scenario_counts(sc["planted"], ours.astype(np.int64), loops),
               "ours_cpu_s": round(time.process_time() - t0, 1), "held_out": s in HOLDOUT,
               "shape": list(sc["planted"].shape)}
        if a.mintpy:
            u, cpu = run_mintpy(sc, a.mintpy)
            row["mintpy"] = scenario_counts(sc["planted"], u.astype(np.int64), loops)
            row["mintpy_cpu_s"] = round(cpu, 1)
        if a.qgis:
            q = run_qgis(sc, os.path.join(a.work, f"T{s:02d}"), a.mintpy)
            row["tool"] = scenario_counts(sc["planted"], q.pop("tool"), loops)
            kept = np.ones(len(sc["pairs"]), bool)
            kept[q["dropped"]] = False
            row["model"] = scenario_counts(np.where(kept[:, None, None], sc["planted"], 0),
                                           np.where(kept[:, None, None], ours, 0).astype(np.int64), loops)
            row["model"]["planted"] = row["ours"]["planted"]
            row["model"]["left"] += int((sc["planted"][~kept] != 0).sum())
            row.update(q)
            print(f"  tool via qgis_process: {row['tool']}; model drops {q['dropped']}: {row['model']}; velocity RMS "
                  f"ours {q.get('rms_ours')} MintPy {q.get('rms_mintpy')} mm/yr on {q.get('rms_pixels')} pixels",
                  flush=True)
        rows[f"T{s:02d}"] = row
        print(count_line(f"T{s:02d}" + (" (held out)" if s in HOLDOUT else ""), len(sc["pairs"]), row,
                         row["ours_cpu_s"], row.get("mintpy_cpu_s", -1)), flush=True)
    if a.json:
        save_json(a.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

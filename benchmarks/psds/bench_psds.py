"""PS/DS phase-linking benchmark, ours vs dolphin, on one simulated stack with known truth.

Steps (run.sh calls them in order, in one run):
  simulate STACK.npz             our simulator (circular Gaussian speckle, exponential + seasonal
                                 decorrelation, PS, deformation, DEM error x baseline, atmosphere)
  ours STACK.npz OUT.npz         GLRT SHP + EMI / EVD, same window, numba warmed up first
  compare STACK.npz OURS.npz DOLPHIN.npz   phase error vs truth, temporal coherence, pixels/s
"""

import json
import os
import sys
import time

import numpy as np

from insar_geohazards.algorithms.timeseries.phase_linking import phase_link
from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

HERE = os.path.dirname(os.path.abspath(__file__))

SHAPE = (int(os.environ.get("BENCH_ROWS", 200)), int(os.environ.get("BENCH_COLS", 240)))
N_DATES = int(os.environ.get("BENCH_DATES", 30))
HALF = (int(os.environ.get("BENCH_HALF_ROWS", 5)), int(os.environ.get("BENCH_HALF_COLS", 5)))


def simulate(path):
    sim = simulate_slc_stack(shape=SHAPE, n_dates=N_DATES, seed=42, water_fraction=0.1, atmosphere_std_rad=0.5)
    np.savez(path, slc=sim.slc, phase_true=sim.phase_true.astype(np.float32), ps_mask=sim.ps_mask,
             labels=sim.labels)


#: Accuracy modes (EMI): SHP test x PS mask given or not. "rect_psout" is our former behaviour
#: (PS pixels kept out of every window), kept to show what it cost.
MODES = {"glrt_ps": ("glrt", True, True), "glrt_nops": ("glrt", False, True), "rect_ps": ("rect", True, True),
         "rect_nops": ("rect", False, True), "rect_psout": ("rect", True, False),
         "glrt_psout": ("glrt", True, False)}


def ours(stack_path, out_path):
    d = np.load(stack_path)
    slc, ps = d["slc"], d["ps_mask"]
    window = (2 * HALF[0] + 1, 2 * HALF[1] + 1)
    for m in ("emi", "evd", "cevd"):
        phase_link(slc[:, :40, :40], window=window, method=m, shp_method="glrt", ps_mask=ps[:40, :40])
        phase_link(slc[:, :40, :40], window=window, method=m, shp_method="rect", ps_mask=ps[:40, :40])
    out = {}
    repeat = int(os.environ.get("BENCH_REPEAT", 2))
    for m in ("emi", "evd", "cevd"):
        best = float("inf")
        for _ in range(repeat):  # best of `repeat`: the machine is shared, the minimum is the least noisy
            t0 = time.perf_counter()
            res = phase_link(slc, window=window, method=m, shp_method="glrt", alpha=0.05, ps_mask=ps, beta=0.01)
            best = min(best, time.perf_counter() - t0)
        out[f"{m}_seconds"] = best
        out[f"{m}_phase"] = res.phase
        out[f"{m}_tcoh"] = res.temporal_coherence
    for mode, (shp, use_ps, ps_nb) in MODES.items():
        t0 = time.perf_counter()
        res = phase_link(slc, window=window, method="emi", shp_method=shp, alpha=0.05, ps_mask=ps if use_ps else None,
                         beta=0.01, ps_neighbours=ps_nb)
        out[f"mode_{mode}_seconds"] = time.perf_counter() - t0
        out[f"mode_{mode}_phase"] = res.phase
    np.savez(out_path, **out)


def qgis_run(stack_path, work, peer_seconds):
    """Whole ``qgis_process run geohazard:phaselinking`` on the stack written as GeoTIFFs (one CFloat32
    file per date + the PS mask), same window / SHP / estimator as the net runs."""
    import datetime as dt
    import subprocess

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
    root = os.path.abspath(os.path.join(HERE, "..", ".."))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(root, ".build", "plugins")}
    files = sorted(os.path.join(work, "slc", f) for f in os.listdir(os.path.join(work, "slc")))
    cmd = ["qgis_process.bin", "run", "geohazard:phaselinking", "--"] + [f"INPUT={f}" for f in files] + [
        f"WINDOW_ROWS={2 * HALF[0] + 1}", f"WINDOW_COLS={2 * HALF[1] + 1}", "SHP_METHOD=0", "ALPHA=0.05", "METHOD=0",
        f"PS_MASK={os.path.join(work, 'ps_mask.tif')}", f"OUTPUT={os.path.join(work, 'phase.tif')}",
        f"OUTPUT_TEMPORAL_COHERENCE={os.path.join(work, 'tcoh.tif')}",
        f"OUTPUT_SHP_COUNT={os.path.join(work, 'count.tif')}"]
    subprocess.run(cmd[:4] + cmd[4:], env=env, capture_output=True, check=True)  # warm-up (numba cache)
    best = float("inf")
    for _ in range(int(os.environ.get("BENCH_REPEAT", 2))):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    ds = gdal.Open(os.path.join(work, "phase.tif"))
    phase = ds.ReadAsArray()
    out = {"qgis_process_seconds": best, "dolphin_emi_seconds": peer_seconds,
           "speedup_whole_run": peer_seconds / best}
    return out, phase


def _rms_err(phase, truth, mask):
    e = np.angle(np.exp(1j * (phase[1:] - truth[1:])))
    return float(np.sqrt(np.nanmean(e[:, mask] ** 2)))


def compare(stack_path, ours_path, dolphin_path, json_path):
    d = np.load(stack_path)
    a = np.load(ours_path)
    b = np.load(dolphin_path)
    truth, labels = d["phase_true"], d["labels"]
    ds = labels >= 0
    # interior only: both tools truncate windows at the image edge differently
    inner = np.zeros_like(ds)
    inner[HALF[0]:-HALF[0], HALF[1]:-HALF[1]] = True
    ds &= inner
    npx = truth.shape[1] * truth.shape[2]
    res = {"shape": list(truth.shape), "window": [2 * HALF[0] + 1, 2 * HALF[1] + 1], "dolphin": str(b["version"])}
    raw = np.angle(d["slc"] * np.conj(d["slc"][0]))
    res["single_look_rms_rad"] = _rms_err(raw, truth, ds)
    # dolphin's use_evd estimator is the eigenvector of |C| o C: our "cevd"
    for m, md in (("emi", "emi"), ("cevd", "evd"), ("evd", "evd")):
        ta, tb = a[f"{m}_tcoh"], b[f"{md}_tcoh"]
        ok = ds & np.isfinite(ta) & np.isfinite(tb)
        res[f"ours_{m}_vs_dolphin_{md}"] = {
            "ours_rms_rad": _rms_err(a[f"{m}_phase"], truth, ds),
            "dolphin_rms_rad": _rms_err(b[f"{md}_phase"], truth, ds),
            "ours_minus_dolphin_phase_rms_rad": _rms_err(a[f"{m}_phase"], b[f"{md}_phase"], ds),
            "tcoh_median_ours": float(np.median(ta[ok])),
            "tcoh_median_dolphin": float(np.median(tb[ok])),
            "tcoh_median_abs_diff": float(np.median(np.abs(ta[ok] - tb[ok]))),
            "tcoh_corr": float(np.corrcoef(ta[ok], tb[ok])[0, 1]),
            "ours_seconds": float(a[f"{m}_seconds"]),
            "dolphin_seconds": float(b[f"{md}_seconds"]),
            "ours_px_per_s": npx / float(a[f"{m}_seconds"]),
            "dolphin_px_per_s": npx / float(b[f"{md}_seconds"]),
        }
        r = res[f"ours_{m}_vs_dolphin_{md}"]
        r["speedup"] = r["ours_px_per_s"] / r["dolphin_px_per_s"]
    for mode in MODES:
        pa = a[f"mode_{mode}_phase"]
        key = f"mode_{mode.replace('_psout', '_ps')}_phase"  # dolphin has no "PS out of windows" run
        pb = b[key] if key in b.files else None
        res[f"emi_{mode}"] = {
            "ours_rms_rad": _rms_err(pa, truth, ds),
            "dolphin_rms_rad": _rms_err(pb, truth, ds) if pb is not None else None,
            "ours_seconds": float(a[f"mode_{mode}_seconds"]),
            "dolphin_seconds": float(b[f"mode_{mode.replace('_psout', '_ps')}_seconds"]) if pb is not None else None,
        }
    qgis_dir = os.path.join(os.path.dirname(os.path.abspath(json_path)), "qgis_run")
    whole, phase = qgis_run(stack_path, qgis_dir, float(b["emi_seconds"]))
    whole["ours_rms_rad"] = _rms_err(phase, truth, ds)
    whole["minus_net_run_rms_rad"] = _rms_err(phase, a["emi_phase"], ds)
    res["emi_whole_qgis_process_run"] = whole
    res["load_average"] = [round(x, 2) for x in os.getloadavg()]
    with open(json_path, "w") as fh:
        json.dump(res, fh, indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "simulate":
        simulate(sys.argv[2])
    elif cmd == "ours":
        ours(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        compare(*sys.argv[2:6])
    else:
        raise SystemExit(__doc__)

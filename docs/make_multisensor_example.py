"""The worked examples of docs/multisensor.md, run as a user runs them, and the picture of the dock.

1. **EGMS Ustica** (the bundled tests/data/egms_ustica: L2b 2020-2024, track 117 ascending and 022 descending): each
   track's points averaged onto the 100 m cells of EGMS L3 (EPSG:3035), written as a per-date series GeoTIFF and a
   three-band LOS-vector GeoTIFF (east, north, up) per track, a manifest naming them, then
   ``qgis_process run geohazard:multisensortimeseries`` on the manifest.
2. **A multi-mission case** (benchmarks/multisensor/scenarios.py ``gap_env_s1``: Envisat ascending and descending
   2003-2010, a 4.4-year gap, Sentinel-1 ascending and descending 2015-2021, interferograms in mm, incidence varying
   across the columns): every stack written as a folder of interferograms with an incidence raster, a manifest,
   ``qgis_process run`` with the scenario's steady north velocity given (as a GNSS model gives it); the result against
   the scenario's truth (the benchmark's measures) and against the core solving the same arrays in memory.
3. **The dock**: a QGIS desktop under Xvfb (a throw-away profile with the plugin enabled) opens the Ustica outputs,
   turns the dock on with its toolbar button and clicks a cell on the map (docs/multisensor_dock_session.py); the
   picture is the QGIS window as the session left it.

Usage: /usr/bin/python3 docs/make_multisensor_example.py OUT_DIR [--figure docs/img/multisensor_dock.png]
Writes OUT_DIR/example.json (what docs/multisensor.md quotes) and the figure when asked (needs xvfb-run and qgis).
"""

from __future__ import annotations

import csv
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH = os.path.join(ROOT, "benchmarks", "multisensor")
sys.path[:0] = [BENCH, os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")]
from osgeo import gdal  # noqa: E402
from testutils import write_geotiff  # noqa: E402

from insar_geohazards.algorithms.geometry import decomposition as dc  # noqa: E402
from insar_geohazards.algorithms.geometry.egms_csv import read_egms_csv  # noqa: E402
from insar_geohazards.algorithms.timeseries.multisensor import grid_points_to_stack  # noqa: E402

S1_WAVELENGTH_M = 0.05546576


def write_tif(path, arr, gt, epsg, *, descriptions=None, metadata=None):
    """A float32 GeoTIFF, NaN = no data, as the tests write theirs (tests/testutils.py)."""
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg, nodata=float("nan"), descriptions=descriptions,
                         metadata=metadata)


def qgis_process(params: dict, log_path: str) -> dict:
    """``qgis_process --json run geohazard:multisensortimeseries`` (list values repeat the key); its results."""
    exe = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    args = [f"{k}={v}" for k, v in params.items()]
    out = subprocess.run([exe, "--json", "run", "geohazard:multisensortimeseries", "--", *args],
                         capture_output=True, text=True, env=env, timeout=3600)
    with open(log_path, "w", encoding="utf-8") as fh:
        fh.write(out.stdout + "\n" + out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"qgis_process failed ({out.returncode}); see {log_path}")
    return json.loads(out.stdout[out.stdout.index("{"):])


def egms_example(out_dir: str) -> dict:
    """Example 1: the two Ustica tracks gridded, a manifest, the tool."""
    folder = os.path.join(out_dir, "ustica")
    os.makedirs(folder, exist_ok=True)
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "egms_ustica", "EGMS_L2b_*.zip")))
    sets = [read_egms_csv(f) for f in files]
    sets.sort(key=lambda s: np.nanmean(s["columns"]["los_east"]))  # ascending first (los_east < 0)
    xs = np.concatenate([s["columns"]["easting"] for s in sets])
    ys = np.concatenate([s["columns"]["northing"] for s in sets])
    grid = dc.grid_for_points(xs, ys, 100.0)
    rows = ["name,path,los_east,los_north,los_up"]
    for s, name in zip(sets, ("egms_117_asc", "egms_022_desc")):
        c = s["columns"]
        g = grid_points_to_stack(c["easting"], c["northing"], s["series"], c["los_east"], c["los_north"], c["los_up"],
                                 grid)
        write_tif(os.path.join(folder, f"{name}.tif"), g["values"], grid.geotransform, 3035,
                  descriptions=[d.isoformat() for d in s["dates"]],
                  metadata={"UNIT": "mm", "WAVELENGTH_M": S1_WAVELENGTH_M, "SIGN": "LOS positive toward the satellite"})
        write_tif(os.path.join(folder, f"{name}_los.tif"), np.stack([g["los_east"], g["los_north"], g["los_up"]]),
                  grid.geotransform, 3035, descriptions=["los_east", "los_north", "los_up"])
        rows.append(f"{name},{name}.tif,{name}_los.tif,{name}_los.tif,{name}_los.tif")
    manifest = os.path.join(folder, "stacks.csv")
    with open(manifest, "w", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    res = qgis_process({"MANIFEST": manifest, "OUTPUT_UP": os.path.join(folder, "up.tif"),
                        "OUTPUT_EAST": os.path.join(folder, "east.tif"),
                        "OUTPUT_SIGMA_UP": os.path.join(folder, "sigma_up.tif"),
                        "OUTPUT_SIGMA_EAST": os.path.join(folder, "sigma_east.tif"),
                        "OUTPUT_VELOCITY": os.path.join(folder, "velocity.tif"),
                        "OUTPUT_REPORT": os.path.join(folder, "report.csv")}, os.path.join(folder, "log.txt"))
    vel = gdal.Open(os.path.join(folder, "velocity.tif")).ReadAsArray()
    ok = np.isfinite(vel[1])
    with open(os.path.join(folder, "report.csv"), encoding="utf-8") as fh:
        report = list(csv.DictReader(fh))
    up = gdal.Open(os.path.join(folder, "up.tif"))
    return {"cells": int(grid.n_rows * grid.n_cols), "cells_solved": int(ok.sum()), "dates": up.RasterCount,
            "tile": up.GetRasterBand(1).GetBlockSize(), "up_velocity_median": float(np.median(vel[1][ok])),
            "east_velocity_median": float(np.median(vel[0][ok])),
            "sigma_up_velocity_median": float(np.median(vel[3][ok])),
            "report": [{k: r[k] for k in ("stack", "dates", "pixels_solved", "mean_noise_sigma_mm",
                                           "mean_residual_rms_mm", "residual_to_noise")} for r in report],
            "results": sorted(res.get("results", {})), "folder": folder}


def scenario_example(out_dir: str, name: str = "gap_env_s1") -> dict:
    """Example 2: a benchmark scenario written as files, the tool, the truth and the core."""
    import scenarios as scn

    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    gen = scn.generate_seeded(name, 0)
    sc = gen["scenario"]
    gt, epsg = (500000.0, scn.PIXEL_M, 0.0, 4100000.0, 0.0, -scn.PIXEL_M), 32633
    rows = ["name,path,kind,units,wavelength_m,incidence_deg,heading_deg"]
    for st in gen["stacks"]:
        s = st["sensor"]
        stem = s.name.lower().replace("-", "_")
        write_tif(os.path.join(folder, f"{stem}_incidence.tif"), st["incidence"], gt, epsg)
        if st["pairs"] is None:
            write_tif(os.path.join(folder, f"{stem}.tif"), st["values"], gt, epsg,
                      descriptions=[d.isoformat() for d in st["dates"]], metadata={"UNIT": "mm"})
            rows.append(f"{stem},{stem}.tif,series,mm,{s.wavelength_m},{stem}_incidence.tif,{s.heading_deg}")
            continue
        sub = os.path.join(folder, stem)
        os.makedirs(sub, exist_ok=True)
        for (a, b), v in zip(st["pairs"], st["values"]):
            write_tif(os.path.join(sub, f"{a:%Y%m%d}_{b:%Y%m%d}.tif"), v, gt, epsg)
        rows.append(f"{stem},{stem},interferograms,{s.units},{s.wavelength_m},{stem}_incidence.tif,{s.heading_deg}")
    manifest = os.path.join(folder, "stacks.csv")
    with open(manifest, "w", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    outs = {k: os.path.join(folder, f"{k.lower()[7:]}.tif") for k in
            ("OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST", "OUTPUT_GAPS")}
    # the north velocity a GNSS model gives (the benchmark's honesty runs use it), as a raster
    north = np.asarray(scn.steady_north(gen), float) * np.ones(sc.shape)
    north_tif = write_tif(os.path.join(folder, "north_velocity.tif"), north, gt, epsg)
    qgis_process({"MANIFEST": manifest, **outs, "OUTPUT_REPORT": os.path.join(folder, "report.csv"), "NORTH": 1,
                  "NORTH_RASTER": north_tif}, os.path.join(folder, "log.txt"))
    ds = gdal.Open(outs["OUTPUT_UP"])
    dates = [np.datetime64(ds.GetRasterBand(i + 1).GetDescription()).astype(object) for i in range(ds.RasterCount)]
    est = {c: gdal.Open(outs[f"OUTPUT_{c.upper()}"]).ReadAsArray() for c in ("east", "up")}
    sig = {c: gdal.Open(outs[f"OUTPUT_SIGMA_{c.upper()}"]).ReadAsArray() for c in ("east", "up")}
    from insar_geohazards.algorithms.timeseries.multisensor import NorthModel, solve_multisensor

    core = solve_multisensor(scn.to_stacks(gen), north=NorthModel("given", velocity_mm_yr=north))
    out = {"stacks": [st["sensor"].name for st in gen["stacks"]], "dates": len(dates), "periods": [],
           "north_velocity_mm_yr_median": float(np.median(north)),
           "tool_minus_core_mm_median_max": [float(np.nanmedian(np.abs(est["up"] - core["up"]))),
                                             float(max(np.nanmax(np.abs(est[c] - core[c])) for c in ("east", "up")))]}
    import baselines as bl

    for grp, lo, hi in bl.periods(gen):
        sel = [i for i, d in enumerate(dates) if lo <= d <= hi]
        te, _, tu = scn.truth_at(sc, [dates[i] for i in sel])
        # the pixels every geometry sees (the shadow, seen by the ascending stacks alone, has its own large sigma)
        seen = ~gen["shadow"]
        rms = [float(np.sqrt(np.nanmean(scn.demeaned_rms(est[c][sel], t)[seen] ** 2))) for c, t in
               (("east", te), ("up", tu))]
        out["periods"].append({"stacks": [gen["stacks"][i]["sensor"].name for i in grp], "window": [str(lo), str(hi)],
                               "rms_east_up_mm": rms})
    gaps = gdal.Open(outs["OUTPUT_GAPS"])
    g = gaps.ReadAsArray()
    desc = [gaps.GetRasterBand(i + 1).GetDescription() for i in range(gaps.RasterCount)]
    out["gaps"] = []
    for k in range(0, len(desc), 4):
        span = desc[k].split(" ")[0]
        a, b = (np.datetime64(x).astype(object) for x in span.split(".."))
        te, _, tu = scn.truth_at(sc, [a, b])
        within = []
        for ci, t in ((0, te), (1, tu)):
            z = (g[k + ci] - (t[1] - t[0])) / g[k + 2 + ci]
            within.append(float(np.mean(np.abs(z[np.isfinite(z)]) < 2)))
        out["gaps"].append({"gap": span, "within_2_sigma_east_up": within})
    out["sigma_up_last_median"] = float(np.nanmedian(sig["up"][-1]))
    out["folder"] = folder
    return out


def dock_picture(example: dict, png: str) -> dict:
    """Example 3: the dock in a QGIS desktop under Xvfb, a click on a Ustica cell; the window as a PNG."""
    folder = example["folder"]
    qgis = shutil.which("qgis") or shutil.which("qgis.bin")
    if shutil.which("xvfb-run") is None or qgis is None:
        raise SystemExit("the picture needs xvfb-run and the QGIS desktop (qgis)")
    vel = gdal.Open(os.path.join(folder, "velocity.tif"))
    gt = vel.GetGeoTransform()
    v = vel.ReadAsArray()
    count = np.isfinite(gdal.Open(os.path.join(folder, "egms_117_asc.tif")).ReadAsArray()).sum(axis=0)
    r, c = np.unravel_index(int(np.argmax(np.where(np.isfinite(v[1]) & (count > 200), np.abs(v[1]), -1))), v[1].shape)
    spec = {"up": os.path.join(folder, "up.tif"), "east": os.path.join(folder, "east.tif"),
            "velocity": os.path.join(folder, "velocity.tif"), "click": [gt[0] + (c + 0.5) * gt[1],
                                                                       gt[3] + (r + 0.5) * gt[5]],
            "png": os.path.abspath(png), "report": os.path.join(folder, "dock_report.json")}
    session = os.path.join(folder, "session.json")
    with open(session, "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    profile = os.path.join(folder, "profile")
    ini = os.path.join(profile, "profiles", "default", "QGIS")
    os.makedirs(ini, exist_ok=True)
    with open(os.path.join(ini, "QGIS3.ini"), "w", encoding="utf-8") as fh:
        fh.write("[PythonPlugins]\ninsar_geohazards=true\nprocessing=true\n[qgis]\nshowTips=false\ncheckVersion=false\n")
    env = {k: val for k, val in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", QGIS_PLUGINPATH=os.path.join(ROOT, ".build", "plugins"),
               INSAR_DOCK_SESSION=session)
    subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1500x900x24", qgis, "--nologo", "--noversioncheck",
                    "--profiles-path", profile, "--code", os.path.join(HERE, "multisensor_dock_session.py")],
                   capture_output=True, text=True, env=env, timeout=600)
    with open(spec["report"], encoding="utf-8") as fh:
        report = json.load(fh)
    if "error" in report:
        raise SystemExit(report["error"])
    report["cell"] = [int(r), int(c)]
    return report


def main():
    out_dir = os.path.abspath(sys.argv[1])
    os.makedirs(out_dir, exist_ok=True)
    result = {"egms_ustica": egms_example(out_dir), "multi_mission": scenario_example(out_dir)}
    if "--figure" in sys.argv:
        result["dock"] = dock_picture(result["egms_ustica"], sys.argv[sys.argv.index("--figure") + 1])
    with open(os.path.join(out_dir, "example.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, default=str)
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()

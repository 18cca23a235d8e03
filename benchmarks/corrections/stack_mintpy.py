"""MintPy 1.6's smallbaselineApp, with its unwrapping-error correction, on a stack laid out as the practice
corrections stack (``unw/*.unw.tif``, ``coh/*.cc.tif``, ``dem.tif``, ``incidence.tif``, ``bperp.csv``,
``meta.json``; the stable area burnt on the grid by the caller, ``--stable-npy``). Runs in the peers' venv
(numpy 2, h5py, rasterio):

    /work/venvs/mintpy/bin/python benchmarks/corrections/stack_mintpy.py STACK WORK
        [--method phase_closure|bridging|bridging+phase_closure] [--deramp-mask stable|tempcoh]
        [--slant-range-m 850000] [--stable-npy stable.npy]

The GeoTIFFs become ``inputs/ifgramStack.h5`` and ``inputs/geometryGeo.h5`` directly (``load_data`` untimed, NaN
written as MintPy's no-data 0); the connected components an unwrapper would give are made from the coherence
(:func:`chain_mintpy.connected_components`: the river and other incoherent ground split them). Then, in one process,
the steps of ``mintpy_chain.cfg`` from ``modify_network`` to ``velocity`` with the reference pixel of ``meta.json``.
Prints one JSON line: per-step wall and CPU seconds (the steps only, not the imports), the corrected interferograms
(``corrected.npy``, radians, dropped ones as NaN) and the final velocity (``velocity_mm_yr.npy``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re

import numpy as np
from chain_mintpy import (
    connected_components,
    read_bperp,
    read_tif,
    run_steps,
    write_h5,
    write_inputs_h5,
    write_template,
)

#: The dataset each unwrapping-error method writes in ifgramStack.h5.
OUT_DATASET = {"phase_closure": "unwrapPhase_phaseClosure", "bridging": "unwrapPhase_bridging",
               "bridging+phase_closure": "unwrapPhase_bridging_phaseClosure"}


def write_inputs(stack: str, work: str, slant_range_m: float, stable_npy: str | None) -> dict:
    """ifgramStack.h5 and geometryGeo.h5 of the stack; the stable mask; the meta.json reference pixel."""
    with open(os.path.join(stack, "meta.json")) as f:
        meta = json.load(f)
    os.makedirs(os.path.join(work, "inputs"), exist_ok=True)
    ifgs = sorted(glob.glob(os.path.join(stack, "unw", "*.unw.tif")))
    pairs = [re.findall(r"\d{8}", os.path.basename(p))[:2] for p in ifgs]
    unw = np.stack([read_tif(p)[0] for p in ifgs])
    coh = np.stack([read_tif(os.path.join(stack, "coh", f"{a}_{b}.cc.tif"))[0] for a, b in pairs])
    nodata = ~np.isfinite(unw)
    unw[nodata] = 0.0
    coh[nodata | ~np.isfinite(coh)] = 0.0
    dem, gt, epsg = read_tif(os.path.join(stack, "dem.tif"))
    inc = read_tif(os.path.join(stack, "incidence.tif"))[0]
    bp = read_bperp(os.path.join(stack, "bperp.csv"))
    m, rows, cols = unw.shape
    attrs = {"LENGTH": rows, "WIDTH": cols, "WAVELENGTH": meta["wavelength_m"], "PLATFORM": "Sen",
             "PROCESSOR": "gamma", "ALOOKS": 1, "RLOOKS": 1, "X_FIRST": gt[0], "Y_FIRST": gt[3], "X_STEP": gt[1],
             "Y_STEP": gt[5], "X_UNIT": "meters", "Y_UNIT": "meters", "EPSG": epsg, "UTM_ZONE": "11N",
             "ORBIT_DIRECTION": "ASCENDING", "HEADING": -12.0, "ANTENNA_SIDE": -1, "CENTER_LINE_UTC": 43200,
             "STARTING_RANGE": slant_range_m, "RANGE_PIXEL_SIZE": 2.3, "AZIMUTH_PIXEL_SIZE": 14.0,
             "EARTH_RADIUS": 6371000.0, "HEIGHT": 693000.0, "INCIDENCE_ANGLE": float(inc.mean()),
             "SLANT_RANGE_DISTANCE": slant_range_m, "UNIT": "radian", "PROJECT_NAME": "stack", "DATE12": ""}
    cc = connected_components(coh)
    write_inputs_h5(work, attrs, pairs, bp, {"unwrapPhase": unw, "coherence": coh, "connectComponent": cc},
                    {"height": dem, "incidenceAngle": inc,
                     "slantRangeDistance": np.full(dem.shape, slant_range_m, np.float32)})
    if stable_npy is None:
        return {"names": [f"{a}_{b}" for a, b in pairs], "ref_yx": meta["ref_yx"], "stable_mask": None}
    stable = np.load(stable_npy).astype(bool)
    mask = os.path.join(work, "stableMask.h5")
    write_h5(mask, "mask", attrs, {"mask": stable})
    return {"names": [f"{a}_{b}" for a, b in pairs], "ref_yx": meta["ref_yx"], "stable_mask": mask}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stack")
    ap.add_argument("work")
    ap.add_argument("--method", default="phase_closure", choices=sorted(OUT_DATASET))
    ap.add_argument("--deramp-mask", default="tempcoh", choices=("stable", "tempcoh"))
    ap.add_argument("--slant-range-m", type=float, default=850e3)
    ap.add_argument("--stable-npy", help="the stable area burnt on the grid (bool .npy): --deramp-mask stable")
    args = ap.parse_args()
    import shutil

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    info = write_inputs(args.stack, args.work, args.slant_range_m, args.stable_npy)
    tmpl = write_template(args.work, ramp="linear",
                          stable_mask=info["stable_mask"] if args.deramp_mask == "stable" else None,
                          ref_yx=info["ref_yx"])
    with open(tmpl, "a") as f:
        f.write(f"\nmintpy.unwrapError.method = {args.method}\n")
    import h5py

    times = run_steps(tmpl, args.work)
    with h5py.File(os.path.join(args.work, "inputs", "ifgramStack.h5"), "r") as f:
        corrected = f[OUT_DATASET[args.method]][:].astype(np.float64)
        kept = f["dropIfgram"][:].astype(bool)
        raw = f["unwrapPhase"][:]
    corrected[raw == 0] = np.nan  # no data in the input (MintPy's 0), as it was given
    corrected[~kept] = np.nan
    np.save(os.path.join(args.work, "corrected.npy"), corrected.astype(np.float32))
    with h5py.File(os.path.join(args.work, "velocity.h5"), "r") as f:
        v = f["velocity"][:].astype(np.float64) * 1000.0
    v[v == 0] = np.nan
    np.save(os.path.join(args.work, "velocity_mm_yr.npy"), v)
    print(json.dumps({"method": args.method, "deramp_mask": args.deramp_mask, "names": info["names"],
                      "kept": kept.tolist(), "cpu_s": round(sum(t[1] for t in times.values()), 3),
                      "wall_s": round(sum(t[0] for t in times.values()), 3),
                      "steps": {k: [round(a, 3), round(b, 3)] for k, (a, b) in times.items()},
                      "load": round(os.getloadavg()[0], 2), "date": dt.datetime.now().isoformat(timespec="seconds"),
                      "work": os.path.abspath(args.work)}))


if __name__ == "__main__":
    main()

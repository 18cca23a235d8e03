"""MintPy 1.6's smallbaselineApp steps matching the Corrected SBAS chain, on a stack written by chain_stacks.py.

    .build/venv-bench/bin/python benchmarks/corrections/chain_mintpy.py STACK_DIR WORK_DIR [--stable] [--repeat N]

The GeoTIFFs become ``inputs/ifgramStack.h5`` and ``inputs/geometryGeo.h5`` directly (``load_data`` untimed), then
in one process the steps of ``mintpy_chain.cfg`` (kept next to this script) from ``modify_network`` to
``velocity``. ``--stable``: ramps fitted on ``stable.tif`` and the reference point at its centre, as our chain
with a STABLE_AREA (``--stable-reference-only``: only the reference). Prints one JSON line: per-step wall and CPU
seconds, the velocity file, the series after each step (:data:`SERIES`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import io
import json
import os
import re
import shutil
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = ["modify_network", "reference_point", "correct_unwrap_error", "invert_network", "correct_troposphere",
         "deramp", "correct_topography", "velocity"]


#: The time series after each step matching ours (smallbaselineApp's file names with height_correlation + deramp).
SERIES = {"closure": "timeseries.h5", "troposphere": "timeseries_tropHgt.h5", "ramps": "timeseries_tropHgt_ramp.h5",
          "dem_error": "timeseries_tropHgt_ramp_demErr.h5"}


def read_tif(path):
    import rasterio

    with rasterio.open(path) as ds:
        return ds.read(1).astype(np.float32), ds.transform.to_gdal(), ds.crs.to_epsg()


def connected_components(coh, *, threshold=0.2, min_pixels=100):
    """What an unwrapper such as SNAPHU labels: regions of coherent pixels (3 x 3 mean coherence >= ``threshold``)
    connected to each other, numbered by size; regions under ``min_pixels`` and incoherent pixels are 0."""
    from scipy import ndimage

    out = np.zeros(coh.shape, np.int16)
    for k in range(coh.shape[0]):
        good = ndimage.uniform_filter(coh[k].astype(np.float64), 3) >= threshold
        lab, n = ndimage.label(good)
        sizes = np.bincount(lab.ravel())[1:]
        order = np.argsort(-sizes)
        for rank, comp in enumerate(order[:32000]):
            if sizes[comp] >= min_pixels:
                out[k][lab == comp + 1] = rank + 1
    return out


def read_bperp(path: str) -> dict:
    """{YYYYMMDD: perpendicular baseline (m)} from a stack's bperp.csv (a header line, then ``date,bperp`` lines)."""
    bp = {}
    with open(path) as f:
        next(f)
        for line in f:
            d, b = line.strip().split(",")
            bp[d.replace("-", "")] = float(b)
    return bp


def write_h5(path: str, file_type: str, attrs: dict, datasets: dict, chunks=None) -> None:
    """One of MintPy's HDF5 inputs: ``datasets`` (the 3-D ones in ``chunks``), then ``attrs`` and its FILE_TYPE,
    every value as a string."""
    import h5py

    with h5py.File(path, "w") as f:
        for name, data in datasets.items():
            f.create_dataset(name, data=data, chunks=chunks if np.ndim(data) == 3 else None)
        for k, v in {**attrs, "FILE_TYPE": file_type}.items():
            f.attrs[k] = str(v)


def write_inputs_h5(work: str, attrs: dict, pairs, bp: dict, layers: dict, geometry: dict) -> None:
    """inputs/ifgramStack.h5 (``layers``: the phase, coherence and components of every pair, in chunks of every
    interferogram x 128 x 128; the pairs' dates and baselines from ``bp``, :func:`read_bperp`) and
    inputs/geometryGeo.h5 (``geometry``)."""
    m, rows, cols = layers["unwrapPhase"].shape
    stack = {**layers, "date": np.array([[a.encode(), b.encode()] for a, b in pairs]),
             "bperp": np.array([bp[b] - bp[a] for a, b in pairs], np.float32), "dropIfgram": np.ones(m, bool)}
    write_h5(os.path.join(work, "inputs", "ifgramStack.h5"), "ifgramStack", attrs, stack,
             chunks=(m, min(rows, 128), min(cols, 128)))
    write_h5(os.path.join(work, "inputs", "geometryGeo.h5"), "geometry", attrs, geometry)


def write_inputs(stack_dir: str, work: str, wavelength_m: float) -> dict:
    os.makedirs(os.path.join(work, "inputs"), exist_ok=True)
    ifgs = sorted(glob.glob(os.path.join(stack_dir, "ifg", "*.tif")))
    pairs = [re.findall(r"\d{8}", os.path.basename(p))[:2] for p in ifgs]
    unw = np.stack([read_tif(p)[0] for p in ifgs])
    coh = np.stack([read_tif(os.path.join(stack_dir, "coh", f"{a}_{b}.cc.tif"))[0] for a, b in pairs])
    dem, gt, epsg = read_tif(os.path.join(stack_dir, "dem.tif"))
    inc = read_tif(os.path.join(stack_dir, "incidence.tif"))[0]
    rng = read_tif(os.path.join(stack_dir, "slant_range.tif"))[0]
    bp = read_bperp(os.path.join(stack_dir, "bperp.csv"))
    m, rows, cols = unw.shape
    attrs = {"LENGTH": rows, "WIDTH": cols, "WAVELENGTH": wavelength_m, "PLATFORM": "Sen", "PROCESSOR": "gamma",
             "ALOOKS": 1, "RLOOKS": 1, "X_FIRST": gt[0], "Y_FIRST": gt[3], "X_STEP": gt[1], "Y_STEP": gt[5],
             "X_UNIT": "degrees" if epsg == 4326 else "meters", "Y_UNIT": "degrees" if epsg == 4326 else "meters",
             "EPSG": epsg, "UTM_ZONE": "14N", "ORBIT_DIRECTION": "ASCENDING",
             "HEADING": -12.0, "ANTENNA_SIDE": -1, "CENTER_LINE_UTC": 43200, "STARTING_RANGE": float(rng.min()),
             "RANGE_PIXEL_SIZE": 2.3, "AZIMUTH_PIXEL_SIZE": 14.0, "EARTH_RADIUS": 6371000.0, "HEIGHT": 693000.0,
             "INCIDENCE_ANGLE": float(inc.mean()), "SLANT_RANGE_DISTANCE": float(rng.mean()), "UNIT": "radian",
             "PROJECT_NAME": "chain", "DATE12": ""}
    # the unwrapper's components when the stack has them (closure_tester.py), else made from the coherence
    cc_paths = [os.path.join(stack_dir, "conncomp", f"{a}_{b}.conncomp.tif") for a, b in pairs]
    cc = np.stack([read_tif(p)[0] for p in cc_paths]).astype(np.int16) if all(map(os.path.exists, cc_paths)) \
        else connected_components(coh)
    write_inputs_h5(work, attrs, pairs, bp, {"unwrapPhase": unw, "coherence": coh, "connectComponent": cc},
                    {"height": dem, "incidenceAngle": inc, "slantRangeDistance": rng})
    stable = read_tif(os.path.join(stack_dir, "stable.tif"))[0] > 0
    rr, cc = np.nonzero(stable)
    centre = (int(np.median(rr)), int(np.median(cc)))
    if not stable[centre]:  # a frame or scattered patches: the stable pixel of highest mean coherence
        from scipy import ndimage

        mc = np.where(stable, ndimage.uniform_filter(np.nanmean(coh, axis=0).astype(np.float64), 5), -1.0)
        centre = tuple(int(x) for x in np.unravel_index(np.argmax(mc), mc.shape))
    return {"stable": stable, "centre": centre, "attrs": attrs}


def write_template(work: str, *, ramp: str, stable_mask: str | None, ref_yx) -> str:
    with open(os.path.join(HERE, "mintpy_chain.cfg")) as f:
        text = f.read()
    text = text.replace("@RAMP@", ramp)
    text = text.replace("@DERAMP_MASK@", stable_mask or "maskTempCoh.h5")
    text = text.replace("@REF_YX@", f"{ref_yx[0]},{ref_yx[1]}" if ref_yx else "auto")
    path = os.path.join(work, "chain.cfg")
    with open(path, "w") as f:
        f.write(text)
    return path


def run_steps(tmpl: str, work: str) -> dict:
    """:data:`STEPS` of smallbaselineApp with the template ``tmpl`` in ``work``, in this process: {step: (wall s,
    CPU s)} (MintPy imported before the clock starts: the import is not a step)."""
    import mintpy  # noqa: F401
    from mintpy.smallbaselineApp import TimeSeriesAnalysis

    cwd = os.getcwd()
    os.chdir(work)
    times = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            app = TimeSeriesAnalysis(tmpl, work)
            app.open()
            for step in STEPS:
                w0, c0 = time.perf_counter(), time.process_time()
                app.run(steps=[step])
                times[step] = (time.perf_counter() - w0, time.process_time() - c0)
    finally:
        os.chdir(cwd)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stack")
    ap.add_argument("work")
    ap.add_argument("--stable", action="store_true")
    ap.add_argument("--stable-reference-only", action="store_true",
                    help="the reference point in the stable area, the ramps on MintPy's default mask (maskTempCoh.h5)")
    ap.add_argument("--quadratic", action="store_true")
    ap.add_argument("--wavelength", type=float, default=0.05546576)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    info = write_inputs(args.stack, args.work, args.wavelength)
    mask = None
    if args.stable:
        mask = os.path.join(args.work, "stableMask.h5")
        write_h5(mask, "mask", info["attrs"], {"mask": info["stable"]})
    tmpl = write_template(args.work, ramp="quadratic" if args.quadratic else "linear",
                          stable_mask=None if args.stable_reference_only else mask,
                          ref_yx=info["centre"] if args.stable else None)
    times = run_steps(tmpl, args.work)
    out = {"stack": os.path.basename(os.path.normpath(args.stack)), "stable": args.stable,
           "velocity": os.path.join(args.work, "velocity.h5"),
           "series": {step: os.path.join(args.work, f) for step, f in SERIES.items()},
           "wall_s": round(sum(t[0] for t in times.values()), 3), "cpu_s": round(sum(t[1] for t in times.values()), 3),
           "steps": {k: [round(a, 3), round(b, 3)] for k, (a, b) in times.items()}, "load": os.getloadavg()[0],
           "date": dt.datetime.now().isoformat(timespec="seconds")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

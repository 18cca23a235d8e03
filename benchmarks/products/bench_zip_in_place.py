"""Products read in place: N HyP3 zips against the same products extracted and against a flat folder of GeoTIFFs
(tests/testutils_products.py), each given to ``geohazard:stackingvelocity`` in a whole ``qgis_process`` run; wall and
CPU seconds, and the velocities compared byte for byte.

Usage: /usr/bin/python3 benchmarks/products/bench_zip_in_place.py [WORK_DIR] [N_PAIRS] [SIZE] [REPEAT]
(defaults .build/bench_products, 300, 256, 2). Prints one JSON line per run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys

import testutils_products as tp
from common import ROOT, loadavg, qgis_run


def build(work: str, n_pairs: int, size: int) -> dict:
    n_dates = n_pairs // 3 + 2
    t = tp.Truth(shape=(size + 4, size + 4), n_dates=n_dates)
    t.pairs = t.pairs[:n_pairs]
    zipped = os.path.join(work, "zipped")
    if not os.path.isdir(zipped):
        prods = tp.hyp3_products(zipped, t, zipped=t.pairs)
        for p in prods.values():
            assert p.endswith(".zip")
    extracted = os.path.join(work, "extracted")
    if not os.path.isdir(extracted):
        import zipfile

        os.makedirs(extracted)
        for f in sorted(os.listdir(zipped)):
            with zipfile.ZipFile(os.path.join(zipped, f)) as zf:
                zf.extractall(extracted)
    flat = os.path.join(work, "flat")
    if not os.path.isdir(flat):
        os.makedirs(flat)
        for name in sorted(os.listdir(extracted)):
            for suffix in ("_unw_phase.tif", "_corr.tif"):
                shutil.copy(os.path.join(extracted, name, name + suffix),
                            os.path.join(flat, name + suffix.replace(".tif", "_flat.tif")))
    return {"zipped": zipped, "extracted": extracted, "flat": flat}


def run(kind: str, folder: str, out: str) -> dict:
    if os.path.exists(out):
        os.remove(out)
    params = {"INTERFEROGRAMS": folder, "OUTPUT_VELOCITY": out, "WEIGHTING": 1,
              "REFERENCE": f"{tp.HYP3_ORIGIN[0] + 200:.0f},{tp.HYP3_ORIGIN[1] - 200:.0f} [EPSG:32611]"}
    if kind == "flat":
        params["COHERENCE"] = folder
    r = qgis_run("stackingvelocity", params)
    return {"kind": kind, "wall_s": round(r["wall_s"], 2), "cpu_s": r["cpu_s"], "rss_mb": round(r["peak_rss_mb"]),
            "load": loadavg()[0], "utc": dt.datetime.utcnow().strftime("%H:%M:%S")}


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "bench_products")
    n_pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    os.makedirs(work, exist_ok=True)
    folders = build(work, n_pairs, size)
    sizes = {k: sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(v) for f in fs)
             for k, v in folders.items()}
    print(json.dumps({"pairs": n_pairs, "size": size, "bytes": sizes}), flush=True)
    from osgeo import gdal

    outs = {}
    for r in range(repeat):
        for kind in ("zipped", "extracted", "flat"):
            outs[kind] = os.path.join(work, f"v_{kind}.tif")
            print(json.dumps({"round": r, **run(kind, folders[kind], outs[kind])}), flush=True)
    ref = gdal.Open(outs["flat"]).ReadAsArray().tobytes()
    print(json.dumps({kind: gdal.Open(p).ReadAsArray().tobytes() == ref for kind, p in outs.items()}))


if __name__ == "__main__":
    main()

"""Real 3-D run of landslide3d on the EGMS Ustica asc/desc points, checked against ascdescdecomposition and the
physics of a two-geometry problem (there is no independent 3-D reference): without a DEM the run is refused (north
is never invented); with one, the cells reproduce both LOS means and differ from east + up only along the geometry's
null vector; and the horizontal motion the constraint creates where nothing slides.

Usage (make bench FAMILY=kinematics CASE=ustica_3d): ustica_3d.py OUT_DIR [DATA_DIR]
(DATA_DIR holds the two EGMS zips; default tests/data/egms_ustica). Runs every tool through qgis_process.
"""

import json
import os
import sys
import time

import numpy as np
from common import write_tif
from testutils_cli import ROOT, qgis_process, results

ZIPS = {"asc": "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "desc": "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"}
GEOMETRIES = "-8.9,39;-171.5,36.5"  # only used for the condition number: the points carry their LOS vectors


def run(alg, expect_error=False, **params):
    """``qgis_process --json run`` (a list value repeats the parameter): {results, wall_s}, or with
    ``expect_error`` (exit status, its text)."""
    args = [f"{k}={x}" for k, v in params.items() for x in (v if isinstance(v, list) else [v])]
    t0 = time.time()
    p = qgis_process("--json", "run", f"geohazard:{alg}", "--", *args)
    if expect_error:
        return p.returncode, p.stdout + p.stderr
    return {"results": results(p), "wall_s": time.time() - t0}


def points(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    cols = {k: [] for k in ("x", "y", "h", "v", "e", "n", "u")}
    for f in lyr:
        g = f.GetGeometryRef()
        cols["x"].append(g.GetX())
        cols["y"].append(g.GetY())
        for k, fld in (("h", "height_ortho"), ("v", "mean_velocity"), ("e", "los_east"), ("n", "los_north"),
                       ("u", "los_up")):
            cols[k].append(f.GetField(fld))
    return {k: np.array(v, float) for k, v in cols.items()}


def cell_index(p, gt, shape):
    c = np.floor((p["x"] - gt[0]) / gt[1]).astype(int)
    r = np.floor((p["y"] - gt[3]) / gt[5]).astype(int)
    ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
    return np.where(ok, r * shape[1] + c, -1)


def cell_mean(p, key, idx, size):
    ok = idx >= 0
    s = np.bincount(idx[ok], weights=p[key][ok], minlength=size)
    n = np.bincount(idx[ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / n, np.nan)


def read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.ReadAsArray().astype(float)
    gt = ds.GetGeoTransform()
    nd = [ds.GetRasterBand(b + 1).GetNoDataValue() for b in range(ds.RasterCount)]
    ds = None
    arr = arr if arr.ndim == 3 else arr[None]
    for b, v in enumerate(nd):
        if v is not None:
            arr[b][arr[b] == v] = np.nan
    return arr, gt


def write_dem(path, pts, cell=100.0):
    """Cell-mean orthometric height of both point sets on the EGMS L3 grid (edges on multiples of cell)."""
    x = np.concatenate([p["x"] for p in pts])
    y = np.concatenate([p["y"] for p in pts])
    x0, y1 = np.floor(x.min() / cell) * cell - cell, np.ceil(y.max() / cell) * cell + cell
    nc = int(np.ceil((x.max() - x0) / cell)) + 1
    nr = int(np.ceil((y1 - y.min()) / cell)) + 1
    gt = (x0, cell, 0.0, y1, 0.0, -cell)
    allp = {k: np.concatenate([p[k] for p in pts]) for k in ("x", "y", "h")}
    dem = cell_mean(allp, "h", cell_index(allp, gt, (nr, nc)), nr * nc).reshape(nr, nc)
    return write_tif(path, np.where(np.isfinite(dem), dem, -9999.0), gt=gt, epsg=3035, nodata=-9999.0)


def main(out, data):
    os.makedirs(out, exist_ok=True)
    lay = {k: run("loadegms", INPUT=os.path.join(data, z), OUTPUT=os.path.join(out, f"ustica_{k}.gpkg"))["results"]
           ["OUTPUT"] for k, z in ZIPS.items()}
    pts = {k: points(v) for k, v in lay.items()}
    dem = write_dem(os.path.join(out, "dem_points.tif"), list(pts.values()))
    both = [lay["asc"], lay["desc"]]
    common = dict(GEOMETRIES=GEOMETRIES)
    # 1. no DEM: the run must be refused (north cannot be separated), and nothing written
    nodem = [os.path.join(out, "l3d_nodem.tif"), os.path.join(out, "l3d_nodem_q.tif")]
    code0, text0 = run("landslide3d", expect_error=True, POINT_LAYERS=both, **common, OUTPUT=nodem[0],
                       OUTPUT_QUALITY=nodem[1])
    refusal = [ln for ln in text0.splitlines() if "rank-deficient" in ln]
    # 2. DEM from the points, default constraint (auto) and MIN_SLOPE
    r1 = run("landslide3d", POINT_LAYERS=both, **common, DEM=dem, OUTPUT=os.path.join(out, "l3d.tif"),
             OUTPUT_QUALITY=os.path.join(out, "l3d_q.tif"))
    v1, gt1 = read(r1["results"]["OUTPUT"])
    q1, _ = read(r1["results"]["OUTPUT_QUALITY"])
    r2 = run("ascdescdecomposition", ASC_POINTS=lay["asc"], DESC_POINTS=lay["desc"], PIXEL_SIZE=100,
             OUTPUT_EAST=os.path.join(out, "ad_east.tif"), OUTPUT_UP=os.path.join(out, "ad_up.tif"),
             OUTPUT_QUALITY=os.path.join(out, "ad_q.tif"))
    e2, gt2 = read(r2["results"]["OUTPUT_EAST"])
    u2, _ = read(r2["results"]["OUTPUT_UP"])
    if tuple(np.round(gt1, 6)) != tuple(np.round(gt2, 6)) or e2.shape[1:] != v1.shape[1:]:
        raise SystemExit(f"grids differ: landslide3d {gt1} {v1.shape}, ascdescdecomposition {gt2} {e2.shape}")
    shape = v1.shape[1:]
    size = shape[0] * shape[1]
    los = {}
    for k, p in pts.items():
        idx = cell_index(p, gt1, shape)
        los[k] = np.stack([cell_mean(p, key, idx, size) for key in ("v", "e", "n", "u")])
    flag = q1[4].ravel()
    con = flag == 1
    has2 = np.isfinite(u2[0].ravel())
    dE = v1[0].ravel() - e2[0].ravel()
    dN = v1[1].ravel()
    dU = v1[2].ravel() - u2[0].ravel()
    # orthogonality of the 3-D minus 2-D difference to each geometry's cell-mean LOS vector
    ortho = {k: np.abs(los[k][1] * dE + los[k][2] * dN + los[k][3] * dU)[con] for k in los}
    misfit = {k: np.abs(los[k][1] * v1[0].ravel() + los[k][2] * v1[1].ravel() + los[k][3] * v1[2].ravel()
                        - los[k][0])[con] for k in los}
    null = np.cross(np.stack([los["asc"][1], los["asc"][2], los["asc"][3]], 1),
                    np.stack([los["desc"][1], los["desc"][2], los["desc"][3]], 1))
    nn = null / np.linalg.norm(null, axis=1, keepdims=True)
    dvec = np.stack([dE, dN, dU], 1)
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arccos(np.clip(np.abs(np.sum(dvec * nn, 1)) / np.linalg.norm(dvec, axis=1), 0, 1)))
    flags1 = {int(f): int((flag == f).sum()) for f in np.unique(flag[np.isfinite(flag)])}
    res = {
        "points": {k: int(p["x"].size) for k, p in pts.items()},
        "grid": {"shape": list(shape), "cells_with_both_geometries": int(has2.sum())},
        "no_dem": {"exit_code": code0, "message": refusal[0] if refusal else text0[-500:],
                   "outputs_written": [os.path.exists(x) for x in nodem]},
        "dem": {"flags": flags1, "constrained": int(con.sum()),
                "median_abs_north_mm_yr": float(np.median(np.abs(dN[con]))),
                "p95_abs_north_mm_yr": float(np.percentile(np.abs(dN[con]), 95)),
                "median_abs_up_3d_minus_2d": float(np.median(np.abs(dU[con]))),
                "p95_abs_up_3d_minus_2d": float(np.percentile(np.abs(dU[con]), 95)),
                "median_abs_east_3d_minus_2d": float(np.median(np.abs(dE[con]))),
                "los_misfit_max_mm_yr": {k: float(np.max(v)) for k, v in misfit.items()},
                "orthogonality_median_mm_yr": {k: float(np.median(v)) for k, v in ortho.items()},
                "orthogonality_p95_mm_yr": {k: float(np.percentile(v, 95)) for k, v in ortho.items()},
                "angle_to_null_vector_median_deg": float(np.nanmedian(angle[con])),
                "angle_to_null_vector_p95_deg": float(np.nanpercentile(angle[con], 95)),
                "median_sigma_north": float(np.nanmedian(q1[1].ravel()[con])),
                "median_sigma_up": float(np.nanmedian(q1[2].ravel()[con]))},
        "two_d": {"median_up_mm_yr": float(np.nanmedian(u2[0])), "median_east_mm_yr": float(np.nanmedian(e2[0]))},
        "wall_s": {"landslide3d_dem": r1["wall_s"],
                   "ascdescdecomposition": r2["wall_s"]},
        "load_1min": os.getloadavg()[0],
    }
    print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "data", "egms_ustica"))

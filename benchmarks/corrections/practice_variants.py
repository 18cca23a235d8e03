"""Other realisations of the practice corrections stack's unwrapping errors: the same ground, noise and network,
the frame turned or mirrored, and the errors planted again as its README describes them, so that a rule is measured
on more than the one set of errors the practice stack holds.

    /usr/bin/python3 benchmarks/corrections/practice_variants.py 0 1 2 3 4 5 6 7 [--stack DIR] [--json OUT]
        [--write DIR] [--compare WORK [--mintpy VENV_PYTHON]]

A variant ``seed``: the practice stack's interferograms less their planted cycles (the clean stack), turned by
``seed % 4`` quarter turns and mirrored when ``seed % 8 >= 4`` (the reference pixel and the stable area with them),
then, drawn from ``seed``:

* whole-bank errors on 5-8 interferograms: one bank of the river (a connected part of the frame off the river) off
  by 1 or 2 cycles (1 three times in four), two of them on a loop's two short sides with +c and -c on the same bank,
  so that the loop closes;
* irregular patches of 400-1,000 pixels inside one bank, off by one cycle (-1 one time in four), on 3-6 other
  interferograms, none over the reference pixel.

Each variant runs as ``closure_trace.py`` runs the practice stack (the core as the Corrected SBAS model runs its step,
the stable area as its reference), scored relative to the reference pixel; the table gives each variant's planted,
fixed, new and left values and the new values' ``new_floor`` classes. ``--write DIR`` writes each variant in the
practice stack's layout (``DIR/variant_SEED``) instead; ``--compare WORK`` writes them under WORK and runs
``stack_compare.py`` on each (the Corrected SBAS model through ``qgis_process`` and MintPy 1.6.4's smallbaselineApp,
scored as the practice README counts, the model's dropped interferograms fixing none), one row per variant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.dirname(HERE), os.path.join(ROOT, ".build", "plugins")]
from common import save_json  # noqa: E402

PRACTICE = "/work/shared/data/practice/corrections_stack"


def _load(stack):
    import stack_score

    meta = json.load(open(os.path.join(stack, "meta.json")))
    t = stack_score.truth(stack)
    names, unw = stack_score.interferograms(stack)
    order = [list(t["names"]).index(n) for n in names]
    planted = -t["planted"][order].astype(np.int64)
    lam = meta["wavelength_m"]
    cycle = lam * 1000.0 / 2.0
    x = -unw * lam * 1000.0 / (4 * np.pi)
    coh = np.stack([stack_score.read_tif(os.path.join(stack, "coh", f"{n}.cc.tif")) for n in names])
    clean = x - planted * cycle
    return dict(names=names, clean=clean, coh=coh, stable=t["stable"].astype(bool), river=t["river"].astype(bool),
                ref=tuple(int(v) for v in t["ref_yx"]), cycle=cycle)


def _turn(a, seed):
    a = np.rot90(a, seed % 4, axes=(-2, -1))
    return np.flip(a, axis=-1) if seed % 8 >= 4 else a


def _banks(river, has):
    """The frame's parts off the river with data, largest first (the banks)."""
    from scipy import ndimage

    lab, n = ndimage.label(~river & has)
    sizes = np.bincount(lab.ravel())[1:]
    return [lab == (i + 1) for i in np.argsort(-sizes) if sizes[i] >= 0.1 * lab.size]


def _patch(rng, bank, lo=400, hi=1000):
    """An irregular connected patch of ``lo``-``hi`` pixels inside ``bank``: a bump around a random centre on a
    smooth random field, cut at the level where the centre's part reaches the drawn size."""
    from scipy import ndimage

    h, w = bank.shape
    target = int(rng.integers(lo, hi + 1))
    ys, xs = np.nonzero(ndimage.binary_erosion(bank, iterations=8))
    i = int(rng.integers(ys.size))
    cy, cx = ys[i], xs[i]
    field = ndimage.gaussian_filter(rng.standard_normal((h, w)), 4.0)
    field /= field.std()
    yy, xx = np.mgrid[:h, :w]
    s = np.sqrt(target / np.pi)
    g = field + 4.0 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    g[~bank] = -np.inf
    for level in np.linspace(g[cy, cx] - 1e-6, np.min(g[bank]), 200):
        lab, _ = ndimage.label(g >= level)
        part = lab == lab[cy, cx]
        if part.sum() >= target:
            return part
    return part


def plant(seed, names, banks, shape, ref):
    """The planted cycles (M, rows, cols) of variant ``seed`` (no patch holds the reference pixel ``ref``: the
    values are scored relative to it)."""
    rng = np.random.default_rng(1000 + seed)
    m = len(names)
    dates = sorted({n[:8] for n in names} | {n[9:17] for n in names})
    pair = {(n[:8], n[9:17]): k for k, n in enumerate(names)}
    planted = np.zeros((m,) + shape, np.int64)
    used = set()
    # the loop that closes: (a, b) +c and (b, c) -c on one bank, (a, c) in the network
    loops = [(pair[a, b], pair[b, c]) for a in dates for b in dates for c in dates
             if (a, b) in pair and (b, c) in pair and (a, c) in pair]
    k1, k2 = loops[int(rng.integers(len(loops)))]
    bank = banks[int(rng.integers(len(banks)))]
    c = int(rng.choice([-1, 1]))
    planted[k1][bank] = c
    planted[k2][bank] = -c
    used |= {k1, k2}
    n_bank = int(rng.integers(5, 9))
    free = [k for k in range(m) if k not in used]
    for k in rng.choice(free, size=n_bank - 2, replace=False):
        bank = banks[int(rng.integers(len(banks)))]
        cyc = int(rng.choice([-2, -1, 1, 2], p=[0.125, 0.375, 0.375, 0.125]))
        planted[k][bank] = cyc
        used.add(int(k))
    free = [k for k in range(m) if k not in used]
    for k in rng.choice(free, size=int(rng.integers(3, 7)), replace=False):
        bank = banks[int(rng.integers(len(banks)))]
        part = _patch(rng, bank)
        while part[ref]:
            part = _patch(rng, bank)
        planted[k][part] = -1 if rng.random() < 0.25 else 1
    return planted


def variant_case(seed, stack=PRACTICE):
    """Variant ``seed`` as a ``closure_trace.py`` case."""
    from closure_trace import practice_case

    s = _load(stack)
    h, w = s["stable"].shape
    clean = _turn(s["clean"], seed).copy()
    coh = _turn(s["coh"], seed).copy()
    stable = _turn(s["stable"], seed).copy()
    river = _turn(s["river"], seed).copy()
    mark = np.zeros((h, w), bool)
    mark[s["ref"]] = True
    ref = tuple(int(v[0]) for v in np.nonzero(_turn(mark, seed)))
    has = np.isfinite(clean).all(axis=0)
    planted = plant(seed, s["names"], _banks(river, has), clean.shape[1:], ref)
    planted[:, ~np.isfinite(clean).any(axis=0)] = 0
    x = clean + planted * s["cycle"]
    case = practice_case(s["names"], x, planted, coh, stable, ref, s["cycle"])
    case["classes"]["lowcoh"] = coh < 0.3
    return case


def _write_tif(src, dst, arr):
    from osgeo import gdal

    ds = gdal.Open(src)
    drv = gdal.GetDriverByName("GTiff")
    out = drv.Create(dst, arr.shape[1], arr.shape[0], 1, ds.GetRasterBand(1).DataType, ["COMPRESS=DEFLATE"])
    out.SetGeoTransform(ds.GetGeoTransform())
    out.SetProjection(ds.GetProjection())
    band = out.GetRasterBand(1)
    nd = ds.GetRasterBand(1).GetNoDataValue()
    if nd is not None:
        band.SetNoDataValue(nd)
    band.WriteArray(arr)
    out = None


def write_variant(seed, out, stack=PRACTICE):
    """Variant ``seed`` written in the practice stack's layout (``unw``, ``coh``, ``dem.tif``, ``incidence.tif``,
    ``bperp.csv``, ``stable.gpkg``, ``meta.json``, ``truth.npz``), for the tools that read the files."""
    import shutil

    from osgeo import gdal, ogr, osr

    case = variant_case(seed, stack)
    s = _load(stack)
    meta = json.load(open(os.path.join(stack, "meta.json")))
    lam = meta["wavelength_m"]
    os.makedirs(os.path.join(out, "unw"), exist_ok=True)
    os.makedirs(os.path.join(out, "coh"), exist_ok=True)
    unw = -case["x"] * 4 * np.pi / (lam * 1000.0)
    for k, n in enumerate(s["names"]):
        _write_tif(os.path.join(stack, "unw", f"{n}.unw.tif"), os.path.join(out, "unw", f"{n}.unw.tif"),
                   unw[k].astype(np.float32))
        _write_tif(os.path.join(stack, "coh", f"{n}.cc.tif"), os.path.join(out, "coh", f"{n}.cc.tif"),
                   case["coherence"][k].astype(np.float32))
    from stack_score import read_tif

    for name in ("dem.tif", "incidence.tif"):
        src = os.path.join(stack, name)
        _write_tif(src, os.path.join(out, name), _turn(read_tif(src), seed).astype(np.float32))
    shutil.copy(os.path.join(stack, "bperp.csv"), os.path.join(out, "bperp.csv"))
    t = np.load(os.path.join(stack, "truth.npz"))
    names_t = list(t["names"])
    order = [s["names"].index(n) for n in names_t]
    truth = {k: t[k] for k in t.files}
    for k in ("defo_mm", "vel_mm_yr", "dz_m", "river", "stable"):
        truth[k] = _turn(t[k], seed).copy()
    truth["planted"] = (-case["planted"][order]).astype(np.int8)
    truth["ref_yx"] = np.array(case["ref"], np.int64)
    np.savez_compressed(os.path.join(out, "truth.npz"), **truth)
    meta.update(seed=f"practice variant {seed}", ref_yx=[int(v) for v in case["ref"]],
                planted_values=int((case["planted"] != 0).sum()),
                bank_ifgs=[n for k, n in enumerate(s["names"]) if (case["planted"][k] != 0).sum() > 5000],
                patch_ifgs=[n for k, n in enumerate(s["names"]) if 0 < (case["planted"][k] != 0).sum() <= 5000])
    save_json(os.path.join(out, "meta.json"), meta)
    # the stable area as polygons of the turned mask, in the stack's CRS
    ds = gdal.Open(os.path.join(out, "dem.tif"))
    mem = gdal.GetDriverByName("MEM").Create("", ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(ds.GetGeoTransform())
    mem.SetProjection(ds.GetProjection())
    mem.GetRasterBand(1).WriteArray(truth["stable"].astype(np.uint8))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    path = os.path.join(out, "stable.gpkg")
    if os.path.exists(path):
        os.remove(path)
    vec = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = vec.CreateLayer("stable", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("stable", ogr.OFTInteger))
    band = mem.GetRasterBand(1)
    gdal.Polygonize(band, band, layer, 0)
    vec = None
    return out


def compare(seeds, work, stack, mintpy, json_out, mintpy_from="") -> int:
    """The model and MintPy on each variant (``stack_compare.py``), one printed row each and the sums; with
    ``mintpy_from`` (the JSON of an earlier comparison of the same variants) MintPy's columns are read from it and
    the model alone runs (MintPy's results do not change with ours; its velocity RMS was taken over the pixels both
    had, ours now over ours)."""
    before = json.load(open(mintpy_from))["rows"] if mintpy_from else None
    import shutil
    import subprocess

    rows, tot = {}, {"planted": 0, "ours_fixed": 0, "ours_new": 0, "mintpy_fixed": 0, "mintpy_new": 0}
    print(f"{'variant':>8} {'planted':>9} | {'ours fixed':>10} {'new':>6} {'dropped':>7} {'vel':>5} | "
          f"{'MintPy fixed':>12} {'new':>6} {'vel':>5}")
    for seed in seeds:
        sdir = write_variant(seed, os.path.join(work, f"variant_{seed}"), stack)
        out = os.path.join(work, f"v{seed}.json")
        subprocess.run([sys.executable, os.path.join(HERE, "stack_compare.py"), sdir, os.path.join(work, f"run{seed}"),
                        "--mintpy", mintpy, "--repeat", "1", "--json", out] + (["--no-mintpy"] if before else []),
                       check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(os.path.join(work, f"run{seed}"), ignore_errors=True)
        d = json.load(open(out))
        o, mp, v = d["unwrapping"]["ours"], d["unwrapping"]["mintpy"], d["velocity_rms_mm_yr"]
        if before:
            mp = before[str(seed)]["mintpy"]
            v.update({k: x for k, x in before[str(seed)]["velocity_rms_mm_yr"].items() if k.startswith("mintpy")})
        rows[seed] = {"ours": o, "mintpy": mp, "velocity_rms_mm_yr": v}
        for k, src in (("ours", o), ("mintpy", mp)):
            tot[f"{k}_fixed"] += src["fixed"]
            tot[f"{k}_new"] += src["new"]
        tot["planted"] += o["planted"]
        vm = min(v["mintpy_tempcoh"], v["mintpy_stable"])
        print(f"{seed:>8} {o['planted']:>9,} | {o['fixed']:>10,} {o['new']:>6,} {len(o['dropped']):>7} "
              f"{v['ours']:>5.2f} | {mp['fixed']:>12,} {mp['new']:>6,} {vm:>5.2f}", flush=True)
    p = max(tot["planted"], 1)
    print(f"{'all':>8} {tot['planted']:>9,} | {tot['ours_fixed']:>10,} {tot['ours_new']:>6,} {'':>7} {'':>5} | "
          f"{tot['mintpy_fixed']:>12,} {tot['mintpy_new']:>6,}   (shares {tot['ours_fixed'] / p:.1%} and "
          f"{tot['mintpy_fixed'] / p:.1%})")
    if json_out:
        save_json(json_out, {"rows": rows, "total": tot})
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--stack", default=PRACTICE)
    ap.add_argument("--json", default="")
    ap.add_argument("--write", default="", help="write each variant to WRITE/variant_SEED instead of running it")
    ap.add_argument("--compare", default="", help="the model and MintPy on each variant written under COMPARE")
    ap.add_argument("--mintpy", default="/work/venvs/mintpy/bin/python")
    ap.add_argument("--mintpy-from", default="", help="with --compare: MintPy's columns from an earlier comparison's "
                    "JSON of the same variants (the model alone runs)")
    a = ap.parse_args(argv)
    if a.write:
        for seed in a.seeds:
            print(write_variant(seed, os.path.join(a.write, f"variant_{seed}"), a.stack), flush=True)
        return 0
    if a.compare:
        return compare(a.seeds, a.compare, a.stack, a.mintpy, a.json, a.mintpy_from)
    from closure_trace import run_case

    rows, tot = {}, {"planted": 0, "fixed": 0, "new": 0, "left": 0}
    print(f"{'variant':>8} {'planted':>9} {'fixed':>9} {'share':>6} {'new':>5} {'left':>7}  new_floor")
    for seed in a.seeds:
        res, _, _ = run_case(variant_case(seed, a.stack), examples=5)
        rows[seed] = res
        for k in tot:
            tot[k] += res[k]
        print(f"{seed:>8} {res['planted']:>9,} {res['fixed']:>9,} {res['fixed'] / max(res['planted'], 1):>6.1%} "
              f"{res['new']:>5} {res['left']:>7,}  {json.dumps(res['new_floor'])}", flush=True)
    print(f"{'all':>8} {tot['planted']:>9,} {tot['fixed']:>9,} {tot['fixed'] / max(tot['planted'], 1):>6.1%} "
          f"{tot['new']:>5} {tot['left']:>7,}")
    if a.json:
        save_json(a.json, rows, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())

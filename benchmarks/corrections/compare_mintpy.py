"""Side by side with MintPy 1.6.4 on the real Mexico City stack (tests/data): network modification, ramp removal
and phase-elevation correction; ours is the pure core (equal to the tools' output: test_troposphericcorrection.py).

    .build/venv-bench/bin/python benchmarks/corrections/compare_mintpy.py
"""

from __future__ import annotations

import argparse
import glob
import os
import tempfile

import numpy as np
from chain_ours import read_tif  # the same reader as our side (it puts ROOT on sys.path: ``algorithms``)
from common import ROOT

MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")


def read(path):
    return read_tif(path)[0]


def load():
    from algorithms.formats.baselines import read_baselines
    from algorithms.formats.dates import parse_date_pair

    unw = sorted(glob.glob(os.path.join(MEXICO, "geotiffs", "*_unw.tif")))
    coh = sorted(glob.glob(os.path.join(MEXICO, "geotiffs", "*_cc.tif")))
    pairs = [parse_date_pair(p) for p in unw]
    table = read_baselines(sorted(glob.glob(os.path.join(MEXICO, "baselines", "*"))))
    return (np.stack([read(p) for p in unw]), np.stack([read(p) for p in coh]), pairs,
            np.array([table[p] for p in pairs]), read(os.path.join(MEXICO, "geotiffs", "cropA_T005A_dem.tif")),
            [os.path.basename(p) for p in unw])


def compare_network(ifg, coh, pairs, bperp, tmp):
    from mintpy.cli import modify_network as cli

    from algorithms.corrections.network_mod import modify_network
    from algorithms.formats.mintpy import write_ifgram_stack
    from algorithms.timeseries.network import build_network

    net = build_network(pairs, bperp_m=bperp)
    mean_coh = np.nanmean(coh.reshape(len(pairs), -1), axis=1)
    cases = [
        ("temporal <= 60 d, |bperp| <= 50 m, exclude 20180412",
         ["--max-tbase", "60", "--max-pbase", "50", "--ex-date", "20180412"],
         dict(max_temporal_baseline_days=60, max_perp_baseline_m=50, exclude_dates=["20180412"])),
        ("mean coherence >= 0.58, no MST", ["--coherence-based", "--min-coherence", "0.58", "--no-mst"],
         dict(mean_coherence=mean_coh, min_mean_coherence=0.58)),
        ("dates 20180130..20180623, exclude pair 20180307_20180506",
         ["--start-date", "20180130", "--end-date", "20180623", "--ex-date12", "20180307_20180506"],
         dict(start_date="20180130", end_date="20180623", exclude_pairs=["20180307_20180506"])),
    ]
    print("modify_network (drops compared pair by pair):")
    for label, args, kw in cases:
        h5 = os.path.join(tmp, "ifgramStack.h5")
        write_ifgram_stack(h5, ifg, pairs, coherence=coh, bperp_m=bperp, wavelength_m=0.0555)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                cli.main([h5, *args, "--mask", "no"] if "--coherence-based" in args else [h5, *args])
        finally:
            os.chdir(cwd)
        import h5py

        with h5py.File(h5, "r") as f:
            mint_keep = np.asarray(f["dropIfgram"][:], bool)
        ours = modify_network(net, allow_disconnected=True, **kw).keep
        same = int((mint_keep == ours).sum())
        print(f"  {label}: MintPy keeps {int(mint_keep.sum())}, we keep {int(ours.sum())}, "
              f"{same}/{len(pairs)} interferograms decided the same")


def compare_ramps(ifg, mask):
    from mintpy.objects.ramp import deramp

    from algorithms.corrections.ramps import remove_ramps

    print("remove_ramp (mintpy.objects.ramp.deramp, per interferogram, same mask):")
    for kind in ("linear", "quadratic"):
        worst = 0.0
        ours, _ = remove_ramps(ifg, kind=kind, mask=mask, min_pixels=100)
        for k in range(ifg.shape[0]):
            data = np.nan_to_num(ifg[k]).astype(np.float32)  # MintPy: 0 = no data
            out, _ = deramp(data, mask_in=mask.astype(np.float32), ramp_type=kind, max_num_sample=None)
            ok = np.isfinite(ifg[k])
            worst = max(worst, float(np.abs(out[ok] - ours[k][ok]).max()))
        print(f"  {kind}: largest difference {worst:.2e} rad over {ifg.shape[0]} interferograms "
              f"(values up to {np.nanmax(np.abs(ifg)):.1f} rad)")


def compare_phase_elevation(ifg, dem, mask, names, tmp):
    from argparse import Namespace

    from mintpy.tropo_phase_elevation import estimate_phase_elevation_ratio, estimate_tropospheric_delay
    from mintpy.utils import writefile

    from algorithms.corrections.troposphere import correct_phase_elevation

    mfile = os.path.join(tmp, "mask.h5")
    writefile.write({"mask": mask.astype(bool)}, out_file=mfile, metadata={"FILE_TYPE": "mask", "LENGTH": mask.shape[0],
                                                                         "WIDTH": mask.shape[1]})
    print("tropo_phase_elevation (MintPy's estimate on each interferogram as a 'date', same mask, no multilook):")
    rr, cc = np.nonzero(mask)
    for order in (1, 2):
        inps = Namespace(mask_file=mfile, threshold=0.0, poly_order=order, num_multilook=1, date_list=names)
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            x = estimate_phase_elevation_ratio(dem.copy(), np.nan_to_num(ifg).astype(np.float32), inps)
            delay = estimate_tropospheric_delay(dem, x, {"REF_Y": int(rr[0]), "REF_X": int(cc[0])})
        ours, our_delay = correct_phase_elevation(ifg, dem, order=order, mask=mask, min_pixels=100)
        worst = 0.0
        for k in range(ifg.shape[0]):
            ok = np.isfinite(ifg[k]) & np.isfinite(dem)
            d = (delay[k] - our_delay[k])[ok]
            worst = max(worst, float(np.abs(d - d.mean()).max()))
        # float64 least squares of the same model on the same pixels: which side is closer to exact arithmetic
        exact = 0.0
        for k in range(ifg.shape[0]):
            ok = np.isfinite(ifg[k]) & np.isfinite(dem)
            hc = dem - np.nanmean(dem[mask])  # centred: the same model, well conditioned in float64
            g = np.stack([hc[mask] ** i for i in range(order + 1)], axis=1)
            c = np.linalg.lstsq(g, ifg[k][mask], rcond=None)[0]
            full = sum(c[i] * hc ** i for i in range(1, order + 1))
            d = (full - our_delay[k])[ok]
            exact = max(exact, float(np.abs(d - d.mean()).max()))
        print(f"  order {order}: ours vs float64 numpy lstsq on centred heights {exact:.2e} rad")
        amp = float(np.nanmax(np.abs(delay)))
        print(f"  order {order}: largest difference of the removed delay {worst:.2e} rad (after removing one "
              f"constant per interferogram: MintPy zeroes it at the reference pixel, we at the lowest DEM height); "
              f"delays up to {amp:.2f} rad")


def main():
    argparse.ArgumentParser(description=__doc__).parse_args()
    ifg, coh, pairs, bperp, dem, names = load()
    valid = np.isfinite(ifg).all(axis=0) & np.isfinite(dem)
    cols = np.arange(ifg.shape[2])[None, :].repeat(ifg.shape[1], 0)
    stable = valid & (cols < 15)  # the western strip (uncorrected SBAS velocity within +-20 mm/yr)
    print(f"Mexico City stack: {ifg.shape[0]} interferograms, {ifg.shape[1]} x {ifg.shape[2]} px; "
          f"mask: {int(stable.sum())} px (western strip), whole-image mask: {int(valid.sum())} px")
    with tempfile.TemporaryDirectory() as tmp:
        compare_network(ifg, coh, pairs, bperp, tmp)
        compare_ramps(ifg, stable)
        compare_ramps(ifg, valid)
        compare_phase_elevation(ifg, dem, valid, names, tmp)


if __name__ == "__main__":
    main()

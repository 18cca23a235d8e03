"""Compact runs of the numba kernels, for tests/core/test_numba_targets.py (run in a subprocess).

``python numba_target_cases.py`` prints one JSON object: case name -> SHA-1 of the outputs' bytes. The
parent runs it with NUMBA_CPU_NAME set to different x86 targets (and a fresh NUMBA_CACHE_DIR) and
compares the digests. Each case exercises kernels of one module on inputs with NaN, odd shapes and
the branches that matter (near-plane fallback, disconnected networks, unwrapping errors ...).
"""

import datetime as dt
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins"))


def digest(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def okada(rng):
    from insar_geohazards.algorithms.faults.faults import Faults, discretize
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    f = Faults.create(east_m=[0.0, 9e3], north_m=[0.0, -4e3], strike_deg=[30.0, 115.0], dip_deg=[55.0, 85.0],
                      length_m=[16e3, 9e3], top_m=[0.0, 2e3], bottom_m=[12e3, 9e3], strike_slip_m=[0.5, -1.0],
                      dip_slip_m=[2.0, 0.3], opening_m=[0.0, 0.1])
    p, _ = discretize(f, patch_length_m=2e3, patch_width_m=2e3)
    table = p.table()
    table[:, 7:10] *= rng.uniform(0.5, 1.5, (len(p), 1))  # every patch its own slip: corners do not cancel
    e = np.concatenate([rng.uniform(-30e3, 30e3, 300), [0.0, 1e3 * np.sin(np.radians(30.0))]])
    n = np.concatenate([rng.uniform(-30e3, 30e3, 300), [0.0, 1e3 * np.cos(np.radians(30.0))]])
    out = []
    for depth in (0.0, 4e3):
        d, g = okada_displacement(e, n, table, up_m=-depth, gradients=True)
        out += [d, g]
    return digest(*out)


def sbas(rng):
    from insar_geohazards.algorithms.timeseries.network import build_network
    from insar_geohazards.algorithms.timeseries.sbas import SbasSolver

    d0 = dt.date(2020, 1, 1)
    dates = [d0 + dt.timedelta(days=12 * k) for k in range(10)]
    net = build_network([(dates[i], dates[j]) for i in range(10) for j in (i + 1, i + 2, i + 3) if j < 10])
    ifg = rng.normal(0, 3, (net.n_pairs, 9, 31))
    coh = rng.uniform(0.1, 0.95, ifg.shape)
    pat = rng.integers(0, 6, ifg.shape[1:])
    for k in range(1, 6):
        drop = rng.random(net.n_pairs) < 0.2
        if k % 2:
            drop |= (net.ref_index == 5) | (net.sec_index == 5)  # date 5 disconnected
        ifg[:, pat == k] = np.where(drop[:, None], np.nan, ifg[:, pat == k])
    out = []
    for kw in ({"min_count": 6}, {"min_count": 6, "group_min_pixels": 1}, {"weighting": "variance", "min_count": 6,
                                                                            "coherence_threshold": 0.2}):
        r = SbasSolver(net, **kw).solve(ifg, coherence=coh)
        out += [r.timeseries_mm, r.velocity_mm_yr, r.velocity_std_mm_yr, r.temporal_coherence]
    return digest(*out)


def phase_linking(rng):
    from insar_geohazards.algorithms.psds.phase_linking import phase_link

    n, rows, cols = 12, 15, 21
    ph = rng.uniform(-np.pi, np.pi, (1, rows, cols)) + np.cumsum(rng.normal(0, 0.4, (n, rows, cols)), axis=0)
    slc = (rng.rayleigh(1.0, (n, rows, cols)) * np.exp(1j * ph)).astype(np.complex64)
    out = []
    for method, shp in (("emi", "glrt"), ("evd", "ks")):
        r = phase_link(slc, window=(5, 7), method=method, shp_method=shp)
        out += [r.phase, r.temporal_coherence, r.shp_count]
    return digest(*out)


def distortion(rng):
    from insar_geohazards.algorithms.geometry.distortion import AcquisitionGeometry, distortion_map

    yy, xx = np.mgrid[0:27, 0:23]
    dem = 600 * np.exp(-((yy - 13) ** 2 + (xx - 11) ** 2) / 30.0) + rng.normal(0, 3, (27, 23))
    got = []
    distortion_map(lambda r0, r1: dem[r0:r1], lambda r0, r1, i, a: got.extend(np.asarray(v) for v in a.values()),
                   n_rows=27, n_cols=23, geometries=[AcquisitionGeometry(heading_deg=-170.0, incidence_deg=37.0)],
                   dx_rows_m=np.full(27, 20.0), dy_m=20.0, block_rows=27, background_write=False)
    return digest(*got)


def offset_series(rng):
    from insar_geohazards.algorithms.kinematics.offset_timeseries import offset_time_series

    t = np.arange(8) * 0.1
    pi = np.array([i for i in range(8) for j in (1, 2, 3) if i + j < 8])
    pj = np.array([i + j for i in range(8) for j in (1, 2, 3) if i + j < 8])
    v = rng.normal(0, 5, (2, 1, 50))
    obs = v * (t[pj] - t[pi])[None, :, None] + rng.normal(0, 0.05, (2, pi.size, 50))
    obs[0, 4, 7] += 5.0
    obs[1, 2, :6] = np.nan
    r = offset_time_series(obs, pi, pj, t, weights=rng.uniform(0.2, 1.0, (pi.size, 50)))
    return digest(*(r[k] for k in sorted(r)))


def unwrap(rng):
    from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram

    yy, xx = np.mgrid[0:40, 0:37]
    truth = 25.0 * np.exp(-((yy - 20) ** 2 + (xx - 18) ** 2) / 120.0)
    wrapped = np.angle(np.exp(1j * (truth + rng.normal(0, 0.3, truth.shape))))
    coh = np.clip(rng.normal(0.7, 0.2, truth.shape), 0, 1)
    coh[18:20] = 0.05
    r = unwrap_interferogram(wrapped, coh, min_component_size=5)
    return digest(r.unwrapped, r.components)


#: The cases the test runs (compiling is most of their cost: ~20 CPU-s for each target); the others run with
#: ``python tests/core/numba_target_cases.py sbas phase_linking ...`` or benchmarks/determinism/cross_target.sh.
QUICK = ("okada", "distortion")
def dense(rng):
    from insar_geohazards.algorithms.dense import pinv_tall, scaled_gram, sym_eig

    n = 40
    pairs = [(i, j) for i in range(n) for j in (i + 1, i + 2, i + 5) if j < n]
    lap = np.zeros((n, n))
    for i, j in pairs:
        w = rng.uniform(0.5, 1.5)
        lap[i, i] += w
        lap[j, j] += w
        lap[i, j] -= w
        lap[j, i] -= w
    lam, vec = sym_eig(lap)
    basis = np.stack([np.ones(n), np.linspace(-1, 1, n), np.sin(np.arange(n)), rng.normal(size=n)], 1)
    return digest(lam, vec, scaled_gram(vec[:, 1:], 1.0 / lam[1:]), pinv_tall(basis))


CASES = {"dense": dense, "okada": okada, "sbas": sbas, "phase_linking": phase_linking,
         "distortion": distortion, "offset_series": offset_series, "unwrap": unwrap}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CASES)
    print(json.dumps({name: CASES[name](np.random.default_rng(5)) for name in names}))

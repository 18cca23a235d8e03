"""Okada speed benchmark: ours vs cutde (CPU) vs a Python loop over okada_wrapper's DC3D.

Usage (cases.py): ``make-input FILE`` | ``ours FILE`` (QGIS Python) | ``peers FILE`` (bench venv) | ``grid``;
``grid-input FILE`` (QGIS Python) | ``grid-peers FILE`` (bench venv): the Coulomb grid's gradients against cutde's
``strain_free`` and DC3D. Rates are point-patch pairs per second (cutde's two triangles a rectangle count as one).
``grid`` (1,000 patches onto 500 x 500 nodes at 10 km) reads ``GRID_ROWS`` (rows timed) and ``GRID_SLIP``.
"""

import os
import time

import numpy as np
from common import steps

N_POINTS = 10_000


def make_input(path):
    from insar_geohazards.algorithms.faults.faults import discretize, faults_from_traces

    f = faults_from_traces([np.array([[-20e3, -5e3], [20e3, 5e3]])], dip_deg=45.0, top_m=1e3, bottom_m=15e3,
                           slip_m=1.0, rake_deg=60.0)
    p, _ = discretize(f, patch_length_m=2062.0, patch_width_m=1980.0)
    rng = np.random.default_rng(0)
    e = rng.uniform(-50e3, 50e3, N_POINTS)
    n = rng.uniform(-50e3, 50e3, N_POINTS)
    np.savez(path, e=e, n=n, table=p.table(), corners=p.corners())
    print(f"input: {N_POINTS} points x {len(p)} patches")


def _triangles(corners):
    """cutde's two triangles a rectangle: vertices in map coordinates, up +z."""
    c = corners * np.array([1.0, 1.0, -1.0])
    return np.stack([c[:, [0, 1, 2]], c[:, [0, 2, 3]]], axis=1).reshape(-1, 3, 3)


def _best(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ours(path):
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    d = np.load(path)
    e, n, table = d["e"], d["n"], d["table"]
    okada_displacement(e[:10], n[:10], table)
    okada_displacement(e[:10], n[:10], table, up_m=0.0, gradients=True)
    pairs = e.size * table.shape[0]
    t, disp = _best(lambda: okada_displacement(e, n, table))
    tg, _ = _best(lambda: okada_displacement(e, n, table, up_m=0.0, gradients=True))
    np.save(path.replace(".npz", "_ours_disp.npy"), disp)
    print(f"ours displacement: {t:.3f} s  {pairs / t / 1e6:.3f} M pairs/s")
    print(f"ours gradients:    {tg:.3f} s  {pairs / tg / 1e6:.3f} M pairs/s")
    # the input has uniform slip (the shared-corner path then needs 4 corners per plane): time a
    # variable-slip copy too, every patch different, as an inversion result would be
    tv = table.copy()
    tv[:, 7:10] *= np.random.default_rng(1).uniform(0.5, 1.5, (len(tv), 1))
    t, _ = _best(lambda: okada_displacement(e, n, tv))
    tg, _ = _best(lambda: okada_displacement(e, n, tv, up_m=0.0, gradients=True))
    print(f"ours displacement, variable slip: {t:.3f} s  {pairs / t / 1e6:.3f} M pairs/s")
    print(f"ours gradients, variable slip:    {tg:.3f} s  {pairs / tg / 1e6:.3f} M pairs/s")


def peers(path):
    d = np.load(path)
    e, n, table, corners = d["e"], d["n"], d["table"], d["corners"]
    pairs = e.size * table.shape[0]
    m = 1000  # okada_wrapper's DC3D in a Python loop, timed on 1,000 points (rate per pair)

    def loop():
        return _dc3d(table, e[:m], n[:m])

    t, ref = _best(loop, repeat=1)
    print(f"okada_wrapper DC3D loop: {m * table.shape[0] / t / 1e6:.3f} M pairs/s ({m} points)")
    ours_path = path.replace(".npz", "_ours_disp.npy")
    if os.path.exists(ours_path):
        ours_disp = np.load(ours_path)[:m]
        err = np.abs(ours_disp - ref).max() / np.abs(ref).max()
        print(f"max |ours - DC3D| / max|DC3D| = {err:.2e} (same points, same patches)")
    # --- cutde CPU: two triangles per rectangle, slip in each triangle's own frame
    import cutde.halfspace as hs

    tri = _triangles(corners)
    obs = np.stack([e, n, np.zeros_like(e)], axis=1)
    slip = np.zeros((tri.shape[0], 3))
    slip[:, 0] = np.repeat(table[:, 7], 2)
    slip[:, 1] = np.repeat(table[:, 8], 2)
    hs.disp_free(obs[:10], tri, slip, 0.25)
    t, _ = _best(lambda: hs.disp_free(obs, tri, slip, 0.25))
    print(f"cutde disp_free:   {t:.3f} s  {pairs / t / 1e6:.3f} M pairs/s (rectangle = 2 triangles)")
    k = 1000
    hs.strain_matrix(obs[:10], tri, 0.25)
    t, _ = _best(lambda: hs.strain_matrix(obs[:k], tri, 0.25), repeat=1)
    print(f"cutde strain_matrix: {k * len(table) / t / 1e6:.3f} M pairs/s ({k} points)")


def grid_source(mode):
    """The grid benchmark's 1,000 patches (Okada table and corners) and its 500 x 500 nodes."""
    from insar_geohazards.algorithms.faults.faults import discretize, faults_from_traces

    f = faults_from_traces([np.array([[-40e3, 0.0], [40e3, 0.0]])], dip_deg=60.0, top_m=0.0, bottom_m=20e3,
                           slip_m=2.0, rake_deg=120.0)
    p, idx = discretize(f, patch_length_m=2000.0, patch_width_m=920.0)
    table = p.table()
    if mode == "variable":
        # an inversion-like slip model: smooth elliptical taper x random factor per patch,
        # every patch different (no interior corner cancels)
        u = (idx[:, 1] + 0.5) / (idx[:, 1].max() + 1)
        v = (idx[:, 2] + 0.5) / (idx[:, 2].max() + 1)
        taper = np.sqrt(np.clip(1.0 - (2 * u - 1) ** 2, 0, None) * np.clip(1.0 - (2 * v - 1) ** 2, 0, None))
        table[:, 7:9] *= (taper * np.random.default_rng(0).uniform(0.5, 1.5, len(p)))[:, None]
    x = np.linspace(-100e3, 100e3, 500)
    xx, yy = np.meshgrid(x, x + 1.0)
    return table, p.corners(), xx, yy


def grid():
    from insar_geohazards.algorithms.faults.stress import coulomb_at_points

    mode = os.environ.get("GRID_SLIP", "uniform")
    table, _, xx, yy = grid_source(mode)
    n_patches = len(table)
    coulomb_at_points(xx[:2, :2], yy[:2, :2], 10e3, table, strike_deg=90.0, dip_deg=60.0, rake_deg=90.0)
    rows = int(os.environ.get("GRID_ROWS", "50"))  # GRID_ROWS=500: the full grid
    t = time.perf_counter()
    c = time.process_time()
    coulomb_at_points(xx[:rows], yy[:rows], 10e3, table, strike_deg=90.0, dip_deg=60.0, rake_deg=90.0)
    dc = time.process_time() - c
    dt = time.perf_counter() - t
    print(f"Coulomb map ({mode} slip): {n_patches} patches onto {rows}x500 of a 500x500 "
          f"grid at 10 km depth: {dt:.1f} s -> full grid {dt * 500 / rows:.1f} s "
          f"({rows * 500 * n_patches / dt / 1e6:.3f} M point-patch pairs/s); CPU {dc * 500 / rows:.1f} s "
          f"(user+sys, full grid)")


def _subset(xx, yy, k):
    """Every k-th node of the grid in row-major order (spread over the whole grid, near-plane rows too)."""
    return xx.ravel()[::k], yy.ravel()[::k]


def grid_input(path):
    """Ours (QGIS's Python): the variable-slip grid problem for the peers, with our displacement gradients at
    every ``GRID_PEER_STEP``-th node (default 125: 2,000 nodes) and our timings on them and on the full grid
    (wall and CPU seconds, all threads)."""
    from insar_geohazards.algorithms.faults.okada import okada_gradients

    table, corners, xx, yy = grid_source("variable")
    e, n = _subset(xx, yy, int(os.environ.get("GRID_PEER_STEP", "125")))
    okada_gradients(e[:5], n[:5], table, up_m=-10e3)
    t, c = time.perf_counter(), time.process_time()
    grad = okada_gradients(e, n, table, up_m=-10e3)
    sub_wall, sub_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    okada_gradients(xx, yy, table, up_m=-10e3)
    full_wall, full_cpu = time.perf_counter() - t, time.process_time() - c
    np.savez(path, table=table, corners=corners, e=e, n=n, grad=grad)
    pairs = e.size * len(table)
    print(f"ours okada_gradients, {e.size} nodes x {len(table)} patches: {sub_wall:.3f} s wall, {sub_cpu:.3f} s CPU "
          f"= {pairs / sub_cpu / 1e6:.1f} M pairs per CPU-s")
    print(f"ours okada_gradients, full 500 x 500 grid: {full_wall:.2f} s wall, {full_cpu:.2f} s CPU "
          f"= {xx.size * len(table) / full_cpu / 1e6:.1f} M pairs per CPU-s")


def _dc3d(table, e, n, z=0.0, gradients=False):
    """okada_wrapper's DC3D in a Python loop over patches and points (alpha 2/3), in east/north/up: displacements
    (n, 3) or, with ``gradients``, the 9 gradients (n, 3, 3)."""
    from okada_wrapper import dc3dwrapper

    out = np.zeros((e.size, 3, 3) if gradients else (e.size, 3))
    for s in table:
        phi = np.radians(s[3])
        sp, cp = np.sin(phi), np.cos(phi)
        x, y = (e - s[0]) * sp + (n - s[1]) * cp, -(e - s[0]) * cp + (n - s[1]) * sp
        for i in range(e.size):
            _, u, g = dc3dwrapper(2.0 / 3.0, [x[i], y[i], z], s[2], s[4], [0.0, s[5]], [0.0, s[6]], [s[7], s[8], s[9]])
            if gradients:
                out[i] += _rotate_grad(np.asarray(g).T, phi)  # okada_wrapper gives g[j][i] = du_i/dx_j
            else:
                out[i] += (u[0] * sp - u[1] * cp, u[0] * cp + u[1] * sp, u[2])
    return out


def _rotate_grad(g_ok, phi):
    """Okada-frame gradient (DC3D order: d/dx, d/dy, d/dz columns of u) -> east/north/up."""
    sp, cp = np.sin(phi), np.cos(phi)
    r = np.array([[sp, -cp, 0.0], [cp, sp, 0.0], [0.0, 0.0, 1.0]])
    return r @ g_ok @ r.T


def _tensor(s6):
    """cutde's six strain components (xx, yy, zz, xy, xz, yz) as (n, 3, 3) tensors."""
    out = np.empty((len(s6), 3, 3))
    out[:, 0, 0], out[:, 1, 1], out[:, 2, 2] = s6[:, 0], s6[:, 1], s6[:, 2]
    out[:, 0, 1] = out[:, 1, 0] = s6[:, 3]
    out[:, 0, 2] = out[:, 2, 0] = s6[:, 4]
    out[:, 1, 2] = out[:, 2, 1] = s6[:, 5]
    return out


def _cutde_strain(table, corners, e, n, grad):
    """cutde's strain_free on the nodes, timed (CPU seconds), and its difference from ours."""
    import cutde.halfspace as hs

    pairs = e.size * len(table)
    ours_strain = 0.5 * (grad + np.swapaxes(grad, -1, -2))
    tri = _triangles(corners)  # slip (strike, dip, tensile) in each triangle's frame
    obs = np.stack([e, n, np.full_like(e, -10e3)], axis=1)
    hs.strain_free(obs[:4], tri, np.zeros((len(tri), 3)), 0.25)
    best = None
    for sgn in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        slip = np.zeros((len(tri), 3))
        slip[:, 0] = sgn[0] * np.repeat(table[:, 7], 2)
        slip[:, 1] = sgn[1] * np.repeat(table[:, 8], 2)
        k = min(200, e.size)
        cs = _tensor(hs.strain_free(obs[:k], tri, slip, 0.25))
        err = np.nanmax(np.abs(cs - ours_strain[:k])) / np.nanmax(np.abs(ours_strain[:k]))
        if best is None or err < best[0]:
            best = (err, slip, sgn)
    err, slip, sgn = best
    t, cpu = time.perf_counter(), time.process_time()
    s6 = hs.strain_free(obs, tri, slip, 0.25)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    cs = _tensor(s6)
    ok = np.all(np.isfinite(cs), axis=(1, 2)) & np.all(np.isfinite(ours_strain), axis=(1, 2))
    err = np.abs(cs[ok] - ours_strain[ok]).max() / np.abs(ours_strain[ok]).max()
    print(f"cutde strain_free, {e.size} nodes x {len(table)} rectangles (= {len(tri)} triangles): {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU = {pairs / cpu / 1e6:.3f} M pairs per CPU-s; -> full 500 x 500 grid "
          f"{cpu * 250_000 / e.size:.0f} CPU s")
    print(f"max |ours - cutde| / max |strain| = {err:.1e} over {ok.sum()} nodes (cutde slip signs {sgn})")


def grid_peers(path):
    """Peers (bench venv): cutde's matrix-free strain (2 triangles per rectangle) and Okada's DC3D
    (okada_wrapper, when importable) on the nodes of ``grid-input``; accuracy of ours against both."""
    d = np.load(path)
    table, corners, e, n, grad = d["table"], d["corners"], d["e"], d["n"], d["grad"]
    try:
        import cutde.halfspace  # noqa: F401
    except ImportError:
        print("cutde not importable here: cutde comparison skipped")
    else:
        _cutde_strain(table, corners, e, n, grad)
    try:
        import okada_wrapper  # noqa: F401
    except ImportError:
        print("okada_wrapper not importable here: DC3D comparison skipped")
        return
    m = int(os.environ.get("GRID_DC3D_NODES", "200"))
    sel = np.arange(0, e.size, max(1, e.size // m))[:m]
    t = time.process_time()
    ref = _dc3d(table, e[sel], n[sel], -10e3, gradients=True)
    cpu = time.process_time() - t
    err = np.abs(grad[sel] - ref).max() / np.abs(ref).max()
    print(f"okada_wrapper DC3D loop: {sel.size * len(table) / cpu / 1e6:.3f} M pairs per CPU-s ({sel.size} nodes); "
          f"max |ours - DC3D| / max |DC3D| (9 gradients) = {err:.1e}")


if __name__ == "__main__":
    steps(__doc__, make_input=make_input, ours=ours, peers=peers, grid=grid, grid_input=grid_input,
          grid_peers=grid_peers)

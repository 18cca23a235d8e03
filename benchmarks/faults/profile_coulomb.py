"""Where the time of the Coulomb map goes, per point-patch pair, and how far it is from the flop floor.

Usage: ``/usr/bin/python3 benchmarks/faults/profile_coulomb.py`` (QGIS's Python, numba). The work is
``bench_okada.py grid``'s (1,000 patches of one plane, a different slip on each, a 500 x 500 grid of nodes at
10 km depth). Every stage is timed on ONE numba thread (CPU seconds of one core, so a shared machine
disturbs it less than the wall time of two threads) on ``PROFILE_ROWS`` rows of the grid (default 500: all) and
scaled to the full grid:

* ``plane_groups``: patches -> distinct corners with their net (slip-weighted) coefficients, once per map;
* the corner loops of the kernel, split into the real source's part A and the image source's parts A, B, C,
  with and without DC3D's displacement terms (the map needs only the 9 derivatives);
* the per-station rest (near-plane test, DC3D's final combination, strike rotation, per-patch fallback near
  the plane): the whole gradient kernel minus its corner loops;
* stress and Coulomb projection (``stress_from_gradient``, ``resolve_on_planes``, ``optimal_rake_on_planes``).

The flop count is read from the machine code of the vectorised station loops (packed instructions of the
vector body, times the lanes), so it is the work the CPU really does per (corner, station).
"""

import os
import re
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
# a fresh numba cache: numba shows no machine code for kernels it loads from its cache
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="profile_coulomb_")


def grid_problem(rows):
    from insar_geohazards.algorithms.elastic.faults import discretize, faults_from_traces

    f = faults_from_traces([np.array([[-40e3, 0.0], [40e3, 0.0]])], dip_deg=60.0, top_m=0.0, bottom_m=20e3,
                           slip_m=2.0, rake_deg=120.0)
    p, idx = discretize(f, patch_length_m=2000.0, patch_width_m=920.0)
    table = p.table()
    u = (idx[:, 1] + 0.5) / (idx[:, 1].max() + 1)
    v = (idx[:, 2] + 0.5) / (idx[:, 2].max() + 1)
    taper = np.sqrt(np.clip(1.0 - (2 * u - 1) ** 2, 0, None) * np.clip(1.0 - (2 * v - 1) ** 2, 0, None))
    table[:, 7:9] *= (taper * np.random.default_rng(0).uniform(0.5, 1.5, len(p)))[:, None]
    x = np.linspace(-100e3, 100e3, 500)
    xx, yy = np.meshgrid(x, x + 1.0)
    return table, xx[:rows].ravel(), yy[:rows].ravel()


def cpu(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def loop_flops(fn):
    """Scalar-equivalent floating-point operations per station of the station loop's vector body: the
    packed (ymm/zmm) adds, subtracts, multiplies, divides, square roots, min/max, compares and blends of
    the function's machine code, each times its lanes, over the lanes (the vector body is the only code
    with packed divides). Returns (arithmetic flops, divides, square roots)."""
    # the int64 specialisation (numba may also have compiled one for a literal station count while typing)
    asm = max((fn.inspect_asm(sig) for sig in fn.signatures), key=lambda a: a.count("pd\t"))
    ops = {"add": 0, "div": 0, "sqrt": 0}
    lanes = 8 if "zmm" in asm else 4
    reg = "zmm" if lanes == 8 else "ymm"
    for line in asm.splitlines():
        m = re.match(r"\s+v(add|sub|mul|div|sqrt|fmadd\w*|fmsub\w*|fnmadd\w*|fnmsub\w*)pd\s+.*%" + reg, line)
        if not m:
            continue
        op = m.group(1)
        if op == "div":
            ops["div"] += 1
        elif op == "sqrt":
            ops["sqrt"] += 1
        else:
            ops["add"] += 2 if op.startswith(("fmadd", "fmsub", "fnmadd", "fnmsub")) else 1
    return ops["add"], ops["div"], ops["sqrt"]


def main():
    import numba

    from insar_geohazards.algorithms.elastic import okada, okada_block
    from insar_geohazards.algorithms.elastic.okada_planes import plane_groups
    from insar_geohazards.algorithms.elastic.stress import (
        optimal_rake_on_planes,
        resolve_on_planes,
        stress_from_gradient,
    )

    rows = int(os.environ.get("PROFILE_ROWS", "500"))
    table, e, n = grid_problem(rows)
    scale = 500 / rows
    n_nodes = 250_000
    pairs = n_nodes * len(table)
    numba.set_num_threads(1)
    z = np.full(e.size, -10e3)
    okada.okada_gradients(e[:70], n[:70], table, up_m=-10e3)
    okada.okada_displacement(e[:70], n[:70], table, up_m=-10e3, gradients=True)
    t_groups, pieces = cpu(lambda: plane_groups(table))
    groups, cstart, corners, mstart, members, rest = pieces
    n_corners = int(cstart[-1])
    t_grad, grad = cpu(lambda: okada.okada_gradients(e, n, table, up_m=-10e3))
    t_both, _ = cpu(lambda: okada.okada_displacement(e, n, table, up_m=-10e3, gradients=True))
    alpha = okada.alpha_from_poisson(0.25)
    out = np.empty((e.size, 12))
    t_nocorner, _ = cpu(lambda: okada_block._gradients_kernel(alpha, e, n, z, table, groups, np.zeros_like(cstart),
                                                              corners, mstart, members, rest, False, out))
    # the corner loops alone, on blocks of 64 stations of the grid (their p, q as the kernel makes them)
    grp = groups[0]
    sd, cd = grp[5], grp[6]
    de = e - grp[0]
    dn = n - grp[1]
    x = de * grp[3] + dn * grp[4]
    y = -de * grp[4] + dn * grp[3]
    mb = okada_block.BLOCK_STATIONS
    nb = min(64, e.size // mb)
    w_blocks = []
    for b in range(nb):
        s = slice(b * mb, (b + 1) * mb)
        wb = np.zeros(okada_block._NW)
        wb[okada_block._OX:okada_block._OX + mb] = x[s]
        wb[okada_block._OZ:okada_block._OZ + mb] = -10e3
        wb[okada_block._OP0:okada_block._OP0 + mb] = y[s] * cd + (grp[2] - 10e3) * sd
        wb[okada_block._OQ0:okada_block._OQ0 + mb] = y[s] * sd - (grp[2] - 10e3) * cd
        wb[okada_block._OP1:okada_block._OP1 + mb] = y[s] * cd + (grp[2] + 10e3) * sd
        wb[okada_block._OQ1:okada_block._OQ1 + mb] = y[s] * sd - (grp[2] + 10e3) * cd
        w_blocks.append(wb)
    alp = ((1.0 - alpha) / 2.0, alpha / 2.0, (1.0 - alpha) / alpha, 1.0 - alpha, alpha)

    @numba.njit(error_model="numpy")
    def corners_real(fn, w_all, corners, n_corners, mb, sd, cd, alp1, alp2):
        for b in range(w_all.shape[0]):
            w = w_all[b]
            for ic in range(n_corners):
                fn(mb, w, corners[ic, 0], corners[ic, 1], corners[ic, 2], corners[ic, 3], corners[ic, 4], sd, cd,
                   alp1, alp2)

    @numba.njit(error_model="numpy")
    def corners_image(fn, w_all, corners, n_corners, mb, sd, cd, alp1, alp2, alp3, alp4, alp5):
        for b in range(w_all.shape[0]):
            w = w_all[b]
            for ic in range(n_corners):
                fn(mb, w, corners[ic, 0], corners[ic, 1], corners[ic, 2], corners[ic, 3], corners[ic, 4], sd, cd,
                   alp1, alp2, alp3, alp4, alp5)

    w_all = np.array(w_blocks)

    def corner_loop(fn, image):
        if image:
            run = lambda: corners_image(fn, w_all.copy(), corners, n_corners, mb, sd, cd, *alp)  # noqa: E731
        else:
            run = lambda: corners_real(fn, w_all.copy(), corners, n_corners, mb, sd, cd, alp[0], alp[1])  # noqa: E731
        run()
        t, _ = cpu(run)
        return t / (nb * mb * n_corners)  # s per (corner, station)

    per_cs = {
        "real part A (9 derivatives)": corner_loop(okada_block._real_part_a_grad, False),
        "image parts A+B+C (9 derivatives)": corner_loop(okada_block._image_parts_abc_grad, True),
        "real part A (+ displacement)": corner_loop(okada_block._real_part_a, False),
        "image parts A+B+C (+ displacement)": corner_loop(okada_block._image_parts_abc, True),
    }
    sig = stress_from_gradient(grad, shear_modulus_pa=3.2e10, poisson=0.25)
    t_stress, sig = cpu(lambda: stress_from_gradient(grad, shear_modulus_pa=3.2e10, poisson=0.25))
    t_proj, _ = cpu(lambda: (resolve_on_planes(sig, 90.0, 60.0, 90.0, friction=0.4),
                             optimal_rake_on_planes(sig, 90.0, 60.0, friction=0.4)))
    n_cs = n_nodes * n_corners
    print(f"{len(table)} patches -> {n_corners} distinct corners ({n_corners / len(table):.2f} per patch); "
          f"{rows} x 500 nodes timed on 1 thread, CPU s scaled to the 500 x 500 grid")
    print(f"  plane_groups (slip-weighted corner coefficients, once): {t_groups:.3f} s")
    print(f"  okada_gradients (the map's kernel):      {t_grad * scale:7.2f} CPU s = "
          f"{t_grad * scale / pairs * 1e9:.1f} ns per point-patch pair")
    print(f"  okada_displacement + gradients:          {t_both * scale:7.2f} CPU s")
    print(f"  kernel without corners (near-plane test, combination, rotation, per-patch fallback): "
          f"{t_nocorner * scale:.2f} CPU s")
    for k, v in per_cs.items():
        print(f"  corner loop, {k}: {v * 1e9:.2f} ns per (corner, station) -> {v * n_cs:.2f} CPU s for the grid")
    print(f"  stress from gradient: {t_stress * scale:.2f} CPU s; Coulomb projection + optimal rake: "
          f"{t_proj * scale:.2f} CPU s")
    # flops of the vectorised station loops (grad-only variants: what the map runs)
    tot = [0, 0, 0]
    for fn in (okada_block._real_part_a_grad, okada_block._image_parts_abc_grad):
        f = loop_flops(fn)
        print(f"  {fn.__name__}: packed ops in the machine code: {f[0]} add/sub/mul, {f[1]} div, {f[2]} sqrt "
              "(vector body and its epilogue)")
        tot = [a + b for a, b in zip(tot, f)]
    print(f"  sum: {tot}")
    print(f"  corners x nodes = {n_cs / 1e6:.0f} M (corner, station) evaluations")


if __name__ == "__main__":
    main()

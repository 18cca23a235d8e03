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

import math
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


def unit_costs():
    """Measured CPU time per station-lane of the CPU's packed add/mul, divide and square root, on one core:
    numba loops over 256 contiguous doubles (in L1, vectorised like the kernel's station loops), each element
    going through 4 independent chains of 16 operations. Returns seconds per operation and element."""
    import numba

    @numba.njit(error_model="numpy")
    def arith_once(a, out):
        for i in range(a.size):
            x = a[i] + out[i] * 0.0  # depends on the last repetition: nothing to hoist
            y0 = x * 1.0000001 + 0.5
            y1 = x * 1.0000002 + 0.25
            y2 = x * 1.0000003 + 0.16666666666666666
            y3 = x * 1.0000004 + 0.125
            y0 = y0 * 0.9999999 + 0.25
            y1 = y1 * 0.9999998 + 0.125
            y2 = y2 * 0.9999997 + 0.08333333333333333
            y3 = y3 * 0.9999996 + 0.0625
            y0 = y0 * 0.9999998 + 0.125
            y1 = y1 * 0.9999997 + 0.08333333333333333
            y2 = y2 * 0.9999996 + 0.0625
            y3 = y3 * 0.9999995 + 0.05
            y0 = y0 * 0.9999997 + 0.08333333333333333
            y1 = y1 * 0.9999996 + 0.0625
            y2 = y2 * 0.9999995 + 0.05
            y3 = y3 * 0.9999994 + 0.041666666666666664
            y0 = y0 * 0.9999996 + 0.0625
            y1 = y1 * 0.9999995 + 0.05
            y2 = y2 * 0.9999994 + 0.041666666666666664
            y3 = y3 * 0.9999993 + 0.03571428571428571
            y0 = y0 * 0.9999995 + 0.05
            y1 = y1 * 0.9999994 + 0.041666666666666664
            y2 = y2 * 0.9999993 + 0.03571428571428571
            y3 = y3 * 0.9999992 + 0.03125
            y0 = y0 * 0.9999994 + 0.041666666666666664
            y1 = y1 * 0.9999993 + 0.03571428571428571
            y2 = y2 * 0.9999992 + 0.03125
            y3 = y3 * 0.9999991 + 0.027777777777777776
            y0 = y0 * 0.9999993 + 0.03571428571428571
            y1 = y1 * 0.9999992 + 0.03125
            y2 = y2 * 0.9999991 + 0.027777777777777776
            y3 = y3 * 0.999999 + 0.025
            out[i] += (y0 + y1) + (y2 + y3)

    @numba.njit(error_model="numpy")
    def div_once(a, b, out):
        for i in range(a.size):
            x = a[i] + out[i] * 0.0
            out[i] += (x / b[i] + b[i] / x) + (1.0 / x + 2.0 / b[i])

    @numba.njit(error_model="numpy")
    def sqrt_once(a, b, out):
        for i in range(a.size):
            x = a[i] + out[i] * 0.0
            out[i] += (math.sqrt(x) + math.sqrt(b[i])) + (math.sqrt(x + 1.0) + math.sqrt(b[i] + 1.0))

    # the repetitions outside the vectorised loop's function (LLVM does not vectorise it inside another loop)
    @numba.njit(error_model="numpy")
    def arith(a, out, reps):
        for _ in range(reps):
            arith_once(a, out)

    @numba.njit(error_model="numpy")
    def div(a, b, out, reps):
        for _ in range(reps):
            div_once(a, b, out)

    @numba.njit(error_model="numpy")
    def sqrt(a, b, out, reps):
        for _ in range(reps):
            sqrt_once(a, b, out)

    a = np.linspace(1.0, 2.0, 256)
    b = np.linspace(3.0, 4.0, 256)
    out = np.zeros(256)
    reps = 50_000
    arith(a, out, 10)
    div(a, b, out, 10)
    sqrt(a, b, out, 10)
    t_arith, _ = cpu(lambda: arith(a, out, reps))
    t_div, _ = cpu(lambda: div(a, b, out, reps))
    t_sqrt, _ = cpu(lambda: sqrt(a, b, out, reps))
    n = reps * a.size
    # per element: 69 add/mul (4 chains of 16, 3 to combine them, 2 for the dependence); 4 divides (+5 adds);
    # 4 square roots (+7 adds)
    return t_arith / (69 * n), t_div / (4 * n), t_sqrt / (4 * n)


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
    # the per-station kernel (corner loop inside the station loop, libm log/atan, scalar) on every 10th row
    # of the grid, against the block kernel on the same rows
    _, e10, n10 = grid_problem(500)
    e10 = e10.reshape(500, 500)[::10].ravel()
    n10 = n10.reshape(500, 500)[::10].ravel()
    out10 = np.empty((e10.size, 12))
    z10 = np.full(e10.size, -10e3)
    okada._sum_sources_kernel(alpha, e10[:5], n10[:5], z10[:5], table, *pieces, True, True, out10[:5])
    t_station, _ = cpu(lambda: okada._sum_sources_kernel(alpha, e10, n10, z10, table, *pieces, True, True, out10),
                       repeat=1)
    t_block10, _ = cpu(lambda: okada.okada_gradients(e10, n10, table, up_m=-10e3))
    sig = stress_from_gradient(grad, shear_modulus_pa=3.2e10, poisson=0.25)
    t_stress, sig = cpu(lambda: stress_from_gradient(grad, shear_modulus_pa=3.2e10, poisson=0.25))
    t_proj, _ = cpu(lambda: (resolve_on_planes(sig, 90.0, 60.0, 90.0, friction=0.4),
                             optimal_rake_on_planes(sig, 90.0, 60.0, friction=0.4)))
    n_cs = n_nodes * n_corners
    print(f"{len(table)} patches -> {n_corners} distinct corners ({n_corners / len(table):.2f} per patch); "
          f"{rows} x 500 nodes timed on 1 thread, CPU s scaled to the 500 x 500 grid")
    print(f"  plane_groups (slip-weighted corner coefficients, once): {t_groups:.3f} s")
    print(f"  every 10th row: per-station kernel (previous path) {t_station * 10:.2f} CPU s, block kernel "
          f"{t_block10 * 10:.2f} CPU s for the grid ({t_station / t_block10:.1f}x)")
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
    add, ndiv, nsqrt = tot
    per_add, per_div, per_sqrt = unit_costs()
    print(f"  per (corner, station): {add} add/sub/mul, {ndiv} div, {nsqrt} sqrt (the two station loops)")
    print(f"  measured on this core, per element (vectorised): add/mul {per_add * 1e12:.0f} ps, "
          f"div {per_div * 1e12:.0f} ps, sqrt {per_sqrt * 1e12:.0f} ps")
    t_fp = add * per_add
    t_dv = ndiv * per_div + nsqrt * per_sqrt
    actual = per_cs["real part A (9 derivatives)"] + per_cs["image parts A+B+C (9 derivatives)"]
    print(f"  floor per (corner, station): add/mul {t_fp * 1e9:.2f} ns, div+sqrt {t_dv * 1e9:.2f} ns "
          f"(sum {(t_fp + t_dv) * 1e9:.2f} ns, max {max(t_fp, t_dv) * 1e9:.2f} ns) vs measured {actual * 1e9:.2f} ns")
    print(f"  corners x nodes = {n_cs / 1e6:.0f} M (corner, station) evaluations: floor for the grid "
          f"{max(t_fp, t_dv) * n_cs:.2f}-{(t_fp + t_dv) * n_cs:.2f} CPU s, i.e. "
          f"{max(t_fp, t_dv) * n_cs / 2:.2f}-{(t_fp + t_dv) * n_cs / 2:.2f} s on 2 cores")
    print(f"  flops per point-patch pair: {(add + ndiv + nsqrt) * n_cs / pairs:.0f} "
          f"({add + ndiv + nsqrt} per (corner, station) x {n_corners / len(table):.3f} corners per patch)")


if __name__ == "__main__":
    main()

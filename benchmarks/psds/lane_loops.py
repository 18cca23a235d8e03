"""The batch's lanes written as a loop over the lane axis: this probe's own passes against the kernels' (``batch.py``).

The probe of the choice of docs/architecture.md ("Kernels written once"), kept to measure the forms side by side: DS
phase linking's regularised ``|G|`` inverse (:func:`.batch._real_spd_inverse_b`, a Cholesky factor, triangular
solves, ``U U^T``: dependent chains, the costliest step of EMI) written once in plain Python with ``for q in
range(LANES)``, here compiled as a lane loop as it is, unrolled and sliced by this probe's own small passes, against
the kernel :mod:`.lane_passes` makes of ``batch.py`` ("generated lanes" below) and its numpy form (``batch_numpy``).
Both compiled with :func:`~algorithms._numba.njit_slp`; the plain form also run as numpy by handing it arrays whose
lane axis is a whole tile of pixels (the loop over ``q`` then runs ``LANES`` times over slices). Prints whether the
bytes agree, each form's CPU time on the same batches (best of ``REPEAT``), and each form's compile CPU time.

    /usr/bin/python3 benchmarks/psds/lane_loops.py [N_DATES] [BATCHES] [REPEAT]
"""

from __future__ import annotations

import ast
import copy
import inspect
import os
import sys
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms._numba import njit_slp  # noqa: E402
from insar_geohazards.algorithms.psds.phase_linking import batch, batch_numpy  # noqa: E402

LANES = batch.LANES


def spd_inverse_lanes(gtr, gti, beta, p, u, inv, t, ok, n, y, z, w):
    """:func:`.batch._real_spd_inverse_b` with each lane statement written once, in a loop over the lanes (``y``,
    ``z``, ``w``: a lane's scalars, ``(LANES,)``). The same operations per lane in the same order."""
    lanes = ok.shape[0]
    scale = 1.0 - beta
    for k in range(n):
        for i in range(k, n):
            for q in range(lanes):
                a = gtr[k, i, q]
                c = gti[k, i, q]
                p[k, i, q] = scale * np.sqrt(a * a + c * c)
        for q in range(lanes):
            p[k, k, q] = 1.0
    for q in range(lanes):
        ok[q] = True
    for j in range(n):
        k = 0
        while k + 2 <= j:
            for q in range(lanes):
                y[q] = p[k, j, q]
                z[q] = p[k + 1, j, q]
            for i in range(j, n):
                for q in range(lanes):
                    p[j, i, q] = (p[j, i, q] - p[k, i, q] * y[q]) - p[k + 1, i, q] * z[q]
            k += 2
        if k < j:
            for q in range(lanes):
                y[q] = p[k, j, q]
            for i in range(j, n):
                for q in range(lanes):
                    p[j, i, q] = p[j, i, q] - p[k, i, q] * y[q]
        for q in range(lanes):
            s = p[j, j, q]
            f = s <= 0.0
            ok[q] = ok[q] and not f
            w[q] = np.sqrt(1.0 if f else s)
        for i in range(j, n):
            for q in range(lanes):
                p[j, i, q] = p[j, i, q] / w[q]
        for q in range(lanes):
            p[j, j, q] = w[q]
    for j in range(n):
        for i in range(j, n):
            for q in range(lanes):
                t[i, q] = 0.0
        for q in range(lanes):
            t[j, q] = 1.0
        k = j
        while k < n:
            for q in range(lanes):
                y[q] = t[k, q] / p[k, k, q]
                u[j, k, q] = y[q]
            if k + 1 == n:
                break
            for q in range(lanes):
                z[q] = (t[k + 1, q] - p[k, k + 1, q] * y[q]) / p[k + 1, k + 1, q]
                u[j, k + 1, q] = z[q]
            for i in range(k + 2, n):
                for q in range(lanes):
                    t[i, q] = (t[i, q] - p[k, i, q] * y[q]) - p[k + 1, i, q] * z[q]
            k += 2
    for i in range(n):
        for j in range(i, n):
            for q in range(lanes):
                w[q] = 0.0
            for k in range(j, n):
                for q in range(lanes):
                    w[q] += u[j, k, q] * u[i, k, q]
            for q in range(lanes):
                inv[i, j, q] = w[q]
                inv[j, i, q] = w[q]


class _Unroll(ast.NodeTransformer):
    """Each ``for <q> in range(<anything>)`` loop (the lane loop: ``q`` its variable) becomes its statements written
    once per lane, statement by statement (all lanes of a statement before the next: loads before stores, as the
    template writes them): ``q`` the lane's number, a name the loop assigns suffixed with it (a lane's own scalar),
    and ``s[q]`` of a lane-scratch array ``s`` (``scratch``) that lane's scalar ``s_<lane>``."""

    def __init__(self, var, lanes, scratch):
        self.var, self.lanes, self.scratch = var, lanes, set(scratch)

    def visit_For(self, node):
        self.generic_visit(node)
        if not (isinstance(node.target, ast.Name) and node.target.id == self.var):
            return node
        local = {t.id for s in node.body for t in ast.walk(s) if isinstance(t, ast.Name)
                 and isinstance(t.ctx, ast.Store)}
        out = []
        for stmt in node.body:
            for lane in range(self.lanes):
                out.append(_Lane(self.var, lane, local, self.scratch).visit(copy.deepcopy(stmt)))
        return out


class _Lane(ast.NodeTransformer):
    def __init__(self, var, lane, local, scratch):
        self.var, self.lane, self.local, self.scratch = var, lane, local, scratch

    def visit_Name(self, node):
        if node.id == self.var:
            return ast.copy_location(ast.Constant(self.lane), node)
        if node.id in self.local:
            return ast.copy_location(ast.Name(f"{node.id}_{self.lane}", node.ctx), node)
        return node

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.scratch and isinstance(node.slice, ast.Name) \
                and node.slice.id == self.var:
            return ast.copy_location(ast.Name(f"{node.value.id}_{self.lane}", node.ctx), node)
        self.generic_visit(node)
        return node


class _Slices(ast.NodeTransformer):
    """Each lane loop becomes its body once, on the whole lane axis: ``q`` the slice ``:`` (so ``s[q]`` is ``s[:]``),
    a conditional value ``np.where``, ``and`` / ``not`` on lane flags ``&`` / ``~``, a lane scalar loaded from an
    array a copy (a view would see the array's later stores). The same IEEE operations per element, in order."""

    def __init__(self, var):
        self.var = var

    def visit_For(self, node):
        self.generic_visit(node)
        if not (isinstance(node.target, ast.Name) and node.target.id == self.var):
            return node
        return [_SliceLane(self.var).visit(stmt) for stmt in node.body]


class _SliceLane(ast.NodeTransformer):
    def __init__(self, var):
        self.var = var

    def visit_Name(self, node):
        if node.id == self.var:
            return ast.copy_location(ast.Slice(), node)
        return node

    def visit_Assign(self, node):
        self.generic_visit(node)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Subscript):
            node.value = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "array", ast.Load()), [node.value], [])
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        where = ast.Attribute(ast.Name("np", ast.Load()), "where", ast.Load())
        return ast.copy_location(ast.Call(where, [node.test, node.body, node.orelse], []), node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        out = node.values[0]
        for v in node.values[1:]:
            out = ast.BinOp(out, op, v)
        return ast.copy_location(out, node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(ast.UnaryOp(ast.Invert(), node.operand), node)
        return node


def sliced(fn, var="q"):
    """``fn`` with its lane loops as numpy statements over the lane axis (:class:`_Slices`): the numpy form of the
    same source, for arrays whose lane axis holds a whole tile of pixels."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    tree = ast.fix_missing_locations(_Slices(var).visit(tree))
    namespace = {}
    exec(compile(tree, f"<sliced {fn.__name__}>", "exec"), fn.__globals__, namespace)
    return namespace[fn.__name__]


def unrolled(fn, lanes, var="q", scratch=()):
    """``fn`` with its lane loops written out for ``lanes`` lanes (:class:`_Unroll`): a plain Python function whose
    statements the SLP vectoriser packs, as the template's generated lanes. ``lanes`` replaces the loops' bound."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    tree = ast.fix_missing_locations(_Unroll(var, lanes, scratch).visit(tree))
    namespace = {}
    exec(compile(tree, f"<unrolled {fn.__name__}>", "exec"), fn.__globals__, namespace)
    return namespace[fn.__name__]


def spd_inverse_plain(gtr, gti, beta, p, u, inv, t, ok, n, y, z, w):
    """:func:`spd_inverse_lanes` as :func:`unrolled` takes it: the same source, lane scalars crossing loops as
    ``y[q]``, ``z[q]``, ``w[q]`` (scratch arrays, scalars once unrolled); runs as plain Python too."""
    scale = 1.0 - beta
    for k in range(n):
        for i in range(k, n):
            for q in range(LANES):
                a = gtr[k, i, q]
                c = gti[k, i, q]
                p[k, i, q] = scale * np.sqrt(a * a + c * c)
        for q in range(LANES):
            p[k, k, q] = 1.0
    for q in range(LANES):
        ok[q] = True
    for j in range(n):
        k = 0
        while k + 2 <= j:
            for q in range(LANES):
                y[q] = p[k, j, q]
                z[q] = p[k + 1, j, q]
            for i in range(j, n):
                for q in range(LANES):
                    x = p[k, i, q]
                    v = p[k + 1, i, q]
                    a = p[j, i, q]
                    p[j, i, q] = (a - x * y[q]) - v * z[q]
            k += 2
        if k < j:
            for q in range(LANES):
                y[q] = p[k, j, q]
            for i in range(j, n):
                for q in range(LANES):
                    x = p[k, i, q]
                    a = p[j, i, q]
                    p[j, i, q] = a - x * y[q]
        for q in range(LANES):
            s = p[j, j, q]
            f = s <= 0.0
            ok[q] = ok[q] and not f
            w[q] = np.sqrt(1.0 if f else s)
        for i in range(j, n):
            for q in range(LANES):
                a = p[j, i, q]
                p[j, i, q] = a / w[q]
        for q in range(LANES):
            p[j, j, q] = w[q]
    for j in range(n):
        for i in range(j, n):
            for q in range(LANES):
                t[i, q] = 0.0
        for q in range(LANES):
            t[j, q] = 1.0
        k = j
        while k < n:
            for q in range(LANES):
                y[q] = t[k, q] / p[k, k, q]
                u[j, k, q] = y[q]
            if k + 1 == n:
                break
            for q in range(LANES):
                a = t[k + 1, q] - p[k, k + 1, q] * y[q]
                z[q] = a / p[k + 1, k + 1, q]
                u[j, k + 1, q] = z[q]
            for i in range(k + 2, n):
                for q in range(LANES):
                    v = p[k, i, q]
                    x = p[k + 1, i, q]
                    a = t[i, q]
                    t[i, q] = (a - v * y[q]) - x * z[q]
            k += 2
    for i in range(n):
        for j in range(i, n):
            for q in range(LANES):
                w[q] = 0.0
            for k in range(j, n):
                for q in range(LANES):
                    a = u[i, k, q]
                    b = u[j, k, q]
                    w[q] += b * a
            for q in range(LANES):
                inv[i, j, q] = w[q]
                inv[j, i, q] = w[q]


def _inputs(n, lanes, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(3 * n, n, lanes)) + 1j * rng.normal(size=(3 * n, n, lanes))
    c = np.einsum("kil,kjl->ijl", z, z.conj()) / (3 * n)  # Hermitian positive definite per lane
    d = np.sqrt(np.einsum("iil->il", c).real)
    g = c / (d[:, None, :] * d[None, :, :])
    return np.ascontiguousarray(g.real.transpose(1, 0, 2)), np.ascontiguousarray(g.imag.transpose(1, 0, 2))


def _buffers(n, lanes):
    return (np.zeros((n, n, lanes)), np.zeros((n, n, lanes)), np.zeros((n, n, lanes)), np.zeros((n, lanes)),
            np.zeros(lanes, np.bool_))


def _cpu(fn, reps):
    best = np.inf
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main(n=20, batches=400, reps=3):
    looped = njit_slp(error_model="numpy")(spd_inverse_lanes)
    gens = [_inputs(n, LANES, s) for s in range(batches)]
    out_gen = [_buffers(n, LANES) for _ in gens]
    out_loop = [_buffers(n, LANES) for _ in gens]
    scratch = [np.zeros(LANES) for _ in range(3)]

    t0 = time.process_time()
    batch._real_spd_inverse_b(*gens[0], 0.01, *out_gen[0], n)
    compile_gen = time.process_time() - t0
    t0 = time.process_time()
    looped(*gens[0], 0.01, *out_loop[0], n, *scratch)
    compile_loop = time.process_time() - t0

    def run_gen():
        for g, o in zip(gens, out_gen):
            batch._real_spd_inverse_b(*g, 0.01, *o, n)

    def run_loop():
        for g, o in zip(gens, out_loop):
            looped(*g, 0.01, *o, n, *scratch)

    s_gen, s_loop = _cpu(run_gen, reps), _cpu(run_loop, reps)
    same = all(a.tobytes() == b.tobytes() for og, ol in zip(out_gen, out_loop) for a, b in zip(og, ol))
    # the plain form as numpy: one call with every batch's pixels on the lane axis
    gtr = np.concatenate([g[0] for g in gens], axis=2)
    gti = np.concatenate([g[1] for g in gens], axis=2)
    wide = _buffers(n, gtr.shape[2])
    scratch_wide = [np.zeros(gtr.shape[2]) for _ in range(3)]

    def run_numpy():
        spd_inverse_numpy(gtr, gti, 0.01, *wide, n, *scratch_wide)

    s_numpy = _cpu(run_numpy, reps)
    plain = njit_slp(error_model="numpy")(unrolled(spd_inverse_plain, LANES, scratch=("y", "z", "w")))
    out_plain = [_buffers(n, LANES) for _ in gens]
    t0 = time.process_time()
    plain(*gens[0], 0.01, *out_plain[0], n, *scratch)
    compile_plain = time.process_time() - t0

    def run_plain():
        for g, o in zip(gens, out_plain):
            plain(*g, 0.01, *o, n, *scratch)

    s_plain = _cpu(run_plain, reps)
    wide2 = _buffers(n, gtr.shape[2])
    as_numpy = sliced(spd_inverse_plain)

    def run_sliced():
        as_numpy(gtr, gti, 0.01, *wide2, n, *scratch_wide)

    s_sliced = _cpu(run_sliced, reps)
    same_sliced = wide2[2].tobytes() == np.concatenate([o[2] for o in out_gen], axis=2).tobytes()
    wide3 = _buffers(n, gtr.shape[2])

    def run_generated_numpy():
        batch_numpy._real_spd_inverse_b(gtr, gti, 0.01, *wide3, n)

    s_gen_numpy = _cpu(run_generated_numpy, reps)
    same_gen_numpy = wide3[2].tobytes() == np.concatenate([o[2] for o in out_gen], axis=2).tobytes()
    same_plain = all(a.tobytes() == b.tobytes() for og, ol in zip(out_gen, out_plain) for a, b in zip(og, ol))
    inv_wide = wide[2]
    same_numpy = inv_wide.tobytes() == np.concatenate([o[2] for o in out_gen], axis=2).tobytes()
    pixels = batches * LANES
    print(f"n={n} dates, {pixels} pixels ({batches} batches of {LANES}); load {os.getloadavg()[0]:.1f}")
    print(f"  generated lanes (batch.py): {s_gen:.3f} CPU-s, compile {compile_gen:.2f} CPU-s")
    print(f"  lane loop, compiled:        {s_loop:.3f} CPU-s, compile {compile_loop:.2f} CPU-s, same bytes: {same}")
    print(f"  lane loop as numpy slices:  {s_numpy:.3f} CPU-s, same bytes as compiled: {same_numpy}")
    print(f"  lane loop unrolled by AST:  {s_plain:.3f} CPU-s, compile {compile_plain:.2f} CPU-s, same bytes: "
          f"{same_plain}")
    print(f"  the same source by AST as numpy slices: {s_sliced:.3f} CPU-s, same bytes as compiled: {same_sliced}")
    print(f"  generated numpy form (batch_numpy.py): {s_gen_numpy:.3f} CPU-s, same bytes: {same_gen_numpy}")


def spd_inverse_numpy(gtr, gti, beta, p, u, inv, t, ok, n, y, z, w):
    """:func:`spd_inverse_lanes` with each ``for q in range(lanes)`` loop run as one numpy statement over the lane
    axis (the scalars ``s``, ``f``, ``a``, ``c`` as arrays): what a small AST pass turning a lane loop into slices
    gives. The same IEEE operations per element in the same order."""
    scale = 1.0 - beta
    for k in range(n):
        for i in range(k, n):
            a = gtr[k, i]
            c = gti[k, i]
            p[k, i] = scale * np.sqrt(a * a + c * c)
        p[k, k] = 1.0
    ok[:] = True
    for j in range(n):
        k = 0
        while k + 2 <= j:
            y[:] = p[k, j]
            z[:] = p[k + 1, j]
            for i in range(j, n):
                p[j, i] = (p[j, i] - p[k, i] * y) - p[k + 1, i] * z
            k += 2
        if k < j:
            y[:] = p[k, j]
            for i in range(j, n):
                p[j, i] = p[j, i] - p[k, i] * y
        s = p[j, j].copy()
        f = s <= 0.0
        ok[:] = ok & ~f
        w[:] = np.sqrt(np.where(f, 1.0, s))
        for i in range(j, n):
            p[j, i] = p[j, i] / w
        p[j, j] = w
    for j in range(n):
        for i in range(j, n):
            t[i] = 0.0
        t[j] = 1.0
        k = j
        while k < n:
            y[:] = t[k] / p[k, k]
            u[j, k] = y
            if k + 1 == n:
                break
            z[:] = (t[k + 1] - p[k, k + 1] * y) / p[k + 1, k + 1]
            u[j, k + 1] = z
            for i in range(k + 2, n):
                t[i] = (t[i] - p[k, i] * y) - p[k + 1, i] * z
            k += 2
    for i in range(n):
        for j in range(i, n):
            w[:] = 0.0
            for k in range(j, n):
                w += u[j, k] * u[i, k]
            inv[i, j] = w
            inv[j, i] = w


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))

"""Kernels written once as plain-Python lane loops, and the AST passes that make their compiled and numpy forms.

A kernel that works on several pixels at once, one per vector lane (the pixel on the last axis of its arrays,
``p[k, i, q]``), is written once in plain Python, a loop over the lanes around each group of lane statements::

    for q in range(LANES):          # a lane loop: the same statements for every lane q
        x = p[k, i, q]              # a name it assigns is that lane's own value, read in that loop only
        y[q] = x * s[q]             # a lane value read in later loops: an array declared y = np.empty(LANES)
    for i in independent(range(j, n)):   # steps that are independent (each writes its own elements, or adds
        for q in range(LANES):            # into a lane value in order)
            ...

That source runs as it reads (plain Python, lane after lane). Three passes over its syntax tree, run at a kernel's
first use (never at import), give what runs:

* :func:`unrolled`, the compiled form: each lane loop written out lane by lane, statement by statement (all lanes
  of a statement before the next: the loads of a group before its stores), ``x`` of lane 3 the scalar ``x_3``,
  ``y[q]`` the scalar ``y_3``, the declarations dropped. LLVM's SLP vectoriser packs such groups into vector
  instructions; a loop over the lanes it does not vectorise (it cannot prove two rows of one array apart).
* :func:`sliced`, the numpy form: each lane loop its statements once, on arrays whose last axis holds every pixel
  (``p[k, i, q]`` is ``p[k, i, :]``, ``y[q]`` an array ``y``), what numba does per lane written element-wise
  (``and`` / ``or`` / ``not`` as ``&`` / ``|`` / ``~``, ``a if c else b`` as ``np.where(c, a, b)``, ``abs(complex(a,
  b))`` as ``np.hypot(a, b)``, numba's ``|z|``), an ``independent`` loop one step over a slice of its range whose
  sums into a lane value add their terms one after the other in the loop's order. A value loaded from an array the
  function stores into is copied where a later store could reach it before its last read (numba holds it in a
  register; a numpy view would see the store), and a store ``a[s] = x - t`` whose ``x`` is that ``a[s]`` is made in
  place (``a[s] -= t``). Each element gets the same IEEE operations in the same order: the compiled form's bits.
* :func:`one_lane`, the form on one lane ``q`` (an argument added last): the lane loops their bodies on that lane,
  a lane value a scalar, another loop over the lanes (the batch's control) a loop over ``q`` alone, the lane
  functions it calls their one-lane forms (``renames``).

Another loop over ``range(LANES)`` (a variable other than ``q``) is the batch's control and stays a loop. A source
breaking these rules (a lane's own value read in another loop, a declared lane value assigned as a name) is refused
with the rule when a pass runs. A kernel takes its compiled form with ``njit_slp(build=unrolled)`` (:mod:`._numba`):
the form is compiled as lines of the source's file, so numba caches it beside that file, and this module's file is
part of the cache's stamp. :func:`written` gives the text of a form, to read what runs. Nothing here is specific to
one kernel family.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import marshal
import os
import pickle

#: The lane loop's variable.
LANE = "q"


def independent(steps):
    """Marks a loop whose steps are independent (``for i in independent(range(a, b))``): the numpy form takes its
    range as one slice. As Python, ``steps`` itself."""
    return steps


def _is_lane_loop(node) -> bool:
    return (isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == LANE
            and _range_of_lanes(node.iter))


def _range_of_lanes(node) -> bool:
    return (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "range" and len(node.args) == 1
            and getattr(node.args[0], "id", "") == "LANES")


def _is_independent(node) -> bool:
    return (isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
            and getattr(node.iter.func, "id", "") == "independent")


def _lane_values(function) -> set:
    """The names declared as lane values (``y = np.empty(LANES)``, ``y, z = np.empty((2, LANES))``, a dtype after)."""
    names = set()
    for st in function.body:
        if isinstance(st, ast.Assign) and _is_declaration(st):
            for t in st.targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _is_declaration(st) -> bool:
    v = st.value
    if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "empty" and v.args):
        return False
    shape = v.args[0]
    last = shape.elts[-1] if isinstance(shape, ast.Tuple) else shape
    return getattr(last, "id", "") == "LANES"


def _lane_index(node, values: set):
    """The lane value's name when ``node`` is ``y[q]`` of a declared lane value ``y``, else None."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in values
            and getattr(node.slice, "id", "") == LANE):
        return node.value.id
    return None


def _assigned(statements) -> set:
    return {n.id for st in statements for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _strip_independent(node):
    if _is_independent(node):
        node.iter = node.iter.args[0]
    return node


class _Unroll(ast.NodeTransformer):
    """:func:`unrolled`."""

    def __init__(self, lanes: int, values: set):
        self.lanes, self.values = lanes, values

    def visit_For(self, node):
        self.generic_visit(node)
        if not _is_lane_loop(node):
            return _strip_independent(node)
        local = _assigned(node.body)
        return [_OnLane(lane, local, self.values).visit(_copy(st))
                for st in node.body for lane in range(self.lanes)]


class _OnLane(ast.NodeTransformer):
    """A lane statement on lane ``lane``: ``q`` that number, a lane's own name and ``y[q]`` its scalars."""

    def __init__(self, lane: int, local: set, values: set):
        self.lane, self.local, self.values = lane, local, values

    def visit_Name(self, node):
        if node.id == LANE:
            return ast.copy_location(ast.Constant(self.lane), node)
        if node.id in self.local:
            return ast.copy_location(ast.Name(f"{node.id}_{self.lane}", node.ctx), node)
        return node

    def visit_Subscript(self, node):
        name = _lane_index(node, self.values)
        if name is not None:
            return ast.copy_location(ast.Name(f"{name}_{self.lane}", node.ctx), node)
        self.generic_visit(node)
        return node


class _OneLane(ast.NodeTransformer):
    """:func:`one_lane`."""

    def __init__(self, values: set, renames: dict):
        self.values, self.renames = values, renames

    def visit_For(self, node):
        self.generic_visit(node)
        if _is_lane_loop(node):
            return node.body
        if _range_of_lanes(node.iter):
            lane = ast.Name(LANE, ast.Load())
            node.iter.args = [lane, ast.BinOp(ast.Name(LANE, ast.Load()), ast.Add(), ast.Constant(1))]
        return _strip_independent(node)

    def visit_Subscript(self, node):
        name = _lane_index(node, self.values)
        if name is not None:
            return ast.copy_location(ast.Name(name, node.ctx), node)
        self.generic_visit(node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        name = getattr(node.func, "id", "")
        if name in self.renames:
            node.func = ast.Name(self.renames[name], ast.Load())
            node.args.append(ast.Name(LANE, ast.Load()))
        return node


def _stores_into(node, array: str) -> bool:
    return any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and getattr(n.value, "id", "") == array
               for n in ast.walk(node))


def _reads(node, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(node))


def _needs_copy(body: list, k: int, name: str, array: str) -> bool:
    """Whether ``name = array[...]`` (``body[k]``, a lane loop's) must be a copy in the numpy form: a store into
    ``array`` later in ``body`` before a read of ``name`` (a statement reads its right side before it stores; a lane's
    own name is read in its loop only, :func:`_check`)."""
    stored = False
    for st in body[k + 1:]:
        if stored and _reads(st, name):
            return True
        stored = stored or _stores_into(st, array)
    return False


def _check(function, values: set) -> None:
    """The source's rules the passes rely on: a name a lane loop assigns is read in that loop only, after it is
    assigned there (a lane value read elsewhere is declared, ``y = np.empty(LANES)``, and written ``y[q]``); the
    lane variable only indexes."""
    where = f"{function.name} (line {function.lineno})"
    lane_loops = [n for n in ast.walk(function) if _is_lane_loop(n)]
    inside = {id(n) for loop in lane_loops for n in ast.walk(loop)}
    local = set().union(*(_assigned(loop.body) for loop in lane_loops))
    for loop in lane_loops:
        names = _assigned(loop.body)
        bound = set()
        for st in loop.body:
            value = st.value if isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr)) else st
            read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in local}
            if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                read.add(st.target.id)
            if read - bound:
                raise ValueError(f"{where}: {sorted(read - bound)} read in a lane loop before it assigns them: a "
                                 "lane value read across loops is declared (y = np.empty(LANES)) and written y[q]")
            bound |= _assigned([st])
        if names & values:
            raise ValueError(f"{where}: {sorted(names & values)} are declared lane values: write them y[q]")
    outside = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and id(n) not in inside}
    if local & outside:
        raise ValueError(f"{where}: {sorted(local & outside)} are a lane loop's own values, used outside it")


class _Slices(ast.NodeTransformer):
    """:func:`sliced`."""

    def __init__(self, values: set, stored: set):
        self.values, self.stored = values, stored
        self.sums = set()  # id of the lane loops' sums over an independent loop

    def visit_For(self, node):
        if _is_independent(node):
            for st in node.body:  # a lane value added into over the loop: its terms added one after the other
                if _is_lane_loop(st):
                    self.sums.update(id(s) for s in st.body if isinstance(s, ast.AugAssign)
                                     and (isinstance(s.target, ast.Name) or _lane_index(s.target, self.values)))
        self.generic_visit(node)
        if _is_lane_loop(node):
            return self._lane_loop(node)
        if _is_independent(node):
            bounds = node.iter.args[0].args
            bounds = [ast.Constant(0)] + bounds if len(bounds) == 1 else bounds
            step = ast.Assign([node.target], ast.Call(ast.Name("slice", ast.Load()), bounds, []))
            return [ast.copy_location(step, node)] + node.body
        return node

    def _lane_loop(self, node):
        out = []
        for k, st in enumerate(node.body):
            if (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                    and isinstance(st.value, ast.Subscript) and isinstance(st.value.value, ast.Name)
                    and _needs_copy(node.body, k, st.targets[0].id, st.value.value.id)):
                st.value = ast.Call(ast.Attribute(st.value, "copy", ast.Load()), [], [])
            name = _lane_index(st.targets[0] if isinstance(st, ast.Assign) else getattr(st, "target", None),
                               self.values)
            if (name is not None and isinstance(st, ast.Assign) and isinstance(st.value, ast.Subscript)
                    and getattr(st.value.value, "id", "") in self.stored):  # read in later loops, after stores
                st.value = ast.Call(ast.Attribute(st.value, "copy", ast.Load()), [], [])
            sum_ = id(st) in self.sums
            st = _Elementwise(self.values).visit(st)
            if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                target = ast.Name(st.target.id, ast.Store())
                if sum_:  # each term of the slice added in the loop's order
                    add = ast.Assign([target], ast.BinOp(ast.Name(st.target.id, ast.Load()), st.op,
                                                         ast.Name("_term", ast.Load())))
                    st = ast.For(ast.Name("_term", ast.Store()), st.value, [add], [])
                else:  # never in place: the name may be a view of an argument
                    st = ast.Assign([target], ast.BinOp(ast.Name(st.target.id, ast.Load()), st.op, st.value))
            out.append(ast.copy_location(st, node))
        return _in_place(out, self.values)


def _chain(node) -> list:
    """``x op1 a op2 b ...`` (left-associated ``+`` / ``-``) as ``[x, (op1, a), (op2, b), ...]``, else []."""
    terms = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        terms.append((node.op, node.right))
        node = node.left
    return [node] + terms[::-1] if terms else []


def _in_place(body: list, values: set) -> list:
    """A lane loop's numpy statements with each store ``array[s] = x op1 a op2 b ...`` whose ``x = array[s]`` is a view
    loaded before it in ``body`` (the same ``s``), its terms reading neither ``array`` nor a value loaded from it,
    written in place: ``array[s] op1= a``, then ``op2= b`` (each element gets the same operations in the same order,
    without a new array and its copy); a load nothing reads any more dropped. A lane value (``values``, read in later
    loops) is never such a view."""
    views = {}  # name -> (array, subscript text) of a view loaded in body
    loaded = {}  # array -> names loaded from it
    out = []
    for st in body:
        target = st.targets[0] if isinstance(st, ast.Assign) and len(st.targets) == 1 else None
        if (isinstance(target, ast.Name) and target.id not in values and isinstance(st.value, ast.Subscript)
                and isinstance(st.value.value, ast.Name)):
            views[target.id] = (st.value.value.id, ast.unparse(st.value))
            loaded.setdefault(st.value.value.id, set()).add(target.id)
        elif isinstance(target, ast.Name):
            views.pop(target.id, None)
        terms = _chain(st.value) if isinstance(target, ast.Subscript) else []
        if terms and isinstance(terms[0], ast.Name) and views.get(terms[0].id) == (
                getattr(target.value, "id", ""), ast.unparse(target)):
            array = target.value.id
            if not any(isinstance(n, ast.Name) and (n.id == array or n.id in loaded.get(array, ()))
                       for _, term in terms[1:] for n in ast.walk(term)):
                out += [ast.copy_location(ast.AugAssign(target, op, term), st) for op, term in terms[1:]]
                continue
        out.append(st)
    read = {n.id for st in out for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return [st for st in out if not (isinstance(st, ast.Assign) and len(st.targets) == 1
                                     and isinstance(st.targets[0], ast.Name) and st.targets[0].id in views
                                     and isinstance(st.value, ast.Subscript) and st.targets[0].id not in read)]


class _Elementwise(ast.NodeTransformer):
    """A lane statement on every pixel: ``q`` the whole axis, ``y[q]`` the array ``y``, numba's per-lane operations
    element-wise."""

    def __init__(self, values: set):
        self.values = values

    def visit_Name(self, node):
        if node.id == LANE:
            return ast.copy_location(ast.Slice(), node)
        return node

    def visit_Subscript(self, node):
        name = _lane_index(node, self.values)
        if name is not None:
            return ast.copy_location(ast.Name(name, node.ctx), node)
        self.generic_visit(node)
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        out = node.values[0]
        for value in node.values[1:]:
            out = ast.BinOp(out, op, value)
        return ast.copy_location(out, node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(ast.UnaryOp(ast.Invert(), node.operand), node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.copy_location(_np("where", [node.test, node.body, node.orelse]), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if (getattr(node.func, "id", "") == "abs" and len(node.args) == 1 and isinstance(node.args[0], ast.Call)
                and getattr(node.args[0].func, "id", "") == "complex"):
            return ast.copy_location(_np("hypot", node.args[0].args), node)
        return node


def _np(name: str, args: list):
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load()), args, [])


def _copy(node):
    """A deep copy of a syntax tree (through pickle: three times as fast as ``copy.deepcopy``)."""
    return pickle.loads(pickle.dumps(node, pickle.HIGHEST_PROTOCOL))


@functools.lru_cache(maxsize=8)
def _functions(path: str, stamp: tuple) -> dict:
    """The module-level functions of the file ``path`` (as ``stamp``, its modification time and size, last saw it),
    parsed once: ``{(name, first line): def}``, the first line a decorator's when it has one."""
    with open(path, encoding="utf-8") as f:
        module = ast.parse(f.read(), path)
    return {(n.name, min([n.lineno] + [d.lineno for d in n.decorator_list])): n for n in module.body
            if isinstance(n, ast.FunctionDef)}


def _tree(fn):
    """The ``def`` of ``fn`` (a module-level function) parsed from its file, its line numbers the file's, without
    its decorators."""
    path = os.path.abspath(inspect.getsourcefile(fn))
    st = os.stat(path)
    function = _copy(_functions(path, (st.st_mtime_ns, st.st_size))[fn.__name__, fn.__code__.co_firstlineno])
    function.decorator_list = []
    return function


def _function(make_tree, fn, namespace: dict, form: str):
    """The function ``make_tree()`` defines (a pass's tree of ``fn``), compiled as lines of ``fn``'s file (numba's
    cache and tracebacks find it there), its globals ``namespace``. Its code is kept beside the file, in
    ``__pycache__`` as Python keeps a module's (marshalled, keyed by the Python version, the form and both files'
    modification times and sizes: an edit of the source or of the passes makes it again), so a process whose kernels
    numba loads from its cache does not run the pass again; where that folder is not writable it is made each time."""
    path = os.path.abspath(inspect.getsourcefile(fn))
    stamps = [(s.st_mtime_ns, s.st_size) for s in (os.stat(path), os.stat(__file__))]
    key = repr((importlib.util.MAGIC_NUMBER, fn.__name__, fn.__code__.co_firstlineno, form, stamps))
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    base = os.path.splitext(os.path.basename(path))[0]
    kept = os.path.join(os.path.dirname(path), "__pycache__", f"{base}.{fn.__name__}.{digest}.lanes")
    try:
        with open(kept, "rb") as f:
            code = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        function = make_tree()
        code = compile(ast.fix_missing_locations(ast.Module(body=[function], type_ignores=[])), path, "exec")
        try:
            os.makedirs(os.path.dirname(kept), exist_ok=True)
            tmp = f"{kept}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                marshal.dump(code, f)
            os.replace(tmp, kept)
        except OSError:  # a read-only plugin folder: made again next time
            pass
    made: dict = {}
    exec(code, namespace, made)  # noqa: S102 - the kernel's own source, rewritten
    (value,) = made.values()
    return value


def _drop_declarations(function, values: set) -> None:
    function.body = [st for st in function.body if not (isinstance(st, ast.Assign) and values
                                                        and _is_declaration(st))]


def _unrolled_tree(fn):
    function = _tree(fn)
    values = _lane_values(function)
    _check(function, values)
    _drop_declarations(function, values)
    return _Unroll(fn.__globals__["LANES"], values).visit(function)


def _sliced_tree(fn):
    function = _tree(fn)
    values = _lane_values(function)
    _check(function, values)
    _drop_declarations(function, values)
    stored = {getattr(n.value, "id", "") for n in ast.walk(function) if isinstance(n, ast.Subscript)
              and isinstance(n.ctx, ast.Store)}
    return _Slices(values, stored).visit(function)


def _one_lane_tree(fn, name: str, renames: dict):
    function = _tree(fn)
    values = _lane_values(function)
    _check(function, values)
    _drop_declarations(function, values)
    function = _OneLane(values, renames).visit(function)
    function.name = name
    function.args.args.append(ast.arg(LANE))
    return function


def unrolled(fn):
    """``fn`` with each lane loop written out for its module's ``LANES`` lanes (the module's docstring): the compiled
    form."""
    return _function(lambda: _unrolled_tree(fn), fn, fn.__globals__, f"unrolled {fn.__globals__['LANES']}")


def sliced(fn, namespace: dict):
    """The numpy form of ``fn`` (the module's docstring), its globals ``namespace`` (where the numpy forms of the
    lane functions it calls are)."""
    return _function(lambda: _sliced_tree(fn), fn, namespace, "sliced")


def one_lane(fn, name: str, renames: dict, namespace: dict):
    """The form of ``fn`` on one lane (the module's docstring), named ``name``, the lane ``q`` its last argument,
    each call of a function of ``renames`` one of its one-lane form; its globals ``namespace``."""
    return _function(lambda: _one_lane_tree(fn, name, renames), fn, namespace,
                     f"one lane {name} {sorted(renames.items())}")


def written(fn, form: str = "unrolled", **one_lane_names) -> str:
    """The text of a form of ``fn`` ("unrolled", "sliced" or "one_lane", with ``name`` and ``renames``): what numba
    compiles or numpy runs, to read."""
    if form == "one_lane":
        tree = _one_lane_tree(fn, one_lane_names["name"], one_lane_names["renames"])
    else:
        tree = _unrolled_tree(fn) if form == "unrolled" else _sliced_tree(fn)
    return ast.unparse(ast.fix_missing_locations(tree))


def has_lane_loops(fn) -> bool:
    """Whether ``fn``'s source holds a lane loop (``for q in range(LANES)``)."""
    return any(_is_lane_loop(n) for n in ast.walk(_tree(fn)))

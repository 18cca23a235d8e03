"""The AST passes that write Okada's kernels from their plain-Python sources (``make generate``).

The sources are ordinary Python modules of ``algorithms/faults/`` (``okada_corners_src.py``, ``okada_dc3d_src.py``,
``okada_numpy_src.py``) whose kernels call DC3D's terms (``dc3d_terms.py``) as ordinary functions. :func:`render`
writes the module that runs from a source:

* **inlining**: a call of a function marked ``@inline`` (``dc3d_terms.inline``; in the terms module or in the source
  itself) is replaced by the function's body, its arguments written for its parameters (a name stored to must be
  given a name), an ``if`` or a conditional value on a constant argument reduced to the branch it takes, and the
  names it returns bound to the call's targets (nothing written where they are the same names). Its other names
  are the kernel's (as if the body were written there). numba compiles the terms pasted into one fused loop in half
  the time of calls to shared helpers, even those it inlines itself. The constants the source imports from the
  terms module are written in place of the import, the ``@inline`` functions are left out.
* **scalars**: a local array of a fixed number of rows (``u = np.zeros(12)`` or ``np.zeros((12,) + np.shape(x))``)
  read and written only at constant rows (``u[3]``) or cleared whole (``u[:] = 0.0``) becomes one name per row
  (``u3``), which numba keeps in registers; a loop over constant rows that indexes it (``for row in range(3, 12)``)
  is written out first, one copy of its body per row.
* **numpy form** (``form="numpy"``; the functions that inline a term): each function works on arrays of stations
  (its parameters annotated ``Stations``, and every name computed from them). An ``if`` whose test reads a station's
  value is a branch per station: its ``else`` is computed on every station, then each assignment ``name = value``
  of its body is written ``name = np.where(test, value, name)``, so a station gets the operations of the compiled
  branch, in the same order (the same bits). ``math.sqrt`` is ``np.sqrt``. Then the statements whose results
  nothing kept reads are dropped (a store into an array, a call and a ``return`` are kept): a function storing only
  the derivatives computes none of DC3D's ``atan`` and ``log``, as LLVM drops them from the compiled one.

The text is ``ast.unparse``'s, after the marker line.
"""

from __future__ import annotations

import ast
import builtins
import copy
import os

#: The module whose functions and constants the sources import (relative import, as they write it).
TERMS = "dc3d_terms"

#: What :func:`transform` gives for a statement left out without the blank lines after it.
_LINES_ONLY = "\0"


def _decorated_inline(node) -> bool:
    return any(getattr(d, "id", "") == "inline" for d in node.decorator_list)


def _inline_functions(tree) -> dict:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and _decorated_inline(n)}


def _body(function) -> list:
    """A function's statements without its docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


class _Substitute(ast.NodeTransformer):
    """The arguments written for the parameters of an inlined body."""

    def __init__(self, values: dict, where: str):
        self.values = values
        self.where = where

    def visit_Name(self, node):
        if node.id not in self.values:
            return node
        value = self.values[node.id]
        if isinstance(node.ctx, ast.Store):
            if not isinstance(value, ast.Name):
                raise ValueError(f"{self.where}: {node.id} is assigned in the body, its argument must be a name")
            return ast.Name(value.id, ast.Store())
        return copy.deepcopy(value)


def _fold(statements: list) -> list:
    """``statements`` with each ``if`` on a constant reduced to the branch it takes (recursively), each conditional
    value on a constant to its value, and what follows a ``continue``, ``break`` or ``return`` left out."""
    out = []
    for st in statements:
        if out and isinstance(out[-1], (ast.Continue, ast.Break, ast.Return)):
            break  # what follows a branch taken that jumps is never reached
        st = _FoldExpressions().visit(st)
        if isinstance(st, ast.If) and isinstance(st.test, ast.Constant):
            out.extend(_fold(st.body if st.test.value else st.orelse))
            continue
        if isinstance(getattr(st, "body", None), list):
            st.body = _fold(st.body) or [ast.Pass()]
            if isinstance(st, (ast.For, ast.While)) and len(st.body) > 1 and isinstance(st.body[-1], ast.Continue):
                st.body.pop()  # a loop's last statement going on to the next step
        if isinstance(getattr(st, "orelse", None), list):
            st.orelse = _fold(st.orelse)
        out.append(st)
    return out


class _FoldExpressions(ast.NodeTransformer):
    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Constant):
            return ast.Constant(not node.operand.value)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        return node

    def visit_If(self, node):  # statements are folded by _fold; only their expressions here
        node.test = self.visit(node.test)
        return node


class _Inliner:
    """Pastes the calls of the ``@inline`` functions (the module's docstring)."""

    def __init__(self, functions: dict):
        self.functions = functions

    def call_of(self, st):
        """(targets, call) when ``st`` is a statement calling an inline function, else None."""
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            targets, call = None, st.value
        elif isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.value, ast.Call):
            targets, call = st.targets[0], st.value
        elif isinstance(st, ast.Return) and isinstance(st.value, ast.Call):
            targets, call = "return", st.value
        else:
            return None
        if getattr(call.func, "id", "") not in self.functions:
            return None
        return targets, call

    def statements(self, statements: list) -> list:
        out = []
        for st in statements:
            found = self.call_of(st)
            if found is None:
                for field in ("body", "orelse"):
                    if isinstance(getattr(st, field, None), list):
                        setattr(st, field, self.statements(getattr(st, field)))
                self._no_nested_calls(st)
                out.append(st)
            else:
                out.extend(self.paste(*found))
        return out

    def _no_nested_calls(self, st):
        for node in ast.walk(st):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in self.functions \
                    and not isinstance(st, (ast.For, ast.While, ast.If)):
                raise ValueError(f"{ast.unparse(st)!r}: an inline function is called as a statement of its own "
                                 f"(name = f(...), names = f(...) or f(...))")

    def paste(self, targets, call) -> list:
        function = self.functions[call.func.id]
        where = f"{call.func.id}()"
        params = [a.arg for a in function.args.args]
        defaults = dict(zip(params[len(params) - len(function.args.defaults):], function.args.defaults))
        values = dict(zip(params, call.args))
        if len(call.args) > len(params):
            raise ValueError(f"{where}: {len(call.args)} arguments, it takes {len(params)}")
        for k in call.keywords:
            if k.arg not in params or k.arg in values:
                raise ValueError(f"{where}: argument {k.arg!r} unknown or given twice")
            values[k.arg] = k.value
        for name in params:
            if name not in values:
                if name not in defaults:
                    raise ValueError(f"{where}: no argument for {name!r}")
                values[name] = defaults[name]
        locals_ = {n.id for st in _body(function) for n in ast.walk(st)
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - set(params)
        for name, value in values.items():  # pasted, an argument must still mean what the caller gave
            clash = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} & locals_
            if clash and not (isinstance(value, ast.Name) and value.id == name):
                raise ValueError(f"{where}: the argument for {name!r} reads {sorted(clash)}, which its body assigns")
        body = [_Substitute(values, where).visit(copy.deepcopy(st)) for st in _body(function)]
        body = self.statements(_fold(body))
        returned = None
        if body and isinstance(body[-1], ast.Return):
            returned = body.pop().value
        if any(isinstance(n, ast.Return) for st in body for n in ast.walk(st)):
            raise ValueError(f"{where}: a return before its last statement")
        if targets is None:
            return body
        if returned is None:
            raise ValueError(f"{where} returns nothing, its call assigns")
        if targets == "return":
            return body + [ast.Return(returned)]
        names = targets.elts if isinstance(targets, ast.Tuple) else [targets]
        values = returned.elts if isinstance(returned, ast.Tuple) and isinstance(targets, ast.Tuple) else [returned]
        if len(names) != len(values):
            raise ValueError(f"{where} returns {len(values)} values, its call assigns {len(names)}")
        for name, value in zip(names, values):
            if isinstance(value, ast.Name) and isinstance(name, ast.Name) and value.id == name.id:
                continue
            if any(isinstance(n, ast.Name) and n.id in {t.id for t in names if isinstance(t, ast.Name)}
                   for n in ast.walk(value)) and len(names) > 1:
                raise ValueError(f"{where}: bind its result to the names it returns ({ast.unparse(value)})")
            body.append(ast.Assign([name], value, lineno=0))
        return body


# --------------------------------------------------------------------------- scalars
def _fixed_rows(value):
    """The rows of ``[0.0] * N``, ``np.zeros(N)``, ``np.zeros((N, ...))`` or ``np.zeros((N,) + shape)`` (``N`` an int
    literal), else None."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult) and isinstance(value.left, ast.List):
        shape = value.right
    elif isinstance(value, ast.Call) and ast.unparse(value.func) == "np.zeros" and value.args:
        shape = value.args[0]
        if isinstance(shape, ast.BinOp) and isinstance(shape.op, ast.Add):  # (12,) + np.shape(x)
            shape = shape.left
    else:
        return None
    if isinstance(shape, ast.Tuple) and shape.elts:
        shape = shape.elts[0]
    return shape.value if isinstance(shape, ast.Constant) and isinstance(shape.value, int) else None


def _scalar_arrays(function) -> dict:
    """``{name: rows}`` of the local arrays the scalars pass takes (the module's docstring)."""
    found = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            rows = _fixed_rows(node.value)
            if rows is not None:
                found[node.targets[0].id] = rows
    parents = {id(c): p for p in ast.walk(function) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Name) and node.id in found):
            continue
        parent = parents[id(node)]
        if isinstance(parent, ast.Assign) and node in parent.targets and _fixed_rows(parent.value) is not None:
            continue
        if isinstance(parent, ast.Subscript) and parent.value is node:
            index = parent.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, int) and 0 <= index.value < found[node.id]:
                continue
            if isinstance(index, ast.Slice) and index.lower is index.upper is index.step is None \
                    and isinstance(parents[id(parent)], ast.Assign) and parent in parents[id(parent)].targets:
                continue
        found.pop(node.id)  # read otherwise: stays an array
    return found


def _cleared_first(function, name: str) -> bool:
    """Whether the first statement after its allocation that reads or writes ``name`` clears it whole."""
    for st in _simple(function.body):
        if isinstance(st, (ast.If, ast.For, ast.While)):
            test = st.test if not isinstance(st, ast.For) else st.iter
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(test)):
                return False
            continue
        if not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(st)):
            continue
        if isinstance(st, ast.Assign) and _fixed_rows(st.value) is not None:
            continue
        target = st.targets[0] if isinstance(st, ast.Assign) else None
        return isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Slice)
    return True


def _unroll(statements: list, arrays: set) -> list:
    """Each loop ``for row in range(a, b)`` (constant bounds) whose body indexes one of ``arrays`` with ``row``
    written out, one copy of its body per value of ``row`` (so that the rows are constant: :class:`_Scalars`)."""
    out = []
    for st in statements:
        for field in ("body", "orelse"):
            if isinstance(getattr(st, field, None), list):
                setattr(st, field, _unroll(getattr(st, field), arrays))
        loop = (isinstance(st, ast.For) and isinstance(st.target, ast.Name) and not st.orelse
                and isinstance(st.iter, ast.Call) and getattr(st.iter.func, "id", "") == "range"
                and all(isinstance(a, ast.Constant) and isinstance(a.value, int) for a in st.iter.args))
        if not loop or not any(isinstance(n, ast.Subscript) and getattr(n.value, "id", "") in arrays
                               and getattr(n.slice, "id", "") == st.target.id for n in ast.walk(st)):
            out.append(st)
            continue
        for value in range(*[a.value for a in st.iter.args]):
            row = {st.target.id: ast.Constant(value)}
            out.extend(_Substitute(row, "for").visit(copy.deepcopy(b)) for b in st.body)
    return out


class _Scalars(ast.NodeTransformer):
    """Each row of the arrays ``{name: rows}`` one name (the module's docstring); an allocation is left out where
    the array is cleared whole before any other use (a term's ``u[:] = 0.0``), else it sets every row to 0."""

    def __init__(self, arrays: dict, function):
        self.arrays = arrays
        self.cleared = {name for name in arrays if _cleared_first(function, name)}

    def _all(self, name: str, value):
        return ast.Assign([ast.Name(f"{name}{k}", ast.Store()) for k in range(self.arrays[name])], value, lineno=0)

    def visit_Assign(self, node):
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, ast.Name) and target.id in self.arrays:
            return None if target.id in self.cleared else self._all(target.id, ast.Constant(0.0))
        if (len(node.targets) == 1 and isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Slice)
                and getattr(target.value, "id", "") in self.arrays):
            return self._all(target.value.id, self.visit(node.value))
        self.generic_visit(node)
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if getattr(node.value, "id", "") in self.arrays:
            return ast.Name(f"{node.value.id}{node.slice.value}", node.ctx)
        return node


# --------------------------------------------------------------------------- numpy form
def _station_names(function) -> set:
    """The names holding a value per station: the parameters annotated ``Stations`` and every name assigned from
    an expression reading one of them (whatever the flow)."""
    names = {a.arg for a in function.args.args if getattr(a.annotation, "id", "") == "Stations"}
    changed = True
    while changed:
        changed = False
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if not any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
                    continue
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in names:
                            names.add(n.id)
                            changed = True
    return names


def _reads(node, names: set) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _np(attribute: str):
    return ast.Attribute(ast.Name("np", ast.Load()), attribute, ast.Load())


def _selects(statements: list, stations: set) -> list:
    """Each ``if`` on a station's value as its ``else`` then ``np.where`` per assignment of its body."""
    out = []
    for st in statements:
        for field in ("body", "orelse"):
            if isinstance(getattr(st, field, None), list):
                setattr(st, field, _selects(getattr(st, field), stations))
        if not (isinstance(st, ast.If) and _reads(st.test, stations)):
            out.append(st)
            continue
        out.extend(st.orelse)
        for assign in st.body:
            if not (isinstance(assign, ast.Assign) and len(assign.targets) == 1
                    and isinstance(assign.targets[0], ast.Name)):
                raise ValueError(f"if {ast.unparse(st.test)}: a branch per station assigns names only, got "
                                 f"{ast.unparse(assign)!r}")
            name = assign.targets[0].id
            where = ast.Call(_np("where"), [copy.deepcopy(st.test), assign.value, ast.Name(name, ast.Load())], [])
            out.append(ast.Assign([ast.Name(name, ast.Store())], where, lineno=0))
    return out


class _NumpyCalls(ast.NodeTransformer):
    def visit_Attribute(self, node):
        self.generic_visit(node)
        if ast.unparse(node) == "math.sqrt":
            return _np("sqrt")
        return node


def _assigned(st) -> set:
    if isinstance(st, ast.Assign):
        targets = st.targets
    elif isinstance(st, ast.AugAssign):
        targets = [st.target]
    else:
        return set()
    if not all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets):
        return set()  # a store into an array: kept
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _read(node) -> set:
    if isinstance(node, ast.Assign) and _assigned(node):
        return {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    if isinstance(node, ast.AugAssign) and _assigned(node):
        return {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)} | {node.target.id}
    if isinstance(node, (ast.If, ast.While)):
        return {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
    if isinstance(node, ast.For):
        return {n.id for n in ast.walk(node.iter) if isinstance(n, ast.Name)}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _simple(statements: list):
    for st in statements:
        if isinstance(st, (ast.If, ast.For, ast.While)):
            yield st
            yield from _simple(st.body)
            yield from _simple(st.orelse)
        else:
            yield st


def prune(function) -> None:
    """Drops from ``function`` the assignments to names whose values no kept statement reads (the module's docstring).
    Names, not the flow, decide: what is kept is a superset of what is needed."""
    statements = list(_simple(function.body))
    live = set()
    for st in statements:
        if not _assigned(st):
            live |= _read(st)
    kept = {id(st) for st in statements if not _assigned(st)}
    changed = True
    while changed:
        changed = False
        for st in statements:
            if id(st) not in kept and _assigned(st) & live:
                kept.add(id(st))
                live |= _read(st)
                changed = True

    def keep(block: list) -> list:
        out = []
        for st in block:
            if id(st) not in kept:
                continue
            if isinstance(st, ast.Assign) and len(st.targets) > 1:  # a = b = 0.0: the live ones
                st.targets = [t for t in st.targets if not isinstance(t, ast.Name) or t.id in live]
            for field in ("body", "orelse"):
                if isinstance(getattr(st, field, None), list):
                    setattr(st, field, keep(getattr(st, field)))
            if isinstance(st, ast.If) and not st.body and not st.orelse:
                continue
            if isinstance(st, (ast.If, ast.For, ast.While)) and not st.body:
                st.body = [ast.Pass()]
            out.append(st)
        return out

    function.body = keep(function.body)


def _drop_unread(function) -> None:
    """Drops the assignments to a name nothing in ``function`` reads (a term's value its kernel does not use: LLVM
    would drop it too, numba would still type it)."""
    read = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    def keep(block: list) -> list:
        out = []
        for st in block:
            if isinstance(st, ast.Assign) and all(isinstance(t, ast.Name) and t.id not in read for t in st.targets):
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(st, field, None), list):
                    setattr(st, field, keep(getattr(st, field)) or ([ast.Pass()] if field == "body" else []))
            out.append(st)
        return out

    function.body = keep(function.body)


# --------------------------------------------------------------------------- the module
def _terms_import(node) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == TERMS and node.level == 1


def _constants(terms_tree, names: list) -> list:
    """The module-level assignments of ``names`` in the terms module (written in place of their import)."""
    out = []
    for name in names:
        found = [n for n in terms_tree.body if isinstance(n, ast.Assign)
                 and [getattr(t, "id", "") for t in n.targets] == [name]]
        if not found:
            raise ValueError(f"{TERMS} has no constant or @inline function {name!r}")
        out.append(copy.deepcopy(found[0]))
    return out


def _module_names(tree) -> set:
    """The names a module binds at its top (imports, assignments, functions, classes)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _free_names(function) -> set:
    """The names ``function`` reads that it neither binds nor takes."""
    bound = {a.arg for a in function.args.args}
    bound.update(n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def transform(source: str, terms: str, form: str = "numba") -> list:
    """The top-level statements of the module written from ``source`` (text of a plain-Python source) with ``terms``
    (text of the terms module), the passes of the module's docstring: ``[(node of the source, what is written for
    it)]``, the text None where the source's own is kept, "" where it is left out with the blank lines after it.
    The terms' constants that the source imports or that a pasted body reads are written in place of the import."""
    tree, terms_tree = ast.parse(source), ast.parse(terms)
    available = _inline_functions(terms_tree)
    functions = {**available, **_inline_functions(tree)}  # a term's body calls the terms of its own module
    inliner = _Inliner(functions)
    out, wanted, written = [], [], []
    for node in tree.body:
        if _terms_import(node):
            wanted += [a.name for a in node.names if a.name not in available and a.name != "inline"]
            out.append((node, _LINES_ONLY))
        elif isinstance(node, ast.FunctionDef) and _decorated_inline(node):
            out.append((node, ""))
        elif isinstance(node, ast.FunctionDef) and any(
                isinstance(n, ast.Call) and getattr(n.func, "id", "") in functions for n in ast.walk(node)):
            node = _transform_function(copy.deepcopy(node), inliner, form)
            out.append((node, ast.unparse(ast.fix_missing_locations(node))))
            written.append(node)
        else:
            out.append((node, None))
    defined = _module_names(ast.Module([node for node, text in out if text not in ("", _LINES_ONLY)], []))
    constants = [n.targets[0].id for n in terms_tree.body if isinstance(n, ast.Assign)
                 and isinstance(n.targets[0], ast.Name)]
    for node in written:
        for name in sorted(_free_names(node) - defined - set(dir(builtins)) - set(wanted)):
            if name not in constants:
                raise ValueError(f"{node.name}: {name!r} is not defined in the module written")
            wanted.append(name)
    wanted = [name for name in constants if name in wanted]
    kept = [node for node, text in out if text not in ("", _LINES_ONLY)]
    read = {n.id for node in kept for n in ast.walk(node) if isinstance(n, ast.Name)}
    read |= {n.value.id for node in kept for n in ast.walk(node)
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    for k, (node, text) in enumerate(out):  # an import only the pasted calls or the rows' arrays read
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or text is not None \
                or getattr(node, "module", "") == "__future__":
            continue
        if not {(a.asname or a.name).split(".")[0] for a in node.names} & read:
            out[k] = (node, _LINES_ONLY)
    if wanted:  # after the module's last import
        text = "\n".join(ast.get_source_segment(terms, c) for c in _constants(terms_tree, wanted))
        k = max(i for i, (node, _t) in enumerate(out) if isinstance(node, (ast.Import, ast.ImportFrom)))
        node = out[k][0]
        own = "" if _terms_import(node) else ast.get_source_segment(source, node) + "\n"
        out[k] = (node, own + "\n" + text)
    return out


def _transform_function(node, inliner, form: str):
    """One function of the source through the passes (the module's docstring)."""
    doc = 1 if ast.get_docstring(node) is not None else 0
    node.body = node.body[:doc] + inliner.statements(node.body[doc:])
    allocated = {n.targets[0].id for n in ast.walk(node) if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and _fixed_rows(n.value) is not None}
    node.body = _unroll(node.body, allocated)
    arrays = _scalar_arrays(node)
    if arrays:
        _Scalars(arrays, node).visit(node)
    if form != "numpy":
        _drop_unread(node)
    elif any(getattr(a.annotation, "id", "") == "Stations" for a in node.args.args):
        node.body = _selects(node.body, _station_names(node))
        _NumpyCalls().visit(node)
        prune(node)
        for a in node.args.args:
            a.annotation = None
    return node


def render(source_path: str, marker: str, form: str = "numba") -> str:
    """The text of the module written from the source at ``source_path`` (``marker`` its first line): the source's
    own text (its comments and layout) where the passes change nothing, ``ast.unparse``'s for the functions they
    write."""
    with open(source_path, encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(os.path.dirname(source_path), TERMS + ".py"), encoding="utf-8") as f:
        terms = f.read()
    lines = source.split("\n")
    out, done = [marker], 0
    for node, text in transform(source, terms, form):
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        if text is None:
            continue
        out.extend(lines[done:first])
        if text == _LINES_ONLY:
            done = node.end_lineno
            if done < len(lines) and not lines[done].strip() and not out[-1].strip():  # one blank line, not two
                done += 1
            continue
        if text == "":  # left out with the blank lines after it
            done = node.end_lineno
            while done < len(lines) and not lines[done].strip():
                done += 1
            continue
        out.append(text)
        done = node.end_lineno
    out.extend(lines[done:])
    return "\n".join(out)

"""The ``#@`` templates: kernels written once for several vector lanes, and code written once pasted in several places.

numba (LLVM) packs independent scalar statements into vector instructions (SLP vectorisation) when the statements
of a group stand side by side with all their loads before their stores; a loop over the lanes does not get there
(LLVM cannot prove two rows of one array apart): one step of the batched EMI's Rayleigh quotient took 10.8 us as
a lane loop against 2.2 written out on numba 0.56 (7.5 against 2.2 on numba 0.68). Kernels written so are
decorated with ``_numba.njit_slp`` (numba 0.57 and later leave SLP off by default). The lanes are therefore
written out, but by this script, never by hand: a template holds each statement once, with
``{l}`` where the lane number goes (``a{l} = p[k, i, {l}]``) and ``{b}`` for the ``l``-th element of a block of a
row (``b`` in lane 0, ``b + _u(l)`` in the others); a statement holding either is written once per lane, lane 0
first, in place; every other line (docstrings and comments too) is copied as it is.

A template may also hold code written once and pasted in several places (DC3D's terms in the Okada corner kernels,
which numba compiles more than twice as slowly as calls to shared helpers, even inlined ones, and in the per-patch
DC3D of ``okada_dc3d.py``): lines between ``#@ snippet name(a, b="x")`` and ``#@ end`` define a snippet (neither
they nor the blank lines after them are copied; ``b`` has a default); a line ``#@ name(a="x")`` is replaced by the
snippet's lines, indented as that line, with ``{a}`` written ``x``. Inside a snippet, ``#@ if a`` ... ``#@ else`` ...
``#@ end`` keeps the first section when ``a`` is true, else the second, and ``#@ wrap a`` ... ``#@ end`` puts its
section under the statement ``a`` holds (``if grad:``), indented by four, or leaves it as it is when ``a`` is empty.
``#@ include name.py.in`` reads another template of the folder in its place (its snippets); ``#@ note`` lines are
the templates' own comments, not copied. Snippets are pasted
before the lanes are written out. ``generate.py`` (``make generate``) runs this for every template it lists.

The same snippets also give a **numpy form** (DC3D's terms on arrays of stations, :mod:`algorithms.faults.okada_numpy`):
a template holding the line ``#@ form numpy`` is written so. A branch taken per station is written in the snippets as
``#@ select condition`` ... ``#@ else`` ... ``#@ end``: the compiled form gets ``if condition:`` / ``else:``; the
numpy form evaluates the second section on every station, then each assignment ``name = value`` of the first as
``name = np.where(condition, value, name)`` (the first section holds such assignments only), so a station gets the
same operations in the same order as in the compiled kernel: the same bits. In the numpy form ``math.sqrt`` is
written ``np.sqrt``. ``#@ prune`` ... ``#@ end`` drops the statements of its section whose results no other kept
statement reads (a store into an array or a ``return`` is always kept): a numpy function storing only the
derivatives computes none of DC3D's ``atan`` and ``log`` terms, as LLVM drops them from the compiled one.

A lane template also gives a **pixel-array form** (:func:`expand_pixel_arrays`: phase linking's numpy path, the
lane functions of ``batch.py.in`` on every pixel of a tile at once): the lane axis becomes the pixel axis (``p[k, i,
{l}]`` is ``p[k, i, :]``, ``a{l}`` one array ``a_``), each lane statement is written once, on arrays, and what numba
does per lane becomes numpy's element by element: ``x and y``, ``not x`` and ``a if c else b`` are ``x & y``, ``~x``
and ``np.where(c, a, b)``, ``abs(complex(a, b))`` is ``np.hypot(a, b)`` (numba's ``|z|``). A loop whose steps are
independent (each writes its own elements) is marked ``#@ parallel`` on the line before it: the compiled form drops
the mark, the pixel-array form takes the loop's range as a slice, one step over every element at once; a sum the
loop adds into (``s{l} += term``) gets its terms, computed over the slice, added one after the other in the loop's
order, so each element receives the same operations in the same order: the same bits. The
functions that loop over the lanes themselves (``range(LANES)``: the batch's control, which lanes still iterate) are
left out: the numpy path's own driver takes the pixels that still run.

And a **one-lane form** (:func:`expand_one_lane`: phase linking's ``lane.py``): the compiled functions again, each on
one lane ``q`` of the batch's arrays (``p[k, i, {l}]`` is ``p[k, i, q]``, ``a{l}`` one value ``a_``, a loop over the
lanes a loop over ``q`` alone), named ``..._q`` instead of ``..._b`` and taking ``q`` last: a lane that still iterates
when most of its batch has converged takes its last steps alone, with the same operations as in the batch (the
same bits), in place in the batch's arrays.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize

#: Lanes of a generated statement: eight float64 lanes are one AVX-512 vector (two AVX2 vectors).
LANES = 8

#: The templates' folder (``#@ include`` reads there).
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

#: A line starting so (after its indentation) is a directive of the snippets (see the module's docstring).
_DIRECTIVE = "#@ "


def _statements(text: str) -> list[str]:
    """``text`` cut into logical lines (a statement with its continuation lines, a comment, a blank line)."""
    lines = text.split("\n")
    out, start, done, depth = [], None, 0, 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth == 0):
            first = start if start is not None else tok.start[0]
            out.extend(lines[done:first - 1])
            out.append("\n".join(lines[first - 1:tok.end[0]]))
            done, start = tok.end[0], None
        elif start is None and tok.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            start = tok.start[0]
    out.extend(lines[done:])
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _section(lines: list[str], start: int) -> tuple[list[str], list[str], int]:
    """The lines of the section opening at ``lines[start - 1]`` up to its ``#@ end`` (sections nest), split at
    its own ``#@ else``: (first part, second part, index after the end)."""
    parts, depth, i = [[], []], 0, start
    part = 0
    while i < len(lines):
        text = lines[i].strip()
        if text.startswith(_DIRECTIVE):
            word = text[len(_DIRECTIVE):].split(" ", 1)[0]
            if word in ("snippet", "if", "wrap", "select", "prune"):
                depth += 1
            elif word == "end" and depth == 0:
                return parts[0], parts[1], i + 1
            elif word == "end":
                depth -= 1
            elif word == "else" and depth == 0:
                part = 1
                i += 1
                continue
        parts[part].append(lines[i])
        i += 1
    raise ValueError(f"no '#@ end' for {lines[start - 1].strip()!r}")


def _render(lines: list[str], values: dict, snippets: dict, form: str = "numba") -> list[str]:
    """``lines`` with their directives carried out, ``{name}`` written for each of ``values``; ``form`` "numpy" writes
    the numpy form (the module's docstring)."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        if not text.startswith(_DIRECTIVE):
            for name, value in values.items():
                if isinstance(value, str):
                    line = line.replace("{" + name + "}", value)
            if form == "numpy":
                line = line.replace("math.sqrt(", "np.sqrt(")
            out.append(line)
            i += 1
            continue
        directive = text[len(_DIRECTIVE):]
        word, _, rest = directive.partition(" ")
        if word in ("note", "form", "parallel"):  # a comment of the template, not copied; the form read by paste();
            i += 1                                # a loop of independent steps (the pixel-array form reads it)
        elif word == "include":
            with open(os.path.join(TEMPLATES, rest.strip()), encoding="utf-8") as f:
                out.extend(_render(f.read().split("\n"), values, snippets, form))
            i += 1
        elif word == "snippet":
            call = ast.parse(rest, mode="eval").body
            first, _, i = _section(lines, i + 1)
            names = [a.id for a in call.args] + [k.arg for k in call.keywords]
            defaults = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            snippets[call.func.id] = (names, defaults, [s[_indent(line):] for s in first])
            while i < len(lines) and not lines[i].strip():  # the blank lines after a snippet go with it
                i += 1
        elif word in ("if", "wrap"):
            first, second, i = _section(lines, i + 1)
            value = values[rest.strip()]
            if word == "if":
                out.extend(_render(first if value else second, values, snippets, form))
            elif value:
                out.append(" " * _indent(line) + value)
                out.extend("    " + s if s.strip() else s for s in _render(first, values, snippets, form))
            else:
                out.extend(_render(first, values, snippets, form))
        elif word == "select":
            first, second, i = _section(lines, i + 1)
            out.extend(_select(_indent(line), rest.strip(), _render(first, values, snippets, form),
                               _render(second, values, snippets, form), values, form))
        elif word == "prune":
            first, _, i = _section(lines, i + 1)
            out.extend(prune(_render(first, values, snippets, form)))
        else:
            for name, value in values.items():  # a snippet's parameter passed on to the snippets it pastes
                if isinstance(value, str):
                    directive = directive.replace("{" + name + "}", value)
            call = ast.parse(directive, mode="eval").body
            names, defaults, body = snippets[call.func.id]
            given = {**defaults, **{k.arg: ast.literal_eval(k.value) for k in call.keywords}}
            if sorted(given) != sorted(names):
                raise ValueError(f"{text!r}: the snippet takes {', '.join(names)}")
            pad = " " * _indent(line)
            out.extend(pad + s if s.strip() else s for s in _render(body, given, snippets, form))
            i += 1
    return out


def _select(pad: int, condition: str, first: list[str], second: list[str], values: dict, form: str) -> list[str]:
    """A ``#@ select`` (the module's docstring): ``if``/``else`` in the compiled form, ``np.where`` in the numpy one."""
    for name, value in values.items():
        if isinstance(value, str):
            condition = condition.replace("{" + name + "}", value)
    if form != "numpy":
        out = [" " * pad + f"if {condition}:"] + ["    " + s if s.strip() else s for s in first]
        if second:
            out += [" " * pad + "else:"] + ["    " + s if s.strip() else s for s in second]
        return out
    out = list(second)
    for statement in _statements("\n".join(s[pad:] for s in first)):
        if not statement.strip():
            continue
        node = ast.parse(statement).body[0]
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"#@ select {condition}: its first section holds assignments to names only, "
                             f"got {statement!r}")
        name = node.targets[0].id
        value = statement.split("=", 1)[1].strip()
        out.append(" " * pad + f"{name} = np.where({condition}, {value}, {name})")
    return out


def _names(node) -> tuple[set, set]:
    """(names a statement assigns, names it reads); an assignment into an array or a ``return`` reads only."""
    assigned, read = set(), set()
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            if isinstance(t, ast.Name):
                assigned.add(t.id)
                if isinstance(node, ast.AugAssign):
                    read.add(t.id)
            else:
                read.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        read.update(n.id for n in ast.walk(node.value) if isinstance(n, ast.Name))
    else:
        read.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return assigned, read


def _live_targets(statement: str, live: set) -> str:
    """``a = b = value`` written with the targets in ``live`` only (a statement clearing several sums)."""
    node = ast.parse(statement.strip()).body[0]
    if not (isinstance(node, ast.Assign) and len(node.targets) > 1
            and all(isinstance(t, ast.Name) for t in node.targets)):
        return statement
    names = [t.id for t in node.targets if t.id in live]
    value = ast.get_source_segment(statement.strip(), node.value)
    return " " * _indent(statement) + " = ".join(names + [value])


def prune(lines: list[str]) -> list[str]:
    """``lines`` (a function's body, straight code and ``if``/``else`` blocks) without the statements whose results no
    kept statement reads (``#@ prune``, the module's docstring). Names, not the flow, decide: what is kept is a
    superset of what is needed."""
    statements = _statements("\n".join(lines))
    info = []  # (statement, kind, assigned, read)
    for st in statements:
        text = st.strip()
        if not text or text.startswith(("#", '"', "'")):
            info.append((st, "keep", set(), set()))
        elif text.startswith(("if ", "elif ", "else:")):
            cond = text[:-1].split(" ", 1)[1] if not text.startswith("else") else "0"
            info.append((st, "control", set(), {n.id for n in ast.walk(ast.parse(cond)) if isinstance(n, ast.Name)}))
        else:
            assigned, read = _names(ast.parse(text).body[0])
            info.append((st, "root" if not assigned else "assign", assigned, read))
    live = set().union(*(r for _, kind, _, r in info if kind in ("root", "control")))
    kept = [kind != "assign" for _, kind, _, _ in info]
    changed = True
    while changed:
        changed = False
        for k, (_, _kind, assigned, read) in enumerate(info):
            if not kept[k] and assigned & live:
                kept[k] = changed = True
                live |= read
    out = [_live_targets(st, live) if kind == "assign" else st
           for (st, kind, _, _), k in zip(info, kept) if k]
    # blocks left empty: an ``if`` with an ``else`` keeps ``pass``, an empty ``else`` and a lone empty ``if`` go
    while True:
        for k, st in enumerate(out):
            text = st.strip()
            if not text.startswith(("if ", "else:")):
                continue
            nxt = next((s for s in out[k + 1:] if s.strip()), None)
            if nxt is not None and _indent(nxt) > _indent(st):
                continue
            if text.startswith("if ") and nxt is not None and nxt.strip() == "else:" and _indent(nxt) == _indent(st):
                out.insert(k + 1, " " * (_indent(st) + 4) + "pass")
            else:
                del out[k]
            break
        else:
            return out


def paste(template: str) -> str:
    """``template`` with its snippets pasted (the module's docstring says how); the same text when it has none."""
    lines = template.split("\n")
    if not any(line.lstrip().startswith(_DIRECTIVE) for line in lines):
        return template
    form = "numpy" if any(line.strip() == _DIRECTIVE + "form numpy" for line in lines) else "numba"
    return "\n".join(_render(lines, {}, {}, form))


def lane(statement: str, number: int) -> str:
    """``statement`` of a template for lane ``number``."""
    block = "b" if number == 0 else f"b + _u({number})"
    return statement.replace("{b}", block).replace("{l}", str(number))


def expand(template: str, marker: str) -> str:
    """The module generated from ``template`` (text), ``marker`` its first line."""
    out = [marker]
    for statement in _statements(paste(template)):
        text = statement.lstrip()
        if ("{l}" in statement or "{b}" in statement) and not text.startswith(('"', "'", "#")):
            out.extend(lane(statement, number) for number in range(LANES))
        else:
            out.append(statement)
    return "\n".join(out)


def _parallel_loops(lines: list[str]) -> list[str]:
    """``lines`` with each loop marked ``#@ parallel`` written as one step over a slice of its range (its body one
    level less indented), for :func:`expand_pixel_arrays`."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() != _DIRECTIVE + "parallel":
            out.append(lines[i])
            i += 1
            continue
        loop = lines[i + 1]
        pad = _indent(loop)
        match = re.fullmatch(r"for (\w+) in range\((.*)\):\s*(#.*)?", loop.strip())
        if match is None:
            raise ValueError(f"#@ parallel goes before a 'for name in range(...):' loop, got {loop.strip()!r}")
        call = f"f({match.group(2)})"
        bounds = [ast.get_source_segment(call, a) for a in ast.parse(call, mode="eval").body.args]
        bounds = ["0"] + bounds if len(bounds) == 1 else bounds
        out.append(" " * pad + f"{match.group(1)} = slice({', '.join(bounds)})")
        j = i + 2
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > pad):
            j += 1
        while j > i + 2 and not lines[j - 1].strip():  # blank lines after the loop are not its body
            j -= 1
        body = []
        for line in (s[4:] if s.strip() else s for s in lines[i + 2:j]):
            sum_ = re.fullmatch(r"([A-Za-z_][\w{}]*) ([-+*]=) (.+?)(\s+#.*)?", line.strip())
            if sum_ is not None and _indent(line) == pad:  # a sum over the loop: its terms added in order
                name, op, term = sum_.groups()[:3]
                line = " " * pad + f"for _term in {term}:\n" + " " * (pad + 4) + f"{name} {op} _term"
            body.append(line)
        out.extend(_parallel_loops(body))
        i = j
    return out


def _reads(node, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(node))


def _binds(node, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(node))


def _stores_into(node, array: str) -> bool:
    return any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and getattr(n.value, "id", "") == array
               for n in ast.walk(node))


def _view_safe(function, statements: list, k: int) -> bool:
    """Whether the lane value ``x = array[...]`` at ``statements[k]`` can stay a numpy view: no statement reads ``x``
    after a store into ``array`` (a statement's right side is computed before its store) until ``x`` is bound again
    in the same block. Conservative: a read before it in its block (a loop's next pass), a compound statement that
    binds ``x``, or reads after its block while ``x`` is not bound again, all ask for a copy."""
    node = statements[k]
    x, array = node.targets[0].id, node.value.value.id
    if any(_reads(st, x) for st in statements[:k]):
        return False
    stored = False
    for st in statements[k + 1:]:
        simple = isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr))
        if not simple and _binds(st, x):
            return False
        if _reads(st, x) and stored:
            return False
        if _reads(st, x) and not simple and _stores_into(st, array):
            return False
        stored = stored or _stores_into(st, array)
        if _binds(st, x):
            return True
    inside = {id(n) for st in statements[k + 1:] for n in ast.walk(st)}
    return not any(isinstance(n, ast.Name) and n.id == x and isinstance(n.ctx, ast.Load) and id(n) not in inside
                   for n in ast.walk(function))


def _chain(node, ops=(ast.Add, ast.Sub)) -> list:
    """``v op1 a op2 b ...`` (left-associated ``+`` / ``-``) as ``[v, (op1, a), (op2, b), ...]``, else None."""
    terms = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ops):
        terms.append((node.op, node.right))
        node = node.left
    return [node] + terms[::-1] if terms else None


def _in_place(function, stored: set, views: set) -> dict:
    """The stores ``array[s] = x op1 a op2 b ...`` (``x = array[s]`` a view, :func:`_views`, the same ``s`` with no
    name of it bound in between, ``a``, ``b`` reading neither ``array`` nor a value loaded from it) written in place:
    ``array[s] op1= a``, then ``op2= b``: each element gets the same operations in the same order, without a new
    array and its copy."""
    loaded = {}  # array: the names bound to a value loaded from it
    for t in ast.walk(function):
        if (isinstance(t, ast.Assign) and len(t.targets) == 1 and isinstance(t.targets[0], ast.Name)
                and isinstance(t.value, ast.Subscript)):
            loaded.setdefault(getattr(t.value.value, "id", ""), set()).add(t.targets[0].id)
    out = {}
    for parent in ast.walk(function):
        statements = getattr(parent, "body", None)
        if not isinstance(statements, list):
            continue
        for m, st in enumerate(statements):
            if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Subscript)):
                continue
            target, terms = st.targets[0], _chain(st.value)
            array = getattr(target.value, "id", "")
            if not terms or not isinstance(terms[0], ast.Name) or array not in stored:
                continue
            x = terms[0].id
            loads = [k for k, prev in enumerate(statements[:m]) if isinstance(prev, ast.Assign)
                     and [getattr(t, "id", "") for t in prev.targets] == [x] and id(prev) in views
                     and ast.unparse(prev.value) == ast.unparse(target)]
            if not loads:
                continue
            names = {n.id for n in ast.walk(target.slice) if isinstance(n, ast.Name)}
            if any(_binds(between, name) for between in statements[loads[-1] + 1:m] for name in names):
                continue
            if any(isinstance(n, ast.Name) and (n.id == array or n.id in loaded.get(array, ())) for _, term in terms[1:]
                   for n in ast.walk(term)):
                continue
            out[id(st)] = [ast.AugAssign(target, op, term) for op, term in terms[1:]]
    return out


def _drop_unread_loads(function):
    """``function`` without the loads ``x = array[...]`` whose ``x`` nothing reads any more (a store written in place,
    :func:`_in_place`)."""
    read = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for parent in ast.walk(function):
        for field in ("body", "orelse"):
            statements = getattr(parent, field, None)
            if isinstance(statements, list):
                statements[:] = [st for st in statements if not (
                    isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                    and isinstance(st.value, ast.Subscript) and st.targets[0].id not in read)]
    return function


def _views(function, stored: set) -> set:
    """The ``x = array[...]`` statements of ``function`` (``array`` one it stores into) whose value can stay a view."""
    safe = set()
    for parent in ast.walk(function):
        for field in ("body", "orelse"):
            statements = getattr(parent, field, None)
            if not isinstance(statements, list):
                continue
            for k, st in enumerate(statements):
                if (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                        and isinstance(st.value, ast.Subscript) and getattr(st.value.value, "id", "") in stored
                        and _view_safe(function, statements, k)):
                    safe.add(id(st))
    return safe


class _PixelArrays(ast.NodeTransformer):
    """What numba does per lane, written on arrays element by element (:func:`expand_pixel_arrays`). A lane value
    loaded from an array the function also stores into is copied where a later store could reach it before its last
    read (:func:`_view_safe`): numba holds it in a register, a numpy view would see the later store."""

    def __init__(self, stored: set, views: set, in_place: dict):
        self.stored = stored
        self.views = views
        self.in_place = in_place

    def visit_Assign(self, node):
        if id(node) in self.in_place:
            return [self.visit(st) for st in self.in_place[id(node)]]
        self.generic_visit(node)
        value = node.value
        if (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(value, ast.Subscript)
                and getattr(value.value, "id", "") in self.stored and id(node) not in self.views):
            node.value = ast.Call(ast.Attribute(value, "copy", ast.Load()), [], [])
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        out = node.values[0]
        for value in node.values[1:]:
            out = ast.BinOp(out, op, value)
        return out

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return ast.UnaryOp(ast.Invert(), node.operand) if isinstance(node.op, ast.Not) else node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "where", ast.Load()),
                        [node.test, node.body, node.orelse], [])

    def visit_Call(self, node):
        self.generic_visit(node)
        if (getattr(node.func, "id", "") == "abs" and isinstance(node.args[0], ast.Call)
                and getattr(node.args[0].func, "id", "") == "complex"):
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "hypot", ast.Load()), node.args[0].args, [])
        return node


def expand_pixel_arrays(template: str, marker: str, docstring: str) -> str:
    """The pixel-array form of a lane template (the module's docstring), ``marker`` its first line and
    ``docstring`` its module docstring: its lane functions without the compiler's decorators, on arrays whose last
    axis is the pixel."""
    text = "\n".join(_parallel_loops(template.split("\n")))
    text = text.replace("[{l}]", "[:]").replace(", {l}]", ", :]").replace("{l}", "_")
    tree = ast.parse(text)
    body = [ast.Expr(ast.Constant(docstring)), ast.ImportFrom("__future__", [ast.alias("annotations")], 0),
            ast.Import([ast.alias("numpy", "np")])]
    for node in tree.body[1:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):  # numpy's, written above (isort's blank lines)
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["LANES"]:
            continue
        if isinstance(node, ast.FunctionDef):
            if "range(LANES)" in ast.unparse(node):
                continue
            node.decorator_list = []
            stored = {t.value.id for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AugAssign))
                      for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                      if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
            views = _views(node, stored)
            node = _drop_unread_loads(_PixelArrays(stored, views, _in_place(node, stored, views)).visit(node))
        body.append(node)
    parts = [ast.unparse(ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))) for node in body]
    doc, future, numpy_import, *functions = parts  # the house style's blank lines between them
    return f"{marker}\n{doc}\n\n{future}\n\n{numpy_import}\n\n\n" + "\n\n\n".join(functions) + "\n"


class _OneLane(ast.NodeTransformer):
    """A lane function on lane ``q`` alone (:func:`expand_one_lane`): named ``..._q``, ``q`` its last argument, a loop
    over the lanes a loop over ``q``, the calls of the other lane functions of the template those of their one-lane
    form."""

    def __init__(self, names: set):
        self.names = names

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        node.name = node.name[:-2] + "_q"
        node.args.args.append(ast.arg("q"))
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        name = getattr(node.func, "id", "")
        if name in self.names:
            node.func = ast.Name(name[:-2] + "_q", ast.Load())
            node.args.append(ast.Name("q", ast.Load()))
        elif name == "range" and [getattr(a, "id", "") for a in node.args] == ["LANES"]:
            node.args = [ast.Name("q", ast.Load()), ast.BinOp(ast.Name("q", ast.Load()), ast.Add(), ast.Constant(1))]
        return node


def expand_one_lane(template: str, marker: str, docstring: str, roots: tuple) -> str:
    """The one-lane form of a lane template (the module's docstring), ``marker`` its first line and ``docstring``
    its module docstring: the functions ``roots`` and the lane functions they call, each on lane ``q``."""
    text = template.replace("[{l}]", "[q]").replace(", {l}]", ", q]").replace("{l}", "_")
    tree = ast.parse(text)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    lane_functions = {name for name in functions if name.endswith("_b")}
    wanted, todo = [], list(roots)
    while todo:
        name = todo.pop(0)
        if name in wanted:
            continue
        wanted.append(name)
        todo.extend(n.func.id for n in ast.walk(functions[name]) if isinstance(n, ast.Call)
                    and getattr(n.func, "id", "") in lane_functions)
    body = [ast.Expr(ast.Constant(docstring)), ast.ImportFrom("__future__", [ast.alias("annotations")], 0)]
    body += [n for n in tree.body
             if isinstance(n, (ast.Import, ast.ImportFrom)) and getattr(n, "module", "") != "__future__"]
    body += [_OneLane(lane_functions).visit(n) for n in tree.body
             if isinstance(n, ast.FunctionDef) and n.name in wanted]
    parts = [ast.unparse(ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))) for node in body]
    doc, future, *rest = parts
    imports = [p for p in rest if p.startswith(("import ", "from "))]
    functions_text = [p for p in rest if not p.startswith(("import ", "from "))]
    head = "\n".join(p for p in imports if p.startswith("import ")) + "\n\n" + "\n".join(
        p for p in imports if p.startswith("from "))
    return f"{marker}\n{doc}\n\n{future}\n\n{head}\n\n\n" + "\n\n\n".join(functions_text) + "\n"

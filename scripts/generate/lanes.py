"""The ``#@`` templates: code written once and pasted in several places, in a compiled and a numpy form.

A template holds code written once and pasted in several places (DC3D's terms in the Okada corner kernels,
which numba compiles more than twice as slowly as calls to shared helpers, even inlined ones, and in the per-patch
DC3D of ``okada_dc3d.py``): lines between ``#@ snippet name(a, b="x")`` and ``#@ end`` define a snippet (neither
they nor the blank lines after them are copied; ``b`` has a default); a line ``#@ name(a="x")`` is replaced by the
snippet's lines, indented as that line, with ``{a}`` written ``x``. Inside a snippet, ``#@ if a`` ... ``#@ else`` ...
``#@ end`` keeps the first section when ``a`` is true, else the second, and ``#@ wrap a`` ... ``#@ end`` puts its
section under the statement ``a`` holds (``if grad:``), indented by four, or leaves it as it is when ``a`` is empty.
``#@ include name.py.in`` reads another template of the folder in its place (its snippets); ``#@ note`` lines are
the templates' own comments, not copied; every other line (docstrings and comments too) is copied as it is.
``generate.py`` (``make generate``) runs this for every template it lists.

The same snippets also give a **numpy form** (DC3D's terms on arrays of stations, :mod:`algorithms.faults.okada_numpy`):
a template holding the line ``#@ form numpy`` is written so. A branch taken per station is written in the snippets as
``#@ select condition`` ... ``#@ else`` ... ``#@ end``: the compiled form gets ``if condition:`` / ``else:``; the
numpy form evaluates the second section on every station, then each assignment ``name = value`` of the first as
``name = np.where(condition, value, name)`` (the first section holds such assignments only), so a station gets the
same operations in the same order as in the compiled kernel: the same bits. In the numpy form ``math.sqrt`` is
written ``np.sqrt``. ``#@ prune`` ... ``#@ end`` drops the statements of its section whose results no other kept
statement reads (a store into an array or a ``return`` is always kept): a numpy function storing only the
derivatives computes none of DC3D's ``atan`` and ``log`` terms, as LLVM drops them from the compiled one.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize

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
        if word in ("note", "form"):  # a comment of the template, not copied; the form read by paste()
            i += 1
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


def expand(template: str, marker: str) -> str:
    """The module generated from ``template`` (text), ``marker`` its first line."""
    return marker + "\n" + paste(template)

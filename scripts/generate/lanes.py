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
"""

from __future__ import annotations

import ast
import io
import os
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
            if word in ("snippet", "if", "wrap"):
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


def _render(lines: list[str], values: dict, snippets: dict) -> list[str]:
    """``lines`` with their directives carried out, ``{name}`` written for each of ``values``."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        if not text.startswith(_DIRECTIVE):
            for name, value in values.items():
                if isinstance(value, str):
                    line = line.replace("{" + name + "}", value)
            out.append(line)
            i += 1
            continue
        directive = text[len(_DIRECTIVE):]
        word, _, rest = directive.partition(" ")
        if word == "note":  # a comment of the template, not copied
            i += 1
        elif word == "include":
            with open(os.path.join(TEMPLATES, rest.strip()), encoding="utf-8") as f:
                out.extend(_render(f.read().split("\n"), values, snippets))
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
                out.extend(_render(first if value else second, values, snippets))
            elif value:
                out.append(" " * _indent(line) + value)
                out.extend("    " + s if s.strip() else s for s in _render(first, values, snippets))
            else:
                out.extend(_render(first, values, snippets))
        else:
            call = ast.parse(directive, mode="eval").body
            names, defaults, body = snippets[call.func.id]
            given = {**defaults, **{k.arg: ast.literal_eval(k.value) for k in call.keywords}}
            if sorted(given) != sorted(names):
                raise ValueError(f"{text!r}: the snippet takes {', '.join(names)}")
            pad = " " * _indent(line)
            out.extend(pad + s if s.strip() else s for s in _render(body, given, snippets))
            i += 1
    return out


def paste(template: str) -> str:
    """``template`` with its snippets pasted (the module's docstring says how); the same text when it has none."""
    lines = template.split("\n")
    if not any(line.lstrip().startswith(_DIRECTIVE) for line in lines):
        return template
    return "\n".join(_render(lines, {}, {}))


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

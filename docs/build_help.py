"""Render the Markdown pages of ``docs/`` to HTML pages beside them, the help the tools' Help button opens.

Run at ``make link`` (developer checkout) and ``make package`` (into the package's ``docs/``); QGIS's Python
has no Markdown module and the plugin never imports this file. It renders the Markdown these pages use:
ATX headings, paragraphs, nested bullet and numbered lists, pipe tables, fenced code, block quotes,
rules, code spans, bold, italic, links (``page.md`` links become ``page.html``), images and autolinks.
Each heading gets an ``id`` (its slug); a heading naming a tool (``geohazard:<id>`` or a code span holding
one word) also gets the tool's ID as an anchor, which the tools' ``helpUrl`` points at; a tool named in no
heading is anchored at the first table row whose first cell names it (a page's table of tools).

Usage: ``python3 docs/build_help.py [docs folder]`` (default: the folder of this file).
"""

import html
import os
import re
import sys

FENCE = re.compile(r"^\s*```")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ITEM = re.compile(r"^(\s*)([*+-]|\d+[.)])\s+(.*)$")
RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
TOOL_IN_HEADING = re.compile(r"geohazard:([a-z0-9_]+)|`([a-z][a-z0-9]*)`")

STYLE = """
body { font: 15px/1.5 sans-serif; max-width: 62em; margin: 1em auto; padding: 0 1em; color: #1d1d1d;
       background: #fdfdfd; }
a { color: #1a5fb4; } code, pre { font-family: monospace; background: #eef0f2; }
code { padding: 0 .2em; } pre { padding: .6em; overflow-x: auto; } pre code { padding: 0; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #b8bcc0; padding: .2em .5em;
       vertical-align: top; } th { background: #e4e7ea; }
blockquote { border-left: 4px solid #b8bcc0; margin-left: 0; padding-left: 1em; color: #444; }
img { max-width: 100%; } nav { font-size: 90%; border-bottom: 1px solid #b8bcc0; padding-bottom: .4em; }
@media (prefers-color-scheme: dark) {
  body { color: #e6e6e6; background: #1e1f21; } a { color: #8ab4f8; }
  code, pre { background: #2c2e31; } th { background: #34373b; } th, td { border-color: #55595e; }
  blockquote { color: #c0c0c0; border-color: #55595e; }
}
"""


def slug(text: str) -> str:
    """The heading's ``id``: lower case words joined by ``-`` (as GitHub makes them)."""
    text = re.sub(r"<[^>]+>", "", text).lower()
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", text)).strip("-")


def _link_target(url: str) -> str:
    if re.match(r"^[\w-]+:", url) or url.startswith("#"):
        return url
    page, _, fragment = url.partition("#")
    if page.endswith(".md"):
        page = page[:-3] + ".html"
    return page + ("#" + fragment if fragment else "")


def inline(text: str) -> str:
    """One line of Markdown text as HTML (code spans kept verbatim, everything else escaped)."""
    spans = []

    def keep(match):
        spans.append("<code>" + html.escape(" ".join(match.group(2).split()), quote=False) + "</code>")
        return f"\x00{len(spans) - 1}\x00"

    text = html.escape(CODE_SPAN.sub(keep, text), quote=False)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;[^)]*&quot;)?\)",
                  lambda m: f'<img src="{m.group(2)}" alt="{m.group(1)}">', text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)",
                  lambda m: f'<a href="{_link_target(m.group(2))}">{m.group(1)}</a>', text)
    text = re.sub(r"&lt;(https?://[^\s&]+)&gt;", r'<a href="\1">\1</a>', text)
    text = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<strong>\1</strong>", text, flags=re.S)
    text = re.sub(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)


def _cells(row: str) -> list:
    """A table row's cells: split at ``|`` outside code spans (``\\|`` stays a bar)."""
    cells, cell, in_code = [], "", False
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    i = 0
    while i < len(row):
        ch = row[i]
        if ch == "\\" and row[i + 1:i + 2] == "|":
            cell, i = cell + "|", i + 2
            continue
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
        i += 1
    return cells + [cell.strip()]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class Renderer:
    """Markdown blocks to HTML, anchoring each tool ID at the first heading that names it."""

    def __init__(self, lines: list = ()):
        self.anchored = set()
        #: tools named in a heading, anchored there even when a table names them earlier
        self.in_headings = {a or b for s in lines if HEADING.match(s) for a, b in TOOL_IN_HEADING.findall(s)}
        self.slugs = {}

    def heading(self, level: int, text: str) -> str:
        body = inline(text)
        base = slug(body) or "section"
        n = self.slugs.get(base, 0)
        self.slugs[base] = n + 1
        anchors = ""
        for a, b in TOOL_IN_HEADING.findall(text):
            tool = a or b
            if tool not in self.anchored:
                self.anchored.add(tool)
                anchors += f'<a id="{tool}"></a>'
        return f'{anchors}<h{level} id="{base}{"-" + str(n) if n else ""}">{body}</h{level}>'

    def blocks(self, lines: list) -> list:
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
            elif FENCE.match(line):
                j = i + 1
                while j < len(lines) and not FENCE.match(lines[j]):
                    j += 1
                code = "\n".join(lines[i + 1:j])
                out.append("<pre><code>" + html.escape(code, quote=False) + "</code></pre>")
                i = j + 1
            elif HEADING.match(line):
                m = HEADING.match(line)
                out.append(self.heading(len(m.group(1)), m.group(2)))
                i += 1
            elif RULE.match(line):
                out.append("<hr>")
                i += 1
            elif line.lstrip().startswith("|") and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):
                j = i + 2
                while j < len(lines) and lines[j].lstrip().startswith("|"):
                    j += 1
                out.append(self.table(lines[i], lines[i + 2:j]))
                i = j
            elif line.lstrip().startswith(">"):
                j = i
                while j < len(lines) and lines[j].strip() and lines[j].lstrip().startswith(">"):
                    j += 1
                inner = [re.sub(r"^\s*>\s?", "", s) for s in lines[i:j]]
                out.append("<blockquote>" + "\n".join(self.blocks(inner)) + "</blockquote>")
                i = j
            elif ITEM.match(line):
                j = self._list_end(lines, i)
                out.append(self.list(lines[i:j]))
                i = j
            else:
                j = i + 1
                while j < len(lines) and lines[j].strip() and not self._starts_block(lines, j):
                    j += 1
                out.append("<p>" + inline("\n".join(s.strip() for s in lines[i:j])) + "</p>")
                i = j
        return out

    @staticmethod
    def _starts_block(lines: list, j: int) -> bool:
        line = lines[j]
        return bool(FENCE.match(line) or HEADING.match(line) or ITEM.match(line) or RULE.match(line)
                    or line.lstrip().startswith(">") or line.lstrip().startswith("|"))

    @staticmethod
    def _list_end(lines: list, i: int) -> int:
        """Index after the list starting at ``lines[i]``: it goes on through blank lines while the next
        line is indented under it or is another item at its level."""
        base = _indent(lines[i])
        j = i + 1
        while j < len(lines):
            line = lines[j]
            if not line.strip():
                k = j
                while k < len(lines) and not lines[k].strip():
                    k += 1
                if k < len(lines) and (_indent(lines[k]) > base or (ITEM.match(lines[k])
                                                                    and _indent(lines[k]) == base)):
                    j = k
                    continue
                return j
            if _indent(line) <= base and not ITEM.match(line) and (HEADING.match(line) or FENCE.match(line)
                                                                   or line.lstrip().startswith("|")):
                return j
            j += 1
        return j

    def list(self, lines: list) -> str:
        base = _indent(lines[0])
        tag = "ol" if ITEM.match(lines[0]).group(2)[0].isdigit() else "ul"
        items = []
        for line in lines:
            m = ITEM.match(line)
            if m and _indent(line) <= base:
                items.append([m.group(3)])
                width = len(m.group(1)) + len(m.group(2)) + 1
                items[-1].append(width)
            else:
                width = items[-1][-1]
                cut = min(_indent(line), width) if line.strip() else 0
                items[-1].insert(-1, line[cut:])
        html_items = []
        for item in items:
            body = self.blocks(item[:-1])
            if len(body) >= 1 and body[0].startswith("<p>") and all(not b.startswith("<p>") for b in body[1:]):
                body[0] = body[0][3:-4]  # a tight item: its text without a paragraph
            html_items.append("<li>" + "\n".join(body) + "</li>")
        return f"<{tag}>\n" + "\n".join(html_items) + f"\n</{tag}>"

    def table(self, header: str, rows: list) -> str:
        head = "".join(f"<th>{inline(c)}</th>" for c in _cells(header))
        body = "\n".join(self.row(_cells(r)) for r in rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


    def row(self, cells: list) -> str:
        named = re.match(r"^`?geohazard:([a-z0-9_]+)`?$", cells[0]) if cells else None
        tool = named.group(1) if named else ""
        anchor = ""
        if tool and tool not in self.in_headings and tool not in self.anchored:
            self.anchored.add(tool)
            anchor = f' id="{tool}"'
        return f"<tr{anchor}>" + "".join(f"<td>{inline(c)}</td>" for c in cells) + "</tr>"


def render(markdown: str, title: str = "", pages: tuple = ()) -> str:
    """A whole HTML page from the Markdown text ``markdown``, with links to the other ``pages``."""
    lines = markdown.replace("\t", "    ").splitlines()
    first = next((HEADING.match(s).group(2) for s in lines if HEADING.match(s)), title)
    nav = " | ".join(f'<a href="{p}.html">{p}</a>' for p in pages)
    body = "\n".join(Renderer(lines).blocks(lines))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>InSAR Geohazards: {html.escape(re.sub('`', '', first))}</title>\n<style>{STYLE}</style>\n"
            f"</head>\n<body>\n<nav>InSAR Geohazards help: {nav}</nav>\n{body}\n</body>\n</html>\n")


def build(folder: str) -> list:
    """Write ``<page>.html`` beside each ``<page>.md`` of ``folder``; returns the paths written."""
    pages = sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".md"))
    written = []
    for page in pages:
        with open(os.path.join(folder, page + ".md"), encoding="utf-8") as fh:
            text = fh.read()
        path = os.path.join(folder, page + ".html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(render(text, page, tuple(pages)))
        written.append(path)
    return written


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    print(f"Rendered {len(build(target))} help pages in {target}")

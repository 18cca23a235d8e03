"""Render the Markdown pages of ``docs/`` to HTML pages beside them, the help the tools' Help button opens.

Run at ``make link`` (developer checkout) and ``make package`` (into the package's ``docs/``); the plugin never
imports this file, and QGIS's Python needs no Markdown module: the pages ship rendered. The Markdown is parsed by
markdown-it-py (CommonMark with GitHub's pipe tables: the pages read the same here as on a code forge), then:

* each heading gets an ``id``, its slug as GitHub makes it (``-1``, ``-2`` ... for repeats);
* a heading naming a tool (``geohazard:<id>`` or a code span holding one word) also gets the tool's ID as an
  anchor, which the tools' ``helpUrl`` points at; a tool named in no heading is anchored at the first table row
  whose first cell names it (a page's table of tools);
* links to ``page.md`` become links to ``page.html``; links to files outside ``docs/`` (``../BENCHMARKS.md``) become
  links to them in the source repository (the installed plugin holds no rendered copy);
* a code span naming a file of the source repository that the installed plugin does not hold (``benchmarks/``,
  ``tests/``, ``demo/``, ``scripts/``, ``.ci/``, ``BENCHMARKS.md``: the commands behind a page's figures, the
  generator of the generated modules) is marked, and the page
  ends with a note saying where those files are.

Usage: ``python3 docs/build_help.py [docs folder]`` (default: the folder of this file). Needs the package
``markdown-it-py`` (Debian: ``python3-markdown-it``), which ``make`` installs.
"""

import html
import os
import re
import sys

TOOL_IN_HEADING = re.compile(r"geohazard:([a-z0-9_]+)|`([a-z][a-z0-9]*)`")
TOOL_IN_CELL = re.compile(r"^`?geohazard:([a-z0-9_]+)`?$")
#: Files of the source repository that `make package` leaves out of the installed plugin.
NOT_INSTALLED = re.compile(r"(?:^|[\s=\"'(])(?:\./)?(?:benchmarks|tests|demo|scripts|\.ci)/|\bBENCHMARKS\.md\b")
REPOSITORY = "https://github.com/insar-geohazards/insar_geohazards"

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
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text)).strip("-")


def _link_target(url: str) -> str:
    """Where a link of a page points in the installed help: ``page.md`` -> ``page.html``; a file of the source
    repository the installed plugin does not hold (``../BENCHMARKS.md``, ``../benchmarks/...``) -> that file in the
    repository (the help has no rendered copy of it)."""
    if re.match(r"^[\w-]+:", url) or url.startswith("#"):
        return url
    page, _, fragment = url.partition("#")
    if page.startswith("../"):
        in_repo = os.path.normpath(page[3:]).replace(os.sep, "/")
        if not in_repo.startswith(".."):
            return f"{REPOSITORY}/blob/main/{in_repo}" + ("#" + fragment if fragment else "")
    if page.endswith(".md"):
        page = page[:-3] + ".html"
    return page + ("#" + fragment if fragment else "")


def _parser():
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        raise SystemExit("docs/build_help.py needs markdown-it-py: apt install python3-markdown-it "
                         "(or pip install markdown-it-py)") from None
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _plain(inline_token) -> str:
    """The text a reader sees in an inline token (code spans and emphasis without their marks)."""
    return "".join(c.content for c in (inline_token.children or []) if c.type in ("text", "code_inline"))


def _tools_in_headings(tokens) -> set:
    return {a or b for i, t in enumerate(tokens) if t.type == "heading_open"
            for a, b in TOOL_IN_HEADING.findall(tokens[i + 1].content)}


def _anchor(tokens, parser):
    """Heading ids, tool anchors and ``.md`` links rewritten, in place; returns the tokens to render."""
    from markdown_it.token import Token

    in_headings, anchored, slugs, out = _tools_in_headings(tokens), set(), {}, []
    for i, tok in enumerate(tokens):
        if tok.type == "inline":
            for j, child in enumerate(tok.children or []):
                if child.type == "link_open":
                    child.attrSet("href", _link_target(child.attrGet("href") or ""))
                elif child.type == "code_inline" and NOT_INSTALLED.search(child.content):
                    mark = Token("html_inline", "", 0)
                    mark.content = (f'<code class="source">{html.escape(child.content)}</code>'
                                    '<sup><a href="#source-files" title="in the source repository">&dagger;</a></sup>')
                    tok.children[j] = mark
        if tok.type == "heading_open":
            base = slug(_plain(tokens[i + 1])) or "section"
            n = slugs.get(base, 0)
            slugs[base] = n + 1
            tok.attrSet("id", base + (f"-{n}" if n else ""))
            for a, b in TOOL_IN_HEADING.findall(tokens[i + 1].content):
                tool = a or b
                if tool not in anchored:
                    anchored.add(tool)
                    mark = Token("html_block", "", 0)
                    mark.content = f'<a id="{tool}"></a>'
                    out.append(mark)
        elif tok.type == "tr_open" and i + 2 < len(tokens) and tokens[i + 1].type == "td_open":
            named = TOOL_IN_CELL.match(tokens[i + 2].content.strip())
            tool = named.group(1) if named else ""
            if tool and tool not in in_headings and tool not in anchored:
                anchored.add(tool)
                tok.attrSet("id", tool)
        out.append(tok)
    return out


def render(markdown: str, title: str = "", pages: tuple = ()) -> str:
    """A whole HTML page from the Markdown text ``markdown``, with links to the other ``pages``."""
    parser = _parser()
    tokens = parser.parse(markdown)
    first = next((tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"), title)
    nav = " | ".join(f'<a href="{p}.html">{p}</a>' for p in pages)
    body = parser.renderer.render(_anchor(tokens, parser), parser.options, {})
    if 'href="#source-files"' in body or any(t.type in ("fence", "code_block") and NOT_INSTALLED.search(t.content)
                                             for t in tokens):
        body += (f'<p id="source-files"><small>&dagger; In the plugin\'s source repository ({REPOSITORY}), not in '
                 "the installed plugin: the benchmarks, tests and demo behind this page's figures run from a "
                 "checkout of it (its README says how).</small></p>\n")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>InSAR Geohazards: {html.escape(re.sub('`', '', first))}</title>\n<style>{STYLE}</style>\n"
            f"</head>\n<body>\n<nav>InSAR Geohazards help: {nav}</nav>\n{body}</body>\n</html>\n")


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

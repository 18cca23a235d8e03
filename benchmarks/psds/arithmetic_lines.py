"""The lines of a module that do arithmetic (``+ - * / // % **`` and augmented assignments), outside indices.

    python3 benchmarks/psds/arithmetic_lines.py algorithms/psds/phase_linking/vectorised.py

For the count of what phase linking's numpy path still writes beside the kernel (docs/psds.md): one line per
function and line number; arithmetic inside a subscript, ``range``/``slice``/``min``/``max`` arguments or a module
constant is index work and left out. Which of the lines compute values a kernel also computes is read from them.
"""

import ast
import sys

ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


class _Lines(ast.NodeVisitor):
    def __init__(self):
        self.function, self.found = None, set()

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_Subscript(self, node):
        self.visit(node.value)

    def visit_Call(self, node):
        if getattr(node.func, "id", "") in ("range", "slice", "min", "max"):
            return
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if self.function and isinstance(node.op, ARITHMETIC):
            self.found.add((node.lineno, self.function))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if self.function and isinstance(node.op, ARITHMETIC):
            self.found.add((node.lineno, self.function))
        self.generic_visit(node)


def main(path):
    text = open(path, encoding="utf-8").read()
    lines = _Lines()
    lines.visit(ast.parse(text))
    source = text.split("\n")
    for number, function in sorted(lines.found):
        print(f"{function}:{number}: {source[number - 1].strip()}")


if __name__ == "__main__":
    main(sys.argv[1])

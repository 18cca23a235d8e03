"""Where the test suite's CPU went: the per-test lines tests/conftest.py writes under GEOHAZARD_CPU_LOG, summed.

    python3 .ci/cpu_report.py FOLDER [N [ROOT]]

Prints the total CPU seconds and qgis_process starts, then the N (default 25) test files and the N tests that took
the most CPU (set-up and teardown included, child processes included), each with its wall seconds. With ROOT (the
repository): the numba cache signatures under it that no test process used, counted (the list in
FOLDER/unused_signatures.txt).
"""

from __future__ import annotations

import collections
import glob
import os
import sys


def main() -> None:
    folder = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    tests, ends = [], {}
    for path in sorted(glob.glob(os.path.join(folder, "*.tsv"))):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                nodeid, cpu, wall, starts, end = line.rstrip("\n").split("\t")
                tests.append((nodeid, float(cpu), float(wall), int(starts)))
                ends.setdefault(os.path.basename(path).split("-")[0], []).append(float(end))
    if not tests:
        return
    files = collections.defaultdict(lambda: [0.0, 0.0, 0, 0])
    for nodeid, cpu, wall, starts in tests:
        f = files[nodeid.split("::")[0]]
        f[0] += cpu
        f[1] += wall
        f[2] += starts
        f[3] += 1
    total = sum(t[1] for t in tests)
    print(f"[tests] CPU of the tests: {total:.0f} CPU-s in {len(tests)} tests of {len(files)} files, "
          f"{sum(t[3] for t in tests)} qgis_process starts")
    if len(ends) > 1:  # the workers' last test ended at: the others idle meanwhile (the tail)
        last = {w: max(t) for w, t in ends.items() if w.startswith("gw")}
        if len(last) > 1:
            print("[tests] each worker's last test ended, seconds before the last worker's: " + ", ".join(
                f"{w} {max(last.values()) - t:.0f}" for w, t in sorted(last.items())))
    print(f"[tests] the {n} files that took the most CPU (CPU-s, wall s, qgis_process starts, tests):")
    for name, (cpu, wall, starts, count) in sorted(files.items(), key=lambda kv: -kv[1][0])[:n]:
        print(f"  {cpu:7.1f} {wall:7.1f} {starts:4d} {count:5d}  {name}")
    print(f"[tests] the {n} tests that took the most CPU (CPU-s, wall s, qgis_process starts):")
    for nodeid, cpu, wall, starts in sorted(tests, key=lambda t: -t[1])[:n]:
        print(f"  {cpu:7.1f} {wall:7.1f} {starts:4d}  {nodeid}")
    root = sys.argv[3] if len(sys.argv) > 3 else ""
    if root and glob.glob(os.path.join(folder, "*.signatures")):
        unused = unused_cache_signatures(folder, root)
        kernels = collections.Counter(k.split("/")[-1].split(".")[0] for k in unused)
        print(f"[tests] numba cache signatures no test process used: {sum(map(len, unused.values()))} of "
              f"{len(unused)} kernels, by module: " + ", ".join(f"{m} {c}" for m, c in kernels.most_common()))
        with open(os.path.join(folder, "unused_signatures.txt"), "w", encoding="utf-8") as fh:
            for k in sorted(unused):
                fh.write("".join(f"{k}({s})\n" for s in unused[k]))


def unused_cache_signatures(folder: str, root: str) -> dict:
    """``{kernel: [signatures]}``: the signatures in numba's cache beside the sources (the warm-up's and those compiled
    later) that no test process used (``*.signatures`` of tests/conftest.py). A kernel only ever called from other
    kernels is compiled into them and counts as unused here, though compiling its callers needed it."""
    import pickle

    used = set()
    for path in glob.glob(os.path.join(folder, "*.signatures")):
        with open(path, encoding="utf-8") as fh:
            used.update(tuple(line.rstrip("\n").split("\t")) for line in fh)
    unused = {}
    for index in glob.glob(os.path.join(root, "**", "__pycache__", "*.nbi"), recursive=True):
        key = os.path.basename(index).rsplit("-", 1)[0]  # module.qualname
        try:
            with open(index, "rb") as fh:
                pickle.load(fh)
                _, overloads = pickle.loads(fh.read())
        except Exception:  # an index numba wrote in another format: not counted
            continue
        for k in overloads:
            sig = ", ".join(str(a) for a in k[0])
            if (key, sig) not in used:
                unused.setdefault(os.path.relpath(index, root).split("__pycache__")[0] + key, []).append(sig)
    return unused


if __name__ == "__main__":
    main()

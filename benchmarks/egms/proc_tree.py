"""CPU seconds and peak RSS (VmHWM) of a process and its live descendants, from /proc: ada_dask.sh reads it before
and after a run to charge the cluster's CPU to it.

Usage: /usr/bin/python3 proc_tree.py PID   ->  ``cpu_s=<total> rss_mb=<pid>:<VmHWM MB>,...``
"""

import os
import sys


def children(pid):
    out = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as fh:
                out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen


def main(pid):
    tick = os.sysconf("SC_CLK_TCK")
    cpu, rss = 0.0, []
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            cpu += (int(f[11]) + int(f[12])) / tick  # utime, stime
            with open(f"/proc/{p}/status") as fh:
                hwm = next(line for line in fh if line.startswith("VmHWM"))
            rss.append(f"{p}:{int(hwm.split()[1]) / 1024:.0f}")
        except (OSError, StopIteration):
            pass
    print(f"cpu_s={cpu:.2f} rss_mb={','.join(rss)}")


if __name__ == "__main__":
    main(int(sys.argv[1]))

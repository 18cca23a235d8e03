"""Where the attributes-only load of EGMS tiles can go no lower: inflating the zips, and inflating plus the
compiled parse (the stream loadegms writes from), with nothing written.

Usage: /usr/bin/python3 floor.py TILE_DIR [--first K] [--workers N]

Prints, for the tiles given: (1) zlib inflate of every CSV, one thread, then the tiles shared by two threads
(zlib releases the GIL); (2) ``stream_tiles(dates=False)`` as loadegms runs it (one thread inflating in tile
order, N threads parsing), every chunk consumed and dropped. CPU seconds of the process, and of the thread
that inflates where it is one thread; wall seconds follow the machine's load.
"""

import argparse
import glob
import os
import sys
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.formats import egms_tiles as tiles  # noqa: E402


def _inflate(paths, out, k):
    t0 = time.thread_time()
    n = 0
    for p in paths:
        try:
            with zipfile.ZipFile(p) as zf:
                name = [m for m in zf.namelist() if m.endswith(".csv")][0]
                with zf.open(name) as f:
                    while True:
                        b = f.read(8 << 20)
                        if not b:
                            break
                        n += len(b)
        except (zipfile.BadZipFile, OSError, EOFError) as e:  # the damaged tile: inflated up to its fault
            print(f"  {os.path.basename(p)}: {type(e).__name__}", file=sys.stderr)
    out[k] = (n, time.thread_time() - t0)


def _timed(label, fn):
    c0, w0 = time.process_time(), time.perf_counter()
    extra = fn()
    print(f"{label}: wall {time.perf_counter() - w0:.1f} s, CPU {time.process_time() - c0:.1f} s{extra}",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tiles")
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(a.tiles, "*.zip")))
    if a.first:
        files = files[:a.first]
    print(f"{len(files)} tiles, {sum(os.path.getsize(f) for f in files) / 1e6:.0f} MB zipped; "
          f"load {os.getloadavg()[0]:.1f}")

    def one():
        out = {}
        _inflate(files, out, 0)
        n, cpu = out[0]
        return f" ({n / 1e9:.2f} GB of CSV, {cpu / n * 1e9:.2f} ns a byte)"

    def two():
        out, ts = {}, []
        for k in range(2):
            ts.append(threading.Thread(target=_inflate, args=(files[k::2], out, k)))
            ts[-1].start()
        for t in ts:
            t.join()
        return f" (threads {out[0][1]:.1f} + {out[1][1]:.1f} CPU-s)"

    def stream():
        heads = []
        for f in files:
            try:
                heads.append(tiles.read_header(f))
            except (tiles.GeohazardError, *tiles.DAMAGED):
                pass
        rows = 0
        t0 = time.thread_time()
        for _, item in tiles.stream_tiles(heads, dates=False, workers=a.workers):
            if isinstance(item, tiles.Chunk):
                rows += len(item)
        return f" ({rows} rows; the consuming thread {time.thread_time() - t0:.1f} CPU-s)"

    _timed("inflate, one thread", one)
    _timed("inflate, two threads", two)
    _timed(f"inflate + parse as loadegms streams it (attributes only, {a.workers} parse threads)", stream)
    return 0


if __name__ == "__main__":
    sys.exit(main())

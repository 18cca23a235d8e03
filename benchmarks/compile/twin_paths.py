"""The two hand-written forms kept beside a numba kernel, measured against each other: CPU-s (median of N) and a
digest of every output, compiled loop against numpy.

* reference: ``reference_sums_block`` (numpy, one interferogram at a time) against the compiled loop over the
  pixels it replaced (written here), on 84 interferograms x ROWS x 1024 float32 with coherence (5 % NaN);
* egms_tiles: ``parse_chunk`` with its kernel against its numpy parse, on 20,000 points x 207 dates of EGMS L2b
  text (20 MB), the dated fields read and not.

    /usr/bin/python3 benchmarks/compile/twin_paths.py reference|egms [ROWS [REPEAT]]
"""
import hashlib
import os
import resource
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins")]
from insar_geohazards.algorithms import _numba, kernel_families  # noqa: E402
from insar_geohazards.algorithms._numba import njit, prange  # noqa: E402
from insar_geohazards.algorithms.corrections import reference  # noqa: E402
from insar_geohazards.algorithms.formats import egms_tiles  # noqa: E402


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def median_cpu(run, reps):
    times, digest = [], None
    for _ in range(reps):
        t = cpu()
        digest = run()
        times.append(cpu() - t)
    return sorted(times)[len(times) // 2], digest


@njit(parallel=True, cache=False, nogil=True)
def compiled_sums(data, signs, dt, coh):
    """The stacking sums as one compiled pass over the pixels (each term rounded as numpy's expression)."""
    m, rows, cols = data.shape
    count = np.zeros((rows, cols), np.int32)
    sdt = np.zeros((rows, cols))
    dt2 = np.zeros((rows, cols))
    csum = np.zeros((rows, cols))
    for r in prange(rows):
        for c in range(cols):
            n, a, b, q = 0, 0.0, 0.0, 0.0
            for k in range(m):
                v = np.float64(data[k, r, c])
                ok = np.isfinite(v)
                ta = dt[k] * ((v if ok else 0.0) * signs[k])
                tb = (dt[k] * dt[k]) * (1.0 if ok else 0.0)
                a = ta if k == 0 else a + ta
                b = tb if k == 0 else b + tb
                n += 1 if ok else 0
                cv = np.float64(coh[k, r, c])
                tc = cv if np.isfinite(cv) else 0.0
                q = tc if k == 0 else q + tc
            count[r, c], sdt[r, c], dt2[r, c], csum[r, c] = n, a, b, q
    return count, sdt, dt2, csum / m


def digest(arrays):
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()[:12]


def bench_reference(rows, reps):
    rng = np.random.default_rng(1)
    m = 84
    data = rng.normal(0, 3, (m, rows, 1024)).astype(np.float32)
    data[rng.random(data.shape) < 0.05] = np.nan
    coh = rng.uniform(0.1, 0.9, data.shape).astype(np.float32)
    span, signs = rng.uniform(0.03, 0.5, m), np.where(rng.random(m) < 0.3, -1.0, 1.0)
    mb = (data.nbytes + coh.nbytes) / 2**20

    def ours():
        r = reference.reference_sums_block(None, {"stack": data, "coherence": coh}, span_years=span, signs=signs)
        return digest([r["count"], r["sdt"], r["dt2"], r["coh"]])

    def loop():
        return digest(compiled_sums(data, signs, span, coh))

    loop()  # compiled before the timing
    for name, run in (("compiled loop", loop), ("numpy", ours)):
        s, d = median_cpu(run, reps)
        print(f"reference {name}: {s:.3f} CPU-s, {s / mb:.4f} CPU-s/MB ({mb:.0f} MB), digest {d}")


def bench_egms(reps):
    rng = np.random.default_rng(13)
    dates = [f"{2016 + k // 60}{(k // 5) % 12 + 1:02d}{k % 5 * 6 + 1:02d}" for k in range(207)]
    lines = [kernel_families.EGMS_HEADER + "," + ",".join(dates)]
    for k in range(20000):
        attrs = [f"1A{k:08d}", "0", "38.7", "13.1", f"{4300000 + k}.5", f"{1800000 + k}.25", "12.1", "55.0", "10",
                 "20", "1.2", "0.8", "0.5", "38.1", "-10.2", "0.6", "-0.1", "0.78", "-1.5", "0.3", "0.01", "0.02",
                 "1.1", "0.2", "0.0"]
        lines.append(",".join(attrs + [f"{v:.1f}" for v in rng.normal(0, 3, len(dates))]))
    text = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.csv")
        with open(path, "wb") as fh:
            fh.write(text)
        head = egms_tiles.read_header(path)
    body = text[text.index(b"\n") + 1:]
    mb = len(body) / 2**20
    for with_dates in (True, False):
        def run(with_dates=with_dates):
            chunk, _ = egms_tiles.parse_chunk(body, head, 1, dates=with_dates)
            return digest([chunk.pid] + [chunk.columns[k] for k in sorted(chunk.columns)] + [chunk.displacement_mm])

        run()
        for name, numba in (("numba", True), ("numpy", False)):
            with _numba.python_kernels([] if numba else [egms_tiles]):
                s, d = median_cpu(run, reps)
            print(f"egms_tiles dates={with_dates} {name}: {s:.3f} CPU-s, {s / mb:.4f} CPU-s/MB ({mb:.1f} MB), "
                  f"digest {d}")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "reference":
        bench_reference(int(sys.argv[2]) if len(sys.argv) > 2 else 128, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    else:
        bench_egms(int(sys.argv[3]) if len(sys.argv) > 3 else 5)

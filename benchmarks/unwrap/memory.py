"""Peak memory of the built-in unwrapper on an N x N interferogram (default 5000).

Prints the resident set before the call (inputs in memory: wrapped phase and coherence,
float32) and the peak during it (``ru_maxrss``), so the unwrapper's own share is the difference.
"""

import os
import resource
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.timeseries.unwrap import unwrap_interferogram  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(n=5000):
    rng = np.random.default_rng(0)
    phase = np.empty((n, n), np.float32)
    coh = np.empty((n, n), np.float32)
    c = np.arange(n, dtype=np.float32)
    for r0 in range(0, n, 500):  # bowls + ramp, noise from coherence, built in row chunks
        r = np.arange(r0, min(n, r0 + 500), dtype=np.float32)[:, None]
        t = 0.02 * c[None, :] - 40.0 * np.exp(-((r - n / 2) ** 2 + (c[None, :] - n / 2) ** 2) / (2 * 300.0 ** 2))
        g = 0.2 + 0.75 * (0.5 + 0.5 * np.sin(r / 300.0) * np.cos(c[None, :] / 400.0))
        sigma = np.sqrt(1 - g ** 2) / g / np.sqrt(2 * 9)
        phase[r0:r0 + len(r)] = np.angle(np.exp(1j * (t + rng.standard_normal(t.shape) * sigma)))
        coh[r0:r0 + len(r)] = g
    before = rss_mb()
    t0 = time.perf_counter()
    res = unwrap_interferogram(phase, coh)
    sec = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} x {n}: inputs in memory {before:.0f} MB RSS; peak {peak:.0f} MB; unwrapper's share "
          f"{peak - before:.0f} MB ({(peak - before) * 2**20 / n / n:.1f} bytes/pixel); {sec:.1f} s; "
          f"{100 * res.stats['share_unwrapped']:.1f}% unwrapped in {res.stats['components']} component(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)

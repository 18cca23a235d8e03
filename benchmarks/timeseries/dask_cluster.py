"""Start a dask.distributed LocalCluster of N single-thread worker processes for the SBAS scale benchmark and keep it
up until SIGTERM or SIGINT; the scheduler's tcp:// address goes to ADDRESS_FILE (the tool's DASK_SCHEDULER).

Usage: /usr/bin/python3 dask_cluster.py N_WORKERS ADDRESS_FILE
"""

from __future__ import annotations

import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.abspath(os.path.join(HERE, "..", "..", ".build", "plugins"))


def main():
    n, address_file = int(sys.argv[1]), sys.argv[2]
    os.environ["PYTHONPATH"] = PLUGINS + os.pathsep + os.environ.get("PYTHONPATH", "")
    for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GDAL_NUM_THREADS"):
        os.environ[k] = "1"
    sys.path.insert(0, PLUGINS)
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=0)
    with open(address_file + ".tmp", "w") as fh:
        fh.write(cluster.scheduler_address)
    os.replace(address_file + ".tmp", address_file)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.5)
    cluster.close()


if __name__ == "__main__":
    main()

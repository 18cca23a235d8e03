"""Start a dask.distributed LocalCluster of worker processes for the SBAS scale benchmark and keep it up.

Usage: /usr/bin/python3 dask_cluster.py N_WORKERS ADDRESS_FILE

N_WORKERS processes, one thread each (numba limited to one thread per worker); the scheduler's
tcp:// address is written to ADDRESS_FILE, which the tool takes as DASK_SCHEDULER. The workers
import the plugin from .build/plugins (PYTHONPATH), as any worker of a real cluster must. Stops on
SIGTERM or SIGINT.
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

"""The md5 of every output of ``geohazard:multisensortimeseries`` on a few scenarios, with 1 and 2 threads: run before
and after a change of the core that must not move a bit, and compare the two listings (a raster's pixels, band
descriptions and metadata but the two keys naming the run's files; a CSV's bytes).

Scenarios (tests/testutils_multisensor.py's scene, written as files): ``three`` two per-date series and an
interferogram stack in radians from a manifest, REFERENCE_DATE set; ``blocks`` the same with a small memory budget
(several blocks), north given with a sigma, every output; ``tied`` two interferogram stacks each interferogram with
its own constant (tied to the common ground), the gap and quality outputs.

Usage: QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH=$PWD/.build/plugins /usr/bin/python3 \
    benchmarks/multisensor/same_bytes.py OUT_DIR > listing.txt
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path += [p for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python") if os.path.isdir(p)]

OUTPUTS = ("OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST", "OUTPUT_VELOCITY", "OUTPUT_QUALITY",
           "OUTPUT_GAPS", "OUTPUT_REPORT")


def _with_constants(folder, seed):
    import numpy as np
    from osgeo import gdal

    rng = np.random.default_rng(seed)
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".tif"):
            continue
        ds = gdal.Open(os.path.join(folder, f), gdal.GA_Update)
        band = ds.GetRasterBand(1)
        band.WriteArray(band.ReadAsArray() + float(rng.uniform(-20, 20)))
        ds = None


#: Metadata that names the run's files (its folder differs between the runs compared).
PATH_KEYS = ("TIMESERIES_GROUP", "TIMESERIES_SOURCES")


def _digest(path):
    """md5 of a CSV's bytes; of a raster's pixels (every band, as stored), band descriptions and metadata but the keys
    that name the run's files (``PATH_KEYS``), its geotransform and CRS."""
    if path.endswith(".csv"):
        with open(path, "rb") as fh:
            return hashlib.md5(fh.read()).hexdigest()
    from osgeo import gdal

    ds = gdal.Open(path)
    h = hashlib.md5()
    md = {k: v for k, v in (ds.GetMetadata() or {}).items() if k not in PATH_KEYS}
    h.update(repr((sorted(md.items()), ds.GetGeoTransform(), ds.GetProjection())).encode())
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        h.update(repr((band.GetDescription(), sorted((band.GetMetadata() or {}).items()))).encode())
        h.update(band.ReadRaster())
    return h.hexdigest()


def scenarios(base):
    from testutils_multisensor import scene

    out = {}
    sc = scene(os.path.join(base, "in_three"))
    common = {"SERIES": sc["series"], "MANIFEST": sc["manifest"], "INCIDENCES": "36, 41", "HEADINGS": "-12, 192"}
    out["three"] = ({**common, "REFERENCE_DATE": "2019-01-05"}, ("OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP",
                                                                  "OUTPUT_VELOCITY", "OUTPUT_REPORT"))
    out["blocks"] = ({**common, "MAX_MEMORY_MB": 24, "NORTH": 1, "NORTH_VELOCITY": 1.5, "NORTH_SIGMA": 0.5},
                     OUTPUTS[:-2] + ("OUTPUT_REPORT",))
    sc2 = scene(os.path.join(base, "in_tied"), seed=1, bowl=0.12)
    _with_constants(os.path.join(base, "in_tied", "tsx_asc"), 5)
    out["tied"] = ({"SERIES": sc2["series"], "MANIFEST": sc2["manifest"], "INCIDENCES": "36, 41",
                    "HEADINGS": "-12, 192", "GAP_DAYS": 30}, OUTPUTS)
    return out


def main(base):
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

    app = QgsApplication([], False)
    app.initQgis()
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)  # kept: the provider goes with it
    plugin.initProcessing()
    os.makedirs(base, exist_ok=True)
    for name, (params, wanted) in scenarios(base).items():
        for threads in (1, 2):
            folder = os.path.join(base, f"out_{name}")
            os.makedirs(folder, exist_ok=True)
            for f in os.listdir(folder):
                os.remove(os.path.join(folder, f))
            dest = {k: os.path.join(folder, k.lower() + (".csv" if k == "OUTPUT_REPORT" else ".tif")) for k in wanted}
            t0 = time.process_time()
            processing.run("geohazard:multisensortimeseries", {**params, **dest, "THREADS": threads},
                           context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
            cpu = time.process_time() - t0
            for k in wanted:
                p = dest[k]
                if not os.path.exists(p):
                    print(f"{name} threads={threads} {k} (not written)")
                    continue
                print(f"{name} threads={threads} {k} {_digest(p)}")
            print(f"# {name} threads={threads}: {cpu:.2f} CPU-s of this process, load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr)
    plugin.unload()
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1])

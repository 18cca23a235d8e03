"""`make demo`: run the main InSAR Geohazards jobs headless through qgis_process on the
bundled real data (tests/data), then write a QGIS project (demo.qgz) that opens every
output with its style. Usage: python3 demo/run_demo.py OUTPUT_FOLDER
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")


def steps(out: str) -> list[dict]:
    """The demo jobs, in order. Each: title, algorithm id, parameters, outputs to load."""
    envisat = sorted(glob.glob(os.path.join(DATA, "envisat_small_test", "tif", "*_unw.tif")))
    return [
        {
            "title": "Envisat interferogram 2006-06-19/2006-10-02: LOS to vertical (incidence 23 deg)",
            "alg": "geohazard:losvelocitytovertical",
            "params": {"INPUT": envisat[0], "INCIDENCE": 23.0, "OUTPUT": os.path.join(out, "envisat_vertical.tif")},
            "load": ["OUTPUT"],
        },
        # time series (issue 6) steps
        # ADA (issue 7) steps
        # geometry (issue 4) steps
        # faults (issue 8) steps
        {
            "title": "Coulomb 3 example (Mendocino M7.3 left-lateral, USGS Example-2): faults as layers",
            "alg": "geohazard:importcoulombinput",
            "params": {"INPUT": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "OUTPUT_SOURCES": os.path.join(out, "csz_sources.gpkg"),
                       "OUTPUT_RECEIVERS": os.path.join(out, "csz_receivers.gpkg")},
            "load": ["OUTPUT_SOURCES", "OUTPUT_RECEIVERS"],
        },
        {
            "title": "Okada forward model of the Coulomb example: east/north/up/LOS (Sentinel-1 ascending)",
            "alg": "geohazard:okadaforward",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]", "PIXEL_SIZE": 2000.0,
                       "INCIDENCE": 37.0, "HEADING": -12.0, "OUTPUT": os.path.join(out, "csz_okada.tif")},
            "load": ["OUTPUT"],
        },
        {
            "title": "Coulomb stress change at 7.5 km on optimally oriented planes (bar)",
            "alg": "geohazard:coulombstress",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4, "DEPTHS": "7.5", "OPTIMAL": True,
                       "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]", "PIXEL_SIZE": 2000.0,
                       "OUTPUT": os.path.join(out, "csz_dcfs.tif")},
            "load": ["OUTPUT"],
        },
        {
            "title": "Coulomb stress change resolved on the example's receiver faults at 5 and 10 km",
            "alg": "geohazard:coulombonfaults",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "RECEIVERS": os.path.join(out, "csz_receivers.gpkg"), "DEPTHS": "5,10",
                       "OUTPUT": os.path.join(out, "csz_receivers_dcfs.gpkg")},
            "load": ["OUTPUT"],
        },
        # models (issue 5) steps
    ]


def qgis_process(alg: str, params: dict) -> dict:
    args = ["qgis_process.bin", "--json", "run", alg, "--"]
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        args += [f"{key}={v}" for v in values]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"demo step {alg} failed")
    return json.loads(proc.stdout[proc.stdout.index("{"):])["results"]


def write_project(out: str, layers: list[tuple[str, str]]) -> str:
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    for title, path in layers:
        lower = path.lower()
        if lower.endswith((".tif", ".tiff", ".vrt")):
            layer = QgsRasterLayer(path, title, "gdal")
        else:
            layer = QgsVectorLayer(path, title, "ogr")
        if layer.isValid():
            qml = os.path.splitext(path)[0] + ".qml"
            if os.path.exists(qml):
                layer.loadNamedStyle(qml)
            project.addMapLayer(layer)
    if project.mapLayers():
        project.setCrs(next(iter(project.mapLayers().values())).crs())
    path = os.path.join(out, "demo.qgz")
    project.write(path)
    app.exitQgis()
    return path


def main() -> None:
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "demo_output"))
    os.makedirs(out, exist_ok=True)
    loaded = []
    for step in steps(out):
        t0 = time.time()
        print(f"* {step['title']}\n  {step['alg']}", flush=True)
        results = qgis_process(step["alg"], step["params"])
        for key in step["load"]:
            value = results.get(key)
            if value and os.path.exists(str(value)):
                loaded.append((f"{step['alg'].split(':')[1]} {key}", str(value)))
                print(f"  -> {value}")
        print(f"  done in {time.time() - t0:.1f} s", flush=True)
    project = write_project(out, loaded)
    print(f"\nDemo outputs are in {out}\nOpen {project} in QGIS to see them styled.")


if __name__ == "__main__":
    main()

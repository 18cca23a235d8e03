"""Correction tools on stacks through headless ``qgis_process --json run``: folder in, folder out.

modifynetwork starts ``qgis_process.bin``; referencepoint on its output folder takes the same ``KEY=value`` strings
in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and run as qgis_process makes
them), about 2.7 CPU-s less than a start of qgis_process."""

import os

from testutils_cli import in_app_json, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
pytestmark = requires_qgis_process


def test_network_folder_then_reference_point(qgis_app, tmp_path):
    g = os.path.join(MEXICO, "geotiffs")
    a = run_json("modifynetwork", {"INTERFEROGRAMS": g, "COHERENCE": g, "MAX_TEMPORAL_BASELINE": 60,
                                   "KEEP_CONNECTED": "true", "OUTPUT": str(tmp_path / "net"),
                                   "OUTPUT_REPORT": str(tmp_path / "net.csv")})
    kept = sorted(os.listdir(a["OUTPUT"]))
    assert len(kept) == 20 and all(k.endswith("_unw.tif") for k in kept)
    c = in_app_json("referencepoint", {"INTERFEROGRAMS": a["OUTPUT"], "OUTPUT": str(tmp_path / "ref.gpkg")})
    assert c["REFERENCE_POINT"].endswith("[EPSG:4326]") and os.path.exists(c["OUTPUT"])

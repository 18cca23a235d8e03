"""The shipped models given what QGIS puts in a raster list: a folder's files with the ``.aux.xml`` side-cars QGIS
writes next to the rasters ("Add Directory..." lists them), as the tools take it."""

import glob
import os

import numpy as np
from testutils_corrections import write_stack_tifs


def _stack_with_sidecars(tmp_path):
    dates = [np.datetime64("2020-01-01") + np.timedelta64(12 * k, "D") for k in range(5)]
    dates = [d.astype(object) for d in dates]
    pairs = [(i, j) for i in range(5) for j in range(i + 1, min(i + 3, 5))]  # indices into dates
    ifg = np.random.default_rng(0).normal(0.0, 0.3, (len(pairs), 8, 9))
    files = write_stack_tifs(str(tmp_path / "ifgs"), ifg, dates, pairs, step=100.0)
    for f in files:
        with open(f + ".aux.xml", "w") as fh:  # what QGIS leaves after computing a layer's statistics
            fh.write("<PAMDataset></PAMDataset>\n")
    return files, sorted(glob.glob(os.path.join(str(tmp_path / "ifgs"), "*")))


def test_corrected_sbas_takes_a_folder_listing_with_aux_xml_files_as_sbasinversion_does(qgis_app, tmp_path):
    from qgis.core import QgsApplication, QgsProcessingContext

    files, listing = _stack_with_sidecars(tmp_path)
    assert any(f.endswith(".aux.xml") for f in listing) and len(listing) == 2 * len(files)
    reg = QgsApplication.processingRegistry()
    tool = reg.algorithmById("geohazard:sbasinversion").create()
    ok, msg = tool.checkParameterValues({"INTERFEROGRAMS": listing, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")},
                                        QgsProcessingContext())
    assert ok, msg
    model = reg.algorithmById("geohazard:correctedsbas").create()
    dem = files[0]
    ok, msg = model.checkParameterValues({"INTERFEROGRAMS": listing, "DEM": dem, "INCIDENCE_DEG": 39.0,
                                          "SLANT_RANGE_M": 850000.0}, QgsProcessingContext())
    assert ok, msg

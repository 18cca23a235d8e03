"""Point exports of other software as delivered: SARvey's ``sarvey_export`` GeoPackage and SARscape's geocoded shapes
(``D_YYYYMMDD`` fields) go into timeseriesmodels, the dock's reader and adadetection as they are.

Layouts:
* SARvey (luhipi/sarvey, ``sarvey/sarvey_export.py``, ``exportDataToGisFormat``): EPSG:4326 points, fields
  ``point_id``, ``velocity`` (mm/yr), ``coherence``, ``omega``, ``st_consist`` (names cut to 10 characters),
  ``dem_error`` (m), ``dem`` (m), ``lifetime`` ("CCS"/"TCS"), ``scattering`` ("PS"/"DS"), then one field
  ``DYYYYMMDD`` per date (mm).
* SARscape ("Make geocoded shape" / "Generate Shape Time Series"): an ESRI shapefile with one field ``D_YYYYMMDD``
  per date (mm), as InSAR Explorer's data-structure page lists (luhipi/insar-explorer,
  ``help/source/data_structure.rst``: ``DYYYYMMDD`` or ``YYYYMMDD`` or ``D_YYYYMMDD``).

The oracle: the export as delivered gives, value for value, what the same series with its fields renamed by hand to
``DYYYYMMDD`` gives, and both equal the synthetic truth.
"""

import numpy as np
import pytest
from testutils_models import read_layer, write_dated_layer
from testutils_point_exports import DATES, TRUTH, _series, write_sarscape_shape, write_sarvey_export


@pytest.mark.parametrize("writer,suffix", [(write_sarvey_export, ".gpkg"), (write_sarscape_shape, ".shp")])
def test_exports_as_delivered_equal_renamed_by_hand_and_the_truth(run_alg, tmp_path, writer, suffix):
    values = _series()
    delivered = writer(tmp_path / f"export{suffix}", values)
    by_hand = write_dated_layer(tmp_path / "by_hand.gpkg", DATES, values)
    rows = {}
    for key, src in (("delivered", delivered), ("by_hand", by_hand)):
        out = run_alg("timeseriesmodels", {"INPUT": src, "MODELS": [0], "OUTPUT": str(tmp_path / f"{key}_m.gpkg")})
        rows[key] = read_layer(out["OUTPUT"])[1]
    ours = np.array([r["LIN_VEL"] for r in rows["delivered"]])
    hand = np.array([r["LIN_VEL"] for r in rows["by_hand"]])
    # a shapefile keeps its reals as decimal text (15 digits): equal to that
    np.testing.assert_allclose(ours, hand, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours, TRUTH, atol=1e-6)
    assert all(r["N_DATES"] == len(DATES) for r in rows["delivered"])


@pytest.mark.parametrize("writer,suffix", [(write_sarvey_export, ".gpkg"), (write_sarscape_shape, ".shp")])
def test_the_docks_reader_takes_the_exports_dates(qgis_app, tmp_path, writer, suffix):
    from qgis.core import QgsVectorLayer

    from insar_geohazards.fileio.motion.points import date_fields_of

    layer = QgsVectorLayer(writer(tmp_path / f"export{suffix}", _series()), "export", "ogr")
    assert layer.isValid()
    pairs = date_fields_of(layer, "export")
    assert [d for _, d in pairs] == DATES
    assert pairs[0][0] in ("D20170103", "D_20170103")


def test_adadetection_takes_a_sarvey_export(run_alg, tmp_path):
    """SARvey's ``velocity`` field (mm/yr) is found without being named; the points are geographic."""
    values = _series()
    src = write_sarvey_export(tmp_path / "p2_coh80_ts.gpkg", values)
    res = run_alg("adadetection", {"INPUT": src, "OUTPUT": str(tmp_path / "ada.gpkg")})
    assert res["OUTPUT"]


def test_two_fields_of_one_date_are_refused_naming_both():
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.algorithms.formats.dates import dated_fields

    assert [n for n, _ in dated_fields(["D_20200113", "D20200101", "velocity", "D_2020011"])] == [
        "D20200101", "D_20200113"]
    with pytest.raises(GeohazardError, match=r"'D20200101' and 'D_20200101' both hold the date 2020-01-01"):
        dated_fields(["D20200101", "D_20200101"])

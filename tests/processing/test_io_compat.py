"""fileio/base/compat.py: the same behaviour on QGIS 3.22 and on 3.38+/Qt6."""

import numpy as np
from testutils import write_geotiff


def test_field_types_make_fields_of_the_right_type(qgis_app):
    from qgis.core import QgsField, QgsFields, QgsMemoryProviderUtils

    from insar_geohazards.fileio.base.compat import FIELD_BOOL, FIELD_DOUBLE, FIELD_INT, FIELD_STRING

    fields = QgsFields()
    for name, ftype in (("d", FIELD_DOUBLE), ("i", FIELD_INT), ("s", FIELD_STRING), ("b", FIELD_BOOL)):
        fields.append(QgsField(name, ftype))
    layer = QgsMemoryProviderUtils.createMemoryLayer("t", fields)
    got = layer.dataProvider().fields()
    assert [got.field(k).typeName().lower() for k in range(4)] == ["double", "integer", "string", "boolean"]
    assert [got.field(k).isNumeric() for k in range(4)] == [True, True, False, False]


def test_band_min_max_ignores_nodata_and_matches_numpy(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.compat import band_min_max

    rng = np.random.default_rng(3)
    a = rng.normal(0, 5, (2, 40, 30)).astype(np.float32)
    a[0, :5] = -9999.0
    path = write_geotiff(tmp_path / "a.tif", a, nodata=-9999.0)
    valid = a[0][a[0] != -9999.0]
    assert band_min_max(str(path), 1) == (float(valid.min()), float(valid.max()))
    assert band_min_max(str(path), 2) == (float(a[1].min()), float(a[1].max()))
    assert band_min_max(str(path), 3) is None
    empty = write_geotiff(tmp_path / "empty.tif", np.full((4, 4), -9999.0), nodata=-9999.0)
    assert band_min_max(str(empty)) is None

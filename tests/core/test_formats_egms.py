"""EGMS CSV reader on the real Ustica L2b products (zipped and plain) and bad files."""

import datetime as dt
import os
import zipfile

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats.egms import read_egms


@pytest.fixture(scope="module")
def asc(ustica_egms):
    return ustica_egms("EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")


def test_real_l2b_zip(asc):
    assert asc.level == "L2b" and asc.epsg == 3035
    assert len(asc) == 11759
    assert len(asc.dates) == asc.displacement_mm.shape[1] == 207
    assert asc.dates[0] == dt.date(2020, 1, 3) and asc.dates == sorted(asc.dates)
    assert asc.columns["pid"].dtype == object and asc.columns["mp_type"].dtype == np.int64
    # Ustica lies at about 4.59e6 E / 1.74e6 N in ETRS89-LAEA
    assert 4.5e6 < np.median(asc.x) < 4.7e6 and 1.7e6 < np.median(asc.y) < 1.8e6
    los = np.column_stack([asc.columns[k] for k in ("los_east", "los_north", "los_up")])
    np.testing.assert_allclose(np.linalg.norm(los, axis=1), 1.0, atol=0.01)
    assert np.all(np.isfinite(asc.columns["mean_velocity"]))


def test_plain_csv_equals_zip_and_lonlat_fallback(asc, data_dir, tmp_path, ustica_egms):
    src = os.path.join(data_dir, "egms_ustica", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")
    with zipfile.ZipFile(src) as zf:
        name = [m for m in zf.namelist() if m.endswith(".csv")][0]
        lines = zf.read(name).decode().splitlines()[:51]
    plain = tmp_path / name
    plain.write_text("\n".join(lines) + "\n")
    d = read_egms(str(plain))
    assert len(d) == 50 and d.level == "L2b"
    full = ustica_egms(os.path.basename(src))
    np.testing.assert_array_equal(d.displacement_mm, full.displacement_mm[:50])
    # an L2a-style file without easting/northing is read in WGS 84
    head = lines[0].split(",")
    keep = [i for i, h in enumerate(head) if h not in ("easting", "northing")]
    l2a = tmp_path / "EGMS_L2a_test.csv"
    l2a.write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in lines) + "\n")
    e = read_egms(str(l2a))
    assert e.level == "L2a" and e.epsg == 4326 and 13.0 < e.x[0] < 13.3


def test_missing_file(tmp_path):
    with pytest.raises(GeohazardError, match="does not exist"):
        read_egms(str(tmp_path / "none.zip"))


@pytest.mark.parametrize("text, match", [
    ("a,b\n1,2\n", "pid"),
    ("pid,easting,northing,mean_velocity\nA,1,2,3\nB,1,2\n", "line 3"),
    ("pid,easting,northing,mean_velocity\n", "no points"),
    ("pid,easting,northing,mean_velocity\nA,1,2,fast\n", "mean_velocity"),
])
def test_bad_files(tmp_path, text, match):
    bad = tmp_path / "x.csv"
    bad.write_text(text)
    with pytest.raises(GeohazardError, match=match):
        read_egms(str(bad))

"""EGMS tiles streamed chunk by chunk: the column-wise parse against the line reader and ``float``, point-ID
keys, the first-copy rule, track groups."""

import os
import zipfile

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import egms_tiles as tiles

USTICA = ("EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")


@pytest.mark.parametrize("name", USTICA)
def test_real_tiles_equal_the_line_reader_for_any_chunk_size(data_dir, name, ustica_egms):
    path = os.path.join(data_dir, "egms_ustica", name)
    ref = ustica_egms(name)  # the line reader's parse of the same file, shared with test_formats_egms.py
    head = tiles.read_header(path)
    order = np.argsort([d.toordinal() for d in head.dates])
    for chunk_bytes in (7_001, 1 << 20):
        chunks = list(tiles.iter_chunks(head, chunk_bytes=chunk_bytes))
        assert (np.concatenate([c.pid for c in chunks]).astype(str) == ref.columns["pid"].astype(str)).all()
        for k, v in ref.columns.items():
            if k != "pid":
                got = np.concatenate([c.columns[k] for c in chunks])
                assert np.array_equal(got, v.astype(float), equal_nan=True), k
        disp = np.concatenate([c.displacement_mm for c in chunks])[:, order]
        assert np.array_equal(disp, ref.displacement_mm, equal_nan=True)


def test_real_track_groups(data_dir):
    asc = tiles.read_header(os.path.join(data_dir, "egms_ustica", USTICA[0]))
    desc = tiles.read_header(os.path.join(data_dir, "egms_ustica", USTICA[1]))
    assert (asc.group, desc.group) == ("EGMS_L2b_117_asc", "EGMS_L2b_022_desc")
    assert len(asc.dates) == 207 and len(desc.dates) == 210


def _tile(tmp_path, rows, header="pid,easting,northing,mean_velocity,20200101,20200113"):
    p = tmp_path / "EGMS_L2b_044_0001_IW1_VV_2020_2024_1.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return tiles.read_header(str(p))


def test_numbers_are_what_float_gives(tmp_path):
    rng = np.random.default_rng(3)
    texts = ["0", "-0.0", "1.", ".5", "+3.25", "-12345.678901234", "999999999999999", "0.000000000000001",
             "4598618.1", "-0.622"] + [f"{v:.{d}f}" for v, d in zip(rng.normal(0, 1e4, 400), rng.integers(0, 8, 400))]
    rows = [f"p{i:04d},{t},{texts[(i + 1) % len(texts)]},{texts[(i + 2) % len(texts)]},{t},"
            for i, t in enumerate(texts)]
    head = _tile(tmp_path, rows)
    for chunk_bytes in (50, 1 << 20):
        chunks = list(tiles.iter_chunks(head, chunk_bytes=chunk_bytes))
        east = np.concatenate([c.columns["easting"] for c in chunks])
        assert east.tolist() == [float(t) for t in texts]
        last = np.concatenate([c.displacement_mm[:, 1] for c in chunks])
        assert np.isnan(last).all()  # empty field: no value


def test_fallback_reader_gives_nan_exponents_and_names_the_line(tmp_path):
    head = _tile(tmp_path, ["a1,1e3,2,nan,1,2", "a2,5,6,7,8,9"])
    (chunk,) = list(tiles.iter_chunks(head))
    assert chunk.columns["easting"].tolist() == [1000.0, 5.0] and np.isnan(chunk.columns["mean_velocity"][0])
    head = _tile(tmp_path, ["a1,1,2,3,4,5", "a2,5,6,7,8"])
    with pytest.raises(GeohazardError, match="line 3 has 5 values"):
        list(tiles.iter_chunks(head))
    head = _tile(tmp_path, ["a1,1,2,x3,4,5"])
    with pytest.raises(GeohazardError, match="mean_velocity"):
        list(tiles.iter_chunks(head))


def test_damaged_zip_raises_a_damage_error(tmp_path, data_dir):
    src = os.path.join(data_dir, "egms_ustica", USTICA[0])
    bad = tmp_path / "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"
    raw = bytearray(open(src, "rb").read())
    raw[len(raw) // 2:len(raw) // 2 + 4096] = bytes(4096)
    bad.write_bytes(bytes(raw))
    head = tiles.read_header(str(bad))
    with pytest.raises((GeohazardError,) + tiles.DAMAGED):
        list(tiles.iter_chunks(head))
    assert zipfile.is_zipfile(str(bad))


def test_pid_keys_exact_and_hashed():
    pids = np.array([b"1WBfX57vZ5", b"1WBfX57vZ6", b"0", b"00", b"zzzzzzzzzz", b"a-b", b"12345678901"], dtype="S11")
    keys = tiles.pid_keys(pids)
    assert len(set(keys.tolist())) == len(pids)
    assert (keys[:5] < (1 << 60)).all() and (keys[5:] >= (1 << 63)).all()
    assert tiles.pid_keys(pids.astype("S16")).tolist() == keys.tolist()


def test_first_copy_wins_and_a_dropped_tile_is_forgotten():
    seen = tiles.SeenIds(merge_at=2)
    k = np.array([5, 7, 5, 9], np.uint64)
    assert seen.first_copies(k).tolist() == [True, True, False, True]
    seen.commit_tile()
    assert seen.first_copies(np.array([9, 11], np.uint64)).tolist() == [False, True]
    seen.drop_tile()
    assert seen.first_copies(np.array([11, 7], np.uint64)).tolist() == [True, False]


def test_attributes_only_equal_the_whole_parse(tmp_path, data_dir):
    head = tiles.read_header(os.path.join(data_dir, "egms_ustica", USTICA[1]))
    for chunk_bytes in (9_000, 1 << 20):
        whole = list(tiles.iter_chunks(head, chunk_bytes=chunk_bytes))
        attrs = list(tiles.iter_chunks(head, chunk_bytes=chunk_bytes, dates=False))
        assert [len(c) for c in whole] == [len(c) for c in attrs]
        for a, b in zip(whole, attrs):
            assert (a.pid == b.pid).all() and a.columns.keys() == b.columns.keys()
            assert all(np.array_equal(a.columns[k], b.columns[k], equal_nan=True) for k in a.columns)
            assert b.displacement_mm.shape == (len(b), 0)


def _chunk_bytes_equal(a, b):
    assert len(a) == len(b) and a.pid.dtype == b.pid.dtype and (a.pid == b.pid).all()
    assert list(a.columns) == list(b.columns)
    assert all(a.columns[k].tobytes() == b.columns[k].tobytes() for k in a.columns)
    assert a.displacement_mm.shape == b.displacement_mm.shape
    assert a.displacement_mm.tobytes() == b.displacement_mm.tobytes()


@pytest.mark.parametrize("dates", [True, False])
def test_compiled_parse_equals_the_numpy_parse(tmp_path, data_dir, dates):
    if not _numba.have_numba():
        pytest.skip("numba is not importable here: the numpy parse is the only one")
    texts = ["0", "-0.0", "1.", ".5", "+3.25", "-12345.678901234", "999999999999999", "", "-", ".", "4598618.1"]
    rows = [f"p{i:04d},{t},{texts[(i + 3) % len(texts)]},{texts[(i + 5) % len(texts)]},{t},"
            for i, t in enumerate(texts * 3)]
    heads = [_tile(tmp_path, rows)] + [tiles.read_header(os.path.join(data_dir, "egms_ustica", n)) for n in USTICA]
    for head in heads:
        for data, line in tiles.iter_text(head, chunk_bytes=30_000):
            got, n_got = tiles.parse_chunk(data, head, line, dates=dates)
            with _numba.python_kernels([tiles]):  # the numpy path: the kernel declines, the numpy parse reads
                ref, n_ref = tiles.parse_chunk(data, head, line, dates=dates)
            assert n_got == n_ref
            _chunk_bytes_equal(got, ref)
    # text the compiled pass does not take falls back to the same readers
    for bad in (["a1,1e3,2,nan,1,2", "a2,5,6,7,8,9"], ["a1,1,2,3,4,5", "a2,5,6,7,8"], ["a1,1,2,x3,4,5"],
                ["a1,1,2,3,4,5,6"], ["a1,--1,2,3,4,5"], ["a1,1.2.3,2,3,4,5"], ["a1,1234567890123456,2,3,4,5"]):
        head = _tile(tmp_path, bad)
        (data, line), = tiles.iter_text(head)
        outcomes = []
        for python in (False, True):
            try:
                with _numba.python_kernels([tiles] if python else []):
                    outcomes.append(tiles.parse_chunk(data, head, line, dates=dates)[0])
            except GeohazardError as e:
                outcomes.append(str(e))
        if isinstance(outcomes[0], str):
            assert outcomes[0] == outcomes[1]
        else:
            _chunk_bytes_equal(*outcomes)


@pytest.mark.parametrize("dates", [True, False])
def test_threaded_stream_gives_the_same_items_as_one_thread(tmp_path, dates):
    from testutils_egms import write_tiles

    truth = write_tiles(str(tmp_path / "t"), points=6000, tiles=4, corrupt=1, seed=4, overlap=0.1)
    heads = [tiles.read_header(str(tmp_path / "t" / f)) for f in truth["files"]]
    heads.insert(1, _tile(tmp_path, ["a1,1,2,3,4,5", "a2,5,6,7,8"]))  # a malformed row on line 3
    runs = []
    for workers in (1, 2, 3):
        items = list(tiles.stream_tiles(heads, chunk_bytes=40_000, dates=dates, workers=workers))
        runs.append(items)
        kinds = [(k, type(x).__name__) for k, x in items]
        assert kinds.count((1, "GeohazardError")) == 1 and (1, "NoneType") not in kinds
        assert sum(1 for k, x in items if x is None) == len(heads) - 2  # the malformed and the damaged tile
    for items in runs[1:]:
        assert [k for k, _ in items] == [k for k, _ in runs[0]]
        for (_, a), (_, b) in zip(items, runs[0]):
            if isinstance(a, tiles.Chunk):
                _chunk_bytes_equal(a, b)
            else:
                assert type(a) is type(b) and str(a) == str(b)

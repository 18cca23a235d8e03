"""fileio/base/decoded.py: a shipped model's steps share the decoded compressed inputs, with the files' values."""

import numpy as np
from testutils_seed import drawn_seed


def test_a_model_runs_decoded_inputs_give_the_files_values(qgis_app, tmp_path, monkeypatch):
    """Within a model run (fileio/base/decoded.shared_decoded) a compressed input is decoded once and every later
    window of it (a stack's blocks on several threads, the block engine's reader, any rows and columns) has the
    values a read of the file gives; an uncompressed file is read from the file; the run's share caps what is
    kept (the rest read as before); a file changed during the run is read again; nothing is kept after the run."""
    from osgeo import gdal

    from insar_geohazards.algorithms.engine import ReadRequest
    from insar_geohazards.fileio.base import decoded, file_parts
    from insar_geohazards.fileio.base.blocks import GdalOpener
    from insar_geohazards.fileio.timeseries.stacks import open_stack

    rng = np.random.default_rng(drawn_seed(1000))
    dates = [f"2020{m:02d}{d:02d}" for m in range(1, 8) for d in (1, 15)][:12]
    pairs = [(dates[i], dates[j]) for i in range(len(dates)) for j in range(i + 1, min(i + 5, len(dates)))]
    rows, cols = int(rng.integers(40, 90)), int(rng.integers(30, 70))
    paths, coh = [], []
    for n, (a, b) in enumerate(pairs):
        for kind, lst in (("unw", paths), ("cc", coh)):
            p = str(tmp_path / f"{a}-{b}_{kind}.tif")
            opts = ["TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"] + ([] if n % 4 == 0 else ["COMPRESS=DEFLATE"])
            ds = gdal.GetDriverByName("GTiff").Create(p, cols, rows, 1, gdal.GDT_Float32, opts)
            ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
            v = rng.standard_normal((rows, cols)).astype(np.float32)
            v[n % rows, (3 * n) % cols] = -9999.0
            ds.GetRasterBand(1).WriteArray(v)
            ds.GetRasterBand(1).SetNoDataValue(-9999.0)
            ds = None
            lst.append(p)
    cuts = np.sort(rng.choice(np.arange(1, rows), 3, replace=False))
    spans = [(int(a), int(b)) for a, b in zip([0, *cuts], [*cuts, rows])]
    window = (int(rng.integers(0, cols // 2)), int(rng.integers(cols // 2 + 1, cols + 1)))
    monkeypatch.setattr(file_parts, "READ_THREADS", 4)

    def reads():
        stack = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
        out = [x.tobytes() for r0, r1 in spans for x in stack.read(r0, r1, coherence=True)]
        out.append(stack.read(spans[1][0], rows, cols=window)[0].tobytes())
        opener = GdalOpener()
        out += [opener(ReadRequest(p, (1,), (r0, r1, 0, cols), "float32", "COHERENCE")).tobytes()
                for p in coh[::5] for r0, r1 in spans]
        stack.close()
        return out

    want = reads()
    with decoded.shared_decoded() as run:
        assert reads() == want and reads() == want  # decoded, then served from the run's copies
        compressed = [p for i, p in enumerate(paths + coh) if (i % len(paths)) % 4]
        assert sorted(k[0] for k in run["arrays"]) == sorted(compressed)
        assert run["bytes"] == len(compressed) * rows * cols * 4
        assert len(run["plain"]) == len(paths + coh) - len(compressed)  # uncompressed: read from the file
        ds = gdal.GetDriverByName("GTiff").CreateCopy(coh[1], gdal.Open(coh[2]), options=["COMPRESS=DEFLATE"])
        ds = None  # coh[1] now holds coh[2]'s values: read again
        changed = reads()
        assert changed != want and changed == reads()
    assert not run["arrays"] and decoded._MODEL_DECODED.get() is None
    assert changed == reads()  # the changed file, read outside the run
    share = 5 * rows * cols * 4
    with decoded.shared_decoded(share) as run:
        assert reads() == changed and run["bytes"] <= share and len(run["arrays"]) == 5

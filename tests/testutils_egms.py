"""EGMS-L2b-like zipped CSV tiles (tests and benchmarks/egms): two tracks, overlapping bursts, damaged zips.

See ``benchmarks/egms/make_tiles.py`` for what is written; :func:`write_tiles` is the entry point.
"""


from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

#: (name, decimals) of the attribute columns, as in the real L2b CSV.
ATTRIBUTES = (("mp_type", 0), ("latitude", 6), ("longitude", 6), ("easting", 2), ("northing", 2),
              ("height_ortho", 1), ("height_ellipse", 1), ("line", 0), ("pixel", 0), ("rmse_ts", 1),
              ("temporal_coherence", 2), ("amplitude_dispersion", 2), ("incidence_angle", 2), ("track_angle", 2),
              ("los_east", 3), ("los_north", 3), ("los_up", 3), ("mean_velocity", 1), ("mean_velocity_std", 1),
              ("acceleration", 2), ("acceleration_std", 2), ("seasonality", 1), ("seasonality_std", 1),
              ("gnss_velocity", 1))
TRACKS = {"asc": ("117", dt.date(2020, 1, 3), -8.94, (-0.622, -0.098, 0.777)),
          "desc": ("022", dt.date(2020, 1, 6), 191.42, (0.594, -0.120, 0.795))}
X0, Y0 = 4_500_000.0, 1_700_000.0  # ETRS89-LAEA, southern Italy
_ALPHA = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)


def fixed_text(q: np.ndarray, decimals: int, int_digits: int) -> tuple:
    """Byte matrix and mask of integers ``q`` (value x 10**decimals) written ``[-]int[.frac]``.

    Returns ``(bytes (n, w), used (n, w))``; ``bytes[used]`` row by row is the text."""
    q = np.asarray(q, np.int64)
    neg = q < 0
    a = np.abs(q)
    scale = 10 ** decimals
    ip, fp = a // scale, a % scale
    w = 1 + int_digits + (1 + decimals if decimals else 0)
    out = np.zeros((q.size, w), np.uint8)
    used = np.zeros((q.size, w), bool)
    out[:, 0] = 45
    used[:, 0] = neg
    ndig = np.ones(q.size, np.int64)
    for k in range(1, int_digits):
        ndig += ip >= 10 ** k
    for k in range(int_digits):  # column 1 + k holds the digit of 10**(int_digits-1-k)
        p = int_digits - 1 - k
        out[:, 1 + k] = 48 + (ip // 10 ** p) % 10
        used[:, 1 + k] = p < ndig
    if decimals:
        out[:, 1 + int_digits] = 46
        used[:, 1 + int_digits] = True
        for k in range(decimals):
            out[:, 2 + int_digits + k] = 48 + (fp // 10 ** (decimals - 1 - k)) % 10
            used[:, 2 + int_digits + k] = True
    return out, used


def pids(ids: np.ndarray) -> np.ndarray:
    """10-character base-62 point IDs of integers (scrambled so neighbours do not look alike)."""
    v = (np.asarray(ids, np.uint64) * np.uint64(0x9E3779B97F4A7C15)) % np.uint64(62 ** 10)
    out = np.zeros((v.size, 10), np.uint8)
    for k in range(9, -1, -1):
        out[:, k] = _ALPHA[(v % np.uint64(62)).astype(np.int64)]
        v //= np.uint64(62)
    return out


def csv_bytes(pid: np.ndarray, blocks: list) -> bytes:
    """CSV text of rows: pid bytes (n, 10) then blocks ``(q (n, k) integers, decimals, int_digits)`` of columns
    holding value x 10**decimals."""
    n = pid.shape[0]
    parts, masks = [pid, np.full((n, 1), 44, np.uint8)], [np.ones(pid.shape, bool), np.ones((n, 1), bool)]
    for j, (q, d, w) in enumerate(blocks):
        q = np.asarray(q).reshape(n, -1)
        k = q.shape[1]
        b, m = fixed_text(q.ravel(), d, w)
        sep = np.full((n * k, 1), 44, np.uint8)
        if j == len(blocks) - 1:
            sep.reshape(n, k)[:, -1] = 10
        parts.append(np.hstack([b, sep]).reshape(n, -1))
        masks.append(np.hstack([m, np.ones((n * k, 1), bool)]).reshape(n, -1))
    return np.hstack(parts)[np.hstack(masks)].tobytes()


def plan(n: int, k: int, overlap: float, seed: int) -> dict:
    """Tiles, their points and the planted areas (shared by every tile of one run)."""
    rng = np.random.default_rng(seed)
    k_asc = max(1, k // 2) if k > 1 else 1
    k_desc = k - k_asc
    side = 40_000.0 * np.sqrt(n / 1_000_000)
    n_areas = max(3, int(80 * n / 1e6))
    # as testutils_ada.planted_field: ellipses 100 m - 1 km across moving 5-25 mm/yr (one in five uplift),
    # apart from each other; (cx, cy, a, b, theta, velocity) in EPSG:3035 metres
    areas, centres = [], []
    for k in range(n_areas):
        a = rng.uniform(100.0, min(1000.0, side / 3)) / 2
        margin = min(500.0, side / 10)  # small test fields: areas still inside
        for _ in range(1000):
            c = rng.uniform(a + margin, side - a - margin, 2)
            if all(np.hypot(*(c - c2)) > a + r2 + 300 for c2, r2 in centres):
                break
        centres.append((c, a))
        vel = rng.uniform(5.0, 25.0) * (1 if k % 5 == 4 else -1)
        areas.append([float(X0 + c[0]), float(Y0 + c[1]), float(a), float(a * rng.uniform(0.5, 1.0)),
                      float(rng.uniform(0, np.pi)), float(vel)])
    tiles = []
    n_asc = n // 2 if k_desc else n
    start = 0
    for track, kt, nt in (("asc", k_asc, n_asc), ("desc", k_desc, n - n_asc)):
        if kt == 0:
            continue
        bounds = np.linspace(0, nt, kt + 1).astype(np.int64)
        for t in range(kt):
            tiles.append({"track": track, "burst": t, "first": int(start + bounds[t]),
                          "count": int(bounds[t + 1] - bounds[t]), "repeat_from_previous": 0,
                          "track_first": int(start), "track_count": int(nt)})
        start += nt
    for t in range(1, len(tiles)):
        if tiles[t]["track"] == tiles[t - 1]["track"]:
            tiles[t]["repeat_from_previous"] = int(round(overlap * tiles[t - 1]["count"]))
    return {"points": n, "side_m": side, "areas": areas, "tiles": tiles, "seed": seed}


def point_field(ids: np.ndarray, first: int, count: int, side: float):
    """Positions of points ``ids`` of a track holding ids ``first .. first + count - 1`` (from the id
    alone, so a repeated point keeps its place): bursts are stripes of northing."""
    h = (ids.astype(np.uint64) * np.uint64(0x2545F4914F6CDD1D)) >> np.uint64(11)
    u = (h & np.uint64((1 << 26) - 1)).astype(np.float64) / (1 << 26)
    w = (h >> np.uint64(26)).astype(np.float64) / (1 << 27)
    return X0 + u * side, Y0 + (ids - first + w) / count * side


def write_tile(spec: dict, plan_: dict, out_dir: str, n_dates: dict, level: int) -> str:
    track = spec["track"]
    code, d0, heading, los = TRACKS[track]
    dates = [d0 + dt.timedelta(days=6 * i) for i in range(n_dates[track])]
    t_yr = np.array([(d - dates[0]).days / 365.25 for d in dates])
    ids = np.arange(spec["first"], spec["first"] + spec["count"], dtype=np.int64)
    if spec["repeat_from_previous"]:
        prev = spec["first"] - spec["repeat_from_previous"]
        ids = np.concatenate([np.arange(prev, spec["first"], dtype=np.int64), ids])
    rng = np.random.default_rng([plan_["seed"], spec["first"], 1 if track == "asc" else 2])
    side = plan_["side_m"]
    # bursts are stripes of northing: the points of a tile sorted along it
    x, y = point_field(ids, spec["track_first"], spec["track_count"], side)
    n = ids.size
    v = rng.normal(0.0, 1.0, n)
    for a in plan_["areas"]:
        cx, cy, ax, bx, th, vel = a
        u = (x - cx) * np.cos(th) + (y - cy) * np.sin(th)
        w = -(x - cx) * np.sin(th) + (y - cy) * np.cos(th)
        v[(u / ax) ** 2 + (w / bx) ** 2 <= 1.0] += vel
    name = f"EGMS_L2b_{code}_{spec['burst']:04d}_IW2_VV_2020_2024_1"
    header = ",".join(["pid"] + [c for c, _ in ATTRIBUTES] + [d.strftime("%Y%m%d") for d in dates]) + "\n"
    tmp = os.path.join(out_dir, name + ".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf, \
            zf.open(name + ".csv", "w", force_zip64=True) as fh:
        fh.write(header.encode())
        for a in range(0, n, 20_000):
            s = slice(a, min(a + 20_000, n))
            m = s.stop - s.start
            lat = 38.0 + (y[s] - Y0) / 111_000.0
            lon = 13.0 + (x[s] - X0) / 87_000.0
            coh = np.clip(rng.normal(0.8, 0.1, m), 0.3, 1.0)
            attrs = {"mp_type": np.zeros(m), "latitude": lat, "longitude": lon, "easting": x[s], "northing": y[s],
                     "height_ortho": rng.uniform(0, 900, m), "height_ellipse": rng.uniform(40, 940, m),
                     "line": rng.integers(0, 1500, m), "pixel": rng.integers(0, 25000, m),
                     "rmse_ts": rng.uniform(1, 6, m), "temporal_coherence": coh,
                     "amplitude_dispersion": rng.uniform(0.1, 0.6, m), "incidence_angle": rng.uniform(31, 46, m),
                     "track_angle": np.full(m, heading), "los_east": np.full(m, los[0]),
                     "los_north": np.full(m, los[1]), "los_up": np.full(m, los[2]), "mean_velocity": v[s],
                     "mean_velocity_std": rng.uniform(0.1, 0.6, m), "acceleration": rng.normal(0, 0.5, m),
                     "acceleration_std": rng.uniform(0.1, 0.4, m), "seasonality": rng.uniform(0, 4, m),
                     "seasonality_std": rng.uniform(0.1, 0.5, m), "gnss_velocity": rng.normal(0, 1, m)}
            blocks = [(np.round(np.asarray(attrs[c], float) * 10 ** d).astype(np.int64), d, 8) for c, d in ATTRIBUTES]
            series = (v[s, None] * t_yr[None, :] + attrs["seasonality"][:, None] * np.sin(2 * np.pi * t_yr)[None, :]
                      + rng.normal(0, 2.0, (m, len(dates))))
            series -= series[:, :1]
            blocks.append((np.round(series * 10).astype(np.int64), 1, 4))
            fh.write(csv_bytes(pids(ids[s]), blocks))
    os.replace(tmp, os.path.join(out_dir, name + ".zip"))
    return os.path.join(out_dir, name + ".zip")


def damage(path: str) -> None:
    """Overwrite 4 kB of compressed data half-way through the member (header still readable)."""
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.seek(size // 2)
        fh.write(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def write_tiles(out_dir: str, *, points: int, tiles: int, overlap: float = 0.05, corrupt: int = 0,
                dates_asc: int = 207, dates_desc: int = 210, seed: int = 1, level: int = 1, jobs: int = 1) -> dict:
    """Write the tiles and ``truth.json`` into ``out_dir``; return the truth (plan, files, damaged files)."""
    os.makedirs(out_dir, exist_ok=True)
    p = plan(points, tiles, overlap, seed)
    n_dates = {"asc": dates_asc, "desc": dates_desc}
    specs = p["tiles"]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            paths = list(ex.map(write_tile, specs, [p] * len(specs), [out_dir] * len(specs),
                                [n_dates] * len(specs), [level] * len(specs)))
    else:
        paths = [write_tile(t, p, out_dir, n_dates, level) for t in specs]
    damaged = paths[len(paths) - corrupt:] if corrupt else []
    for d in damaged:
        damage(d)
    p["damaged"] = [os.path.basename(d) for d in damaged]
    p["files"] = [os.path.basename(q) for q in paths]
    p["duplicates"] = sum(t["repeat_from_previous"] for t in specs)
    with open(os.path.join(out_dir, "truth.json"), "w") as fh:
        json.dump(p, fh, indent=1)
    return p


def read_csv_tile(path: str) -> tuple:
    """``(pid (n,), easting/northing (n, 2), dates, values (n, dates) in mm, NaN where empty)`` of the CSV in an EGMS
    zip as delivered, read with the csv module (nothing of the plugin)."""
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        rows = list(csv.reader(io.TextIOWrapper(z.open(name), encoding="utf-8")))
    head = rows[0]
    cols = [i for i, h in enumerate(head) if h.isdigit()]
    dates = [dt.datetime.strptime(head[i], "%Y%m%d").date() for i in cols]
    e, n = head.index("easting"), head.index("northing")
    pid = np.array([r[0] for r in rows[1:]])
    xy = np.array([(float(r[e]), float(r[n])) for r in rows[1:]])
    values = np.array([[float(r[i]) if r[i] else np.nan for i in cols] for r in rows[1:]])
    return pid, xy, dates, values

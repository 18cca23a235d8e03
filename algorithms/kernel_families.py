"""The numba kernel families, each with a small synthetic run of its core entry points (the warm-up).

A family is the set of core modules a tool lists in its ``KERNELS`` (``processing_provider/tools``); its warm-up
calls the same core functions the tools call (block functions, solvers), on tiny synthetic inputs of the dtypes
the tools hand them, through every branch that compiles its own kernels (methods, weighting, optional inputs).
Run once per machine (``python3 -m insar_geohazards.warm_kernels``, :mod:`warm_kernels`), it leaves every kernel a
tool calls in numba's on-disk cache; run with the kernels as plain Python (:func:`algorithms._numba.python_kernels`)
it measures the numpy path's cost (``benchmarks/compile/measure.py``).

``warm(scale)`` returns the bytes of the arrays it fed the kernels: ``scale`` enlarges the inputs (1: the
warm-up's own tiny size) so the numpy cost per megabyte can be measured away from fixed costs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from . import _numba
from .ada.activity import landslide_activity, points_in_polygons_blocks
from .dense import pinv_tall, scaled_gram, sym_eig
from .faults.faults import Faults
from .faults.grid_blocks import coulomb_grid_block, okada_grid_block
from .faults.okada import okada_greens
from .formats.egms_tiles import parse_chunk, read_header
from .geometry.distortion import AcquisitionGeometry, distortion_map
from .geometry.los import los_unit_vector
from .kinematics.offset_timeseries import offset_ts_block
from .kinematics.offsets import offset_field
from .optional import install_line
from .psds.phase_linking import phase_link_block
from .psds.psi import ps_time_series
from .timeseries import multisensor as ms
from .timeseries.network import build_network
from .timeseries.sbas import SbasSolver, linear_velocity
from .unwrap.unwrap import closure_cycles, unwrap_interferogram
from .unwrap.unwrap_tiles import unwrap_array_tiled

D0 = dt.date(2020, 1, 1)


#: bytes of work per evaluation of Okada's solution at one grid point for one source plane (:class:`OutputWork`)
OKADA_BYTES = 8


class OutputWork(int):
    """A run's work counted from what it computes rather than from its input files' bytes (the unit of its family's
    warm-up): a grid tool of a family whose work the inputs do not show (``by_input_size`` False), e.g. Okada's
    grid points x source planes x depths x :data:`OKADA_BYTES`. Such a run can take the numpy path too."""


@dataclass(frozen=True)
class Family:
    name: str
    #: core modules under ``algorithms`` (a tool's ``KERNELS`` names one of these tuples, or part of one)
    kernels: tuple
    warm: Callable[[int], int]
    #: other kernel modules the family's plain Python code calls (they run as Python with it on the numpy path)
    calls: tuple = ()
    #: whether the size of a run's input files tells its work (False: the work is an output grid or sample the
    #: inputs do not show, e.g. Okada's; such a family always compiles)
    by_input_size: bool = True
    #: what a user knows the family by (the tools that run it), for the notice without numba; "" for a family of
    #: helpers no tool lists in its ``KERNELS`` (its cost is in the rates of the families that call it)
    words: str = ""

    def modules(self) -> list:
        """The family's kernel modules and those it calls, imported (a package with its modules)."""
        return _imported(self.kernels + self.calls)

    def kernel_modules(self) -> list:
        """The family's own kernel modules (a tool's ``KERNELS``), imported (a package with its modules)."""
        return _imported(self.kernels)


def _imported(names) -> list:
    """The core modules ``names`` (under ``algorithms``) imported, a package followed by its modules: a package's
    ``__init__`` re-exports its plain functions, the kernels they call live in its modules."""
    import importlib
    import pkgutil

    out = []
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        out.append(module)
        if hasattr(module, "__path__"):
            out += [importlib.import_module(f"{module.__name__}.{sub.name}")
                    for sub in pkgutil.iter_modules(module.__path__)]
    return list(dict.fromkeys(out))


class _Block:
    """An engine block over a whole small array (the fields block functions read)."""

    def __init__(self, rows: int, cols: int, halo: int = 0):
        self.index, self.row0, self.row1, self.read0, self.read1 = 0, 0, rows, 0, rows
        self.n_rows_total, self.n_cols, self.files, self.halo = rows, cols, None, halo
        self.rows = rows
        self.core = slice(0, rows)
        self.shape = (rows, cols)


def _dates(n: int, days: int = 12) -> list:
    return [D0 + dt.timedelta(days=days * k) for k in range(n)]


def _network(n: int):
    dates = _dates(n)
    return build_network([(dates[i], dates[j]) for i in range(n) for j in (i + 1, i + 2, i + 3) if j < n])


def warm_sbas(scale: int = 1) -> int:
    rng = np.random.default_rng(1)
    net = _network(8)
    ifg = rng.normal(0, 3, (net.n_pairs, 6 * scale, 9 * scale))  # the stacks' reader gives float64 mm
    ifg[:, 0, :3] = np.nan
    ifg[1, 1, :4] = np.nan  # missing in some interferograms only: the pixels grouped by their pattern
    ifg[(net.ref_index == 3) | (net.sec_index == 3), 2, :2] = np.nan  # date 3 unreachable: a disconnected network
    ifg[[0, 5], 3, 0] = np.nan  # a pattern no other pixel has: a lone pixel solved on its own
    coh = rng.uniform(0.1, 0.95, ifg.shape).astype(np.float32)
    SbasSolver(net, min_count=4).solve(ifg)  # without coherence: the valid counts in one parallel pass
    # coherence as float32 (GeoTIFF float32) and as float64 (any other type is read as float64: LiCSBAS's uint8)
    for kw, c in (({"min_count": 4}, coh), ({"min_count": 4, "group_min_pixels": 1}, coh),
                  ({"weighting": "variance", "min_count": 4, "coherence_threshold": 0.2}, coh),
                  ({"weighting": "variance", "min_count": 4, "coherence_threshold": 0.2}, coh.astype(np.float64))):
        res = SbasSolver(net, **kw).solve(ifg, coherence=c)
    years = np.array([(d - D0).days / 365.25 for d in net.dates])
    linear_velocity(res.timeseries_mm, years)
    return ifg.nbytes + coh.nbytes


def warm_phase_linking(scale: int = 1) -> int:
    rng = np.random.default_rng(3)
    n, rows, cols = 6, 9 * scale, 11 * scale
    ph = rng.uniform(-np.pi, np.pi, (1, rows, cols)) + np.cumsum(rng.normal(0, 0.4, (n, rows, cols)), axis=0)
    slc = (rng.rayleigh(1.0, (n, rows, cols)) * np.exp(1j * ph)).astype(np.complex64)
    ps = (rng.random((rows, cols)) < 0.05).astype(np.float32)
    block = _Block(rows, cols, halo=2)
    for method in ("emi", "evd", "cevd"):
        for shp in ("glrt", "ks", "rect"):
            inputs = {"slc": slc, "ps_mask": ps} if shp == "glrt" else {"slc": slc}
            phase_link_block(block, inputs, window=(5, 5), method=method, shp_method=shp, alpha=0.05)
    return slc.nbytes


def warm_okada(scale: int = 1) -> int:
    f = Faults.create(east_m=[0.0, 6e3], north_m=[0.0, -3e3], strike_deg=[30.0, 115.0], dip_deg=[55.0, 85.0],
                      length_m=[8e3, 5e3], top_m=[0.0, 1e3], bottom_m=[6e3, 5e3], strike_slip_m=[0.5, -1.0],
                      dip_slip_m=[1.0, 0.3], opening_m=[0.0, 0.1])
    table = f.table()
    rows, cols = 5 * scale, 7 * scale
    gt = (-10e3, 20e3 / cols, 0.0, 10e3, 0.0, -20e3 / rows)
    block = _Block(rows, cols)
    okada_grid_block(block, {}, geotransform=gt, table=table, poisson=0.25, los_vec=(0.6, -0.1, 0.79))
    common = dict(geotransform=gt, table=table, depths_m=[0.0, 5e3], shear_modulus_pa=3e10, poisson=0.25,
                  friction=0.4, scale_pa=1e5)
    coulomb_grid_block(block, {}, regional=None, receiver={"strike_deg": 30.0, "dip_deg": 60.0, "rake_deg": 90.0},
                       **common)
    coulomb_grid_block(block, {}, regional=np.diag([-1e6, 0.0, 1e6]), receiver={}, **common)
    e = np.linspace(-8e3, 8e3, 9 * scale)
    okada_greens(e, e[::-1].copy(), table, poisson=0.25)
    # the work as the grid tools count it (:class:`OutputWork`): one displacement and four stress evaluations
    # (two receivers at two depths) per pixel and source plane
    return OKADA_BYTES * rows * cols * len(table) * (1 + 2 * 2)


def warm_distortion(scale: int = 1) -> int:
    rng = np.random.default_rng(5)
    rows, cols = 13 * scale, 11 * scale
    yy, xx = np.mgrid[0:rows, 0:cols]
    dem = (600 * np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / (3.0 * rows))
           + rng.normal(0, 3, (rows, cols))).astype(np.float32)
    geoms = [AcquisitionGeometry(heading_deg=-170.0, incidence_deg=37.0),
             AcquisitionGeometry(heading_deg=-10.0, incidence_deg=41.0)]
    tool_outputs = {"classes": None, "rindex": np.float32, "visibility": None}  # geometricdistortion's
    # heights read as float32, or as float64 where float32 would not hold the DEM's values exactly
    for method, outputs, heights in (("exact", tool_outputs, dem), ("exact", tool_outputs, dem.astype(np.float64)),
                                     ("exact", None, dem), ("exact", None, dem.astype(np.float64)),
                                     ("notti", tool_outputs, dem)):
        distortion_map(lambda r0, r1, h=heights: h[r0:r1], lambda r0, r1, i, a: None, n_rows=rows, n_cols=cols,
                       geometries=geoms, dx_rows_m=np.full(rows, 20.0), dy_m=20.0, block_rows=rows,
                       background_write=False, method=method, outputs=outputs)
    return dem.nbytes


def warm_offset_series(scale: int = 1) -> int:
    rng = np.random.default_rng(6)
    n = 6
    t = np.arange(n) * 0.1
    pi = np.array([i for i in range(n) for j in (1, 2, 3) if i + j < n])
    pj = np.array([i + j for i in range(n) for j in (1, 2, 3) if i + j < n])
    rows, cols = 3 * scale, 8 * scale
    obs = [(rng.normal(0, 5, (1, rows, cols)) * (t[pj] - t[pi])[:, None, None]
            + rng.normal(0, 0.05, (pi.size, rows, cols))).astype(np.float32) for _ in range(2)]
    obs[1][2, 0, :3] = np.nan
    rho = rng.uniform(0.2, 1.0, (pi.size, rows, cols)).astype(np.float32)
    block = _Block(rows, cols)
    offset_ts_block(block, {"c0": obs[0], "c1": obs[1]}, pi=pi, pj=pj, t_years=t)
    offset_ts_block(block, {"c0": obs[0], "c1": obs[1], "rho": rho}, pi=pi, pj=pj, t_years=t, use_weights=True)
    return 3 * rho.nbytes


def warm_unwrap(scale: int = 1) -> int:
    rng = np.random.default_rng(7)
    rows, cols = 40 * scale, 37 * scale  # a low-coherence band splits it: the sets are joined by their votes
    yy, xx = np.mgrid[0:rows, 0:cols]
    truth = 25.0 * np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / (rows * cols / 12.0))
    wrapped = np.angle(np.exp(1j * (truth + rng.normal(0, 0.3, truth.shape)))).astype(np.float32)
    coh = np.clip(rng.normal(0.7, 0.2, truth.shape), 0, 1).astype(np.float32)
    coh[rows // 2:rows // 2 + 2] = 0.05
    unwrap_interferogram(wrapped, coh, min_component_size=5)
    unwrap_array_tiled(wrapped, coh, min_component_size=5)
    tiles = [unwrap_array_tiled(np.angle(np.exp(1j * (k * truth))).astype(np.float32), coh, min_component_size=5,
                                tile_rows=max(8, rows // 3), halo=4)[:2] for k in (1.0, 0.5, 1.5)]  # row tiles, seams
    closure_cycles(tiles[0][0], tiles[1][0], tiles[2][0], tiles[0][1], tiles[1][1], tiles[2][1])  # the report
    return wrapped.nbytes + coh.nbytes


def warm_multisensor(scale: int = 1) -> int:
    rng = np.random.default_rng(8)
    shape = (2 * scale, 3 * scale)
    stacks, nbytes = [], 0
    for name, geom, start in (("asc", (39.0, -12.0), D0), ("desc", (41.0, 192.0), D0 + dt.timedelta(days=6))):
        dates = [start + dt.timedelta(days=12 * k) for k in range(24)]
        t = np.array([(d - D0).days / 365.25 for d in dates])[:, None, None]
        e, _, u = (float(v) for v in los_unit_vector(*geom))
        los = (e * 6.0 * t + u * (-20.0 * t + 4.0 * np.sin(2 * np.pi * t))) * np.ones(shape)[None]
        los = (los + rng.normal(0, 1.0, los.shape)).astype(np.float32)
        los -= los[0]
        nbytes += los.nbytes
        stacks.append(ms.Stack(name, dates=dates, values=los, incidence_deg=geom[0], heading_deg=geom[1]))
    ms.solve_multisensor(stacks, min_sigma_mm=0.5)
    # an interferogram stack in place of the ascending series: the network solve and its residual statistics
    asc = stacks[0]
    pairs = [(asc.dates[i], asc.dates[j]) for i in range(len(asc.dates)) for j in range(i + 1, min(len(asc.dates),
                                                                                                  i + 4))]
    idx = {d: i for i, d in enumerate(asc.dates)}
    ifg = np.stack([asc.values[idx[b]] - asc.values[idx[a]] for a, b in pairs])
    ms.solve_multisensor([ms.Stack("asc", pairs=pairs, values=ifg, incidence_deg=39.0, heading_deg=-12.0),
                          stacks[1]], min_sigma_mm=0.5)
    # the pixels sharing a pattern of valid interferograms solved as one group (SBAS's batched kernels), as a real
    # stack's do from group_min_pixels (16) pixels on: without it a tool's second run compiled them
    ms.solve_multisensor([ms.Stack("asc", pairs=pairs, values=ifg, incidence_deg=39.0, heading_deg=-12.0,
                                   network_options={"group_min_pixels": 1}), stacks[1]], min_sigma_mm=0.5)
    return nbytes + ifg.nbytes


def warm_dense(scale: int = 1) -> int:
    rng = np.random.default_rng(9)
    n = 12 * scale
    a = rng.normal(size=(n, n))
    lam, vec = sym_eig(a + a.T)
    scaled_gram(vec[:, 1:], 1.0 / (np.abs(lam[1:]) + 1.0))
    pinv_tall(rng.normal(size=(n, 4)))
    return a.nbytes


def warm_psi(scale: int = 1) -> int:
    rng = np.random.default_rng(10)
    n_dates, side = 12, 5 * scale
    dates = _dates(n_dates)
    yy, xx = np.mgrid[0:side, 0:side]
    x, y = xx.ravel() * 3.0 + 0.5, yy.ravel() * 3.0 + 0.5
    t = np.array([(d - D0).days / 365.25 for d in dates])[:, None]
    v = rng.normal(0, 5, x.size)[None, :]
    phase = np.angle(np.exp(1j * (-0.2 * v * t + rng.normal(0, 0.2, (n_dates, x.size)))))  # rad: ~mm/yr x 0.23
    bperp = rng.normal(0, 80, n_dates)
    ps_time_series(phase, x, y, dates, bperp_m=bperp, wavelength_m=0.0555, quality=-np.hypot(x - side, y - side))
    ps_time_series(phase, x, y, dates, wavelength_m=0.0555)
    return phase.nbytes


def warm_offsets(scale: int = 1) -> int:
    rng = np.random.default_rng(11)
    n = 100 * scale
    img = rng.normal(0, 1, (n + 4, n + 4))
    ref = img[2:-2, 2:-2].astype(np.float32)
    sec = (img[1:-3, 3:-1] + rng.normal(0, 0.05, (n, n))).astype(np.float32)
    # the tool's default window, search and step (the shared-tile search) and a small one; each sub-pixel method;
    # a window and step with no common divisor: every cell searched on its own (no shared tiles)
    for window, search, step, subpixel, highpass in ((32, 6, 16, "dft", 4.0), (32, 6, 16, "parabolic", 0.0),
                                                     (32, 4, 16, "gaussian", 0.0), (12, 4, 6, "dft", 0.0),
                                                     (15, 4, 8, "dft", 0.0), (15, 4, 8, "parabolic", 2.0),
                                                     (15, 4, 8, "gaussian", 0.0)):
        offset_field(ref, sec, window=window, search=search, step=step, subpixel=subpixel, highpass_px=highpass)
    return ref.nbytes + sec.nbytes


def warm_activity(scale: int = 1) -> int:
    rng = np.random.default_rng(12)
    n = 200 * scale
    x, y = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    square = np.array([[10.0, 10.0], [60.0, 10.0], [60.0, 60.0], [10.0, 60.0], [10.0, 10.0]])
    hole = np.array([[20.0, 20.0], [30.0, 20.0], [30.0, 30.0], [20.0, 20.0]])
    points_in_polygons_blocks(x, y, [[square, hole], [square + 30.0]])
    poly = rng.integers(-1, 6, n)
    v = rng.normal(0, 8, n)
    area = rng.uniform(0.01, 1.0, 6)
    landslide_activity(poly, v, area, threshold_mm_yr=2.5)
    landslide_activity(poly, v, area, threshold_mm_yr=2.5, v_slope_mm_yr=v * 1.3)
    return v.nbytes + x.nbytes + y.nbytes


EGMS_HEADER = ("pid,mp_type,latitude,longitude,easting,northing,height_ortho,height_ellipse,line,pixel,rmse_ts,"
               "temporal_coherence,amplitude_dispersion,incidence_angle,track_angle,los_east,los_north,los_up,"
               "mean_velocity,mean_velocity_std,acceleration,acceleration_std,seasonality,seasonality_std,"
               "gnss_velocity")


def warm_egms_tiles(scale: int = 1) -> int:
    import tempfile


    rng = np.random.default_rng(13)
    dates = [d.strftime("%Y%m%d") for d in _dates(8, 6)]
    lines = [EGMS_HEADER + "," + ",".join(dates)]
    for k in range(40 * scale):
        attrs = [f"1A{k:08d}", "0", "38.7", "13.1", f"{4300000 + k}.5", f"{1800000 + k}.25", "12.1", "55.0", "10",
                 "20", "1.2", "0.8", "0.5", "38.1", "-10.2", "0.6", "-0.1", "0.78", "-1.5", "0.3", "0.01", "0.02",
                 "1.1", "0.2", "0.0"]
        lines.append(",".join(attrs + [f"{v:.1f}" for v in rng.normal(0, 3, len(dates))]))
    text = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory(prefix="geohazard_warm_") as tmp:
        path = os.path.join(tmp, "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.csv")
        with open(path, "wb") as fh:
            fh.write(text)
        head = read_header(path)
        body = text[text.index(b"\n") + 1:]
        for with_dates in (True, False):
            parse_chunk(body, head, 1, dates=with_dates)
    return len(text)


#: most used first: the order of the warm-up
FAMILIES = (
    Family("sbas", ("timeseries.sbas",), warm_sbas, words="SBAS inversion, DEM error correction"),
    Family("phase_linking", ("psds.phase_linking.shp", "psds.phase_linking"), warm_phase_linking,
           words="DS phase linking"),
    Family("unwrap", ("unwrap.unwrap", "unwrap.unwrap_tiles"), warm_unwrap, words="unwrapping"),
    Family("okada", ("faults.okada", "faults.okada_planes"), warm_okada, by_input_size=False,
           words="Okada, Coulomb and slip inversions"),
    Family("multisensor", ("timeseries.multisensor.kernels", "timeseries.multisensor.lanes",
                           "timeseries.multisensor.batch"), warm_multisensor,
           calls=("timeseries.multisensor.noise", "timeseries.multisensor.arrow", "dense", "timeseries.sbas"),
           words="multi-sensor time series"),
    Family("distortion", ("geometry.distortion",), warm_distortion, words="geometric distortion"),
    Family("offset_series", ("kinematics.offset_timeseries",), warm_offset_series, words="offset time series"),
    Family("psi", ("psds.psi",), warm_psi, words="PS time series"),
    Family("offsets", ("kinematics.offsets.matching", "kinematics.offsets.search", "kinematics.offsets.levels",
                       "kinematics.offsets.field"), warm_offsets, words="offset tracking"),
    Family("egms_tiles", ("formats.egms_tiles",), warm_egms_tiles, words="loading EGMS"),
    Family("activity", ("ada.activity",), warm_activity, words="landslide activity"),
    Family("dense", ("dense",), warm_dense),
)

BY_NAME = {f.name: f for f in FAMILIES}


def families_of(kernels) -> list:
    """The families whose modules a tool's ``KERNELS`` names (in the warm-up's order)."""
    wanted = set(kernels)
    return [f for f in FAMILIES if wanted & set(f.kernels)]


def _ready_path(family: Family) -> str:
    return os.path.join(_numba.family_folder(family.modules()), f".geohazard-ready-{family.name}.json")


def _ready_stamp(family: Family) -> dict:
    """What a family's compiled cache was made from: numba's and Python's versions and its modules' files (size and
    modification time): an upgrade of either, or an edited module, makes the family not ready again."""
    import sys


    files = {}
    for module in family.modules():
        path = getattr(module, "__file__", None) or ""
        try:
            st = os.stat(path)
        except OSError:
            continue
        files[os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)] = [st.st_size, st.st_mtime_ns]
    version = getattr(getattr(_numba, "_numba", None), "__version__", "")
    return {"numba": version, "python": list(sys.version_info[:2]), "files": files}


def family_ready(family: Family) -> bool:
    """True when the warm-up compiled ``family`` whole into numba's cache (its ready file, written after the last
    kernel was saved, matches this numba, this Python and the family's module files): a run loads it and compiles
    nothing. A cache that a run or an interrupted warm-up filled in part is not ready."""
    try:
        with open(_ready_path(family), encoding="utf-8") as fh:
            return json.load(fh) == _ready_stamp(family)
    except (OSError, ValueError):
        return False


def mark_ready(family: Family) -> None:
    """Record that ``family`` is compiled whole into the cache (the warm-up, under the family's lock)."""
    path = _ready_path(family)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(_ready_stamp(family), fh)
        os.replace(tmp, path)
    except OSError:
        with __import__("contextlib").suppress(OSError):
            os.remove(tmp)


#: a family's kernels run as plain numpy on a first run (while they compile for the next runs) when the table
#: measures that numpy form at most this many times the compiled one's CPU per MB, plus :data:`NUMPY_SLACK_S_PER_MB`
NUMPY_RATIO = 1.5
#: CPU seconds per MB below which both forms count as free (a sum of a few float64 terms a pixel)
NUMPY_SLACK_S_PER_MB = 0.002


def numpy_as_fast(name: str, costs: dict) -> bool:
    """True when the measured table (``costs``) has the numpy form of family ``name`` within :data:`NUMPY_RATIO`
    of its compiled form per MB (SBAS's kernels as numpy over wide batches); False when the family
    or a rate is missing from the table."""
    row = costs.get("families", {}).get(name, {})
    if "numpy_cpu_s_per_mb" not in row or "numba_cpu_s_per_mb" not in row:
        return False
    return float(row["numpy_cpu_s_per_mb"]) <= NUMPY_RATIO * float(row["numba_cpu_s_per_mb"]) + NUMPY_SLACK_S_PER_MB


COSTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compile_costs.json")


def measured_costs() -> dict:
    """The measured cost table (``compile_costs.json``, written by ``benchmarks/compile/measure.py``): per
    family its compile CPU seconds from an empty cache and its numpy path's seconds per megabyte of input; {}
    when the file is missing or unreadable."""
    try:
        with open(COSTS_FILE, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _ratio_text(ratio: float) -> str:
    return f"about {ratio:.0f}x" if ratio >= 10 else f"about {ratio:.1f}x"


def _seconds(s: float) -> str:
    return f"{s:.1f}" if s >= 1 else f"{s:.2g}"


def run_estimate(kernels, work, costs: Optional[dict] = None) -> Optional[tuple]:
    """A run's CPU seconds with its kernels as plain Python and compiled, and how they were estimated:
    ``(numpy_s, numba_s, how)``. ``work`` is what the tool gives for the choice of its first run: an estimate per
    configuration (``numpy_s`` and ``numba_s`` attributes, e.g. Okada's and phase linking's cost models), or its
    input bytes (or :class:`OutputWork`), times each family's measured CPU per MB plus its fixed cost. None when
    the work is unknown or the table has no rates for the tool's families."""
    if work is None or not kernels:
        return None
    if hasattr(work, "numpy_s") and hasattr(work, "numba_s"):
        return float(work.numpy_s), float(work.numba_s), "by the cost measured for this run's configuration"
    table = (measured_costs() if costs is None else costs).get("families", {})
    rows = [table.get(f.name, {}) for f in families_of(kernels)]
    if not rows or not all("numpy_cpu_s_per_mb" in r and "numba_cpu_s_per_mb" in r for r in rows):
        return None
    mb = int(work) / 2**20
    numpy_s = sum(r["numpy_cpu_s_per_mb"] * mb + r.get("numpy_cpu_s_small", 0.0) for r in rows)
    numba_s = sum(r["numba_cpu_s_per_mb"] * mb + r.get("numba_cpu_s_small", 0.0) for r in rows)
    return numpy_s, numba_s, f"for its {mb:.2g} MB by the rates measured per MB"


def numba_missing_message(slowdown: Optional[float] = None, *, kernels=None, work=None) -> str:
    """The one-line install of numba for this platform, and what its absence costs: with ``kernels`` (a tool's
    ``KERNELS``) and ``work`` (:func:`run_estimate`), this run's estimate on both paths; with ``kernels`` alone,
    the measured slowdown of each kernel family the tool uses; else ``slowdown`` (a ratio) when given."""
    costs = measured_costs().get("families", {})
    parts = []
    for family in families_of(kernels) if kernels else ():
        row = costs.get(family.name, {})
        if row.get("numba_cpu_s_per_mb", 0) > 0 and row.get("numpy_cpu_s_per_mb", 0) > 0:
            parts.append(f"{family.name}: {_ratio_text(row['numpy_cpu_s_per_mb'] / row['numba_cpu_s_per_mb'])}")
    run = run_estimate(kernels, work) if kernels else None
    if run is not None:
        numpy_s, numba_s, how = run
        names = ", ".join(f.name for f in families_of(kernels))
        # a ratio of two fractions of a second would alarm for nothing
        ratio = f", {_ratio_text(numpy_s / numba_s)} slower" if numba_s > 0 and numpy_s >= 1.0 else \
            (", under a second either way" if numpy_s < 1.0 else "")
        cost = (f"this run's kernels ({names}) run as plain Python: ~{_seconds(numpy_s)} CPU-s against "
                f"~{_seconds(numba_s)} compiled {how}{ratio}")
    elif parts:
        cost = f"this tool's kernels run as plain Python ({', '.join(parts)} slower per MB of input, measured)"
    elif slowdown:
        cost = f"the InSAR Geohazards kernels run as plain Python, about {slowdown:.0f}x slower (measured)"
    else:
        cost = "the InSAR Geohazards kernels run as plain Python, many times slower"
    besides = ("the rest of the run (reading, writing) costs the same" if run is not None else
               "a whole run on a large input is slower by less, reading and writing being the same")
    return (f"numba is not installed: {cost}; {besides} (the same results). Install it {install_line('numba')}, "
            "then restart QGIS.")


#: CPU seconds per MB under which a family's numpy path counts as free in the notice (a ratio would mislead there:
#: its compiled form is too fast to measure per MB)
FREE_S_PER_MB = 0.2


def numba_notice_cost(costs: Optional[dict] = None) -> str:
    """Without numba, how much slower each tool's kernels run, tool by tool (the families' words, in the order of
    their measured numpy / compiled CPU per MB), for the optional packages' notice; "" without a table."""
    table = (measured_costs() if costs is None else costs).get("families", {})
    slower, free = [], []
    for family in FAMILIES:
        row = table.get(family.name, {})
        if not family.words or "numpy_cpu_s_per_mb" not in row:
            continue
        numpy_mb, numba_mb = float(row["numpy_cpu_s_per_mb"]), float(row.get("numba_cpu_s_per_mb", 0.0))
        if numba_mb <= 0 and numpy_mb <= FREE_S_PER_MB:
            free.append(family.words)
        elif numba_mb > 0:
            slower.append((numpy_mb / numba_mb, family.words))
    if not slower and not free:
        return ""
    text = "; ".join(f"{words} {_ratio_text(ratio)}" for ratio, words in sorted(slower))
    if free:
        text += ("; " if text else "") + f"{', '.join(free)} about the same (under {FREE_S_PER_MB} CPU-s per MB)"
    return (f"slower by tool, numpy against compiled CPU per MB of input as measured: {text}. A whole run slows "
            "down less (reading and writing are the same); each run's log gives its own estimate")

"""Infinite-slope factor of safety of shallow landslides, and its probability of failure under uncertain soil.

For a soil layer of vertical depth ``z`` (m) on a slope ``beta`` with the water table a share ``m`` (0-1, the
wetness) of the way up the layer, Mohr-Coulomb strength ``c'`` (kPa) and ``phi'`` (degrees), unit weight
``gamma`` (kN/m3) and water ``gamma_w = 9.81`` kN/m3::

    FS = (c' + (gamma - m gamma_w) z cos^2(beta) tan(phi')) / (gamma z sin(beta) cos(beta))

FS < 1 fails. It is the form of SINMAP (Pack et al. 1998), TRIGRS (Baum et al. 2008) and GRASS's
r.slope.stability (Mergili et al. 2014), with the layer depth measured vertically. The slope is Horn's
(:func:`..geometry.terrain.slope_aspect`) on a projected grid in metres. Cells flatter than
:data:`FLAT_SLOPE_DEG` have no factor of safety (no data: it grows without bound) and are classed stable.

Classes (``classes``): 0 no data, 1 FS < 1 (unstable), 2 1 <= FS < 1.3 (marginal), 3 1.3 <= FS < 1.5 (moderately
stable), 4 FS >= 1.5 and flat cells (stable).

Probability of failure: ``samples`` draws of every parameter given as a range (uniform between its value and its
maximum), the same draws for every cell (one generator with a fixed seed), so a cell's share of draws with FS < 1
depends on its own data only: the same bytes for any block layout.

References: Hammond C. et al. (1992) Level I stability analysis (LISA), USDA Forest Service INT-285; Pack R.T.,
Tarboton D.G., Goodwin C.N. (1998) The SINMAP approach to terrain stability mapping, 8th IAEG Congress;
Baum R.L. et al. (2008) TRIGRS,
doi:10.3133/ofr20081159; Mergili M. et al. (2014) r.slope.stability, doi:10.5194/gmd-7-2969-2014; Horn B.K.P.
(1981), doi:10.1109/PROC.1981.11918.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import GeohazardError
from ..geometry.terrain import slope_aspect
from ..plausibility import FRICTION_DEG, UNIT_WEIGHT_KN_M3

#: Unit weight of water (kN/m3).
GAMMA_W_KN_M3 = 9.81
#: Cells flatter than this (degrees) have no factor of safety and are classed stable.
FLAT_SLOPE_DEG = 0.5
#: Upper bounds of the classes 1-3 (FS); class 4 is FS >= 1.5.
CLASS_EDGES = (1.0, 1.3, 1.5)
CLASSES = {1: "FS < 1 (unstable)", 2: "1 - 1.3 (marginal)", 3: "1.3 - 1.5 (moderately stable)",
           4: ">= 1.5 or flat (stable)"}
#: The seed of the Monte Carlo draws (the same draws for every cell and every run).
SEED = 20140924
#: The soil parameters, in the order of the formula's arguments, with their plausible ranges (inclusive bounds).
PARAMETERS = ("cohesion_kpa", "friction_deg", "unit_weight_kn_m3", "soil_depth_m", "wetness")
_LIMITS = {"cohesion_kpa": (0.0, 1000.0, True, True), "friction_deg": (5.0, 60.0, True, True),
           "unit_weight_kn_m3": (10.0, 30.0, True, True), "soil_depth_m": (0.0, 100.0, False, True),
           "wetness": (0.0, 1.0, True, True)}
#: What a value outside a limit usually is (the soil parameters' units).
_UNITS = {"cohesion_kpa": ("kPa", "1-50 kPa for soils with roots; a value in Pa is 1000 times larger"),
          "friction_deg": ("deg", FRICTION_DEG.usual),
          "unit_weight_kn_m3": ("kN/m3", UNIT_WEIGHT_KN_M3.usual),
          "soil_depth_m": ("m", "0.5-5 m for shallow landslides"), "wetness": ("", "0 dry to 1 saturated")}


def check_values(name: str, values, what: str) -> None:
    """Refuse values of a soil parameter outside its plausible range (unit weight 10-30 kN/m3, friction 5-60 deg:
    :mod:`..plausibility`), naming ``what`` (a parameter or a raster), the unit and what such a value usually is."""
    lo, hi, lo_in, hi_in = _LIMITS[name]
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return
    vmin, vmax = float(v.min()), float(v.max())
    low = vmin < lo if lo_in else vmin <= lo
    high = vmax > hi if hi_in else vmax >= hi
    if low or high:
        unit, usual = _UNITS[name]
        bounds = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}{' ' + unit if unit else ''}"
        raise GeohazardError(f"{what}: values from {vmin:g} to {vmax:g}, expected within {bounds} ({usual}); check "
                             "the value and its unit")


def factor_of_safety(slope_deg, *, cohesion_kpa, friction_deg, unit_weight_kn_m3, soil_depth_m, wetness):
    """Infinite-slope factor of safety (module docstring); NaN where the slope is flatter than
    :data:`FLAT_SLOPE_DEG` or any input is NaN.

    Parameters
    ----------
    slope_deg : ndarray
        Slope from horizontal, degrees.
    cohesion_kpa, friction_deg, unit_weight_kn_m3, soil_depth_m, wetness : float or ndarray
        c' (kPa), phi' (degrees), gamma (kN/m3), vertical soil depth z (m), saturated share m of the depth (0-1);
        each broadcastable to ``slope_deg``.

    Returns
    -------
    ndarray of float64
    """
    beta = np.radians(np.asarray(slope_deg, dtype=np.float64))
    cos = np.cos(beta)
    sin = np.sin(beta)
    z = np.asarray(soil_depth_m, dtype=np.float64)
    gamma = np.asarray(unit_weight_kn_m3, dtype=np.float64)
    resisting = np.asarray(cohesion_kpa, dtype=np.float64) + (gamma - np.asarray(wetness, dtype=np.float64)
                                                              * GAMMA_W_KN_M3) * z * cos * cos * np.tan(
        np.radians(np.asarray(friction_deg, dtype=np.float64)))
    driving = gamma * z * sin * cos
    with np.errstate(divide="ignore", invalid="ignore"):
        fs = resisting / driving
    return np.where(np.asarray(slope_deg) >= FLAT_SLOPE_DEG, fs, np.nan)


def classify(fs, slope_deg) -> np.ndarray:
    """The classes of the module docstring (uint8): flat cells 4, no data 0."""
    fs = np.asarray(fs, dtype=np.float64)
    out = np.zeros(fs.shape, np.uint8)
    ok = np.isfinite(fs)
    out[ok] = 1 + np.searchsorted(np.asarray(CLASS_EDGES), fs[ok], side="right").astype(np.uint8)
    flat = np.isfinite(np.asarray(slope_deg, dtype=np.float64)) & (np.asarray(slope_deg) < FLAT_SLOPE_DEG)
    out[flat] = 4
    return out


@dataclass(frozen=True)
class Draws:
    """The Monte Carlo draws: parameter name -> ``(samples,)`` values (uniform between a range's bounds)."""

    samples: int
    values: dict = field(default_factory=dict)


def draw(ranges: dict, samples: int, *, seed: int = SEED) -> Draws:
    """``samples`` uniform draws of every parameter of ``ranges`` (name -> ``(low, high)``), in the order of
    :data:`PARAMETERS`, from one generator seeded with ``seed``: the same draws for every cell."""
    if int(samples) < 1:
        raise GeohazardError(f"samples must be >= 1, got {samples!r}")
    rng = np.random.default_rng(seed)
    values = {}
    for name in PARAMETERS:
        u = rng.random(int(samples))
        if name in ranges:
            lo, hi = (float(x) for x in ranges[name])
            if hi < lo:
                raise GeohazardError(f"{name}: the range's maximum {hi:g} is below its value {lo:g}")
            values[name] = lo + u * (hi - lo)
    return Draws(int(samples), values)


#: Cell-draws one step of the Monte Carlo holds (its arrays ``(draws, cells)``): numpy's per-call cost amortised over
#: about 65,000 elements whatever the block's size, in a few MB.
CHUNK_CELL_DRAWS = 1 << 16


def failure_probability(slope_deg, params: dict, draws: Draws) -> np.ndarray:
    """Share of the draws with FS < 1 per cell (float64); 0 on flat cells, NaN where an input is NaN.

    ``params``: the five soil parameters (module docstring), scalars or arrays broadcastable to ``slope_deg``;
    those in ``draws.values`` take each draw's value in turn. FS < 1 is tested as resisting < driving (no division).
    The draws are taken a few at a time (:data:`CHUNK_CELL_DRAWS` cell-draws a step), each cell's arithmetic the
    same element by element whatever the step (tan of a ranged friction taken once over all the draws), so the
    counts do not depend on the block's size.
    """
    slope = np.asarray(slope_deg, dtype=np.float64)
    beta = np.radians(slope)
    cos = np.cos(beta)
    cos2 = cos * cos
    sincos = np.sin(beta) * cos
    base = {k: np.asarray(params[k], dtype=np.float64) for k in PARAMETERS}
    ranged = draws.values
    tan_phi = np.tan(np.radians(ranged["friction_deg"] if "friction_deg" in ranged else base["friction_deg"]))
    count = np.zeros(slope.shape, np.int64)
    step = max(1, CHUNK_CELL_DRAWS // max(1, slope.size))
    for k0 in range(0, draws.samples, step):
        k1 = min(draws.samples, k0 + step)
        shape = (k1 - k0,) + (1,) * slope.ndim
        p = {n: (ranged[n][k0:k1].reshape(shape) if n in ranged else base[n]) for n in PARAMETERS}
        tphi = tan_phi[k0:k1].reshape(shape) if "friction_deg" in ranged else tan_phi
        gz = p["unit_weight_kn_m3"] * p["soil_depth_m"]
        resisting = p["cohesion_kpa"] + (p["unit_weight_kn_m3"] - p["wetness"] * GAMMA_W_KN_M3) * p["soil_depth_m"] \
            * cos2 * tphi
        count += np.sum(resisting < gz * sincos, axis=0, dtype=np.int64)
    prob = count / float(draws.samples)
    valid = np.isfinite(slope)
    for n in PARAMETERS:
        if n not in ranged:
            valid &= np.isfinite(np.broadcast_to(base[n], slope.shape))
    prob = np.where(slope >= FLAT_SLOPE_DEG, prob, 0.0)
    return np.where(valid, prob, np.nan)


def bytes_per_pixel(n_rasters: int, probability: bool) -> float:
    """Memory one cell of a block holds: the DEM and the raster parameters read (float64), slope, aspect and the
    formula's work arrays, the outputs; the Monte Carlo's counts and per-draw temporaries."""
    return 8.0 * (1 + n_rasters) + 8.0 * 10 + (8.0 * 8 if probability else 0.0)


def slope_stability_block(block, inputs, *, dx_m: float, dy_m: float, constants: dict, draws=None,
                          names: dict) -> dict:
    """Block function of the engine (halo 1 row).

    ``inputs["dem"]`` (rows read, cols) heights in metres; ``inputs[<parameter>]`` a raster of the parameter where
    one is given (it wins over ``constants[<parameter>]``); ``names``: parameter -> what to call it in a message.
    Returns ``fs`` (float32, NaN flat or no data), ``classes`` (uint8) and, with ``draws``, ``probability``
    (float32).
    """
    slope = slope_aspect(inputs["dem"], dx_m, dy_m)[0][block.core]
    params = {}
    for name in PARAMETERS:
        if name in inputs:
            values = inputs[name][block.core]
            check_values(name, values, names[name])
            params[name] = values
        else:
            params[name] = constants[name]
    fs = factor_of_safety(slope, **params)
    out = {"fs": fs.astype(np.float32), "classes": classify(fs, slope)}
    if draws is not None:
        out["probability"] = failure_probability(slope, params, draws).astype(np.float32)
    return out

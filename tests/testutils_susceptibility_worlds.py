"""Susceptibility worlds with long-range factors and two independent inventories, in plain numpy and scipy.

Written apart from the tool and from ``testutils_susceptibility.make_world``: the factors are stationary Gaussian
random fields with a stated covariance model and practical range (m), made by circulant embedding (the covariance
sampled on a grid twice the world's size, its FFT as the spectrum, white noise coloured by its square root); the
true susceptibility is a logistic function of some of them (a linear term each, a quadratic one on the first, a
class effect of a categorical factor cut from another field), so the law is known at every pixel. Events are drawn
twice from that law with independent random numbers: inventory ``a`` (what the tool learns from) and inventory
``b`` (what its map is scored against, as a second survey of the same area would). An event starts at a pixel drawn
with chance proportional to the true probability and covers a rectangle of 2-5 x 2-5 px around it (mapped
landslide polygons). A *null* world gives the tool only fields the events do not depend on: the events follow a
hidden field of the same range that the tool never sees, so they cluster in space as real events do.

The study area is an ellipse covering most of the grid; events, absences and scores are inside it.
"""

from __future__ import annotations

import os

import numpy as np

X0, Y0 = 600000.0, 5200000.0


def covariance(h, range_m: float, model: str) -> np.ndarray:
    """Correlation at lag ``h`` (m) of the ``model`` ("exponential", "gaussian", "spherical") whose practical range
    (correlation 0.05, or 0 for the spherical model) is ``range_m``."""
    r = np.asarray(h, np.float64) / float(range_m)
    if model == "exponential":
        return np.exp(-3.0 * r)
    if model == "gaussian":
        return np.exp(-3.0 * r * r)
    if model == "spherical":
        return np.where(r < 1.0, 1.0 - 1.5 * r + 0.5 * r ** 3, 0.0)
    raise ValueError(model)


def gaussian_field(rng, shape, pixel_m: float, range_m: float, model: str = "exponential") -> np.ndarray:
    """A zero-mean, unit-variance stationary Gaussian field on ``shape`` pixels of ``pixel_m`` with correlation
    :func:`covariance` (circulant embedding on a grid padded to twice the size plus the range, so the field does not
    wrap around; negative spectral values of the embedding set to zero)."""
    ny, nx = shape
    pad = int(np.ceil(range_m / pixel_m))
    my, mx = 2 * ny + pad, 2 * nx + pad
    dy = np.minimum(np.arange(my), my - np.arange(my)) * pixel_m
    dx = np.minimum(np.arange(mx), mx - np.arange(mx)) * pixel_m
    c = covariance(np.hypot(dy[:, None], dx[None, :]), range_m, model)
    spec = np.maximum(np.real(np.fft.fft2(c)), 0.0)
    noise = rng.normal(size=(my, mx)) + 1j * rng.normal(size=(my, mx))
    f = np.real(np.fft.ifft2(np.sqrt(spec) * noise)) * np.sqrt(my * mx)
    f = f[:ny, :nx]
    return (f - f.mean()) / f.std()


def ellipse_mask(shape, *, rng) -> tuple:
    """A tilted ellipse covering about 70 % of the grid: ``(mask, ring)`` (pixel-centre mask, the ring's vertices in
    pixel coordinates (col, row))."""
    ny, nx = shape
    cy, cx = ny * rng.uniform(0.45, 0.55), nx * rng.uniform(0.45, 0.55)
    ay, ax = 0.5 * ny * rng.uniform(0.9, 1.05), 0.5 * nx * rng.uniform(0.9, 1.05)
    t = rng.uniform(-0.3, 0.3)
    ang = np.linspace(0, 2 * np.pi, 73)
    ring = np.column_stack([cx + ax * np.cos(ang) * np.cos(t) - ay * np.sin(ang) * np.sin(t),
                            cy + ax * np.cos(ang) * np.sin(t) + ay * np.sin(ang) * np.cos(t)])
    ring = np.column_stack([np.clip(ring[:, 0], 0.0, nx), np.clip(ring[:, 1], 0.0, ny)])
    rr, cc = np.mgrid[0:ny, 0:nx] + 0.5
    u, v = (cc - cx), (rr - cy)
    uu = u * np.cos(t) + v * np.sin(t)
    vv = -u * np.sin(t) + v * np.cos(t)
    return (uu / ax) ** 2 + (vv / ay) ** 2 <= 1.0, ring


def draw_inventory(rng, probability, mask, n_events: int) -> tuple:
    """``n_events`` events drawn from ``probability`` (initiation pixels without replacement, chance proportional to
    it, inside ``mask``), each a rectangle of 2-5 x 2-5 px around its pixel: ``(rects, pixels)`` with rects
    ``(row0, col0, rows, cols)`` and the boolean raster of the events' pixels (inside ``mask``)."""
    ny, nx = probability.shape
    p = np.where(mask, probability, 0.0).ravel()
    start = rng.choice(p.size, size=n_events, replace=False, p=p / p.sum())
    rects, pixels = [], np.zeros((ny, nx), bool)
    for k in start:
        r, c = divmod(int(k), nx)
        h, w = rng.integers(2, 6, size=2)
        r0, c0 = max(0, r - int(rng.integers(0, h))), max(0, c - int(rng.integers(0, w)))
        h, w = min(h, ny - r0), min(w, nx - c0)
        rects.append((r0, c0, int(h), int(w)))
        pixels[r0:r0 + h, c0:c0 + w] = True
    return rects, pixels & mask


def make_world(seed: int, *, shape=(400, 400), pixel_m: float = 25.0, range_m=(1500.0, 4000.0),
               n_events: int = 250, null: bool = False, n_factors: int = 4, model=None) -> dict:
    """A world (module docstring).

    Returns ``factors`` {name: array} (continuous), ``categorical`` {name: array of class codes}, ``probability``
    (the true chance of an event starting in a pixel, up to a constant), ``a`` and ``b`` (the two inventories'
    rectangles and pixels), ``mask`` and ``ring`` (the study area), ``ranges`` {name: practical range m},
    ``geotransform``; with ``null`` the factors carry no information on the events."""
    rng = np.random.default_rng([seed, 81])
    models = ("exponential", "gaussian", "spherical")
    ranges, fields, kinds = {}, {}, {}
    for i in range(n_factors + 1):  # the last one: cut into classes
        name = f"f{i + 1}" if i < n_factors else "geology"
        ranges[name] = float(rng.uniform(*range_m))
        kinds[name] = model or models[int(rng.integers(3))]
        fields[name] = gaussian_field(rng, shape, pixel_m, ranges[name], kinds[name])
    geology = np.digitize(fields.pop("geology"), [-0.6, 0.3]) + 1.0
    mask, ring = ellipse_mask(shape, rng=rng)
    if null:
        hidden = gaussian_field(rng, shape, pixel_m, float(rng.uniform(*range_m)), models[int(rng.integers(3))])
        eta = 1.8 * hidden
    else:
        beta = rng.uniform(0.6, 1.4, size=n_factors - 1) * rng.choice([-1.0, 1.0], size=n_factors - 1)
        eta = sum(b * fields[f"f{i + 1}"] for i, b in enumerate(beta))  # the last factor is spurious
        eta = eta - 0.3 * fields["f1"] ** 2 + 0.8 * (geology == 3)
    eta = eta - np.log(np.mean(np.exp(eta[mask])))
    probability = 1.0 / (1.0 + np.exp(-(eta - 6.0)))
    a = draw_inventory(rng, probability, mask, n_events)
    b = draw_inventory(rng, probability, mask, n_events)
    scale = {f"f{i + 1}": (20.0 + 8.0 * i, 5.0 + 3.0 * i) for i in range(n_factors)}
    factors = {k: (m + s * fields[k]).astype(np.float32) for k, (m, s) in scale.items()}
    gt = (X0, pixel_m, 0.0, Y0, 0.0, -pixel_m)
    return {"factors": factors, "categorical": {"geology": geology.astype(np.float32)}, "probability": probability,
            "a": a, "b": b, "mask": mask, "ring": ring, "ranges": ranges, "kinds": kinds, "geotransform": gt}


def unrelated_factors(world, rng, *, range_m=(400.0, 1000.0), n_factors: int = 4) -> tuple:
    """Factors of the law of :func:`make_world`'s (fields of practical ranges drawn in ``range_m``, models at
    random, the same scales, a geology cut from one more field) drawn with ``rng`` alone, so that they know nothing
    of ``world``'s events: ``(factors, categorical)`` as :func:`make_world` gives them. A tool given these scores
    ``world``'s inventory as well as chance lets it."""
    shape = world["mask"].shape
    pixel_m = float(world["geotransform"][1])
    models = ("exponential", "gaussian", "spherical")
    fields = [gaussian_field(rng, shape, pixel_m, float(rng.uniform(*range_m)), models[int(rng.integers(3))])
              for _ in range(n_factors + 1)]
    geology = np.digitize(fields.pop(), [-0.6, 0.3]) + 1.0
    factors = {f"f{i + 1}": (20.0 + 8.0 * i + (5.0 + 3.0 * i) * f).astype(np.float32) for i, f in enumerate(fields)}
    return factors, {"geology": geology.astype(np.float32)}


def _rect_wkt(gt, r0, c0, h, w) -> str:
    x0, y0 = gt[0] + c0 * gt[1], gt[3] + r0 * gt[5]
    x1, y1 = x0 + w * gt[1], y0 + h * gt[5]
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def write_world(folder, world, *, epsg: int = 32633) -> dict:
    """The factors as GeoTIFFs, inventory ``a`` and the study area as GeoPackages in ``folder``: ``{"factors": [...],
    "categorical": [...], "inventory": path, "study_area": path}``."""
    from testutils import write_geotiff
    from testutils_ada import write_wkt_layer

    os.makedirs(folder, exist_ok=True)
    gt = world["geotransform"]
    out = {"factors": [write_geotiff(os.path.join(folder, f"{k}.tif"), v, geotransform=gt, epsg=epsg)
                       for k, v in world["factors"].items()],
           "categorical": [write_geotiff(os.path.join(folder, f"{k}.tif"), v, geotransform=gt, epsg=epsg)
                           for k, v in world["categorical"].items()]}
    out["inventory"] = write_wkt_layer(os.path.join(folder, "inventory.gpkg"),
                                       [_rect_wkt(gt, *r) for r in world["a"][0]], epsg=epsg)
    ring = world["ring"]
    pts = ",".join(f"{gt[0] + c * gt[1]} {gt[3] + r * gt[5]}" for c, r in ring)
    out["study_area"] = write_wkt_layer(os.path.join(folder, "study_area.gpkg"), [f"POLYGON(({pts}))"], epsg=epsg)
    return out


def independent_auc(score, world, *, which: str = "b") -> float:
    """The AUC of a map ``score`` against an inventory of the world (``b``: the independent one): the inventory's
    pixels against every other pixel of the study area where the map has a value (scikit-learn's
    ``roc_auc_score``)."""
    from sklearn.metrics import roc_auc_score

    pixels = world[which][1]
    ok = world["mask"] & np.isfinite(score)
    return float(roc_auc_score(pixels[ok], np.asarray(score, np.float64)[ok]))

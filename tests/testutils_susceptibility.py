"""Synthetic susceptibility worlds, made independently of the code under test.

A world is a grid of factors and an inventory drawn from a known law: the chance of an event in a pixel is a
logistic function of one driving factor (and, when asked, a class effect of a categorical factor); a spurious
factor has no effect on the events given the driver (it may be correlated with the driver). Fields are made
from white noise by one of several recipes (Gaussian smoothing, a power-law spectrum, a sum of random bumps),
so a method tuned on one kind of field is also tried on others. Events become small square polygons (a few
pixels, as mapped landslides) or points.
"""

from __future__ import annotations

import os

import numpy as np

X0, Y0, PIXEL = 500000.0, 4100000.0, 30.0
GT = (X0, PIXEL, 0.0, Y0, 0.0, -PIXEL)


def _field(rng, shape, kind: str, scale: float) -> np.ndarray:
    """A zero-mean, unit-variance random field of ``kind``: "gaussian" (white noise smoothed over ``scale`` px),
    "powerlaw" (spectrum ~ 1/k^3, cut at 1/scale), "bumps" (random Gaussian hills of width ``scale``)."""
    ny, nx = shape
    if kind == "gaussian":
        from scipy.ndimage import gaussian_filter

        f = gaussian_filter(rng.normal(size=shape), scale, mode="wrap")
    elif kind == "powerlaw":
        ky, kx = np.fft.fftfreq(ny)[:, None], np.fft.fftfreq(nx)[None, :]
        k = np.hypot(ky, kx)
        amp = np.where(k > 0, (k + 1.0 / (4 * scale)) ** -1.5, 0.0)
        f = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=shape)) * amp))
    else:
        yy, xx = np.mgrid[0:ny, 0:nx]
        f = np.zeros(shape)
        for _ in range(int(ny * nx / (scale * scale)) + 5):
            cy, cx, a = rng.uniform(0, ny), rng.uniform(0, nx), rng.normal()
            f += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * scale * scale))
    return (f - f.mean()) / f.std()


def make_world(shape=(120, 150), *, seed=0, noise="gaussian", scale=6.0, corr=0.0, effect=2.5, base=-5.5,
               class_effect=1.2, event_px=2, points=False):
    """A world: ``factors`` {name: array} (slope: the driver, degrees; spurious; lithology: classes 1-3),
    ``events`` (row, col) of the event pixels' corners, ``wkts`` of the inventory, the true ``probability``."""
    rng = np.random.default_rng(seed)
    z = _field(rng, shape, noise, scale)
    other = _field(rng, shape, noise, scale)
    spurious = corr * z + np.sqrt(1.0 - corr * corr) * other
    lith_field = _field(rng, shape, "gaussian", 2 * scale)
    lith = np.digitize(lith_field, [-0.4, 0.5]) + 1.0
    eta = base + effect * z + class_effect * (lith == 3)
    prob = 1.0 / (1.0 + np.exp(-eta))
    # events on a coarse lattice of event_px cells, so polygons do not overlap
    cells = rng.random((shape[0] // event_px, shape[1] // event_px)) < prob[::event_px, ::event_px][
        :shape[0] // event_px, :shape[1] // event_px] * event_px ** 2
    rows, cols = np.nonzero(cells)
    rows, cols = rows * event_px, cols * event_px
    wkts = []
    for r, c in zip(rows, cols):
        x, y = X0 + c * PIXEL, Y0 - r * PIXEL
        if points:
            wkts.append(f"POINT({x + 0.5 * PIXEL} {y - 0.5 * PIXEL})")
        else:
            s = event_px * PIXEL
            wkts.append(f"POLYGON(({x} {y},{x + s} {y},{x + s} {y - s},{x} {y - s},{x} {y}))")
    slope = 25.0 + 8.0 * z
    return {"factors": {"slope": slope, "spurious": 100.0 + 50.0 * spurious, "lithology": lith},
            "events": (rows, cols), "wkts": wkts, "probability": prob}


def write_world(folder, world, *, epsg=32633):
    """The world's factors as GeoTIFFs and its inventory as a GeoPackage in ``folder``: ``(paths, inventory)``."""
    from testutils import write_geotiff
    from testutils_ada import write_wkt_layer

    os.makedirs(folder, exist_ok=True)
    paths = {k: write_geotiff(os.path.join(folder, f"{k}.tif"), v, geotransform=GT, epsg=epsg)
             for k, v in world["factors"].items()}
    inv = write_wkt_layer(os.path.join(folder, "inventory.gpkg"), world["wkts"], epsg=epsg)
    return paths, inv


def kmeans_cv_aucs(lsl_csv: str, factors, repeats: int) -> list:
    """The published spatial cross-validation of the Ecuador landslides (tests/data/ecuador_landslides), reproduced
    independently: scikit-learn's LogisticRegression (``factors`` standardised on the training folds) on KMeans(5)
    folds of the coordinates of ``lsl_csv``'s points, the mean fold AUC of each of ``repeats`` repeats."""
    import csv

    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    with open(lsl_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    x = np.array([[float(r[k]) for k in factors] for r in rows])
    y = np.array([r["lslpts"] == "TRUE" for r in rows])
    means = []
    for rep in range(repeats):
        fold = KMeans(5, n_init=1, random_state=rep).fit_predict(xy)
        aucs = []
        for k in range(5):
            tr, te = fold != k, fold == k
            mu, sd = x[tr].mean(0), x[tr].std(0)
            m = LogisticRegression(max_iter=5000).fit((x[tr] - mu) / sd, y[tr])
            if len(set(y[te])) == 2:
                aucs.append(roc_auc_score(y[te], m.predict_proba((x[te] - mu) / sd)[:, 1]))
        means.append(np.mean(aucs))
    return means

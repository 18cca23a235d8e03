"""closure.common_fraction: the loops' common fraction on its grid, taken from numpy's cosine and sine, is the value
of the complex exponential's sum (the plain numpy expression below) bit for bit: on drawn closures of every kind
(coherent, noisy, with whole-cycle slips, few or many, all zero, one far beyond the trusted range), on closures whose
angle falls within a hair of a rounding boundary of the grid or of the wrap at half a cycle (there the exponential
decides), and with the bound of the trigonometric error set so large that the exponential always decides."""

import numpy as np
import pytest
from testutils_seed import drawn_seed

from insar_geohazards.algorithms.corrections import closure


def _reference(c: np.ndarray) -> float:
    z = np.exp(2j * np.pi * c).sum()
    return float(np.rint(np.angle(z) / (2 * np.pi) * closure.FRAC_GRID) / closure.FRAC_GRID)


def _same(a: float, b: float) -> bool:
    return np.float64(a).tobytes() == np.float64(b).tobytes()


def _drawn(rng, n: int) -> np.ndarray:
    mean = rng.uniform(-0.5, 0.5)
    spread = float(rng.choice([1e-3, 0.05, 0.2, 0.5, 2.0]))
    c = mean + rng.normal(0.0, spread, n)
    slipped = rng.random(n) < rng.uniform(0.0, 0.3)
    return c + rng.integers(-3, 4, n) * slipped


def test_the_fraction_is_the_exponentials_on_drawn_closures():
    rng = np.random.default_rng(drawn_seed())
    for i in range(300):
        n = int(rng.integers(1, 40)) if i % 4 == 0 else int(rng.integers(40, 30000))
        c = _drawn(rng, n)
        if i % 37 == 0:
            c[:] = 0.0
        if i % 41 == 0:
            c[:] = -0.0
        if i % 43 == 0:  # beyond the range the trigonometry is trusted in
            c[0] = 3.0 * closure.TRIG_RANGE + 0.25
        assert _same(closure.common_fraction(c), _reference(c)), (i, n)


@pytest.mark.parametrize("where", ["grid", "wrap"])
def test_near_a_rounding_boundary_the_exponential_decides(where):
    rng = np.random.default_rng(drawn_seed())
    grid = closure.FRAC_GRID
    for _ in range(60):
        n = int(rng.integers(100, 20000))
        if where == "grid":  # every closure at a half step of the grid, give or take a few of its last bits
            step = int(rng.integers(-2 ** 38, 2 ** 38))
            base = (step + 0.5) / grid
        else:  # half a cycle: the angle wraps from pi to -pi
            base = 0.5 * float(rng.choice([-1.0, 1.0]))
        c = base + rng.integers(-64, 65, n) * np.spacing(max(abs(base), 1e-300)) + rng.integers(-3, 4, n)
        assert _same(closure.common_fraction(c), _reference(c))


def test_with_no_trust_in_the_trigonometry_the_exponential_decides(monkeypatch):
    rng = np.random.default_rng(drawn_seed())
    monkeypatch.setattr(closure, "TRIG_ERROR", 1.0)
    for _ in range(40):
        c = _drawn(rng, int(rng.integers(1, 5000)))
        assert _same(closure.common_fraction(c), _reference(c))

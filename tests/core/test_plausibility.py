"""algorithms.plausibility: the advice of each scale a coherence comes on (coherence_scale_problem)."""

import pytest

from insar_geohazards.algorithms.plausibility import coherence_scale_problem


@pytest.mark.parametrize("vmax,advice", [
    (100.0, "percentage (0-100): divide by 100"), (87.5, "percentage (0-100): divide by 100"),
    (255.0, "bytes (0-255): divide by 255"), (230.0, "bytes (0-255): divide by 255"),
    (1.6, "neither a percentage (0-100) nor bytes (0-255)"), (1000.0, "neither a percentage"),
])
def test_each_scale_gets_its_own_advice(vmax, advice):
    msg = coherence_scale_problem(0.0, vmax)
    assert advice in msg and "coherence must be 0-1" in msg
    if "255" not in advice:
        assert "divide by 255" not in msg


def test_0_1_passes_and_negative_values_are_named():
    assert coherence_scale_problem(0.0, 1.0) is None
    assert "down to -0.2" in coherence_scale_problem(-0.2, 0.9)

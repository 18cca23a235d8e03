"""Infinite-slope stability (algorithms/hazard/slopestability.py): FS against LISA's worked form, classes at their
edges, the Monte Carlo's share against an exact integral, values out of range named, one layout-independent block."""

import numpy as np
import pytest

from insar_geohazards.algorithms.engine import plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import slopestability as ss


def test_factor_of_safety_of_a_dry_cohesionless_slope_is_tan_phi_over_tan_beta():
    # c' = 0, m = 0: FS = tan(phi') / tan(beta), whatever gamma and z (the textbook limit)
    beta = np.array([10.0, 25.0, 35.0, 50.0])
    fs = ss.factor_of_safety(beta, cohesion_kpa=0.0, friction_deg=30.0, unit_weight_kn_m3=18.0, soil_depth_m=2.0,
                             wetness=0.0)
    np.testing.assert_allclose(fs, np.tan(np.radians(30.0)) / np.tan(np.radians(beta)), rtol=1e-12)
    # saturated, cohesionless: FS = (1 - gamma_w / gamma) tan(phi') / tan(beta)
    wet = ss.factor_of_safety(beta, cohesion_kpa=0.0, friction_deg=30.0, unit_weight_kn_m3=20.0, soil_depth_m=2.0,
                              wetness=1.0)
    np.testing.assert_allclose(wet, (1 - 9.81 / 20.0) * np.tan(np.radians(30.0)) / np.tan(np.radians(beta)),
                               rtol=1e-12)
    assert np.isnan(ss.factor_of_safety(np.array([0.2]), cohesion_kpa=1.0, friction_deg=30.0,
                                        unit_weight_kn_m3=18.0, soil_depth_m=1.0, wetness=0.0)).all()


def test_a_worked_example_by_hand():
    # beta 30, c' 5 kPa, phi' 33, gamma 19, z 2 m, m 0.5: (5 + (19 - 4.905) 2 0.75 tan 33) / (19 2 0.5 0.8660)
    num = 5 + (19 - 0.5 * 9.81) * 2 * 0.75 * 0.6494075932
    den = 19 * 2 * 0.5 * 0.8660254038
    fs = ss.factor_of_safety(np.array([30.0]), cohesion_kpa=5.0, friction_deg=33.0, unit_weight_kn_m3=19.0,
                             soil_depth_m=2.0, wetness=0.5)
    assert fs[0] == pytest.approx(num / den, rel=1e-8) and fs[0] == pytest.approx(1.1383, abs=1e-4)


def test_classes_at_their_edges():
    fs = np.array([0.5, 0.999, 1.0, 1.299, 1.3, 1.5, 7.0, np.nan, np.nan])
    slope = np.array([30.0] * 7 + [0.2, np.nan])
    assert list(ss.classify(fs, slope)) == [1, 1, 2, 2, 3, 4, 4, 4, 0]


def test_probability_is_the_exact_share_of_the_parameter_box():
    slope = np.linspace(20.0, 50.0, 61)
    draws = ss.draw({"cohesion_kpa": (2.0, 10.0), "wetness": (0.0, 1.0)}, 4000)
    params = dict(cohesion_kpa=2.0, friction_deg=34.0, unit_weight_kn_m3=19.0, soil_depth_m=1.5, wetness=0.0)
    p = ss.failure_probability(slope, params, draws)
    c = np.linspace(2, 10, 801)[:, None, None]
    m = np.linspace(0, 1, 401)[None, :, None]
    exact = (ss.factor_of_safety(slope[None, None, :], cohesion_kpa=c, friction_deg=34.0, unit_weight_kn_m3=19.0,
                                 soil_depth_m=1.5, wetness=m) < 1).mean(axis=(0, 1))
    assert np.abs(p - exact).max() < 0.03 and exact.min() == 0 and exact.max() > 0.7
    assert ((exact > 0.1) & (exact < 0.6)).sum() >= 10
    again = ss.failure_probability(slope, params, ss.draw({"cohesion_kpa": (2.0, 10.0), "wetness": (0.0, 1.0)}, 4000))
    assert again.tobytes() == p.tobytes()


def test_values_out_of_range_are_named():
    with pytest.raises(GeohazardError, match=r"WETNESS_RASTER: values from 0 to 1.5, expected within \[0, 1\]"):
        ss.check_values("wetness", np.array([0.0, 1.5, np.nan]), "WETNESS_RASTER")
    with pytest.raises(GeohazardError, match="SOIL_DEPTH_M"):
        ss.check_values("soil_depth_m", 0.0, "SOIL_DEPTH_M")
    with pytest.raises(GeohazardError, match="below its value"):
        ss.draw({"wetness": (0.8, 0.2)}, 10)


def test_the_block_function_gives_the_same_bits_for_any_layout():
    r, c = np.mgrid[0:45, 0:37].astype(float)
    dem = 500 + 9.0 * r + 0.3 * c * c + 20 * np.sin(c / 5.0)
    depth = 1.0 + 0.02 * c
    const = dict(cohesion_kpa=4.0, friction_deg=31.0, unit_weight_kn_m3=19.0, wetness=0.3)
    names = {"soil_depth_m": "SOIL_DEPTH_M_RASTER"}
    draws = ss.draw({"cohesion_kpa": (4.0, 9.0)}, 64)
    outs = {}
    for rows in (45, 1, 4, 13):
        parts = [ss.slope_stability_block(b, {"dem": dem[b.read0:b.read1].copy(),
                                              "soil_depth_m": depth[b.read0:b.read1].copy()},
                                          dx_m=10.0, dy_m=10.0, constants=const, draws=draws, names=names)
                 for b in plan_blocks(45, 37, halo=1, block_rows=rows)]
        outs[rows] = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    for rows in (1, 4, 13):
        for k in outs[45]:
            assert outs[rows][k].tobytes() == outs[45][k].tobytes(), (rows, k)

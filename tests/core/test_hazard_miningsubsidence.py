"""The probability-integral method (algorithms/hazard/miningsubsidence.py): the published rectangular-panel expressions
(products of erf terms, Zhang et al. 2021, doi:10.3390/rs13163204), scipy's quadrature over other polygons, the
inflection offset, the propagation angle, several panels, the block function and the refusals."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import erf

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import miningsubsidence as pim

SQ = math.sqrt(math.pi)


def published_rectangle(x, y, *, length, width, depth, thickness, q, tan_beta, b):
    """The rectangular-panel PIM in its published closed form: the panel [0, L] x [0, D] in its own frame,
    W = W0 Cx Cy with Cx = (erf(sqrt(pi) x / r) - erf(sqrt(pi) (x - L) / r)) / 2, U_x = b W0 (exp(-pi x^2 / r^2) -
    exp(-pi (x - L)^2 / r^2)) Cy (mm, W positive downward)."""
    r = depth / tan_beta
    w0 = q * thickness * 1000.0
    cx = 0.5 * (erf(SQ * x / r) - erf(SQ * (x - length) / r))
    cy = 0.5 * (erf(SQ * y / r) - erf(SQ * (y - width) / r))
    ux = b * w0 * (np.exp(-math.pi * x ** 2 / r ** 2) - np.exp(-math.pi * (x - length) ** 2 / r ** 2)) * cy
    uy = b * w0 * (np.exp(-math.pi * y ** 2 / r ** 2) - np.exp(-math.pi * (y - width) ** 2 / r ** 2)) * cx
    return w0 * cx * cy, ux, uy


RECT = dict(length=640.0, width=230.0, depth=320.0, thickness=2.8, q=0.83, tan_beta=2.2, b=0.31)


def _points():
    x, y = np.meshgrid(np.linspace(-500, 1150, 67), np.linspace(-420, 650, 55))
    # the corners, points on the edges and just off them
    extra = np.array([[0, 0], [640, 230], [0, 115], [320, 0], [320, 230], [640, 1e-9], [-1e-9, 100], [320, 115]])
    return np.concatenate([x.ravel(), extra[:, 0]]), np.concatenate([y.ravel(), extra[:, 1]])


def _pim(x, y, panels, **kw):
    args = dict(subsidence_factor=RECT["q"], tan_beta=RECT["tan_beta"], horizontal_factor=RECT["b"])
    args.update(kw)
    return pim.pim_displacement(x, y, panels, **args)


def test_rectangle_equals_the_published_erf_products():
    x, y = _points()
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], RECT["depth"], RECT["thickness"])
    e, n, u = _pim(x, y, [panel])
    w, ux, uy = published_rectangle(x, y, **RECT)
    scale = w.max()
    assert scale > 1500
    np.testing.assert_allclose(-u, w, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(e, ux, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(n, uy, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("angle_deg, origin", [(33.0, (512345.0, 4101234.0)), (-71.0, (0.0, 0.0)),
                                               (180.0, (2e5, -3e5))])
def test_rotated_and_moved_rectangle_equals_the_erf_products_in_its_frame(angle_deg, origin):
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    corners = np.array([(0, 0), (640, 0), (640, 230), (0, 230)], float) @ rot.T + origin
    panel = pim.Panel.from_vertices(corners[::-1], RECT["depth"], RECT["thickness"])  # clockwise as given
    x, y = _points()
    xy = np.column_stack([x, y]) @ rot.T + origin
    e, n, u = _pim(xy[:, 0], xy[:, 1], [panel])
    w, ux, uy = published_rectangle(x, y, **RECT)
    tol = 1e-11 * w.max()
    np.testing.assert_allclose(-u, w, atol=tol, rtol=0)
    np.testing.assert_allclose(e, ux * math.cos(a) - uy * math.sin(a), atol=tol, rtol=0)
    np.testing.assert_allclose(n, ux * math.sin(a) + uy * math.cos(a), atol=tol, rtol=0)


def _quadrature_w(px, py, tri, r):
    """W / W_max of a triangle by scipy's adaptive quadrature of the kernel."""
    (x0, y0), (x1, y1), (x2, y2) = tri

    def kern(t, s):  # barycentric map of the unit triangle
        x = x0 + s * (x1 - x0) + t * (x2 - x0)
        y = y0 + s * (y1 - y0) + t * (y2 - y0)
        return math.exp(-math.pi * ((x - px) ** 2 + (y - py) ** 2) / r ** 2)

    jac = abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0))
    val, _ = integrate.dblquad(kern, 0, 1, 0, lambda s: 1 - s, epsabs=1e-13, epsrel=1e-12)
    return val * jac / r ** 2


def test_triangle_equals_scipy_quadrature():
    tri = [(100.0, -50.0), (700.0, 120.0), (260.0, 480.0)]
    panel = pim.Panel.from_vertices(tri, 300.0, 2.0)
    r = 300.0 / 2.0
    pts = [(300.0, 200.0), (100.0, -50.0), (-200.0, 30.0), (700.0, 400.0), (400.0, 300.0)]
    for px, py in pts:
        w, _, _ = pim.panel_influence(np.array([px]), np.array([py]), pim.oriented_rings(panel), r)
        assert w[0] == pytest.approx(_quadrature_w(px, py, tri, r), abs=1e-10)


def test_gradient_equals_a_finite_difference_on_a_concave_polygon():
    ring = [(0, 0), (500, 0), (500, 400), (300, 150), (120, 420), (0, 300)]
    panel = pim.Panel.from_vertices(ring, 250.0, 3.0)
    rings = pim.oriented_rings(panel)
    x = np.array([250.0, -80.0, 310.0, 480.0, 600.0])
    y = np.array([100.0, 200.0, 260.0, 380.0, -40.0])
    _, gx, gy = pim.panel_influence(x, y, rings, 125.0)
    h = 1e-3
    fx = (pim.panel_influence(x + h, y, rings, 125.0)[0] - pim.panel_influence(x - h, y, rings, 125.0)[0]) / (2 * h)
    fy = (pim.panel_influence(x, y + h, rings, 125.0)[0] - pim.panel_influence(x, y - h, rings, 125.0)[0]) / (2 * h)
    np.testing.assert_allclose(gx, fx, atol=1e-9)
    np.testing.assert_allclose(gy, fy, atol=1e-9)


def test_l_shape_hole_and_several_panels_add_as_rectangles():
    x, y = _points()
    d, m = RECT["depth"], RECT["thickness"]
    ell = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (300, 230), (300, 500), (0, 500)], d, m)
    a = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], d, m)
    b = pim.Panel.from_vertices([(0, 230), (300, 230), (300, 500), (0, 500)], d, m)
    np.testing.assert_allclose(np.array(_pim(x, y, [ell])), np.array(_pim(x, y, [a, b])), atol=1e-9)
    holed = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 500), (0, 500)], d, m,
                                  holes=[[(200, 100), (400, 100), (400, 300), (200, 300)]])
    outer = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 500), (0, 500)], d, m)
    hole = pim.Panel.from_vertices([(200, 100), (400, 100), (400, 300), (200, 300)], d, m)
    diff = np.array(_pim(x, y, [outer])) - np.array(_pim(x, y, [hole]))
    np.testing.assert_allclose(np.array(_pim(x, y, [holed])), diff, atol=1e-9)


def test_inflection_offset_shrinks_the_rectangle():
    x, y = _points()
    s = 40.0
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], RECT["depth"], RECT["thickness"])
    e, n, u = _pim(x, y, [panel], offset_m=s)
    w, ux, uy = published_rectangle(x - s, y - s, **{**RECT, "length": 640 - 2 * s, "width": 230 - 2 * s})
    np.testing.assert_allclose(-u, w, atol=1e-9)
    np.testing.assert_allclose(e, ux, atol=1e-9)


def test_propagation_angle_moves_the_basin_by_h_cot_theta():
    x, y = _points()
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], RECT["depth"], RECT["thickness"])
    theta, az = 80.0, 30.0
    d = RECT["depth"] / math.tan(math.radians(theta))
    shifted = _pim(x, y, [panel], propagation_angle_deg=theta, shift_azimuth_deg=az)
    moved = _pim(x, y, [pim.moved_panel(panel, dx_m=d * math.sin(math.radians(az)),
                                      dy_m=d * math.cos(math.radians(az)))])
    np.testing.assert_allclose(np.array(shifted), np.array(moved), atol=1e-9)
    np.testing.assert_array_equal(np.array(_pim(x, y, [panel], propagation_angle_deg=90.0, shift_azimuth_deg=77.0)),
                                  np.array(_pim(x, y, [panel])))


def test_supercritical_panel_reaches_q_m_and_far_field_is_still():
    panel = pim.Panel.from_vertices([(-5000, -5000), (5000, -5000), (5000, 5000), (-5000, 5000)], 200.0, 2.5)
    e, n, u = pim.pim_displacement(np.array([0.0, 2e4]), np.array([0.0, 0.0]), [panel], subsidence_factor=0.7,
                                 tan_beta=2.0)
    assert u[0] == pytest.approx(-0.7 * 2.5 * 1000.0, abs=1e-9)
    assert abs(u[1]) < 1e-12 and abs(e[0]) < 1e-9 and abs(e[1]) < 1e-12


def test_inputs_are_not_modified():
    ring = np.array([(0, 0), (640, 0), (640, 230), (0, 230)], float)
    x, y = _points()
    copies = ring.copy(), x.copy(), y.copy()
    panel = pim.Panel.from_vertices(ring, 300.0, 2.0)
    _pim(x, y, [panel], offset_m=20.0, propagation_angle_deg=70.0)
    for a, b in zip((ring, x, y), copies):
        np.testing.assert_array_equal(a, b)


def test_block_function_gives_the_same_bytes_for_any_block_split():
    from insar_geohazards.algorithms.engine import plan_blocks

    panel = pim.Panel.from_vertices([(100, -300), (500, -300), (500, -150), (100, -150)], 200.0, 2.0)
    params = pim.PimParameters(0.8, 2.0, 10.0, 0.3)
    gt = (0.0, 10.0, 0.0, 0.0, 0.0, -10.0)
    outs = []
    for rows in (1, 7, 45):
        parts = []
        for block in plan_blocks(45, 60, block_rows=rows):
            parts.append(pim.pim_grid_block(block, {}, geotransform=gt, panels=[panel], params=params,
                                          los_vector=(0.6, -0.1, 0.79)))
        outs.append({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    for k in outs[0]:
        assert outs[0][k].tobytes() == outs[1][k].tobytes() == outs[2][k].tobytes()


@pytest.mark.parametrize("kwargs, match", [
    (dict(subsidence_factor=1.3), "SUBSIDENCE_FACTOR"), (dict(subsidence_factor=0.0), "SUBSIDENCE_FACTOR"),
    (dict(tan_beta=0.1), "TAN_BETA"), (dict(offset_m=200.0), "OFFSET_M"),
    (dict(horizontal_factor=-0.1), "HORIZONTAL_FACTOR")])
def test_implausible_parameters_are_refused(kwargs, match):
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], 300.0, 2.0)
    args = dict(subsidence_factor=0.8, tan_beta=2.0)
    args.update(kwargs)
    with pytest.raises(GeohazardError, match=match):
        pim.pim_displacement(np.zeros(2), np.zeros(2), [panel], **args)


@pytest.mark.parametrize("depth, thickness, match", [(5000.0, 2.0, "DEPTH_M = 5000 m is not physically plausible"),
                                                     (300.0, 40.0, "THICKNESS_M"), (6.0, 8.0, "not less than DEPTH_M")])
def test_implausible_panels_are_refused_naming_the_panel(depth, thickness, match):
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], depth, thickness, name="7")
    with pytest.raises(GeohazardError, match=match) as info:
        pim.pim_displacement(np.zeros(2), np.zeros(2), [panel], subsidence_factor=0.8, tan_beta=2.0)
    assert "panel 7" in str(info.value)


def test_degenerate_panels_are_refused():
    with pytest.raises(GeohazardError, match="3 distinct"):
        pim.check_panels([pim.Panel.from_vertices([(0, 0), (1, 1), (0, 0)], 300.0, 2.0)])
    with pytest.raises(GeohazardError, match="no panel"):
        pim.check_panels([])


def test_the_block_memory_model_bounds_what_a_block_allocates():
    """PIM_BYTES_PER_PIXEL against tracemalloc: the growth of a block's peak per pixel between two heights lies
    between a third of the model and the model (counts of bytes, not times)."""
    import tracemalloc

    from insar_geohazards.algorithms.engine import Block

    panels = [pim.Panel.from_vertices([(0, 0), (900, 0), (900, 220), (400, 220), (400, 520), (0, 520)], 300.0, 3.0),
              pim.Panel.from_vertices([(1100, 0), (1400, 0), (1400, 700), (1100, 700)], 420.0, 2.5)]
    params = pim.PimParameters(0.8, 2.0, 20.0, 0.3)

    def peak(rows):
        block = Block(0, 0, rows, 0, rows, 10_000, 400)
        tracemalloc.start()
        try:
            out = pim.pim_grid_block(block, {}, geotransform=(-400.0, 5.0, 0, 1100.0, 0, -5.0), panels=panels,
                                     params=params, los_vector=(0.6, -0.1, 0.79))
            del out
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(2)
    measured = (peak(64) - peak(16)) / (48 * 400)
    assert measured <= pim.PIM_BYTES_PER_PIXEL <= 3.0 * measured, measured


def test_basin_bounds_hold_the_basin():
    panel = pim.Panel.from_vertices([(0, 0), (640, 0), (640, 230), (0, 230)], 320.0, 2.8)
    params = pim.PimParameters(0.8, 2.0, 20.0, 0.3, propagation_angle_deg=75.0, shift_azimuth_deg=90.0)
    x0, x1, y0, y1 = pim.basin_bounds([panel], params)
    shift = 320.0 / math.tan(math.radians(75.0))
    assert (x0, x1) == pytest.approx((20 - 480 + shift, 620 + 480 + shift)) and (y0, y1) == pytest.approx((-460, 690))
    e, n, u = pim.pim_displacement(np.array([x0, x1, 300.0]), np.array([100.0, 100.0, y1]), [panel],
                                   **{k: getattr(params, k) for k in ("subsidence_factor", "tan_beta", "offset_m",
                                                                      "horizontal_factor", "propagation_angle_deg",
                                                                      "shift_azimuth_deg")})
    assert np.abs(u).max() < 1e-12 * 0.8 * 2800

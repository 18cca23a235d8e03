"""The automatic reference: the largest consistent ground (algorithms/timeseries/ground_reference.py).

The truth is synthetic: a subsiding bowl at the image centre, where the coherence is highest (a city on a frame
cropped around it: the case where coherence alone, and the image centre, land on the moving area), still ground
around it, and an unwrapping error (half a wavelength, LiCSBAS's loop-closure reasoning: Morishita et al. 2020,
doi:10.3390/rs12030424) in one interferogram over a patch of still ground.
"""

import numpy as np
import pytest
from testutils_timeseries import sbas_dates, sbas_pairs

from insar_geohazards.algorithms.corrections.closure import network_triplets
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.timeseries.ground_reference import (
    MIN_GROUND_PIXELS,
    choose_ground_reference,
    closure_offsets,
    ground_sums_block,
)
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import choose_reference

LAMBDA_MM = 55.46576


def _scene(shape=(40, 50), seed=0, noise=0.8):
    net = build_network(sbas_pairs(sbas_dates(10), max_neighbours=3))
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    bowl = np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / (2 * 6.0 ** 2))
    vel = -50.0 * bowl
    vel[vel > -0.5] = 0.0
    truth = vel[None] * net.years[:, None, None]
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-20, 20, net.n_pairs)  # each pair's own reference
    ifg = truth[net.sec_index] - truth[net.ref_index] + offsets[:, None, None]
    ifg = ifg + rng.normal(0, noise, ifg.shape)
    ifg[3, 2:8, 40:48] += LAMBDA_MM / 2  # an unwrapping error over still ground
    coherence = 0.4 + 0.5 * bowl  # the bowl is the most coherent
    return net, ifg, vel, coherence


def _sums(net, ifg, offsets=None):
    span = net.temporal_baseline_days / 365.25
    tri = network_triplets(net.pairs).index
    offsets = closure_offsets(ifg[:, ::5], tri) if offsets is None else offsets
    return ground_sums_block(ifg, span_years=span, triplets=tri, offsets=offsets)


def test_the_reference_is_on_still_consistent_ground_where_coherence_alone_fails():
    net, ifg, vel, coh = _scene()
    count = np.isfinite(ifg).sum(axis=0)
    old = choose_reference(count, net.n_pairs, mean_coherence=coh)
    assert vel[old] < -10  # the most coherent pixel is in the bowl
    choice = choose_ground_reference(count, net.n_pairs, wavelength_mm=LAMBDA_MM, **_sums(net, ifg))
    r, c = choice.row, choice.col
    assert not choice.warning and choice.area_px > 500
    assert vel[r, c] == 0.0  # still ground
    assert not (2 <= r < 8 and 40 <= c < 48)  # not where a loop does not close
    assert abs(choice.mode_rate - choice.rate) <= choice.rate_tol
    assert "largest consistent ground" in choice.describe() and "mode" in choice.describe()


def test_unwrapping_errors_are_seen_by_the_closure_whatever_the_pairs_own_references():
    net, ifg, _, _ = _scene(noise=0.0)
    sums = _sums(net, ifg)
    rms = np.sqrt(sums["loop_ss"] / sums["loop_n"])
    assert rms[4, 44] > 5.0 and rms[20, 10] < 1e-9
    raw = ground_sums_block(ifg, span_years=net.temporal_baseline_days / 365.25,
                            triplets=network_triplets(net.pairs).index)  # without the constant removed
    assert np.sqrt(raw["loop_ss"] / raw["loop_n"])[20, 10] > 5.0


def test_sums_are_the_same_for_any_block_layout():
    net, ifg, _, _ = _scene()
    offsets = closure_offsets(ifg[:, ::5], network_triplets(net.pairs).index)
    whole = _sums(net, ifg, offsets)
    for step in (1, 7, 13):
        parts = [_sums(net, ifg[:, r0:r0 + step], offsets) for r0 in range(0, ifg.shape[1], step)]
        for key in whole:
            got = np.concatenate([p[key] for p in parts])
            assert got.tobytes() == whole[key].tobytes(), (key, step)


def test_no_consistent_ground_is_a_warning_and_no_data_everywhere_an_error():
    net, ifg, _, _ = _scene(noise=0.0)
    rng = np.random.default_rng(5)
    for k in (2, 5, 9, 12):  # unwrapping errors in four interferograms at most pixels, each its own way
        ifg[k] += rng.choice([-1.0, 1.0, 1.0, 1.0, 1.0], size=ifg.shape[1:]) * rng.integers(1, 3, ifg.shape[1:]) \
            * LAMBDA_MM / 2
    count = np.full(ifg.shape[1:], net.n_pairs)
    choice = choose_ground_reference(count, net.n_pairs, wavelength_mm=LAMBDA_MM, **_sums(net, ifg))
    assert choice.warning.startswith("no consistent ground") and f"fewer than {MIN_GROUND_PIXELS}" in choice.warning
    with pytest.raises(GeohazardError, match="no pixel has data in all interferograms"):
        choose_ground_reference(count - 1, net.n_pairs, wavelength_mm=LAMBDA_MM, **_sums(net, ifg))


def test_the_sums_are_those_of_a_pixel_by_pixel_loop_bit_for_bit(monkeypatch):
    """The sums, taken one interferogram (triplet) at a time over chunks of pixels, give the bits of a plain loop
    over each pixel in the interferograms' (triplets') order, whatever the chunk."""
    from insar_geohazards.algorithms.timeseries import ground_reference as g

    net, ifg, _, _ = _scene()
    ifg[2, 5:9, 7:30] = np.nan
    x = np.ascontiguousarray(ifg[:, :6].reshape(ifg.shape[0], -1))
    tri = np.ascontiguousarray(network_triplets(net.pairs).index)
    off = closure_offsets(ifg[:, ::5], tri)
    dt = np.asarray(net.temporal_baseline_days / 365.25, np.float64)
    want, want_n = np.zeros((3, x.shape[1])), np.zeros(x.shape[1], np.int32)
    for p in range(x.shape[1]):
        for i in range(x.shape[0]):
            if np.isfinite(x[i, p]):
                want[0, p] += dt[i] * x[i, p]
                want[1, p] += dt[i] * dt[i]
        for t, (a, b, e) in enumerate(tri):
            c = x[a, p] + x[b, p] - x[e, p] - off[t]
            if np.isfinite(c):
                want[2, p] += c * c
                want_n[p] += 1
    for chunk in (g.CHUNK_PX, 7):
        monkeypatch.setattr(g, "CHUNK_PX", chunk)
        sums, n = np.full((3, x.shape[1]), 9.0), np.full(x.shape[1], 9, np.int32)
        g._ground_sums(x, dt, tri, off, sums, n)
        assert sums.tobytes() == want.tobytes() and n.tobytes() == want_n.tobytes(), chunk


def test_candidates_and_a_stable_area():
    """The candidates follow the rule (the chosen pixel first, then by distance from the ground's edge); a stable
    area restricts the choice to it; one with no pixel valid in every interferogram is named."""
    net, ifg, vel, coh = _scene()
    count = np.isfinite(ifg).sum(axis=0)
    sums = _sums(net, ifg)
    choice = choose_ground_reference(count, net.n_pairs, wavelength_mm=LAMBDA_MM, n_candidates=5, **sums)
    assert len(choice.candidates) == 5
    assert (choice.candidates[0]["row"], choice.candidates[0]["col"]) == (choice.row, choice.col)
    edges = [c["edge_px"] for c in choice.candidates]
    assert edges == sorted(edges, reverse=True) and edges[0] > 1
    allowed = np.zeros(count.shape, bool)
    allowed[30:40, 0:12] = True  # a corner of still ground
    inside = choose_ground_reference(count, net.n_pairs, wavelength_mm=LAMBDA_MM, allowed=allowed, **sums)
    assert allowed[inside.row, inside.col] and vel[inside.row, inside.col] == 0.0
    ifg_gap = ifg.copy()
    ifg_gap[0, 30:40, 0:12] = np.nan
    with pytest.raises(GeohazardError, match="STABLE_AREA / MASK: no pixel of the stable area"):
        choose_ground_reference(np.isfinite(ifg_gap).sum(axis=0), net.n_pairs, wavelength_mm=LAMBDA_MM,
                                allowed=allowed, **sums)

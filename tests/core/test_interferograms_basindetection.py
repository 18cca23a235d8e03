"""algorithms.interferograms.basindetection and basin_sim: the shipped detector's precision and recall on held-out
simulated frames (bait counted), numpy inference against scikit-learn's, the same windows whatever the blocks, the
probability-integral basin against its closed form, anomalies of a gradient map."""

import json
import math
import os
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import erf

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.interferograms import basin_sim
from insar_geohazards.algorithms.interferograms import basindetection as detection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "models", "detector", "basin_detector.json")
#: Held-out frames of this test: seeds the training script never draws (it trains on 0.., picks its threshold on
#: 100000.. and reports on 200000..).
HELD_OUT_SEEDS = range(300000, 300040)


@pytest.fixture(scope="module")
def model():
    with open(MODEL, encoding="utf-8") as f:
        return detection.check_model(json.load(f))


def _windows(phase):
    lv = detection.n_levels(phase.shape)
    blk = SimpleNamespace(row0=0, row1=phase.shape[0], read0=0, read1=phase.shape[0])
    return blk, lv


def test_held_out_precision_and_recall_with_bait(model):
    tp = fp = fn = 0
    bait = 0
    for seed in HELD_OUT_SEEDS:
        frame = basin_sim.simulate_frame(seed)
        bait += len(frame.bait)
        t, f, m = detection.match(detection.detect_frame(frame.phase, model), frame.truth)
        tp, fp, fn = tp + t, fp + f, fn + m
    assert bait > 20 and tp + fn > 20  # the frames hold both: ramps, blobs, decorrelated patches, and basins
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.8, (tp, fp, fn)
    assert recall >= 0.8, (tp, fp, fn)


#: Frames of the two generators the detector was neither trained nor tuned on (tests/testutils_basin_frames.py):
#: benchmarks/interferograms/basin_generalisation.py scores 100 of each.
OUTSIDE_SEEDS = range(600000, 600006)


@pytest.mark.parametrize("name", ["lobes", "ellipses"])
def test_held_out_generators_precision_recall_and_one_detection_per_basin(model, name):
    from testutils_basin_frames import GENERATORS, precision_recall, score_frame

    counts = {"right": 0, "repeat": 0, "false_at_bait": 0, "false_away": 0, "missed": 0}
    for seed in OUTSIDE_SEEDS:
        frame = GENERATORS[name](seed)
        for k, v in score_frame(detection.detect_frame(frame.phase, model), frame).items():
            counts[k] += v
    assert counts["right"] + counts["missed"] >= 8, counts  # the frames hold basins
    precision, recall = precision_recall(counts)
    assert precision >= 0.8 and recall >= 0.8, counts
    assert counts["repeat"] == 0, counts  # one detection per basin


def test_bait_alone_gives_few_detections(model):
    # frames without basins: every detection is a false alarm on a ramp, a blob, a decorrelated patch or the
    # atmosphere and the stratification
    false = sum(len(detection.detect_frame(basin_sim.simulate_frame(s, max_basins=0).phase, model))
                for s in range(310000, 310012))
    assert false <= 3


def test_shipped_model_is_plain_numbers_with_its_recipe():
    with open(MODEL, encoding="utf-8") as f:
        text = f.read()
    m = json.loads(text)
    assert m["features"] == list(detection.FEATURES)
    for key in ("seed", "sklearn_version", "command", "licence", "recipe", "threshold", "merge", "held_out", "frames"):
        assert key in m, key
    assert "train_basin_detector.py" in m["command"]
    assert m["held_out"]["precision"] >= 0.8 and m["held_out"]["recall"] >= 0.8
    assert len(text) < 100_000


def test_numpy_inference_equals_scikit_learn():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, len(detection.FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 3] ** 2 - x[:, 5] > 0.3).astype(int)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    clf = MLPClassifier(hidden_layer_sizes=(8, 5), max_iter=3000, random_state=0).fit((x - mean) / scale, y)
    m = detection.check_model(detection.mlp_to_dict(clf, mean, scale, threshold=0.5, info={}))
    np.testing.assert_allclose(detection.score(x, m), clf.predict_proba((x - mean) / scale)[:, 1], rtol=1e-10,
                               atol=1e-12)


def test_scores_do_not_depend_on_the_blocks(model):
    frame = basin_sim.simulate_frame(300100, size=96)
    phase = frame.phase
    lv = detection.n_levels(phase.shape)
    halo = detection.halo_px(lv)

    def run(cuts):
        parts = []
        for r0, r1 in zip(cuts[:-1], cuts[1:]):
            read0, read1 = max(0, r0 - halo), min(phase.shape[0], r1 + halo)
            blk = SimpleNamespace(row0=r0, row1=r1, read0=read0, read1=read1)
            parts.append(detection.detect_block(blk, {"phase": phase[read0:read1]}, model=model, levels=lv))
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.lexsort((out["radius"], out["col"], out["row"]))
        return {k: v[order] for k, v in out.items()}

    whole = run([0, 96])
    for cuts in ([0, 37, 96], [0, 1, 50, 51, 96]):
        split = run(cuts)
        for k in whole:
            assert whole[k].tobytes() == split[k].tobytes(), (cuts, k)


def test_a_lone_gaussian_bowl_is_found_where_it_is(model):
    shape = (128, 128)
    phase = basin_sim.gaussian_bowl(shape, 70.0, 50.0, sx=9.0, sy=9.0, angle=0.0, depth=-4 * 2 * math.pi)
    phase += 0.3 * np.random.default_rng(0).standard_normal(shape)
    dets = detection.detect_frame(np.angle(np.exp(1j * phase)), model)
    assert len(dets) == 1
    d = dets[0]
    assert math.hypot(d.row - 70.0, d.col - 50.0) <= 0.5 * detection.STRIDE * 2 ** d.level + 1  # the lattice step
    assert 0.5 * 18.0 <= d.radius_px <= 2.0 * 18.0  # the bowl's radius is 2 sigma
    # the smallest size asked for removes it
    assert detection.detect_frame(np.angle(np.exp(1j * phase)), model, min_radius_px=60.0) == []


def test_knothe_panel_centre_is_the_closed_form():
    # W(0, 0) = W0 erf(sqrt(pi) a / r) erf(sqrt(pi) b / r) (the product of the two differences of error functions)
    w = basin_sim.knothe_panel((201, 201), 100.5, 100.5, a=20.0, b=8.0, r=12.0, angle=0.3, depth=5.0)
    expected = 5.0 * erf(math.sqrt(math.pi) * 20.0 / 12.0) * erf(math.sqrt(math.pi) * 8.0 / 12.0)
    assert w[100, 100] == pytest.approx(expected, rel=1e-12)
    assert w.max() == pytest.approx(expected, rel=1e-12)


def test_fractal_field_has_the_power_law_slope():
    f = basin_sim.fractal_field(np.random.default_rng(3), (256, 256), basin_sim.ATMOSPHERE_BETA)
    p = np.abs(np.fft.rfft2(f)) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(256), np.fft.rfftfreq(256), indexing="ij")
    k = np.hypot(kx, ky)
    sel = (k > 0.02) & (k < 0.3)
    slope = np.polyfit(np.log(k[sel]), np.log(p[sel]), 1)[0]
    assert slope == pytest.approx(-basin_sim.ATMOSPHERE_BETA, abs=0.15)


def test_anomaly_outlines_of_a_gradient_map():
    rng = np.random.default_rng(2)
    v = rng.normal(10.0, 1.0, (60, 80))
    v[10:20, 10:22] += 30.0  # 120 px
    v[40:44, 60:63] += 8.0  # 12 px, weaker
    out = detection.anomaly_outlines(v, min_pixels=10, k=3.0)
    assert len(out) == 2
    ring, score, n = out[0]
    assert n == 120 and score == pytest.approx(1.0, abs=0.03)
    assert ring[:, 0].min() == 10 and ring[:, 0].max() == 20 and ring[:, 1].min() == 10 and ring[:, 1].max() == 22
    assert detection.anomaly_outlines(v, min_pixels=50, k=3.0)[0][2] == 120
    with pytest.raises(GeohazardError, match="constant"):
        detection.anomaly_outlines(np.ones((10, 10)), min_pixels=1)


def test_model_with_other_features_is_refused(model):
    bad = {**json.load(open(MODEL, encoding="utf-8")), "features": ["a", "b"]}
    with pytest.raises(GeohazardError, match="features"):
        detection.check_model(bad)


def test_fragments_of_one_basin_are_joined_and_apart_ones_are_not():
    d = detection.Detection
    # two windows on one elongated basin (circles overlapping) and one 60 px away
    kept = [d(50.0, 40.0, 10.0, 0.97, 1), d(50.0, 56.0, 9.0, 0.93, 1), d(50.0, 110.0, 10.0, 0.91, 1)]
    out = detection.merge(kept, factor=1.0)
    assert len(out) == 2
    joined, alone = out
    assert (joined.row, joined.col, joined.score) == (50.0, 40.0, 0.97) and len(joined.members) == 2
    assert alone == kept[2] and alone.members == ()
    ring = detection.circle(joined)
    assert np.allclose(ring[0], ring[-1])
    # the hull of two circles: both circles inside it, its area that of the rectangle between the centres plus a
    # disk (radii 10 and 9: between the two, within 1 %), and counter-clockwise on the map (x = col, y = -row)
    x, y = ring[:, 1], -ring[:, 0]
    signed = 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))
    assert signed > 0
    assert ring[:, 1].min() == pytest.approx(30.0, abs=0.05) and ring[:, 1].max() == pytest.approx(65.0, abs=0.05)
    low, high = math.pi * 81 + 16 * 18, math.pi * 100 + 16 * 20
    assert low * 0.99 <= math.pi * joined.radius_px ** 2 <= high
    # chains join (single linkage); factor 0 joins nothing
    chain = [d(0.0, 0.0, 5.0, 0.9, 0), d(0.0, 9.0, 5.0, 0.8, 0), d(0.0, 18.0, 5.0, 0.7, 0)]
    assert len(detection.merge(chain, factor=1.0)) == 1
    assert detection.merge(chain, factor=0.0) == chain


def test_mogi_profile_of_the_outside_generator_is_the_closed_form():
    # Mogi (1958): uz(r) / uz(0) = d^3 / (d^2 + r^2)^1.5; at r = d it is 2^-1.5
    from testutils_basin_frames import _lobes_basin

    class One:  # the generator's draws: kind 0 (Mogi), then the angle
        def integers(self, lo, hi):
            return 0

        def uniform(self, lo, hi):
            return 0.0

    w, kind = _lobes_basin(One(), (121, 121), 60.5, 60.5, 24.0, 100.0)
    assert kind == "mogi"
    d = 24.0 / 1.2
    assert w[60, 60] == pytest.approx(-100.0)
    assert w[60, 60 + round(d)] == pytest.approx(-100.0 * 2 ** -1.5, rel=1e-12)


def test_power_law_screen_of_the_outside_generator_has_its_slope():
    from testutils_basin_frames import _power_law_screen

    for beta in (5 / 3, 11 / 3):
        f = _power_law_screen(np.random.default_rng(4), (256, 256), beta)
        p = np.abs(np.fft.fft2(f)) ** 2
        k = np.hypot(*np.meshgrid(np.fft.fftfreq(256), np.fft.fftfreq(256), indexing="ij"))
        sel = (k > 0.02) & (k < 0.3)
        assert np.polyfit(np.log(k[sel]), np.log(p[sel]), 1)[0] == pytest.approx(-beta, abs=0.05)

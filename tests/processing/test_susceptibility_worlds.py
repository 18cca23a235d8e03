"""geohazard:susceptibility on worlds with long-range factors (tests/testutils_susceptibility_worlds.py: Gaussian
random fields of known covariance, events drawn twice from a known logistic law): the tool's own AUC against the
AUC its map gets on the independent second inventory (scikit-learn's roc_auc_score over the study area), less the
two inventories' own difference, null factors near 0.5 with the default (spatial) folds and buffer, nothing mapped
outside STUDY_AREA even where the absence buffer reaches past it."""

import os

import numpy as np
import pytest
from testutils import read_array, recording_feedback
from testutils_susceptibility_worlds import independent_auc, make_world, write_world

NAME = "susceptibility"


def _run(run_alg, world, folder, **kw):
    paths = write_world(folder, world)
    p = {"INVENTORY": paths["inventory"], "FACTORS": paths["factors"], "CATEGORICAL_FACTORS": paths["categorical"],
         "STUDY_AREA": paths["study_area"], "OUTPUT": os.path.join(folder, "s.tif"),
         "OUTPUT_CLASSES": os.path.join(folder, "c.tif")}
    p.update(kw)
    fb = recording_feedback()
    return run_alg(NAME, p, fb), fb


SEEDS = [int(s) for s in np.random.default_rng(81).choice(1000, 3, replace=False)]


@pytest.mark.parametrize("seed,method", list(zip(SEEDS, (1, 1, 2))))
def test_the_tools_auc_is_that_of_an_independent_inventory(run_alg, tmp_path, seed, method):
    """Logistic regression and random forest with the defaults on a 300 x 300 px world of factors correlated over
    1.5-4 km: the tool's AUC within 0.03 of the AUC of its map against the second inventory, once the two
    inventories' own difference is taken out (the true probability's AUC against the first less that against the
    second: what no estimate made from the first can know); the events follow the factors, so the folds are random
    and the buffer 0 (logged with each factor's range), the partitions all distinct."""
    pytest.importorskip("sklearn", reason="the methods and the reference AUC need scikit-learn")
    w = make_world(seed, shape=(300, 300), pixel_m=30.0, n_events=300)
    res, fb = _run(run_alg, w, str(tmp_path), METHOD=method)
    score = read_array(res["OUTPUT"])
    indep = independent_auc(score, w)
    truth = np.where(w["mask"], w["probability"], np.nan)
    floor = independent_auc(truth, w, which="a") - independent_auc(truth, w)
    assert abs(res["AUC"] - indep - floor) <= 0.03, (seed, res["AUC"], indep, floor)
    assert res["PARTITIONS"] == 10 and res["BUFFER_USED_M"] == 0.0 and res["BLOCK_SIZE_USED_M"] == 0.0
    assert any("dealt to 5 folds at random" in t and "cluster no more than the factors explain" in t
               for t in fb.info), fb.info
    assert any("Validation buffer (BUFFER_M)" in t and "f1 " in t for t in fb.info), fb.info


@pytest.mark.parametrize("method", [1, 2])
def test_null_factors_score_near_one_half_with_the_default_buffer(run_alg, tmp_path, method):
    """Factors that are random fields the events do not depend on (the events follow a hidden field): the events
    cluster beyond what the factors explain, so the folds are spatial (k-means) with a buffer; AUC <= 0.52."""
    pytest.importorskip("sklearn", reason="logistic regression and random forest need scikit-learn")
    seed = int(np.random.default_rng([81, method]).integers(1000))
    w = make_world(seed, shape=(300, 300), pixel_m=30.0, n_events=300, null=True, range_m=(400.0, 1000.0))
    res, fb = _run(run_alg, w, str(tmp_path), METHOD=method)
    assert res["AUC"] <= 0.52, (seed, res["AUC"])
    assert res["BUFFER_USED_M"] > 0.0 and any("k-means clusters" in t and "cluster more than the factors explain" in t
                                              for t in fb.info), fb.info


def test_nothing_outside_the_study_area_even_near_the_absence_buffer(run_alg, tmp_path):
    """Events on the study area's edge with an absence buffer of 300 m: no pixel whose centre is outside the polygon
    gets a value or a class; inside, every pixel does."""
    pytest.importorskip("sklearn", reason="logistic regression needs scikit-learn")
    w = make_world(5, shape=(200, 200), pixel_m=30.0, n_events=200)
    res, _ = _run(run_alg, w, str(tmp_path), ABSENCE_BUFFER_M=300.0, REPEATS=2)
    s, c = read_array(res["OUTPUT"]), read_array(res["OUTPUT_CLASSES"])
    from osgeo import ogr

    ring = w["ring"]
    gt = w["geotransform"]
    poly = ogr.CreateGeometryFromWkt("POLYGON((" + ",".join(f"{gt[0] + x * gt[1]} {gt[3] + y * gt[5]}"
                                                             for x, y in ring) + "))")
    rows, cols = np.mgrid[0:200:3, 0:200:3]
    inside = np.array([poly.Contains(ogr.CreateGeometryFromWkt(
        f"POINT({gt[0] + (cc + 0.5) * gt[1]} {gt[3] + (rr + 0.5) * gt[5]})")) for rr, cc in zip(rows.ravel(),
                                                                                               cols.ravel())])
    vals, cls = s[rows.ravel(), cols.ravel()], c[rows.ravel(), cols.ravel()]
    assert (~inside).sum() > 100 and np.isnan(vals[~inside]).all() and (cls[~inside] == 0).all()
    assert np.isfinite(vals[inside]).all() and (cls[inside] > 0).all()

"""geohazard:modifynetwork on small synthetic stacks with a known truth and on the Mexico City stack."""

from __future__ import annotations

import csv
import os

import testutils_hostile as hk
from testutils_stack_corrections import MEXICO


def test_modifynetwork_mexico_city(qgis_app, tmp_path):
    g = os.path.join(MEXICO, "geotiffs")
    res = hk.run("modifynetwork", {"INTERFEROGRAMS": g, "COHERENCE": g, "BASELINES": os.path.join(MEXICO, "baselines"),
                                   "MAX_TEMPORAL_BASELINE": 60, "MAX_PERP_BASELINE": 100, "KEEP_CONNECTED": True,
                                   "OUTPUT": str(tmp_path / "net"), "OUTPUT_REPORT": str(tmp_path / "net.csv")})
    rows = list(csv.DictReader(open(res["OUTPUT_REPORT"])))
    kept = sorted(r["interferogram"] for r in rows if r["kept"] == "yes")
    assert sorted(os.listdir(res["OUTPUT"])) == kept
    assert all(int(r["temporal_baseline_days"]) <= 60 or r["reason"].startswith("put back") for r in rows
               if r["kept"] == "yes")
    assert {r["reason"].split(" ")[0] for r in rows if r["kept"] == "no"} <= {"temporal", "|bperp|"}
    # 19 pairs of <= 60 days (all |bperp| <= 100 m) + 20180506-20180717 put back to reach 2018-07-17
    assert len(kept) == 20 and sum(r["reason"].startswith("put back") for r in rows) == 1
    # without keep-connected the same drops leave 2018-01-06..07-17 split: refused, nothing written
    hk.expect_refusal("modifynetwork", {"INTERFEROGRAMS": g, "MAX_TEMPORAL_BASELINE": 36,
                                        "OUTPUT": str(tmp_path / "net2")}, "disconnect.*subsets|lose every")
    assert not os.path.exists(tmp_path / "net2") or not os.listdir(tmp_path / "net2")
    hk.expect_refusal("modifynetwork", {"INTERFEROGRAMS": g, "MIN_MEAN_COHERENCE": 0.5,
                                        "OUTPUT": str(tmp_path / "net3")}, "needs COHERENCE")

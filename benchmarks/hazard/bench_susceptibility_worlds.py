"""Susceptibility on worlds with long-range factors: the tool's AUC against its map's AUC on an independent inventory.

``run OUT SEED [METHOD] [EVENTS] [NULL]`` makes a 400 x 400 px world at 25 m (tests/testutils_susceptibility_worlds.py:
Gaussian random fields of practical ranges 1.5-4 km, two inventories drawn from one known logistic law; NULL 1 =
the tool is given fields of 0.4-1 km range that the events do not depend on), runs ``geohazard:susceptibility`` with
its defaults on the first inventory and the study area, and prints one JSON line: the tool's AUC, AUC_SD,
AUC_FOLDS, PARTITIONS, BUFFER_USED_M, the map's AUC against the second inventory (scikit-learn's roc_auc_score over
the study area), the CPU seconds of the tool and the 1-minute load.

``many OUT WORLDS [METHOD] [DRAW] [NULL]`` draws WORLDS worlds at random (generator seeded by DRAW): each its own
seed, factor ranges (the lower bound 0.5-3 km, the upper 1.3-3 times it; NULL 1: 0.4-1 km) and inventory size
(100-800 events, log-uniform), and prints per world, beside ``run``'s figures: the map's AUC against the mean of
:data:`REDRAWS` more inventories drawn from the same truth (what the second inventory measures, without its own
sampling spread), and the floor: the true probability's AUC against the tool's inventory and against the second
one (their difference is what no estimate made from the first inventory can know).

``chance OUT WORLDS [METHOD] [DRAW] [REGEN] [FIELDS]`` measures, on the first WORLDS null worlds of ``many``'s draw
(or the worlds numbered in a comma-separated WORLDS, 1 = the first),
what chance alone lets a world show: the tool run REGEN times on the world's own inventory with factors drawn
anew, independently of its events (tests/testutils_susceptibility_worlds.py ``unrelated_factors``), and the AUC
against that inventory of FIELDS maps that are single random fields of the factors' law (no fitting): per world
the tool's AUCs, their mean and standard deviation, those of its maps against the second inventory, and the
fields' mean and standard deviation.

``floor WORLDS [DRAW] [NULL] [REDRAWS]`` (no tool run) prints, for the same worlds, the standard deviation of the
true probability's AUC over REDRAWS inventories drawn from it: the spread any single inventory's AUC carries.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests"))

#: inventories redrawn from a world's truth for the expected independent AUC
REDRAWS = 20


def _tool(out, w, tag, method):
    from bench_qgis import measured_run
    from testutils_susceptibility_worlds import write_world

    paths = write_world(os.path.join(out, f"world_{tag}"), w)
    params = {"INVENTORY": paths["inventory"], "FACTORS": paths["factors"], "STUDY_AREA": paths["study_area"],
              "CATEGORICAL_FACTORS": paths["categorical"], "METHOD": int(method),
              "OUTPUT": os.path.join(out, f"s_{tag}_{method}.tif")}
    res, dt, ru0, ru = measured_run("geohazard:susceptibility", params)
    return res, dt, (ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime)


def _figures(res, dt, cpu):
    return {"auc": round(res["AUC"], 4), "auc_sd": round(res["AUC_SD"], 4), "auc_folds": round(res["AUC_FOLDS"], 4),
            "partitions": int(res["PARTITIONS"]), "buffer_m": round(res["BUFFER_USED_M"]),
            "block_size_m": round(res["BLOCK_SIZE_USED_M"]), "seconds": round(dt, 1), "cpu_seconds": round(cpu, 1),
            "load_avg_1min": round(os.getloadavg()[0], 1)}


def run(out, seed, method=1, events=250, null=0):
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    from testutils import read_array
    from testutils_susceptibility_worlds import independent_auc, make_world

    kw = {"range_m": (400.0, 1000.0)} if int(null) else {}
    w = make_world(int(seed), n_events=int(events), null=bool(int(null)), **kw)
    res, dt, cpu = _tool(out, w, f"{seed}_{events}_{null}", method)
    print(json.dumps({"seed": int(seed), "method": int(method), "events": int(events), "null": int(null),
                      "independent_auc": round(independent_auc(read_array(res["OUTPUT"]), w), 4),
                      **_figures(res, dt, cpu)}))


def many(out, worlds, method=1, draw=1, null=0):
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    from testutils import read_array
    from testutils_susceptibility_worlds import draw_inventory, independent_auc, make_world

    for seed, events, (lo, hi) in _worlds(worlds, draw, null):
        w = make_world(seed, n_events=events, null=bool(int(null)), range_m=(lo, hi))
        res, dt, cpu = _tool(out, w, f"{seed}_{events}_{null}", method)
        score = read_array(res["OUTPUT"])
        truth = np.where(w["mask"], w["probability"], np.nan)
        redraw = np.random.default_rng([seed, 8182])
        expected = []
        for _k in range(REDRAWS):
            w["c"] = draw_inventory(redraw, w["probability"], w["mask"], events)
            expected.append(independent_auc(score, w, which="c"))
        ind = independent_auc(score, w)
        print(json.dumps({"seed": seed, "method": int(method), "events": events, "null": int(null),
                          "range_m": [round(lo), round(hi)], "independent_auc": round(ind, 4),
                          "expected_independent_auc": round(float(np.mean(expected)), 4),
                          "truth_auc_a": round(independent_auc(truth, w, which="a"), 4),
                          "truth_auc_b": round(independent_auc(truth, w, which="b"), 4),
                          **_figures(res, dt, cpu)}), flush=True)


def _worlds(worlds, draw, null):
    """The worlds ``many`` draws: (seed, events, (lower, upper) range in m) each."""
    rng = np.random.default_rng([int(draw), 8181])
    for _ in range(int(worlds)):
        seed = int(rng.integers(100000))
        if int(null):
            lo, hi = 400.0, 1000.0
        else:
            lo = float(rng.uniform(500.0, 3000.0))
            hi = lo * float(rng.uniform(1.3, 3.0))
        events = int(round(np.exp(rng.uniform(np.log(100.0), np.log(800.0)))))
        yield seed, events, (lo, hi)


def chance(out, worlds, method=1, draw=2, regen=5, fields=40):
    """The chance floor of null worlds (module docstring)."""
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    from testutils import read_array
    from testutils_susceptibility_worlds import gaussian_field, independent_auc, make_world, unrelated_factors

    pick = [int(v) for v in str(worlds).split(",") if v] if "," in str(worlds) else range(1, int(worlds) + 1)
    for number, (seed, events, (lo, hi)) in enumerate(_worlds(max(pick), draw, 1), start=1):
        if number not in pick:
            continue
        w = make_world(seed, n_events=events, null=True, range_m=(lo, hi))
        rng = np.random.default_rng([seed, 8184])
        shape, pixel = w["mask"].shape, float(w["geotransform"][1])
        maps = [independent_auc(gaussian_field(rng, shape, pixel, float(rng.uniform(lo, hi)),
                                               ("exponential", "gaussian", "spherical")[int(rng.integers(3))]),
                                w, which="a") for _ in range(int(fields))]
        aucs, inds, cpus = [], [], []
        for k in range(int(regen)):
            w["factors"], w["categorical"] = unrelated_factors(w, np.random.default_rng([seed, 8185, k]),
                                                               range_m=(lo, hi))
            res, dt, cpu = _tool(out, w, f"{seed}_{events}_chance{k}", method)
            aucs.append(res["AUC"])
            inds.append(independent_auc(read_array(res["OUTPUT"]), w))
            cpus.append(cpu)
        print(json.dumps({"seed": seed, "method": int(method), "events": events, "regen": int(regen),
                          "tool_auc": [round(a, 4) for a in aucs], "tool_auc_mean": round(float(np.mean(aucs)), 4),
                          "tool_auc_sd": round(float(np.std(aucs, ddof=1)), 4) if len(aucs) > 1 else None,
                          "independent_auc_mean": round(float(np.mean(inds)), 4),
                          "fields": int(fields), "field_auc_mean": round(float(np.mean(maps)), 4),
                          "field_auc_sd": round(float(np.std(maps, ddof=1)), 4),
                          "cpu_seconds": [round(c, 1) for c in cpus], "load_avg_1min": round(os.getloadavg()[0], 1)}),
              flush=True)


def floor(worlds, draw=1, null=0, redraws=REDRAWS):
    """Per world of ``many``'s draw (no tool run): the spread (standard deviation) of the true probability's AUC over
    ``redraws`` inventories drawn from it, the floor of any comparison of two inventories' AUCs."""
    from testutils_susceptibility_worlds import draw_inventory, independent_auc, make_world

    for seed, events, (lo, hi) in _worlds(worlds, draw, null):
        w = make_world(seed, n_events=events, null=bool(int(null)), range_m=(lo, hi))
        truth = np.where(w["mask"], w["probability"], np.nan)
        redraw = np.random.default_rng([seed, 8183])
        aucs = []
        for _k in range(int(redraws)):
            w["c"] = draw_inventory(redraw, w["probability"], w["mask"], events)
            aucs.append(independent_auc(truth, w, which="c"))
        print(json.dumps({"seed": seed, "events": events, "range_m": [round(lo), round(hi)],
                          "truth_auc_mean": round(float(np.mean(aucs)), 4),
                          "truth_auc_sd": round(float(np.std(aucs, ddof=1)), 4)}), flush=True)


if __name__ == "__main__":
    {"run": run, "many": many, "floor": floor, "chance": chance}[sys.argv[1]](*sys.argv[2:8])

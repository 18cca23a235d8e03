"""Susceptibility on worlds with long-range factors: the tool's AUC against its map's AUC on an independent inventory.

``run OUT SEED [METHOD] [EVENTS] [NULL]`` makes a 400 x 400 px world at 25 m (tests/testutils_susceptibility_worlds.py:
Gaussian random fields of practical ranges 1.5-4 km, two inventories drawn from one known logistic law; NULL 1 =
the tool is given fields of 0.4-1 km range that the events do not depend on), runs ``geohazard:susceptibility`` with
its defaults on the first inventory and the study area, and prints one JSON line: the tool's AUC, AUC_SD,
AUC_FOLDS, PARTITIONS, BUFFER_USED_M, the map's AUC against the second inventory (scikit-learn's roc_auc_score over
the study area), the CPU seconds of the tool and the 1-minute load.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests"))


def run(out, seed, method=1, events=250, null=0):
    from bench_qgis import measured_run, start_qgis

    app, plugin = start_qgis()
    from testutils import read_array
    from testutils_susceptibility_worlds import independent_auc, make_world, write_world

    kw = {"range_m": (400.0, 1000.0)} if int(null) else {}
    w = make_world(int(seed), n_events=int(events), null=bool(int(null)), **kw)
    paths = write_world(os.path.join(out, f"world_{seed}_{events}_{null}"), w)
    params = {"INVENTORY": paths["inventory"], "FACTORS": paths["factors"], "STUDY_AREA": paths["study_area"],
              "CATEGORICAL_FACTORS": paths["categorical"], "METHOD": int(method),
              "OUTPUT": os.path.join(out, f"s_{seed}_{method}_{events}_{null}.tif")}
    res, dt, ru0, ru = measured_run("geohazard:susceptibility", params)
    print(json.dumps({"seed": int(seed), "method": int(method), "events": int(events), "null": int(null),
                      "auc": round(res["AUC"], 4), "auc_sd": round(res["AUC_SD"], 4),
                      "auc_folds": round(res["AUC_FOLDS"], 4), "partitions": int(res["PARTITIONS"]),
                      "buffer_m": round(res["BUFFER_USED_M"]),
                      "independent_auc": round(independent_auc(read_array(res["OUTPUT"]), w), 4),
                      "seconds": round(dt, 1),
                      "cpu_seconds": round((ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 1),
                      "load_avg_1min": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    run(*sys.argv[2:7])

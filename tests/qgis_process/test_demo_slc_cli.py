"""The demo's SIMULATED SLC stack step (demo/run_demo.py): the shipped model
geohazard:slcstacktotimeseries run through qgis_process, as `make demo` runs it, on the simulated
stack, and its velocity checked against the simulated truth."""

import importlib.util
import os

from testutils_cli import ROOT, requires_qgis_process

ALG = "geohazard:slcstacktotimeseries"


def _demo():
    spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@requires_qgis_process
def test_demo_slc_step_recovers_the_simulated_velocity(tmp_path, capsys):
    demo = _demo()
    out = str(tmp_path)
    step = next(s for s in demo.steps(out) if s["alg"] == ALG)
    assert "SIMULATED" in step["title"] and "SIMULATED" in step["group"]
    layers = demo.run_step(step)
    log = capsys.readouterr().out
    assert "SIMULATED input (not real data)" in log and "velocity vs SIMULATED truth" in log
    paths = [p for _, _, p in layers]
    assert all(os.path.exists(p) for p in paths)
    assert any(p.endswith(".unw.tif") for p in paths) and any(p.endswith(".conncomp.tif") for p in paths)
    e = demo.velocity_error(os.path.join(out, "simulated_velocity.tif"),
                            os.path.join(out, "simulated_slc", demo.SIMULATED_TRUTH))
    # measured 4.6 mm/yr RMS, correlation 0.994, 99.8 % of the pixels (peak -160 mm/yr, seed 7)
    assert e["truth_min"] < -150.0
    assert e["share"] > 0.95
    assert e["correlation"] > 0.97
    assert e["rms"] < 8.0  # 5 % of the bowl's peak velocity

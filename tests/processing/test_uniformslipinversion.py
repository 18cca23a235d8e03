"""geohazard:uniformslipinversion — parameters, wrong parameters, synthetic fault recovered."""

import numpy as np
import pytest
from testutils import parameter_ids, recording_feedback, write_geotiff
from testutils_faults import E0, N0, los_pair, read_features

NAME = "uniformslipinversion"


def test_parameters(alg):
    ids = parameter_ids(a := alg(NAME))
    for pid in ("LOS_ASC", "ASC_INCIDENCE", "ASC_HEADING", "LOS_DESC", "EAST_RANGE", "NORTH_RANGE", "STRIKE_RANGE",
                "DIP_RANGE", "TOP_RANGE", "LENGTH_RANGE", "WIDTH_RANGE", "RAKE_MIN", "RAKE_MAX", "MAX_SLIP",
                "N_MONTE_CARLO", "MAX_ITERATIONS", "SEED", "OUTPUT_FAULT", "OUTPUT_TABLE"):
        assert pid in ids
    assert "Monte Carlo" in a.shortHelpString()


def _data(tmp_path):
    from insar_geohazards.algorithms.faults.faults import moment
    from insar_geohazards.algorithms.faults.inversion import uniform_fault

    # an oblique thrust (rake 135, 1 m, Mw 6.38): with the former default rake bounds 0-180 it came out as
    # strike-slip (rake 180) at the wrong place
    rake = np.radians(135.0)
    truth = uniform_fault([E0 + 2000.0, N0 - 1000.0, 110.0, 55.0, 2000.0, 16e3, 9e3], np.cos(rake), np.sin(rake))
    paths = los_pair(tmp_path, truth.table(), (E0, N0), pixel_m=1500.0, n=40, noise_mm=2.0, seed=2)
    return paths, moment(truth)[1]


def test_run_recovers_synthetic_fault(run_alg, tmp_path):
    """With the default free rake: Mw within 0.05, rake within 5 degrees, the mechanism in the log."""
    (asc, desc), mw = _data(tmp_path)
    fb = recording_feedback()
    res = run_alg(NAME, {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc,
                         "DESC_INCIDENCE": 39.0, "DESC_HEADING": 192.0,
                         "EAST_RANGE": f"{E0 - 8e3},{E0 + 8e3}", "NORTH_RANGE": f"{N0 - 8e3},{N0 + 8e3}",
                         "STRIKE_RANGE": "80,140", "DIP_RANGE": "30,80", "TOP_RANGE": "0,5000",
                         "LENGTH_RANGE": "8000,25000", "WIDTH_RANGE": "4000,15000", "QUADTREE_STD": 3.0,
                         "N_MONTE_CARLO": 2, "MAX_ITERATIONS": 30, "SEED": 1,
                         "OUTPUT_FAULT": str(tmp_path / "f.gpkg"), "OUTPUT_TABLE": str(tmp_path / "t.gpkg")},
                  feedback=fb)
    assert abs(res["MW"] - mw) < 0.05
    f = read_features(res["OUTPUT_FAULT"])
    assert len(f) == 1 and abs(f[0]["dip_deg"] - 55.0) < 8.0 and abs(f[0]["rake_deg"] - 135.0) < 5.0
    said = [t for t in fb.info if t.startswith("mechanism found (free rake)")]
    assert said and "oblique thrust, right-lateral" in said[0], fb.info
    t = read_features(res["OUTPUT_TABLE"])
    assert len(t) == 2 and all(abs(r["mw"] - mw) < 0.1 for r in t)


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    los = write_geotiff(tmp_path / "los.tif", np.zeros((10, 10)))
    out = tmp_path / "f.gpkg"
    with pytest.raises(QgsProcessingException, match="STRIKE_RANGE: expected 'min,max'"):
        run_alg(NAME, {"LOS_ASC": los, "STRIKE_RANGE": "abc", "OUTPUT_FAULT": str(out)})
    with pytest.raises(QgsProcessingException, match=r"RAKE_MAX - RAKE_MIN must be in \(0, 180\).*free rake"):
        run_alg(NAME, {"LOS_ASC": los, "RAKE_MIN": -90.0, "RAKE_MAX": 90.0, "OUTPUT_FAULT": str(out)})
    with pytest.raises(QgsProcessingException, match="dip bounds"):
        run_alg(NAME, {"LOS_ASC": los, "ASC_INCIDENCE": 37.0, "ASC_HEADING": -12.0, "DIP_RANGE": "10,95",
                       "OUTPUT_FAULT": str(out)})
    # no geometry typed or carried: formerly 37 / -12 degrees were assumed
    with pytest.raises(QgsProcessingException, match="ASC_INCIDENCE: the inputs carry no incidence angle"):
        run_alg(NAME, {"LOS_ASC": los, "OUTPUT_FAULT": str(out)})
    assert not out.exists()


def test_a_first_run_of_the_search_compiles(alg, cold_kernels, tmp_path):
    """The search evaluates thousands of trial faults (uniform_search_cost), each a one-patch design matrix at every
    quadtree sample: as numpy that costs more than compiling, so a first run compiles (the estimate's numpy and
    compiled parts differ by the design matrices alone)."""
    from qgis.core import QgsProcessingContext

    from insar_geohazards.algorithms import kernel_families
    from insar_geohazards.algorithms.faults.inversion import uniform_search_cost
    from insar_geohazards.algorithms.faults.okada_cost import OkadaWork, okada_cost
    from insar_geohazards.fileio.faults.faults import read_los_datasets
    from insar_geohazards.processing_provider.inputs.compilation import WorkEstimate

    (asc, desc), _ = _data(tmp_path)
    params = {"LOS_ASC": asc, "ASC_INCIDENCE": 34.0, "ASC_HEADING": -12.0, "LOS_DESC": desc, "DESC_INCIDENCE": 39.0,
              "DESC_HEADING": 192.0, "STRIKE_RANGE": "80,140", "QUADTREE_STD": 3.0, "N_MONTE_CARLO": 2,
              "MAX_ITERATIONS": 30, "OUTPUT_FAULT": str(tmp_path / "f.gpkg")}
    samples = sum(d[5].east_m.size for d in read_los_datasets([("LOS_ASC", asc, 34.0, -12.0),
                                                               ("LOS_DESC", desc, 39.0, 192.0)], 3.0))
    evals, seconds = uniform_search_cost(samples, maxiter=30, n_monte_carlo=2)
    work = alg(NAME).work_bytes(params, QgsProcessingContext())
    assert isinstance(work, WorkEstimate)
    numpy_s, numba_s = okada_cost(OkadaWork("greens", pairs=evals * samples, calls=evals, stations=evals * samples),
                                  kernel_families.measured_costs()["work"]["okada"])
    assert (work.numpy_s, work.numba_s) == pytest.approx((seconds + numpy_s, seconds + numba_s))
    assert work.numpy_s > kernel_families.measured_costs()["tools"]["uniformslipinversion"]["okada"] + work.numba_s

"""Every tool and shipped model runs in a background task from the Processing dialog, the modeler and the
toolbox, so the desktop keeps repainting (and Cancel works) while a first run compiles the numba kernels: none
asks QGIS for the main thread."""

import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_tool_and_shipped_model_runs_threaded(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingAlgorithm, QgsProcessingModelAlgorithm

    from insar_geohazards.processing_provider.provider import algorithm_classes

    provider = QgsApplication.processingRegistry().providerById("geohazard")
    assert provider is not None
    ids = sorted(a.id() for a in provider.algorithms())
    models = glob.glob(os.path.join(ROOT, "models", "*.model3"))
    # every tool class and every model file is registered: none escapes the check below
    assert len(ids) == len(algorithm_classes()) + len(models), ids
    registry = QgsApplication.processingRegistry()
    main_thread, n_models = [], 0
    for alg_id in ids:
        # a fresh instance, as the dialog creates one for each run
        alg = registry.createAlgorithmById(alg_id)
        n_models += isinstance(alg, QgsProcessingModelAlgorithm)
        if alg.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading:
            main_thread.append(alg_id)
    assert n_models == len(models) >= 3
    assert not main_thread, f"these run in QGIS's main thread (the desktop freezes while they run): {main_thread}"

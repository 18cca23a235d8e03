"""The block engine's shared tool parameter: where the blocks run (``DASK_SCHEDULER``).

Declared once here and added by every tool driven by :mod:`algorithms.engine`. The value
is, in order of precedence: the tool parameter, the QGIS setting
``insar_geohazards/dask_scheduler`` (Settings > Options > Advanced), the environment
variable ``INSAR_GEOHAZARDS_DASK_SCHEDULER``, else empty.
"""

from __future__ import annotations

from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterString, QgsSettings

from ..algorithms.engine import ENV_SCHEDULER, open_executor, scheduler_from

DASK_SCHEDULER = "DASK_SCHEDULER"
SETTINGS_KEY = "insar_geohazards/dask_scheduler"

HELP = (
    "\n\n<b>Dask scheduler</b> (advanced, optional): where the blocks are computed. Empty = this machine, in this "
    "process (the default); 'local' = an embedded Dask LocalCluster on this machine; 'tcp://host:8786' = a running "
    "dask.distributed scheduler. Results are identical either way. Workers must see the input rasters under the "
    "same paths (shared filesystem) and have this plugin and GDAL importable; outputs are written by this "
    "process. Default from the QGIS setting insar_geohazards/dask_scheduler or the environment variable "
    f"{ENV_SCHEDULER}. Needs python3-distributed (Debian/Ubuntu) or pip install distributed."
)


def add_dask_parameter(alg) -> None:
    """Add the optional, advanced ``DASK_SCHEDULER`` string parameter to ``alg``."""
    p = QgsProcessingParameterString(
        DASK_SCHEDULER, alg.tr("Dask scheduler (empty = this process, 'local' = LocalCluster, or tcp://host:port)"),
        defaultValue="", optional=True)
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    alg.addParameter(p)


def scheduler(alg, parameters, context) -> str:
    """The normalised scheduler for this run (parameter > QGIS setting > environment > this process)."""
    value = alg.parameterAsString(parameters, DASK_SCHEDULER, context) if parameters.get(DASK_SCHEDULER) else ""
    if not value.strip():
        value = str(QgsSettings().value(SETTINGS_KEY, "") or "")
    return scheduler_from(value if value.strip() else None)


def executor(alg, parameters, context, feedback=None):
    """An engine executor for this run (a context manager); reports a Dask cluster in the log."""
    s = scheduler(alg, parameters, context)
    ex = open_executor(s)
    if s and feedback is not None:
        feedback.pushInfo(f"blocks run on Dask ({'embedded LocalCluster' if s == 'local' else s}), "
                          f"{ex.n_slots} worker thread(s)")
    return ex

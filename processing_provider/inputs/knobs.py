"""Run-wide knobs, declared once here and given to every tool that runs on the block engine.

``MAX_MEMORY_MB``: memory one block may use, in MiB (2**20 bytes): each tool plans its blocks (rows, points or
tiles) from it through the run settings (:meth:`..fileio.base.blocks.RunSettings.plan`, ``rows``, ``plan_files``, or
``run.max_memory_mb`` handed to a core planner) with a model of its memory per pixel;
``DASK_SCHEDULER``: where the blocks run; ``THREADS``: compute and compression threads of this process. All three are
advanced and optional; an empty value takes, in order, the QGIS setting ``insar_geohazards/<knob in lower case>``
(Settings > Options > Advanced), the environment variable ``INSAR_GEOHAZARDS_<KNOB>``, else the default (512 MiB,
this process, every CPU). A tool declared with ``@tool(..., engine=True)`` gets them from
:class:`..tools._base.GeohazardAlgorithm` and reads them with :func:`run_settings`; ``engine=(DASK_SCHEDULER,
THREADS)`` is for a tool whose blocks' memory cannot matter (MAX_MEMORY_MB stays declared, hidden and ignored, so
scripts and models that set it still run). Results do not depend on any of them: the same bytes whatever the block
size, the scheduler or the thread count.
"""

from __future__ import annotations

import functools
import os
import re

from qgis.core import (
    QgsProcessingParameterDefinition,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsSettings,
)

from ...algorithms.engine import DEFAULT_MAX_MEMORY_MB, ENV_MAX_MEMORY, ENV_SCHEDULER, scheduler_from
from ...algorithms.errors import GeohazardError
from ...fileio.base.blocks import RunSettings
from .aliases import given

MAX_MEMORY_MB, DASK_SCHEDULER, THREADS = "MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"
RUN_WIDE = (MAX_MEMORY_MB, DASK_SCHEDULER, THREADS)
ENV_THREADS = "INSAR_GEOHAZARDS_THREADS"
_SETTINGS = {k: f"insar_geohazards/{k.lower()}" for k in RUN_WIDE}
_ENV = {MAX_MEMORY_MB: ENV_MAX_MEMORY, DASK_SCHEDULER: ENV_SCHEDULER, THREADS: ENV_THREADS}

_MEMORY_HELP = (
    f"<b>Memory for one block</b> (MiB, 1 MiB = 2^20 bytes; default {DEFAULT_MAX_MEMORY_MB}): the tool cuts its "
    "inputs into blocks (of rows, points or tiles) so that what one block holds (its inputs, work arrays and "
    "outputs, as the tool counts them) stays within this budget; up to about three blocks are in memory at once "
    "(one read ahead, one computed, one being written). Lower it when memory is short: smaller blocks, the same "
    "results. Tools with slow kernels also cap the work of one block, so that the progress moves and a cancel is "
    "seen within seconds (their help gives the cap): there a larger value does not make the blocks larger. ")
_DASK_HELP = (
    "<b>Dask scheduler</b>: where the blocks are computed. Empty = this machine, in this process "
    "(the default); 'local' = an embedded Dask LocalCluster on this machine; 'tcp://host:8786' = a running "
    "dask.distributed scheduler. Workers must see the input rasters under the same paths (shared filesystem) "
    "and have this plugin and GDAL importable; outputs are written by this process. Needs python3-distributed "
    "(Debian/Ubuntu) or pip install distributed. <b>Threads</b> (0 = every CPU): compute and compression "
    "threads of this process. ")


def help_text(used=RUN_WIDE) -> str:
    """The help paragraph of the run-wide knobs a tool uses (``used``: knob names)."""
    memory = MAX_MEMORY_MB in used
    return (
        "\n\n<b>Run-wide settings</b> (advanced, optional; empty = the QGIS setting insar_geohazards/"
        + ("max_memory_mb, /" if memory else "") + "dask_scheduler, /threads, else the environment variables "
        + ("INSAR_GEOHAZARDS_MAX_MEMORY_MB, " if memory else "") + f"{ENV_SCHEDULER}, {ENV_THREADS}, else the "
        "default). " + (_MEMORY_HELP if memory else "") + _DASK_HELP
        + "Results are identical whatever these settings.")


def _advanced(p):
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    return p


def add_run_parameters(alg, used=RUN_WIDE) -> None:
    """Add the optional, advanced run-wide knobs to ``alg``; those not in ``used`` are declared hidden (accepted and
    ignored: a script or a model that sets them still runs)."""
    num = QgsProcessingParameterNumber
    memory = _advanced(num(
        MAX_MEMORY_MB, alg.tr("Memory for one block (MiB; empty = {mb})").format(mb=DEFAULT_MAX_MEMORY_MB),
        num.Type.Integer, defaultValue=None, optional=True, minValue=1))
    if MAX_MEMORY_MB not in used:
        memory.setFlags(memory.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden)
        memory.setDescription(alg.tr("Memory for one block (MiB; not used by this tool: its blocks are small)"))
    dask = _advanced(QgsProcessingParameterString(
        DASK_SCHEDULER, alg.tr("Dask scheduler ('local', tcp://host:port)"), defaultValue="", optional=True))
    threads = _advanced(num(THREADS, alg.tr("Threads of this process (0 = every CPU)"), num.Type.Integer,
                            defaultValue=None, optional=True, minValue=0))
    dask_help, threads_help = _DASK_HELP.split("<b>Threads</b>")
    for p, text in ((memory, _MEMORY_HELP), (dask, dask_help), (threads, "Threads" + threads_help)):
        p.setHelp(_plain(text) + " Results are identical whatever these settings.")
        alg.addParameter(p)


@functools.lru_cache(maxsize=8)
def _plain(html: str) -> str:
    """A help paragraph without its markup (a parameter's tooltip; the same few texts for every tool)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _default(name: str) -> str:
    """The QGIS setting of a knob, else its environment variable, else empty."""
    value = str(QgsSettings().value(_SETTINGS[name], "") or "").strip()
    return value or os.environ.get(_ENV[name], "").strip()


def _number(alg, parameters, name: str, context):
    if given(parameters, name):
        return alg.parameterAsDouble(parameters, name, context)
    text = _default(name)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise GeohazardError(f"{name}: the setting or environment value {text!r} is not a number") from None


def run_settings(alg, parameters, context) -> RunSettings:
    """This run's knobs: the parameters, else the QGIS settings, else the environment, else the defaults."""
    memory = _number(alg, parameters, MAX_MEMORY_MB, context)
    threads = _number(alg, parameters, THREADS, context)
    value = alg.parameterAsString(parameters, DASK_SCHEDULER, context) if given(parameters, DASK_SCHEDULER) else ""
    scheduler = scheduler_from(value.strip() or _default(DASK_SCHEDULER) or None)
    return RunSettings(max_memory_mb=memory, scheduler=scheduler, threads=int(threads or 0))

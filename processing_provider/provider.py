"""The ``geohazard`` Processing provider.

Tools are found by walking ``processing_provider/tools/``: every tool class defined in a
``tools/<family>/<tool ID>.py`` module (a :class:`.tools._base.GeohazardAlgorithm` subclass with a
``NAME``), so adding a tool never touches this file. Graphical models shipped in ``models/*.model3``
are added too (their ID is ``geohazard:<model name>``).
"""

from __future__ import annotations

import glob
import importlib
import os
import pkgutil

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .tools._base import DOCS_URL, GROUPS, ICON_DIR

PROVIDER_ID = "geohazard"
MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def algorithm_classes() -> list:
    """Every tool class of the plugin, in the order of their modules' paths."""
    from . import tools
    from .tools._base import GeohazardAlgorithm

    classes = []
    for info in sorted(pkgutil.walk_packages(tools.__path__, tools.__name__ + "."), key=lambda m: m.name):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        classes += [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, GeohazardAlgorithm)
                    and c.__module__ == module.__name__ and c.NAME]
    return classes


def model_algorithms() -> list:
    """The graphical models shipped with the plugin (``models/*.model3``), loaded."""
    from qgis.core import QgsProcessingModelAlgorithm

    class ShippedModel(QgsProcessingModelAlgorithm):
        """A shipped model keeps its short ID (``geohazard:<model name>``) but shows the
        readable name stored in its help (key ``DISPLAY_NAME``) in the toolbox."""

        def displayName(self):
            return self.helpContent().get("DISPLAY_NAME") or self.name()

        def groupId(self):
            # a .model3 stores the group's display name only; use the tools' group ID so the
            # model sits in the same toolbox group as the tools
            return {name: gid for gid, name in GROUPS.items()}.get(self.group(), super().groupId())

        def processAlgorithm(self, parameters, context, feedback):
            # one transaction for the whole model: a failing later step removes the outputs
            # earlier steps published (each child's own transaction joins this one)
            from .io.transaction import OutputTransaction

            run = OutputTransaction().begin({})
            try:
                results = super().processAlgorithm(parameters, context, feedback)
            except BaseException:
                run.rollback()
                raise
            if feedback is not None and feedback.isCanceled():
                run.rollback()
                return {}
            run.commit()
            return results

        def tags(self):
            return ["InSAR", "SAR", "geohazard", "model", "SBAS", "time series", "velocity", "ADA",
                    "active deformation areas", "landslide", "activity", "inventory"]

        def helpUrl(self):
            return DOCS_URL.format("models")

        def createInstance(self):
            model = ShippedModel()
            model.loadVariant(self.toVariant())
            model.setSourceFilePath(self.sourceFilePath())
            return model

    models = []
    for path in sorted(glob.glob(os.path.join(MODELS_DIR, "*.model3"))):
        model = ShippedModel()
        if model.fromFile(path):
            model.setSourceFilePath(path)
            models.append(model)
    return models


def silence_hdf5_diagnostics() -> int:
    """Stop HDF5's automatic error printing ("HDF5-DIAG: Error detected ...", 11 lines on stderr)
    in this thread. QGIS prints it when it probes a folder path given to a layer input (the mesh
    provider asks HDF5 whether the folder is an HDF5 file) although the tool then reads the folder
    fine. HDF5 still returns its errors to the callers (GDAL, MDAL, h5py), which report them
    themselves; h5py does the same on import. Linux (reads /proc/self/maps); elsewhere a no-op.
    Returns the number of HDF5 libraries silenced."""
    import ctypes

    libs = set()
    try:
        with open("/proc/self/maps") as maps:  # the HDF5 copies loaded in this process (Linux)
            libs = {line.split()[-1] for line in maps if "/libhdf5" in line and "_hl" not in line.split("/")[-1]}
    except OSError:
        pass
    done = 0
    for lib in sorted(libs):
        try:
            fn = ctypes.CDLL(lib).H5Eset_auto2
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
        if fn(0, None, None) >= 0:  # H5E_DEFAULT, no printing function
            done += 1
    # h5py silences the HDF5 it uses when it is imported; it is not imported here (0.3 s at QGIS start)
    return done


class GeohazardProvider(QgsProcessingProvider):
    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return "InSAR Geohazards"

    def longName(self) -> str:
        return "InSAR Geohazards: time series, active deformation areas, geometry and faults"

    def icon(self) -> QIcon:
        return QIcon(os.path.join(ICON_DIR, "insar_geohazards.svg"))

    def svgIconPath(self) -> str:
        return os.path.join(ICON_DIR, "insar_geohazards.svg")

    def supportsNonFileBasedOutput(self) -> bool:
        # outputs are written with GDAL/OGR, so temporary outputs must be files
        return False

    def load(self) -> bool:
        # QGIS probes files as layers in several places (multiple-layer parameters, the
        # browser); for a gzip file (GAMMA *.par.gz baselines) GDAL then writes a
        # *.gz.properties index next to it. The plugin never writes next to its inputs:
        # turn the index off for the session unless the user set it.
        from osgeo import gdal

        if gdal.GetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES") is None:
            gdal.SetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO")
        silence_hdf5_diagnostics()
        # A model's child algorithms are resolved through the registry, which knows this
        # provider only after load() returns: reload once it is registered so the shipped
        # models see their children (and expose their outputs) from the start.
        QgsApplication.processingRegistry().providerAdded.connect(self._registered)
        return super().load()

    def _registered(self, provider_id: str) -> None:
        if provider_id != self.id():
            return
        QgsApplication.processingRegistry().providerAdded.disconnect(self._registered)
        self.refreshAlgorithms()

    def loadAlgorithms(self) -> None:
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
        for model in model_algorithms():
            self.addAlgorithm(model)

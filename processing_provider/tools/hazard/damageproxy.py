"""``geohazard:damageproxy``. Damage proxy map: the loss of coherence across an event in units of the coherence's
variability before it, the areas of significant loss, and the mean-coherence masks."""

from __future__ import annotations

import os

from qgis.core import QgsRasterLayer

from ....algorithms.errors import GeohazardError
from ....algorithms.formats.dates import parse_date, parse_date_pairs
from ....algorithms.hazard import damageproxy as damage
from ....algorithms.plausibility import check_date
from ....fileio.hazard import damageproxy as io_damage
from ...inputs import declare, ids, knobs, stacks
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("damageproxy", "Damage proxy map", page="hazard",
      tags="damage,damage proxy,DPM,coherence,coherence change,earthquake,collapse,emergency,active,stagnant",
      main=(ids.OUTPUT, "OUTPUT_AREAS"), engine=True)
class DamageProxy(GeohazardAlgorithm):
    PRE_COHERENCE = "PRE_COHERENCE"
    CO_COHERENCE = "CO_COHERENCE"
    EVENT_DATE = "EVENT_DATE"
    STD_FLOOR = "STD_FLOOR"
    MIN_AREA_M2 = "MIN_AREA_M2"
    MASK = "MASK"
    MASK_VALUES = "MASK_VALUES"
    OUTPUT_AREAS = "OUTPUT_AREAS"
    OUTPUT_MEAN_COHERENCE = "OUTPUT_MEAN_COHERENCE"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    HELP = (
        "Maps where the coherence dropped across an event more than it varies without one: the damage proxy of "
        "emergency response. It needs coherence rasters of pairs before the event and of pairs spanning it, and the "
        "event's date; it gives the proxy, the polygons of significant loss with their area, the mean coherence and "
        "its classes.\n\n"
        "<b>Pre-event coherence</b>: coherence rasters (0-1) of pairs with both dates before EVENT_DATE (several: "
        "their spread is the variability; one: the floor alone). <b>Co-event coherence</b>: pairs with one date "
        "before and one after it (several are averaged). Dates are read from the file names (20200101_20200113, "
        "LiCSAR, HyP3 ...): a pre-event pair that does not end before the event, a co-event pair that does not span "
        "it, or a pair acquired on the event's day is refused, named. All rasters share one grid. Coherence stored "
        "in percent (0-100) or as bytes (0-255) is refused, saying which (divide by 100 or by 255 first), except "
        "LiCSAR's .geo.cc.tif bytes, read as value / 255 with 0 as no data, as the product defines.\n"
        "<b>Event date</b>: YYYY-MM-DD.\n"
        "<b>Threshold</b> (default 3): the proxy at and above which the loss is significant. <b>Floor on the "
        "pre-event spread</b> (STD_FLOOR, coherence units, default 0.05). <b>Minimum mean coherence</b> (default "
        "0.3): ground whose mean pre-event coherence is lower is always decorrelated (water, forest, fields, a "
        "working dump face): it never had coherence to lose, so it is not damage; it gets no proxy and the class "
        "'always decorrelated'. <b>Minimum area</b> (m2): smaller areas are left out of the polygons.\n"
        "<b>Mask</b> (optional, MASK): what to keep, as damage-proxy practice keeps the built-up land: a classes "
        "raster (land cover, e.g. CORINE or ESA WorldCover; resampled onto the coherence grid with the nearest "
        "neighbour when on another grid) with the class values to keep in MASK_VALUES (e.g. 111, 112, 121 for "
        "CORINE's urban fabric and industrial units; 50 for WorldCover's built-up; ranges a-b), or polygons of what "
        "to keep (building footprints, the town's outline). Elsewhere the proxy and the classes are no data and "
        "there are no areas; the mean coherence is kept everywhere. A mask that keeps no pixel is refused.\n\n"
        "<b>Outputs</b>: OUTPUT, the proxy (mean_pre - mean_co) / max(std_pre, STD_FLOOR), positive = coherence "
        "loss, in pre-event standard deviations; OUTPUT_AREAS, polygons of 8-connected pixels at or above the "
        "threshold with area_m2 (on the ellipsoid for a geographic grid), mean_proxy, max_proxy, n_pixels; "
        "OUTPUT_MEAN_COHERENCE, the mean pre-event coherence; OUTPUT_CLASSES, 1 always decorrelated (active), "
        "2 coherent without significant loss (stagnant), 3 significant loss. The areas are found on the whole "
        "proxy raster (9 bytes a pixel); the rest runs in blocks.\n"
        "Coherence also drops with vegetation growth, snow, soil moisture and long temporal baselines: pairs of "
        "similar spans and seasons before and across the event make the proxy meaningful.\n"
        "Reference: Yun S.-H. et al. (2015) Seismol. Res. Lett. 86(6) 1549-1556, doi:10.1785/0220150103."
    )
    COHERENCE_INPUTS = ("PRE_COHERENCE", "CO_COHERENCE")

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.PRE_COHERENCE, "Coherence of pairs before the event"))
        self.addParameter(declare.rasters(self.CO_COHERENCE, "Coherence of pairs spanning the event"))
        self.addParameter(declare.text(self.EVENT_DATE, "Event date (YYYY-MM-DD)"))
        self.addParameter(declare.number(self.THRESHOLD, "Significant loss from (pre-event standard deviations)", 3.0,
                                         0.1, 100.0))
        self.addParameter(declare.number(self.STD_FLOOR, "Floor on the pre-event spread (coherence)", 0.05, 0.001,
                                         1.0, advanced=True))
        self.addParameter(declare.number(self.MIN_MEAN_COHERENCE, "Minimum mean pre-event coherence", 0.3, 0.0, 1.0))
        self.addParameter(declare.number(self.MIN_AREA_M2, "Minimum area of a polygon (m2)", 2000.0, 0.0))
        self.addParameter(declare.raster_or_polygons(self.MASK, "Mask: classes raster or polygons to keep",
                                                     optional=True))
        self.addParameter(declare.text(self.MASK_VALUES, "Class values to keep (a classes raster mask)",
                                       optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Damage proxy (pre-event standard deviations)"))
        self.addParameter(declare.vector_out(self.OUTPUT_AREAS, "Areas of significant coherence loss", "polygon",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_MEAN_COHERENCE, "Mean pre-event coherence", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_CLASSES, "Coherence classes", optional=True,
                                             create=False))

    def input_raster_files(self, parameters, context):
        """The files read: LiCSAR's byte coherence through its / 255 VRT (the guard checks what is read)."""
        return {pid: [io_damage.coherence_path(p)[0] for p in stacks.raster_list_paths(self, parameters, pid, context)]
                for pid in (self.PRE_COHERENCE, self.CO_COHERENCE) if parameters.get(pid)}

    def check(self, parameters, context):
        text = self.parameterAsString(parameters, self.EVENT_DATE, context).strip()
        try:
            event = parse_date(text)
        except (GeohazardError, ValueError):
            raise GeohazardError(f"{self.EVENT_DATE}: {text!r} is not a date; give YYYY-MM-DD") from None
        check_date(self.EVENT_DATE, event)
        paths = [stacks.raster_list_paths(self, parameters, pid, context) for pid in (self.PRE_COHERENCE,
                                                                                      self.CO_COHERENCE)]
        pairs = [parse_date_pairs(p, name=pid) for p, pid in zip(paths, (self.PRE_COHERENCE, self.CO_COHERENCE))]
        damage.check_pair_dates(pairs[0], pairs[1], event, pre_names=[os.path.basename(p) for p in paths[0]],
                                co_names=[os.path.basename(p) for p in paths[1]])
        self._mask(parameters, context)

    def _mask(self, parameters, context):
        """MASK as ``("classes", path, values)`` or ``("polygons", layer)`` (None without MASK; the run reads the
        polygons)."""
        values_text = self.parameterAsString(parameters, self.MASK_VALUES, context).strip() \
            if parameters.get(self.MASK_VALUES) else ""
        if not parameters.get(self.MASK):
            if values_text:
                raise GeohazardError(f"{self.MASK_VALUES} needs {self.MASK}: give the classes raster whose values "
                                     "to keep")
            return None
        layer = self.parameterAsLayer(parameters, self.MASK, context)
        if layer is None or not layer.isValid():
            raise GeohazardError(f"{self.MASK}: cannot open {parameters.get(self.MASK)!r} as a raster or a polygon "
                                 "layer")
        if isinstance(layer, QgsRasterLayer):
            return "classes", layer.source().split("|")[0], damage.parse_class_values(values_text, self.MASK_VALUES)
        if values_text:
            raise GeohazardError(f"{self.MASK_VALUES}: {self.MASK} is a polygon layer (what to keep is inside its "
                                 f"polygons); class values go with a classes raster: leave {self.MASK_VALUES} empty")
        return "polygons", layer

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.THRESHOLD, self.STD_FLOOR, self.MIN_MEAN_COHERENCE, self.MIN_AREA_M2)
        pre, co = (tuple(stacks.raster_list_paths(self, parameters, pid, context))
                   for pid in (self.PRE_COHERENCE, self.CO_COHERENCE))
        job = io_damage.Job(
            pre=pre, co=co,
            outs={k: (pid, self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                  for k, pid in zip(io_damage.OUTPUT_KINDS, (self.OUTPUT, self.OUTPUT_MEAN_COHERENCE,
                                                             self.OUTPUT_CLASSES, self.OUTPUT_AREAS))},
            threshold=v.THRESHOLD, std_floor=v.STD_FLOOR, min_mean_coherence=v.MIN_MEAN_COHERENCE,
            min_area_m2=v.MIN_AREA_M2, settings=knobs.run_settings(self, parameters, context),
            names=(self.PRE_COHERENCE, self.CO_COHERENCE, self.STD_FLOOR),
            mask=self._mask(parameters, context),
            mask_name=self.MASK)
        return self.finish(io_damage.run(job, progress=FeedbackProgress(feedback), context=context), feedback)

"""``geohazard:pstimeseries``. PS/DS point time series: displacement histories of selected scatterers without 2-D
unwrapping (the PSI route)."""

from __future__ import annotations

import functools

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import geometry_meta as gm
from ....fileio.display import styles
from ....fileio.formats import baseline_geometry
from ....fileio.psds import pstimeseries as io_ps
from ...inputs import acquisition, declare, ids, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.declare import WAVELENGTH_HELP, wavelength_parameter
from ...inputs.feedback import FeedbackProgress
from ...inputs.wavelength import resolve_wavelength
from .._base import GeohazardAlgorithm, tool


@tool("pstimeseries", "PS/DS point time series",
      tags="PS,DS,persistent scatterers,points,time series,velocity,subsidence,landslide", kernels=("psds.psi",),
      page="psds",
      former=(Alias("WAVELENGTH", ids.WAVELENGTH), Alias("SLANT_RANGE", ids.SLANT_RANGE_M),
              Alias("COHERENCE_THRESHOLD", ids.MIN_TEMPORAL_COHERENCE)))
class PsTimeSeries(GeohazardAlgorithm):
    DISPERSION = "DISPERSION"
    TEMPORAL_COHERENCE = "TEMPORAL_COHERENCE"
    ARC_COHERENCE = "ARC_COHERENCE"
    MAX_VELOCITY = "MAX_VELOCITY"
    MAX_HEIGHT_ERROR = "MAX_HEIGHT_ERROR"
    MAX_ARC_LENGTH = "MAX_ARC_LENGTH"
    REFERENCE_ROW = "REFERENCE_ROW"
    REFERENCE_COL = "REFERENCE_COL"
    LATITUDE = "LATITUDE"
    LONGITUDE = "LONGITUDE"
    HELP = (
        "Point time series without 2-D unwrapping (the classic PSI route) from a phase stack. It needs the "
        "linked phase or SLCs, the amplitude dispersion and/or temporal coherence that select PS and DS points, "
        "and the perpendicular baselines. It gives PS/DS points with velocity, DEM error and displacement "
        "series.\n\n"
        "<b>Method</b>: PS points (amplitude "
        "dispersion <= threshold) and DS points (temporal coherence >= threshold, not PS) are linked by a "
        "Delaunay arc network; on each arc the velocity and DEM-error differences are found by a "
        "periodogram over the interferometric phases (maximum arc temporal coherence); incoherent arcs "
        "(below the arc coherence threshold, e.g. crossing decorrelated areas) and arcs that disagree with "
        "the network are rejected; the rest are integrated by weighted least squares from the reference "
        "point; arc residuals (small on coherent arcs, so unwrapped in time) give the displacement series.\n\n"
        "<b>Phase stack</b>: the linked phase of the phase-linking tool (radians or complex, dated bands) "
        "or the coregistered SLC stack itself.\n"
        "<b>Amplitude dispersion</b> and/or <b>temporal coherence</b> rasters select the points (at least "
        "one).\n<b>Baselines</b> (optional): a 'date bperp_m' table, a GAMMA bperp_file, an ISCE2 "
        "baselines folder's file or a SNAP .dim header; without them only velocity is estimated. With them the "
        "height error needs the <b>slant range</b> and <b>incidence</b>: typed, else the SLANT_RANGE_M / "
        "INCIDENCE_DEG the stack carries, else the tool stops and says what to type (no assumed geometry).\n"
        "<b>Reference</b>: row/column of the reference pixel (-1 = the best point).\n"
        "<b>Latitude/longitude rasters</b> (radar geometry only): put the points on the map (EPSG:4326); "
        "otherwise points of an ungeoreferenced stack are drawn at x = column, y = -row.\n\n"
        "<b>Output</b>: points with ROW, COL, TYPE (PS/DS), VEL (mm/yr, LOS, positive toward the "
        "satellite, relative to the reference point), V_STDEV (mm/yr, standard error of the fitted "
        "slope), COHERENCE (mean temporal coherence of the point's accepted arcs), HEIGHT_ERR (m, DEM "
        "error relative to the reference) and DYYYYMMDD displacements (mm, relative to the first date).\n"
        + WAVELENGTH_HELP + "\n\n"
        "References: Ferretti et al. (2001), doi:10.1109/36.898661; Kampes (2006), "
        "doi:10.1007/978-1-4020-4723-7."
    )
    CARRIES_GEOMETRY = True
    input_raster_files = stacks.slc_raster_files  # a folder: its SLC files only (the guard checks those)
    COHERENCE_INPUTS = ("TEMPORAL_COHERENCE",)
    OVERLAP = ((ids.INPUT, "DISPERSION"), (ids.INPUT, "TEMPORAL_COHERENCE"))
    COMPLEX_INPUTS = MULTIBAND_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUT, "Phase stack (linked phase or SLCs)"))
        self.addParameter(declare.raster(self.DISPERSION, "Amplitude dispersion (selects PS)", optional=True))
        self.addParameter(declare.number(self.DISPERSION_THRESHOLD, "PS: largest amplitude dispersion", 0.25, 0.01,
                                         1.0))
        self.addParameter(declare.raster(self.TEMPORAL_COHERENCE, "Temporal coherence (selects DS)", optional=True))
        self.addParameter(declare.number(self.MIN_TEMPORAL_COHERENCE, "DS: smallest temporal coherence", 0.8, 0.0, 1.0))
        self.addParameter(declare.file(self.BASELINES,
                                       "Perpendicular baselines (table or file)",
                                       optional=True))
        self.addParameter(wavelength_parameter(self, self.WAVELENGTH))
        self.addParameter(declare.number(self.SLANT_RANGE_M, "Slant range (m; empty = metadata)", None,
                                         1000.0, optional=True))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; empty = metadata)",
                                         None, 0.1, 89.9, optional=True))
        self.addParameter(declare.number(self.ARC_COHERENCE, "Smallest arc temporal coherence", 0.7, 0.05, 0.99))
        self.addParameter(declare.number(self.MAX_VELOCITY, "Largest velocity difference on an arc (mm/yr)", 50.0, 1.0))
        self.addParameter(declare.number(self.MAX_HEIGHT_ERROR, "Largest DEM-error difference on an arc (m)", 50.0,
                                         0.0))
        self.addParameter(declare.number(self.MAX_ARC_LENGTH,
                                         "Longest arc (m, or pixels; 0 = none)", 0.0, 0.0))
        self.addParameter(declare.integer(self.REFERENCE_ROW, "Reference pixel row (-1 = automatic)", -1, -1))
        self.addParameter(declare.integer(self.REFERENCE_COL, "Reference pixel column (-1 = automatic)", -1, -1))
        self.addParameter(declare.raster(self.LATITUDE, "Latitude raster (radar geometry)", optional=True))
        self.addParameter(declare.raster(self.LONGITUDE, "Longitude raster (radar geometry)", optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "PS/DS points", "point"))

    def check(self, parameters, context):
        if not parameters.get(self.DISPERSION) and not parameters.get(self.TEMPORAL_COHERENCE):
            raise GeohazardError("give DISPERSION (PS) and/or TEMPORAL_COHERENCE (DS) to select points")
        if bool(parameters.get(self.LATITUDE)) != bool(parameters.get(self.LONGITUDE)):
            raise GeohazardError("LATITUDE and LONGITUDE must be given together")
        ref = [self.parameterAsInt(parameters, p, context) for p in (self.REFERENCE_ROW, self.REFERENCE_COL)]
        if (ref[0] >= 0) != (ref[1] >= 0):
            raise GeohazardError(f"REFERENCE_ROW ({ref[0]}) and REFERENCE_COL ({ref[1]}) go together: give both (a "
                                 "pixel) or leave both at -1 (automatic)")
        shape = stacks.check_slc_stack(self, parameters, context, 4, need_complex=False).info.shape
        layers.check_shapes(self, parameters, context,
                            (self.DISPERSION, self.TEMPORAL_COHERENCE, self.LATITUDE, self.LONGITUDE), shape)

    def _geometry(self, parameters, context, feedback, given):
        """The scene's slant range and incidence the height error needs with the baselines ``given`` (their file; ""
        when none), by the geometry rule: typed > the stack's metadata > what the BASELINES product states > a
        refusal (NaN when no baselines need them). The run asks for them once it has read the baselines."""
        stated = baseline_geometry.baselines_geometry([given]) if given else []
        slcs = stacks.slc_paths(self, parameters, context)
        # the DEM-error term (baselines given) scales with B_perp / (R sin(incidence)): no assumed geometry
        return tuple(acquisition.scene_value(
            self, parameters, pid, context, feedback, key, needed=bool(given), rasters=slcs,
            attributes=acquisition.product_values(stated, key, slcs, self.BASELINES),
            hint=hint + " (the height error of a point scales with B_perp / (R sin(incidence)))")
            for pid, key, hint in ((self.SLANT_RANGE_M, gm.SLANT_RANGE_KEY, acquisition.slant_range_hint(
                                        self.SLANT_RANGE_M)),
                                   (self.INCIDENCE, gm.INCIDENCE_KEY, acquisition.incidence_hint(self.INCIDENCE))))

    def process(self, parameters, context, feedback):
        stack = stacks.slc_stack(self, parameters, context, need_complex=False, feedback=feedback)
        v = self.values(parameters, context, self.DISPERSION_THRESHOLD, self.MIN_TEMPORAL_COHERENCE,
                        self.ARC_COHERENCE, self.MAX_VELOCITY, self.MAX_HEIGHT_ERROR, self.MAX_ARC_LENGTH,
                        self.REFERENCE_ROW, self.REFERENCE_COL)
        paths = [self.raster_path(parameters, pid, context) if parameters.get(pid) else ""
                 for pid in (self.DISPERSION, self.TEMPORAL_COHERENCE, self.LATITUDE, self.LONGITUDE)]
        slcs = stacks.slc_paths(self, parameters, context)
        wavelength = resolve_wavelength(self, parameters, self.WAVELENGTH, context, feedback, rasters=slcs)
        given = self.parameterAsFile(parameters, self.BASELINES, context) if parameters.get(self.BASELINES) else ""
        job = io_ps.Job(
            stack=stack, output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context), output_id=self.OUTPUT,
            wavelength_m=wavelength.wavelength_m, dispersion=paths[0], coherence=paths[1],
            names=(self.DISPERSION, self.TEMPORAL_COHERENCE), dispersion_threshold=v.DISPERSION_THRESHOLD,
            coherence_threshold=v.MIN_TEMPORAL_COHERENCE, baselines=given,
            geometry=functools.partial(self._geometry, parameters, context, feedback, given),
            reference=(v.REFERENCE_ROW, v.REFERENCE_COL) if min(v.REFERENCE_ROW, v.REFERENCE_COL) >= 0 else None,
            arc_coherence_min=v.ARC_COHERENCE, max_velocity_mm_yr=v.MAX_VELOCITY,
            max_height_error_m=v.MAX_HEIGHT_ERROR, max_arc_length=v.MAX_ARC_LENGTH if v.MAX_ARC_LENGTH > 0 else None,
            latitude=paths[2] if paths[3] else "", longitude=paths[3] if paths[2] else "")
        outcome = io_ps.run(job, progress=FeedbackProgress(feedback))
        styles.style_points_velocity(job.output, context=context)
        return self.finish(outcome, feedback)

"""One registration per tool: what the cross-cutting tests need to know about each ``geohazard:`` tool.

``TOOLS`` holds one entry per tool ID the provider registers (the shipped models are not tools), and
``tests/processing/test_registry.py`` fails, naming this table and the tool, when a tool has no entry, when an
entry names no registered tool, or when a registered tool is missing from the frozen public face
(``tests/data/public_api.json``). The tests that read the table:

=====================  ==================================================================================
field                  read by
=====================  ==================================================================================
``hostile``            ``tests/hostile/test_hostile_<family>.py``: every case of ``testutils_hostile.CASES`` on
                       the tool, run from ``<recipe>(tool, tmp)`` of that file (its small valid run)
``lengths``            ``tests/processing/test_units.py``: parameter ID -> unit of its value (m, km, m2);
                       hidden former IDs included
``not_lengths``        ``tests/processing/test_units.py``: IDs that read like lengths and are not (angles,
                       velocities, polygons, pixels)
``secondary_outputs``  ``tests/processing/test_desktop.py``: outputs a user may leave out (optional, made by default)
``determinism``        ``tests/processing/test_engine_determinism.py``: case -> :class:`Det`, the same bytes under
                       forced block layouts, one numba thread and a Dask LocalCluster
``knob``               ``tests/processing/test_memory_knob.py``: case -> :class:`Knob`; a tool that shows
                       MAX_MEMORY_MB has at least one (empty: the tool hides the knob or has none)
``block_memory``       ``tests/core/test_engine_block_memory.py``: case -> (builder of that file, its arguments):
                       the tool's bytes-per-pixel model bounds what a block allocates
``no_determinism``     ``tests/processing/test_registry.py``: a tool of the block engine (it takes DASK_SCHEDULER)
                       has determinism cases, or says here why they are elsewhere
=====================  ==================================================================================

Add a tool: add its entry here (copy the entry of a tool of its kind), keyed by its tool ID, in its family's
section. Fields left out mean "not concerned": no hostile family, no length parameter, no engine case.
Plain data only: this module imports nothing of QGIS or of the plugin (the core tests read it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Det:
    """A run of the determinism harness (``tests/processing/test_engine_determinism.py``).

    ``recipe``: the hostile family whose ``recipe(tool, tmp)`` makes the small valid run, or the name of a builder of
    that test file (``coulomb_optimal``, ``trigger_raster``, ``models_raster``); ``changed``: parameters set on top
    (``"@x.tif"``: an extra output in the run's folder); ``layout``: the blocks forced on the engine, ``"rows"``
    (row blocks), ``"files"`` (also groups of whole interferograms), ``"points"`` (groups of points) or ``"none"``
    (the tiles are the method: threads and Dask only)."""

    recipe: str
    changed: dict = field(default_factory=dict)
    layout: str = "rows"


@dataclass(frozen=True)
class Knob:
    """A run of the memory-knob test (``tests/processing/test_memory_knob.py``): under ``budget_mb`` MiB the input
    takes several blocks; half of it must change the blocks and (``same_bytes``) keep every output's bytes.

    ``run``: where the run comes from, ``"det"`` (the determinism case of the same name), ``"det:<case>"``,
    ``"hostile:<family>"`` (the recipe of that hostile file) or ``"custom"`` (built in the test: inputs tall enough
    for blocks with a floor); ``extra``: parameters set on top."""

    budget_mb: float
    run: str = "det"
    extra: dict = field(default_factory=dict)
    same_bytes: bool = True


@dataclass(frozen=True)
class Tool:
    """What the cross-cutting tests know of one tool (see the module's table)."""

    hostile: tuple | None = None             # (family, recipe function) in tests/hostile/test_hostile_<family>.py
    lengths: dict = field(default_factory=dict)
    not_lengths: tuple = ()
    secondary_outputs: tuple = ()
    determinism: dict = field(default_factory=dict)
    knob: dict = field(default_factory=dict)
    block_memory: dict = field(default_factory=dict)
    no_determinism: str = ""                  # why a tool of the block engine has no determinism case here


#: tool ID -> its registration, by toolbox family (processing_provider/tools/<family>/)
TOOLS = {
    # -------------------- ada
    "adaclassification": Tool(
        hostile=("ada", "recipe"),
        lengths={"DEM": "m", "SINKHOLE_MAX_AREA": "m2", "SETTLEMENT_MAX_AREA": "m2"},
    ),
    "adadetection": Tool(
        hostile=("ada", "recipe"),
        lengths={"RADIUS": "m", "OUTLINE_MARGIN": "m"},
        secondary_outputs=("OUTPUT_POINTS",),
        determinism={"adadetection": Det("ada", layout="points")},
        knob={"adadetection": Knob(0.04)},
    ),
    "faultproximity": Tool(
        hostile=("ada", "recipe"),
        lengths={"BANDS": "m"},
        secondary_outputs=("OUTPUT_CHART",),
    ),
    "landslideactivity": Tool(
        hostile=("ada", "recipe"),
        lengths={"DEM": "m"},
        secondary_outputs=("OUTPUT_CANDIDATES",),
        determinism={"landslideactivity": Det("ada", layout="points")},
    ),
    # -------------------- corrections
    "demerrorcorrection": Tool(
        hostile=("corrections", "recipe_series"),
        lengths={"SLANT_RANGE_M": "m", "SLANT_RANGE": "m", "SLANT_RANGE_RASTER": "m"},
        determinism={
            "demerrorcorrection": Det("corrections", {"OUTPUT_DEM_ERROR": "@d.tif", "OUTPUT_RESIDUAL": "@r.tif"}),
            # the noise-adaptive velocity filter reads a halo: its windows must not depend on where the blocks end
            "demerrorcorrection_filter": Det("corrections", {"FILTER_WINDOW": 5, "OUTPUT_VELOCITY": "@v.tif",
                                                             "OUTPUT_VELOCITY_STD": "@vs.tif",
                                                             "OUTPUT_VELOCITY_UNFILTERED": "@vu.tif"}),
        },
        knob={"demerrorcorrection": Knob(0.04)},
    ),
    "modifynetwork": Tool(
        hostile=("corrections", "recipe_stack"),
        lengths={"WAVELENGTH_M": "m", "MAX_PERP_BASELINE": "m"},
        determinism={"modifynetwork": Det("corrections", {"MAX_LOOP_MISFIT": 3.0, "OUTPUT_REPORT": "@r.csv"})},
        knob={"modifynetwork": Knob(0.02)},
    ),
    "pcaatmosphere": Tool(
        hostile=("corrections", "recipe_series"),
        determinism={"pcaatmosphere": Det("corrections", {"OUTPUT_ATMOSPHERE": "@a.tif"})},
        knob={"pcaatmosphere": Knob(0.25, run="custom")},
        block_memory={"pcaatmosphere": ("_pca",)},
    ),
    "rampremoval": Tool(
        hostile=("corrections", "recipe_stack"),
        lengths={"WAVELENGTH_M": "m"},
        not_lengths=("STABLE_AREA", "DEFORMING_AREAS"),
        determinism={
            "rampremoval": Det("corrections", {"OUTPUT_REPORT": "@r.csv"}, layout="files"),
            "rampremoval_per_date": Det("corrections", {"MODE": 1, "RAMP_TYPE": 1, "OUTPUT_REPORT": "@r.csv"},
                                        layout="files"),
        },
        knob={"rampremoval": Knob(0.02)},
    ),
    "referencepoint": Tool(
        hostile=("corrections", "recipe_stack"),
        lengths={"WAVELENGTH_M": "m"},
        not_lengths=("STABLE_AREA",),
        determinism={"referencepoint": Det("corrections", {"OUTPUT_REPORT": "@r.csv"})},
        knob={"referencepoint": Knob(0.02)},
    ),
    "troposphericcorrection": Tool(
        hostile=("corrections", "recipe_stack"),
        lengths={"WAVELENGTH_M": "m", "DEM": "m", "DELAYS": "m"},
        not_lengths=("DEFORMING_AREAS", "STABLE_AREA"),
        determinism={
            "troposphericcorrection": Det("corrections", {"OUTPUT_REPORT": "@r.csv"}, layout="files"),
            "troposphericcorrection_windows": Det("corrections", {"WINDOW": 7, "MIN_PIXELS": 12,
                                                                  "OUTPUT_REPORT": "@r.csv"}, layout="files"),
        },
        knob={"troposphericcorrection": Knob(0.04)},
    ),
    "unwrapclosurecorrection": Tool(
        hostile=("corrections", "recipe_series"),
        lengths={"WAVELENGTH_M": "m"},
        not_lengths=("STABLE_AREA",),
        determinism={
            "unwrapclosurecorrection": Det("corrections", {"OUTPUT_STATS": "@s.csv", "OUTPUT_LOOPS": "@l.csv"}),
        },
        knob={"unwrapclosurecorrection": Knob(0.4)},
    ),
    # -------------------- faults
    "coulombonfaults": Tool(
        hostile=("faults", "recipe"),
        lengths={
            "ORIGIN_EAST": "m",
            "ORIGIN_NORTH": "m",
            "TOP_DEPTH_KM": "km",
            "BOTTOM_DEPTH_KM": "km",
            "TOP_DEPTH": "m",
            "BOTTOM_DEPTH": "m",
            "SLIP": "m",
            "DEPTHS": "km",
        },
    ),
    "coulombstress": Tool(
        hostile=("faults", "recipe"),
        lengths={
            "ORIGIN_EAST": "m",
            "ORIGIN_NORTH": "m",
            "TOP_DEPTH_KM": "km",
            "BOTTOM_DEPTH_KM": "km",
            "TOP_DEPTH": "m",
            "BOTTOM_DEPTH": "m",
            "SLIP": "m",
            "DEPTHS": "km",
            "PIXEL_SIZE_KM": "km",
            "PIXEL_SIZE": "m",
        },
        determinism={"coulombstress": Det("faults"), "coulombstress_optimal": Det("coulomb_optimal")},
        knob={"coulombstress": Knob(0.01)},
        block_memory={"coulombstress_1_depth": ("_coulomb", 1), "coulombstress_3_depths": ("_coulomb", 3)},
    ),
    "importcoulombinput": Tool(
        hostile=("formats", "recipe"),
        lengths={"ORIGIN_EAST": "m", "ORIGIN_NORTH": "m"},
    ),
    "interseismicslip": Tool(
        hostile=("faults", "recipe"),
        lengths={"LENGTH_M": "m", "WIDTH_M": "m"},
        not_lengths=("INPUT_EAST", "INPUT_NORTH"),
        secondary_outputs=("OUTPUT_CHART",),
        determinism={"interseismicslip": Det("faults")},
        knob={"interseismicslip": Knob(0.02, run="hostile:faults")},
    ),
    "okadaforward": Tool(
        hostile=("faults", "recipe"),
        lengths={
            "ORIGIN_EAST": "m",
            "ORIGIN_NORTH": "m",
            "TOP_DEPTH": "m",
            "BOTTOM_DEPTH": "m",
            "SLIP": "m",
            "PIXEL_SIZE": "m",
        },
        determinism={"okadaforward": Det("faults")},
        knob={"okadaforward": Knob(0.002)},
        block_memory={"okadaforward": ("_okada",)},
    ),
    "rupturetrace": Tool(
        hostile=("faults", "recipe"),
        lengths={"INPUT": "m", "MIN_OFFSET_M": "m", "SMOOTHING_M": "m"},
    ),
    "slipinversion": Tool(
        hostile=("faults", "recipe"),
        lengths={"TOP_DEPTH": "m", "BOTTOM_DEPTH": "m", "PATCH_LENGTH": "m", "PATCH_WIDTH": "m", "MAX_SLIP": "m"},
    ),
    "uniformslipinversion": Tool(
        hostile=("faults", "recipe"),
        lengths={
            "EAST_RANGE": "m",
            "NORTH_RANGE": "m",
            "TOP_RANGE": "m",
            "LENGTH_RANGE": "m",
            "WIDTH_RANGE": "m",
            "MAX_SLIP": "m",
        },
        not_lengths=("STRIKE_RANGE", "DIP_RANGE"),
    ),
    # -------------------- formats
    "loadegms": Tool(
        hostile=("formats", "recipe"),
    ),
    # reads what MintPy wrote (HDF5): its refusals are tests of tests/hostile/test_hostile_formats.py, not the kit
    "loadmintpy": Tool(),
    # -------------------- geometry
    "ascdescdecomposition": Tool(
        hostile=("geometry", "recipe"),
        lengths={"PIXEL_SIZE": "m", "CELL_SIZE": "m", "ORIGIN_X": "m", "ORIGIN_Y": "m"},
        not_lengths=("NORTH_VELOCITY",),
        secondary_outputs=("OUTPUT_QUALITY",),
    ),
    "geometricdistortion": Tool(
        hostile=("geometry", "recipe"),
        lengths={"DEM": "m"},
        secondary_outputs=("OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_TABLE"),
        determinism={"geometricdistortion": Det("geometry")},
        knob={"geometricdistortion": Knob(0.2, run="custom")},
    ),
    "losprojection": Tool(
        hostile=("geometry", "recipe"),
        lengths={"DEM": "m"},
        determinism={"losprojection": Det("geometry")},
        knob={"losprojection": Knob(0.04)},
    ),
    "losvelocitytovertical": Tool(
        hostile=("geometry", "recipe"),
        determinism={"losvelocitytovertical": Det("geometry")},
        knob={"losvelocitytovertical": Knob(0.01)},
    ),
    "strainrate": Tool(
        hostile=("geometry", "recipe"),
        lengths={"SMOOTHING_M": "m"},
        not_lengths=("INPUT_EAST", "INPUT_NORTH", "EAST_FIELD", "NORTH_FIELD"),
        determinism={"strainrate": Det("geometry")},
        knob={"strainrate": Knob(0.12)},
        block_memory={"strainrate": ("_strain",)},
    ),
    # -------------------- hazard
    "comparelayers": Tool(
        hostile=("hazard", "compare_recipe"),
        lengths={"MAX_DISTANCE_M": "m", "WIDTH": "m", "STEP": "m"},
        not_lengths=("FIELD", "REFERENCE_FIELD"),
        secondary_outputs=("OUTPUT_RASTER",),  # OUTPUT (points) is not made by default: two rasters give none
        determinism={"comparelayers": Det("hazard", {"OUTPUT_RASTER": "@d.tif"})},
        knob={"comparelayers": Knob(0.008, run="hostile:hazard")},
        block_memory={"comparelayers": ("_difference",)},
    ),
    "damageproxy": Tool(
        hostile=("hazard", "damage_recipe"),
        lengths={"MIN_AREA_M2": "m2"},
        determinism={"damageproxy": Det("hazard", {"OUTPUT_MEAN_COHERENCE": "@m.tif", "OUTPUT_CLASSES": "@c.tif"})},
        knob={"damageproxy": Knob(0.02)},
    ),
    "displacementforecast": Tool(
        hostile=("hazard", "forecast_recipe"),
        lengths={"THICKNESS": "m"},
        not_lengths=("ORIGIN_DATE",),
        determinism={"displacementforecast": Det("hazard")},
        knob={"displacementforecast": Knob(0.6, run="hostile:hazard")},
        block_memory={
            "displacementforecast_linear_30": ("_forecast", 30, "linear", 0),
            "displacementforecast_best_60_holdout": ("_forecast", 60, "best", 6),
        },
    ),
    "demdifference": Tool(
        hostile=("hazard", "dem_difference_recipe"),
        lengths={"INPUT": "m", "INPUT_2": "m"},
        not_lengths=("STABLE_AREA", "EXCLUDE_AREA", "VOLUME_AREA"),
        secondary_outputs=("OUTPUT_VOLUMES",),
        determinism={"demdifference": Det("hazard", {"OUTPUT_ALIGNED": "@a.tif"})},
        knob={"demdifference": Knob(0.05)},
        block_memory={"demdifference": ("_dem_difference", False), "demdifference_volumes": ("_dem_difference", True)},
    ),
    "slopestability": Tool(
        hostile=("hazard", "slope_recipe"),
        lengths={"DEM": "m", "SOIL_DEPTH_M": "m", "SOIL_DEPTH_M_RASTER": "m", "SOIL_DEPTH_M_MAX": "m"},
        secondary_outputs=("OUTPUT_CLASSES",),
        determinism={"slopestability": Det("hazard", {"COHESION_KPA_MAX": 6.0, "WETNESS_MAX": 1.0, "SAMPLES": 50,
                                                      "OUTPUT_PROBABILITY": "@p.tif"})},
        knob={"slopestability": Knob(0.025)},
        block_memory={"slopestability": ("_slope_stability", 0, 0), "slopestability_rasters_mc": ("_slope_stability",
                                                                                                  2, 100)},
    ),
    "miningsubsidence": Tool(
        hostile=("hazard", "mining_recipe"),
        lengths={"DEPTH_M": "m", "THICKNESS_M": "m", "OFFSET_M": "m", "PIXEL_SIZE": "m"},
        determinism={
            "miningsubsidence": Det("hazard", {"OUTPUT_EAST": "@e.tif", "OUTPUT_NORTH": "@n.tif",
                                               "OUTPUT_LOS": "@los.tif"}),
            "miningsubsidence_time": Det("hazard", {"MODE": 2, "TIME_FACTOR": 1.5, "END_DATE": "2020-01-01",
                                                    "FORECAST_DATES": "2019-06-01,2020-06-01,2021-01-01"}),
            "miningsubsidence_advance": Det("hazard", {"MODE": 3, "TIME_FACTOR": 1.5, "START_DATE": "2019-09-01",
                                                       "END_DATE": "2020-01-01", "ADVANCE_AZIMUTH_DEG": 80.0,
                                                       "TAN_BETA_2": 2.8,
                                                       "FORECAST_DATES": "2019-06-01,2019-11-01,2021-01-01"}),
        },
        knob={"miningsubsidence": Knob(0.03), "miningsubsidence_time": Knob(0.03),
              "miningsubsidence_advance": Knob(0.3)},
        block_memory={"miningsubsidence_time_3": ("_mining_time", 3), "miningsubsidence_time_40": ("_mining_time", 40),
                      "miningsubsidence_advance_3": ("_mining_advance", 3)},
    ),
    "susceptibility": Tool(
        hostile=("hazard", "susceptibility_recipe"),
        lengths={"BLOCK_SIZE_M": "m", "ABSENCE_BUFFER_M": "m", "BUFFER_M": "m"},
        not_lengths=("STUDY_AREA",),
        determinism={
            "susceptibility": Det("hazard"),
            "susceptibility_forest": Det("hazard", {"METHOD": 2, "OUTPUT_CLASSES": "@c.tif"}),
        },
        knob={"susceptibility": Knob(0.1, run="hostile:hazard", extra={"METHOD": 2})},
        block_memory={
            "susceptibility_scan": ("_susceptibility", "scan"),
            "susceptibility_frequency_ratio": ("_susceptibility", "frequency_ratio"),
            "susceptibility_logistic_regression": ("_susceptibility", "logistic_regression"),
            "susceptibility_random_forest": ("_susceptibility", "random_forest"),
        },
    ),
    "swathprofile": Tool(
        hostile=("hazard", "swath_recipe"),
        lengths={"WIDTH": "m", "STEP": "m"},
        secondary_outputs=("OUTPUT_CHART",),
        determinism={"swathprofile": Det("hazard")},
        knob={"swathprofile": Knob(0.009, run="hostile:hazard")},
    ),
    # -------------------- interferograms
    "interferogramfilter": Tool(
        hostile=("interferograms", "filter_recipe"),
        not_lengths=("PATCH_SIZE",),
        determinism={"interferogramfilter": Det("interferograms")},
        # the Goldstein patches of one block (fixed) and a halo of a patch above and below come first; the recipe's
        # 8-pixel patches on its 12 x 14 looked grid: 0.1 MiB holds the whole grid, 0.04 a few rows
        knob={"interferogramfilter": Knob(0.08)},
        block_memory={"interferogramfilter": ("_interferogram_filter",)},
    ),
    "basindetection": Tool(
        hostile=("interferograms", "detect_recipe"),
        lengths={"MIN_SIZE_M": "m"},
        determinism={"basindetection": Det("interferograms")},
        # the detector's blocks carry a halo of the top level's windows (48 rows here): 5 MiB is a few blocks
        knob={"basindetection": Knob(5.0, run="hostile:interferograms")},
    ),
    "targetsuitability": Tool(
        hostile=("interferograms", "detect_recipe"),
        not_lengths=("AREAS", "CALIBRATION_AREA"),
        determinism={"targetsuitability": Det("interferograms")},
        knob={"targetsuitability": Knob(0.01, run="hostile:interferograms")},
    ),
    # -------------------- kinematics
    "landslide3d": Tool(
        hostile=("kinematics", "recipe_motion"),
        lengths={"DEM": "m", "CELL_SIZE": "m"},
        determinism={"landslide3d": Det("kinematics")},
        knob={"landslide3d": Knob(0.1)},
    ),
    "landslidethickness": Tool(
        hostile=("kinematics", "recipe_motion"),
        lengths={"DEM": "m"},
    ),
    "offsettimeseries": Tool(
        hostile=("kinematics", "recipe_offsets"),
        determinism={"offsettimeseries": Det("kinematics")},
        knob={"offsettimeseries": Knob(0.1)},
    ),
    "offsettracking": Tool(
        hostile=("kinematics", "recipe_offsets"),
        lengths={"RANGE_SPACING": "m", "AZIMUTH_SPACING": "m"},
        not_lengths=("STABLE_AREA",),
        # the budget pays for one batch of patches first (48 MiB), then for the rows
        knob={"offsettracking": Knob(48.8, run="hostile:kinematics")},
        no_determinism="its blocks are multiples of its step, set by its memory budget: "
                       "tests/core/test_engine_determinism.py runs it with several budgets",
    ),
    "triggercorrelation": Tool(
        hostile=("kinematics", "recipe_motion"),
        determinism={"triggercorrelation_raster": Det("trigger_raster")},
        knob={"triggercorrelation": Knob(0.1, run="det:triggercorrelation_raster")},
    ),
    "validateinsar": Tool(
        hostile=("kinematics", "recipe_motion"),
        lengths={"RADIUS": "m"},
    ),
    # -------------------- models
    "inversevelocity": Tool(
        hostile=("models", "points_recipe"),
    ),
    "timeseriesmodels": Tool(
        hostile=("models", "points_recipe"),
        not_lengths=("ORIGIN_DATE",),
        determinism={
            "timeseriesmodels": Det("models", layout="points"),
            "timeseriesmodels_raster": Det("models_raster"),
        },
        knob={"timeseriesmodels": Knob(0.005), "timeseriesmodels_raster": Knob(0.3)},
        block_memory={
            "timeseriesmodels_linear_20": ("_models", 20, ("linear",), False),
            "timeseriesmodels_afterslip_breaks_40": ("_models", 40, ("seasonal", "afterslip"), True),
        },
    ),
    "zonalseries": Tool(
        hostile=("models", "zonal_recipe"),
        determinism={"zonalseries": Det("models", {"STATISTICS": list(range(8)), "OUTPUT_CHART": "@c.html"})},
        knob={"zonalseries": Knob(0.0005)},
    ),
    # -------------------- psds
    "amplitudedispersion": Tool(
        hostile=("psds", "recipe"),
        secondary_outputs=("OUTPUT_MEAN_AMPLITUDE",),
        determinism={"amplitudedispersion": Det("psds", {"OUTPUT_MEAN_AMPLITUDE": "@m.tif"})},
        knob={"amplitudedispersion": Knob(0.04)},
        block_memory={"amplitudedispersion": ("_amplitude",)},
    ),
    "phaselinking": Tool(
        hostile=("psds", "recipe"),
        secondary_outputs=("OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_SHP_COUNT"),
        determinism={"phaselinking": Det("psds")},
        knob={"phaselinking": Knob(0.05)},
        block_memory={"phaselinking": ("_phase_linking",)},
    ),
    "pstimeseries": Tool(
        hostile=("psds", "recipe"),
        lengths={
            "WAVELENGTH_M": "m",
            "WAVELENGTH": "m",
            "SLANT_RANGE_M": "m",
            "SLANT_RANGE": "m",
            "MAX_HEIGHT_ERROR": "m",
            "MAX_ARC_LENGTH": "m",
        },
    ),
    # -------------------- timeseries
    "multisensortimeseries": Tool(
        hostile=("multisensor", "recipe"),
        lengths={"WAVELENGTHS": "m", "DEM": "m"},
        not_lengths=("NORTH", "NORTH_VELOCITY", "NORTH_RASTER", "NORTH_SIGMA"),
        determinism={"multisensortimeseries": Det("multisensor", {"OUTPUT_QUALITY": "@q.tif"})},
        knob={"multisensortimeseries": Knob(2.0)},
    ),
    "phasegradientstacking": Tool(
        hostile=("timeseries", "recipe"),
        lengths={"WAVELENGTH_M": "m"},
        determinism={"phasegradientstacking": Det("timeseries", {"OUTPUT_RANGE": "@r.tif"})},
        knob={"phasegradientstacking": Knob(0.04)},
    ),
    "sbasinversion": Tool(
        hostile=("timeseries", "recipe"),
        lengths={"WAVELENGTH_M": "m", "MAX_PERP_BASELINE": "m", "DEM": "m"},
        secondary_outputs=("OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT"),
        determinism={
            "sbasinversion": Det("timeseries", {"OUTPUT_VELOCITY_STD": "@vstd.tif", "OUTPUT_POINTS": "@p.gpkg",
                                                "OUTPUT_TEMPORAL_COHERENCE": "@tc.tif"}),
        },
        knob={"sbasinversion": Knob(0.04)},
    ),
    "stackingvelocity": Tool(
        hostile=("timeseries", "recipe"),
        lengths={"WAVELENGTH_M": "m"},
        secondary_outputs=("OUTPUT_VELOCITY_STD",),
        determinism={"stackingvelocity": Det("timeseries", {"OUTPUT_VELOCITY_STD": "@vstd.tif"})},
        knob={"stackingvelocity": Knob(0.02)},
    ),
    # -------------------- unwrap
    "unwrap": Tool(
        hostile=("unwrap", "recipe"),
        determinism={"unwrap": Det("unwrap", layout="none")},
        # tiles are the unwrapper's method: another tile height is another unwrapping (docs/unwrap.md)
        knob={"unwrap": Knob(6.0, run="custom", same_bytes=False)},
    ),
}


def hostile_tools(family: str) -> list:
    """The tools whose hostile cases run in ``tests/hostile/test_hostile_<family>.py``, in table order."""
    return [tool for tool, entry in TOOLS.items() if entry.hostile and entry.hostile[0] == family]


def hostile_family(family: str, namespace: dict) -> tuple:
    """``(tools, recipe)`` of a hostile family file: ``recipe(tool, tmp)`` calls the function the tool's entry names,
    found in ``namespace`` (the file's ``globals()``)."""
    tools = hostile_tools(family)

    def recipe(tool, tmp):
        return namespace[TOOLS[tool].hostile[1]](tool, tmp)

    return tools, recipe


def cases(name: str) -> dict:
    """Every ``case -> (tool, value)`` of a per-case field (``determinism``, ``knob``, ``block_memory``)."""
    out = {}
    for tool, entry in TOOLS.items():
        for case, value in getattr(entry, name).items():
            if case in out:
                raise ValueError(f"tests/registry.py: {name} case {case!r} of {tool} is also {out[case][0]}'s")
            out[case] = (tool, value)
    return out

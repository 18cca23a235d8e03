"""Parameter IDs: one ID per quantity across all tools.

A quantity that several tools take has one ID everywhere: the radar wavelength is ``WAVELENGTH_M`` in every
tool, an incidence angle of a second geometry is ``ASC_INCIDENCE``/``DESC_INCIDENCE``, a temporal-coherence
gate ``MIN_TEMPORAL_COHERENCE`` ... IDs are public API (models and ``qgis_process`` lines use them): an ID that
changed stays a hidden alias of its new ID (:mod:`.aliases`, the tool's ``FORMER_IDS``).
"""

WAVELENGTH = "WAVELENGTH_M"  #: radar wavelength (m); empty = the inputs' metadata, else Sentinel-1
INCIDENCE, HEADING = "INCIDENCE", "HEADING"  #: one geometry (degrees; heading clockwise from north)
ASC_INCIDENCE, ASC_HEADING = "ASC_INCIDENCE", "ASC_HEADING"  #: first of two geometries
LOS_ASC, LOS_DESC = "LOS_ASC", "LOS_DESC"  #: LOS displacement of each of two geometries (mm)
DESC_INCIDENCE, DESC_HEADING = "DESC_INCIDENCE", "DESC_HEADING"  #: second of two geometries
DEM = "DEM"  #: heights (m)
REFERENCE = "REFERENCE"  #: reference point of a stack (a map point; empty = automatic)
COHERENCE_THRESHOLD = "COHERENCE_THRESHOLD"  #: pixel (spatial) coherence gate (0-1)
MIN_TEMPORAL_COHERENCE = "MIN_TEMPORAL_COHERENCE"  #: temporal-coherence gate (0-1)
DISPERSION_THRESHOLD = "DISPERSION_THRESHOLD"  #: largest amplitude dispersion D_A of a PS
VELOCITY_FIELD, VELOCITY_STD_FIELD = "VELOCITY_FIELD", "VELOCITY_STD_FIELD"  #: point fields (mm/yr)
PIXEL_SIZE, PIXEL_SIZE_KM = "PIXEL_SIZE", "PIXEL_SIZE_KM"  #: output pixel (m; km in the Coulomb dialogs)
SHEAR_MODULUS, POISSON = "SHEAR_MODULUS", "POISSON"  #: elastic medium (Pa; -)
INTERFEROGRAMS, COHERENCE = "INTERFEROGRAMS", "COHERENCE"  #: a stack's rasters (lists or folders)
BASELINES = "BASELINES"  #: perpendicular baselines (GAMMA files or a folder)
MINTPY_STACK = "MINTPY_STACK"  #: a MintPy ifgramStack.h5 (hidden; an .h5 given as INTERFEROGRAMS does the same)
INPUT_UNITS = "INPUT_UNITS"  #: unit and sign of a stack's values
STACK_EXTENT = "STACK_EXTENT"  #: a stack's grid when its pairs cover different areas (common area / union)
OUTPUT_REPORT = "OUTPUT_REPORT"  #: network report (HTML)
LOOKS = "LOOKS"  #: independent (equivalent) looks of a coherence
MIN_COUNT = "MIN_COUNT"  #: fewest interferograms or observations a pixel needs
STABLE_AREA = "STABLE_AREA"  #: polygons of ground that does not move
INVENTORY = "INVENTORY"  #: mapped landslides (polygons)
OUTPUT_TIMESERIES = "OUTPUT_TIMESERIES"  #: a time series, one band per date
OUTPUT_PLOTS = "OUTPUT_PLOTS"  #: a folder of PNG plots
MAX_TEMPORAL_BASELINE = "MAX_TEMPORAL_BASELINE"  #: longest interferogram of a stack kept (days; 0 = no limit)
MAX_PERP_BASELINE = "MAX_PERP_BASELINE"  #: largest perpendicular baseline kept (m; 0 = no limit)
MIN_MEAN_COHERENCE = "MIN_MEAN_COHERENCE"  #: lowest mean coherence of an interferogram kept
DROP_PAIRS = "DROP_PAIRS"  #: interferograms left out by name (YYYYMMDD_YYYYMMDD, comma separated)
WEIGHTING = "WEIGHTING"  #: how observations are weighted (an enum of the tool)
INPUT, OUTPUT = "INPUT", "OUTPUT"  #: the main input and output of a tool
POINTS, OUTPUT_POINTS = "POINTS", "OUTPUT_POINTS"  #: a point layer in, points out
INCIDENCE_RASTER, INCIDENCE_UNITS = "INCIDENCE_RASTER", "INCIDENCE_UNITS"  #: per-pixel incidence and its unit
HEADING_RASTER, HEADING_UNITS = "HEADING_RASTER", "HEADING_UNITS"  #: per-pixel heading and its convention
SLANT_RANGE_M = "SLANT_RANGE_M"  #: slant range from the antenna to the scene, one value (m; the metadata key's name)
LOOK = "LOOK"  #: look side of the radar (right / left)
MIN_SENSITIVITY = "MIN_SENSITIVITY"  #: smallest |cosine| between the LOS and a projected direction
THRESHOLD = "THRESHOLD"  #: a tool's main threshold (its unit in the label)
FAULTS = "FAULTS"  #: fault traces (lines)
TOP_DEPTH, BOTTOM_DEPTH, DIP = "TOP_DEPTH", "BOTTOM_DEPTH", "DIP"  #: a fault plane (m; degrees)
ORIGIN_EAST, ORIGIN_NORTH = "ORIGIN_EAST", "ORIGIN_NORTH"  #: local origin of an elastic model (CRS units)
EXTENT, CRS = "EXTENT", "CRS"  #: an output grid's extent and CRS

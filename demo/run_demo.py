"""`make demo`: run the main InSAR Geohazards jobs headless through qgis_process on the
bundled real data (tests/data), then write a QGIS project (demo.qgz) that opens every
output with its style. Usage: python3 demo/run_demo.py OUTPUT_FOLDER
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")


def steps(out: str) -> list[dict]:
    """The demo jobs, in order. Each: title, algorithm id, parameters, outputs to load."""
    return (_los_steps(out)
            + _timeseries_steps(out)
            + _ada_steps(out)
            + _geometry_steps(out)
            + _faults_steps(out)
            + _model_steps(out)
            + _correction_steps(out)
            + _hazard_steps(out)
            + _interferogram_steps(out)
            + _terrain_steps(out))


def _los_steps(out: str) -> list[dict]:
    """The demo's steps of Envisat: LOS to vertical."""
    envisat = sorted(glob.glob(os.path.join(DATA, "envisat_small_test", "tif", "*_unw.tif")))
    envisat_incidence = envisat_scene(os.path.join(DATA, "envisat_small_test", "gamma_obs"))["INCIDENCE_DEG"]
    return [
        {
            "title": f"Envisat interferogram 2006-06-19/2006-10-02: LOS to vertical (incidence "
                     f"{envisat_incidence:g} deg, read from the stack's GAMMA SLC header 20060619_slc.par)",
            "alg": "geohazard:losvelocitytovertical", "group": "Envisat: LOS to vertical",
            "params": {"INPUT": envisat[0], "INCIDENCE": envisat_incidence,
                       "OUTPUT": os.path.join(out, "envisat_vertical.tif")},
            "load": ["OUTPUT"],
        },
    ]


def _timeseries_steps(out: str) -> list[dict]:
    """The demo's steps of time series: SBAS, the simulated LiCSAR frame, phase-gradient stacking."""
    return [
        {
            "title": "Mexico City, 30 Sentinel-1 interferograms: SBAS time series + velocity (coherence-weighted)",
            "alg": "geohazard:sbasinversion", "group": "Mexico City: SBAS time series (main job)",
            "params": {
                "INTERFEROGRAMS": os.path.join(DATA, "sentinel1_mexico_city", "geotiffs"),
                "COHERENCE": os.path.join(DATA, "sentinel1_mexico_city", "geotiffs"),
                "BASELINES": os.path.join(DATA, "sentinel1_mexico_city", "baselines"),
                "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "WEIGHTING": 1,
                "OUTPUT_TIMESERIES": os.path.join(out, "mexico_timeseries.tif"),
                "OUTPUT_VELOCITY": os.path.join(out, "mexico_velocity.tif"),
                "OUTPUT_VELOCITY_STD": os.path.join(out, "mexico_velocity_std.tif"),
                "OUTPUT_TEMPORAL_COHERENCE": os.path.join(out, "mexico_temporal_coherence.tif"),
                "OUTPUT_COHCOUNT": os.path.join(out, "mexico_count.tif"),
                "OUTPUT_POINTS": os.path.join(out, "mexico_points.gpkg"),
                "OUTPUT_REPORT": os.path.join(out, "mexico_network.html"),
            },
            "load": ["OUTPUT_VELOCITY", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_TIMESERIES", "OUTPUT_POINTS"],
        },
        {
            "title": "SIMULATED LiCSAR frame (not real data: LiCSBAS GEOC folder as LiCSBAS01_get_geotiff.py "
                     "delivers it, 15 pairs, uint8 coherence, E/N/U, baselines, metadata.txt, a -60 mm/yr bowl): "
                     "SBAS from the product folder as delivered, nothing typed, checked against the simulated truth",
            "alg": "geohazard:sbasinversion", "group": "SIMULATED LiCSAR frame: SBAS from the folder as delivered",
            "prepare": lambda: write_simulated_licsar_frame(os.path.join(out, "simulated_licsar")),
            "params": {
                "INTERFEROGRAMS": os.path.join(out, "simulated_licsar", "GEOC"),
                "OUTPUT_TIMESERIES": os.path.join(out, "licsar_timeseries.tif"),
                "OUTPUT_VELOCITY": os.path.join(out, "licsar_velocity.tif"),
            },
            "load": ["OUTPUT_VELOCITY", "OUTPUT_TIMESERIES"],
            "extra": lambda: [os.path.join(out, "simulated_licsar", LICSAR_TRUTH)],
            "check": lambda: print("  " + velocity_check_text(velocity_error(
                os.path.join(out, "licsar_velocity.tif"), os.path.join(out, "simulated_licsar", LICSAR_TRUTH)))),
        },
        {
            "title": "Mexico City: phase-gradient stacking of the <= 48-day interferograms",
            "alg": "geohazard:phasegradientstacking", "group": "Mexico City: phase-gradient stacking",
            "params": {
                "INTERFEROGRAMS": os.path.join(DATA, "sentinel1_mexico_city", "geotiffs"),
                "MAX_TEMPORAL_BASELINE": 48, "OUTPUT": os.path.join(out, "mexico_phase_gradient.tif"),
            },
            "load": ["OUTPUT"],
        },
    ]


def _ada_steps(out: str) -> list[dict]:
    """The demo's steps of EGMS Ustica: loading, active deformation areas, their classes."""
    return [
        {
            "title": "EGMS L2b Ustica ascending 2020-2024 (zipped CSV): load as a typed point layer, EPSG:3035",
            "alg": "geohazard:loadegms", "group": "EGMS Ustica: points",
            "params": {"INPUT": os.path.join(DATA, "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"),
                       "OUTPUT": os.path.join(out, "egms_ustica_asc.gpkg")},
            "load": ["OUTPUT"],
        },
        {
            "title": "EGMS Ustica ascending: active deformation areas (2-sigma threshold, noise filters, quality)",
            "alg": "geohazard:adadetection", "group": "EGMS Ustica: active deformation areas",
            "params": {"INPUT": os.path.join(out, "egms_ustica_asc.gpkg"),
                       "OUTPUT": os.path.join(out, "egms_ustica_asc_ada.gpkg"),
                       "OUTPUT_POINTS": os.path.join(out, "egms_ustica_asc_ada_points.gpkg")},
            "load": ["OUTPUT", "OUTPUT_POINTS"],
        },
        {
            "title": "EGMS Ustica ascending ADAs: rule-based classification (slope from point heights)",
            "alg": "geohazard:adaclassification", "group": "EGMS Ustica: ADA classes",
            "params": {"INPUT": os.path.join(out, "egms_ustica_asc_ada.gpkg"),
                       "OUTPUT": os.path.join(out, "egms_ustica_asc_ada_classes.gpkg")},
            "load": ["OUTPUT"],
        },
        {
            "title": "EGMS Ustica ascending: where active deformation areas are likely, from terrain. Slope and "
                     "height are gridded at 40 m from the EGMS points' heights (ustica_slope.tif, ustica_height.tif; "
                     "no DEM is bundled); the inventory is the ADAs of the step before. Frequency ratio, spatial "
                     "cross-validation, 10 repeats of 5 k-means folds (terrain alone explains the coastal ADAs "
                     "modestly: AUC 0.60 \u00b1 0.05), classes very low .. very high, HTML report",
            "alg": "geohazard:susceptibility", "group": "EGMS Ustica: ADA susceptibility",
            "prepare": lambda: ustica_terrain(os.path.join(out, "egms_ustica_asc.gpkg"), out),
            "params": {"INVENTORY": os.path.join(out, "egms_ustica_asc_ada.gpkg"),
                       "FACTORS": [os.path.join(out, "ustica_slope.tif"), os.path.join(out, "ustica_height.tif")],
                       "METHOD": 0, "ABSENCE_BUFFER_M": 50.0,
                       "OUTPUT": os.path.join(out, "ustica_ada_susceptibility.tif"),
                       "OUTPUT_CLASSES": os.path.join(out, "ustica_ada_susceptibility_classes.tif"),
                       "OUTPUT_REPORT": os.path.join(out, "ustica_ada_susceptibility.html")},
            "load": ["OUTPUT_CLASSES", "OUTPUT"],
            "extra": lambda: [os.path.join(out, "ustica_slope.tif"), os.path.join(out, "ustica_height.tif")],
        },
    ]


def _geometry_steps(out: str) -> list[dict]:
    """The demo's steps of geometry: distortion, east/up decomposition, vertical projection."""
    gamma_obs = os.path.join(DATA, "envisat_small_test", "gamma_obs")
    return [
        {
            "title": "Envisat GAMMA geometry folder as delivered (20060619_utm.dem + _dem.par + _slc.par: nothing "
                     "typed for the descending pass): layover, shadow, R-index and visibility; the second geometry "
                     "is a hypothetical ascending pass (heading -13, incidence 23)",
            "alg": "geohazard:geometricdistortion", "group": "Envisat DEM: geometric distortion",
            "params": {"DEM": os.path.join(gamma_obs, "20060619_utm.dem"), "HEADING_2": -13.0, "INCIDENCE_2": 23.0,
                       "OUTPUT_CLASSES": os.path.join(out, "envisat_distortion.tif"),
                       "OUTPUT_RINDEX": os.path.join(out, "envisat_rindex.tif"),
                       "OUTPUT_VISIBILITY": os.path.join(out, "envisat_visibility.tif"),
                       "OUTPUT_TABLE": os.path.join(out, "envisat_distortion_shares.csv"),
                       "OUTPUT_COMBINED": os.path.join(out, "envisat_distortion_best.tif")},
            "load": ["OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_COMBINED"],
        },
        {
            "title": "EGMS Ustica ascending + descending to 100 m east/up (EPSG:3035), time series included",
            "alg": "geohazard:ascdescdecomposition", "group": "EGMS Ustica: east/up decomposition",
            "params": {"ASC_POINTS": os.path.join(DATA, "egms_ustica", "asc_117_subset.gpkg"),
                       "DESC_POINTS": os.path.join(DATA, "egms_ustica", "desc_022_subset.gpkg"),
                       "TIME_SERIES": True, "OUTPUT_EAST": os.path.join(out, "ustica_east.tif"),
                       "OUTPUT_UP": os.path.join(out, "ustica_up.tif"),
                       "OUTPUT_QUALITY": os.path.join(out, "ustica_quality.tif"),
                       "OUTPUT_UP_TS": os.path.join(out, "ustica_up_series.tif")},
            "load": ["OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_QUALITY"],
        },
        {
            "title": "EGMS Ustica descending points: vertical projection with each point's LOS vector",
            "alg": "geohazard:losprojection", "group": "EGMS Ustica: vertical projection",
            "params": {"POINTS": os.path.join(DATA, "egms_ustica", "desc_022_subset.gpkg"),
                       "OUTPUT_POINTS": os.path.join(out, "ustica_desc_projected.gpkg")},
            "load": ["OUTPUT_POINTS"],
        },
        {
            "title": "EGMS Ustica: descending points projected to the vertical against the decomposed up: "
                     "differences, bias, RMSE, r and paired tests",
            "alg": "geohazard:comparelayers", "group": "EGMS Ustica: vertical, one geometry against two",
            "params": {"INPUT": os.path.join(out, "ustica_desc_projected.gpkg"), "FIELD": "v_vertical",
                       "REFERENCE": os.path.join(out, "ustica_up.tif"),
                       "OUTPUT": os.path.join(out, "ustica_vertical_pairs.gpkg"),
                       "OUTPUT_TABLE": os.path.join(out, "ustica_vertical_agreement.csv")},
            "load": ["OUTPUT"],
        },
    ]


def _faults_steps(out: str) -> list[dict]:
    """The demo's steps of the Coulomb example: faults, Okada displacement, stress change."""
    return [
        {
            "title": "Coulomb 3 example (Mendocino M7.3 left-lateral, USGS Example-2): faults as layers",
            "alg": "geohazard:importcoulombinput", "group": "Coulomb example: faults",
            "params": {"INPUT": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "OUTPUT_SOURCES": os.path.join(out, "csz_sources.gpkg"),
                       "OUTPUT_RECEIVERS": os.path.join(out, "csz_receivers.gpkg")},
            "load": ["OUTPUT_SOURCES", "OUTPUT_RECEIVERS"],
        },
        {
            "title": "Okada forward model of the Coulomb example: east/north/up/LOS (Sentinel-1 ascending)",
            "alg": "geohazard:okadaforward", "group": "Coulomb example: Okada displacement",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]", "PIXEL_SIZE": 2000.0,
                       "INCIDENCE": 37.0, "HEADING": -12.0, "OUTPUT": os.path.join(out, "csz_okada.tif")},
            "load": ["OUTPUT"],
        },
        {
            "title": "Coulomb stress change at 7.5 km on optimally oriented planes (bar)",
            "alg": "geohazard:coulombstress", "group": "Coulomb example: stress change map",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4, "DEPTHS": "7.5", "OPTIMAL": True,
                       "EXTENT": "252896.9,492896.9,4364335.4,4604335.4 [EPSG:32610]", "PIXEL_SIZE_KM": 2.0,
                       "OUTPUT": os.path.join(out, "csz_dcfs.tif")},
            "load": ["OUTPUT"],
        },
        {
            "title": "Coulomb stress change resolved on the example's receiver faults at 5 and 10 km",
            "alg": "geohazard:coulombonfaults", "group": "Coulomb example: stress on receiver faults",
            "params": {"COULOMB_INP": os.path.join(DATA, "coulomb_inputs", "Example-2_CSZ_LL.inp"), "CRS": "EPSG:32610",
                       "ORIGIN_EAST": 372896.9, "ORIGIN_NORTH": 4484335.4,
                       "RECEIVERS": os.path.join(out, "csz_receivers.gpkg"), "DEPTHS": "5,10",
                       "OUTPUT": os.path.join(out, "csz_receivers_dcfs.gpkg")},
            "load": ["OUTPUT"],
        },
    ]


def _model_steps(out: str) -> list[dict]:
    """The demo's steps of the shipped model SBAS -> ADA -> landslide activity."""
    mexico = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
    return [
        {
            "title": "The shipped model SBAS -> velocity points -> ADA -> landslide activity on the Mexico City stack. "
                     "Mexico City has no landslide inventory: the polygons are 3 x 2 analysis cells over the stack "
                     "footprint (demo_analysis_cells.gpkg), NOT landslides; they show how the last step scores areas",
            "alg": "geohazard:sbastolandslideactivity", "group": "Mexico City: model SBAS -> ADA -> activity",
            "prepare": lambda: analysis_cells(os.path.join(out, "demo_analysis_cells.gpkg")),
            "params": {
                "INTERFEROGRAMS": sorted(glob.glob(os.path.join(mexico, "*_unw.tif"))),
                "COHERENCE": sorted(glob.glob(os.path.join(mexico, "*_cc.tif"))),
                "REFERENCE": "-99.1780,19.4400 [EPSG:4326]",
                "INVENTORY": os.path.join(out, "demo_analysis_cells.gpkg"),
                "sbas:TIMESERIES": os.path.join(out, "model_timeseries.tif"),
                "sbas:VELOCITY": os.path.join(out, "model_velocity.tif"),
                "sbas:POINTS": os.path.join(out, "model_points.gpkg"),
                "ada:ADAS": os.path.join(out, "model_adas.gpkg"),
                "activity:ACTIVITY": os.path.join(out, "model_cells_activity.gpkg"),
                "activity:CANDIDATES": os.path.join(out, "model_candidates.gpkg"),
            },
            "load": ["ada:ADAS", "activity:ACTIVITY"],
        },
    ]


def _correction_steps(out: str) -> list[dict]:
    """The demo's steps of Corrected SBAS, the simulated SLC stack, time-series models, inverse velocity."""
    mexico = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
    radarsat = glob.glob(os.path.join(DATA, "radarsat_boissano", "*.shp"))[0]
    return [
        {
            "title": "The shipped model Corrected SBAS on the Mexico City stack: unwrapping errors (phase closure) "
                     "-> network (loops still misclosing) -> phase-elevation troposphere (high-passed, trend "
                     "guarded) -> ramps (per date; the stable western strip, mexico_stable_area.gpkg, would "
                     "extrapolate them, so every coherent pixel is used and their trend guarded) -> reference point "
                     "(in the strip) -> SBAS -> DEM error -> final velocity; compare with the uncorrected SBAS "
                     "velocity of the main job",
            "alg": "geohazard:correctedsbas", "group": "Mexico City: model Corrected SBAS",
            "prepare": lambda: mexico_stable_area(os.path.join(out, "mexico_stable_area.gpkg")),
            "params": {
                "INTERFEROGRAMS": sorted(glob.glob(os.path.join(mexico, "*_unw.tif"))),
                "COHERENCE": sorted(glob.glob(os.path.join(mexico, "*_cc.tif"))),
                "BASELINES": os.path.join(DATA, "sentinel1_mexico_city", "baselines"),
                # the interferograms carry their incidence (INCIDENCE_DEGREES) but no slant range: the DEM-error
                # step assumes none, so it is given (Sentinel-1 IW mid-swath, about 850 km)
                "SLANT_RANGE_M": 850000.0,
                "DEM": os.path.join(mexico, "cropA_T005A_dem.tif"),
                "STABLE_AREA": os.path.join(out, "mexico_stable_area.gpkg"),
                "network:NETWORK_REPORT": os.path.join(out, "corrected_network.csv"),
                "unwrapping:LOOP_STATS": os.path.join(out, "corrected_loop_statistics.csv"),
                "ramps:CORRECTED": os.path.join(out, "corrected_interferograms"),
                "reference:REFERENCE": os.path.join(out, "corrected_reference.gpkg"),
                "sbas:TIMESERIES": os.path.join(out, "corrected_timeseries.tif"),
                "sbas:VELOCITY": os.path.join(out, "corrected_velocity.tif"),
                "demerror:TIMESERIES": os.path.join(out, "corrected_timeseries_dem_error.tif"),
                "demerror:DEM_ERROR": os.path.join(out, "corrected_dem_error.tif"),
                "demerror:VELOCITY": os.path.join(out, "corrected_final_velocity.tif"),
                "demerror:VELOCITY_STD": os.path.join(out, "corrected_final_velocity_std.tif"),
            },
            "load": ["demerror:VELOCITY", "reference:REFERENCE", "demerror:DEM_ERROR", "demerror:TIMESERIES",
                     "sbas:VELOCITY"],
            "extra": lambda: [os.path.join(out, "mexico_stable_area.gpkg")],
        },
        {
            "title": "SIMULATED SLC stack (not real data: 16 dates, 60 x 80 px, a -160 mm/yr bowl, seed 7): the "
                     "shipped model SLC stack -> amplitude dispersion -> phase linking -> unwrap -> SBAS velocity, "
                     "checked against the simulated truth",
            "alg": "geohazard:slcstacktotimeseries", "group": "SIMULATED SLC stack: model SLC -> time series",
            "prepare": lambda: write_simulated_slc_stack(os.path.join(out, "simulated_slc")),
            "params": {
                "SLC": lambda: sorted(glob.glob(os.path.join(out, "simulated_slc", "slc_*.tif"))),
                "ps:PS_MASK": os.path.join(out, "simulated_ps_mask.tif"),
                "linking:TEMPORAL_COHERENCE": os.path.join(out, "simulated_temporal_coherence.tif"),
                "linking:WRAPPED": os.path.join(out, "simulated_wrapped"),
                "unwrap:UNWRAPPED": os.path.join(out, "simulated_unwrapped"),
                "unwrap:UNWRAP_REPORT": os.path.join(out, "simulated_unwrap_report.csv"),
                "sbas:TIMESERIES": os.path.join(out, "simulated_timeseries.tif"),
                "sbas:VELOCITY": os.path.join(out, "simulated_velocity.tif"),
            },
            "load": ["sbas:VELOCITY", "linking:TEMPORAL_COHERENCE", "sbas:TIMESERIES"],
            "extra": lambda: [os.path.join(out, "simulated_slc", SIMULATED_TRUTH),
                              *first_pair(os.path.join(out, "simulated_wrapped"), ".wrapped.tif"),
                              *first_pair(os.path.join(out, "simulated_unwrapped"), ".unw.tif", ".conncomp.tif")],
            "check": lambda: print("  " + velocity_check_text(velocity_error(
                os.path.join(out, "simulated_velocity.tif"), os.path.join(out, "simulated_slc", SIMULATED_TRUTH)))),
        },
        {
            "title": "RADARSAT PS Boissano 2003-2010: linear/seasonal/quadratic models, best by BIC, breakpoints",
            "alg": "geohazard:timeseriesmodels", "group": "RADARSAT Boissano: time-series models",
            "params": {"INPUT": radarsat, "MODELS": [0, 1, 2], "BREAKPOINTS": True,
                       "OUTPUT": os.path.join(out, "radarsat_models.gpkg")},
            "load": ["OUTPUT"],
        },
        {
            "title": "RADARSAT PS Boissano: inverse-velocity failure forecast and alert levels",
            "alg": "geohazard:inversevelocity", "group": "RADARSAT Boissano: inverse velocity",
            "params": {"INPUT": radarsat, "OUTPUT": os.path.join(out, "radarsat_inverse_velocity.gpkg"),
                       "OUTPUT_PLOTS": os.path.join(out, "inverse_velocity_plots")},
            "load": ["OUTPUT"],
        },
        {
            "title": "Mexico City, 30 Sentinel-1 interferograms (unwrapped phase wrapped again): subsidence basins "
                     "outlined by the learned detector, one polygon per pair that shows one",
            "alg": "geohazard:basindetection", "group": "Mexico City: basin detection",
            "params": {"INPUT": mexico, "OUTPUT": os.path.join(out, "mexico_basins.gpkg")},
            "load": ["OUTPUT"],
        },
    ]


def _hazard_steps(out: str) -> list[dict]:
    """The demo's hazard-map steps: mining basin, damage proxy, forecast, swath profile."""
    mexico = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
    return [
        {
            "title": "SIMULATED mine plan (not real data: an L-shaped longwall 300 m deep, 3 m mined, and a panel "
                     "420 m deep, 2.5 m): the final subsidence basin by the probability-integral method (q 0.8, "
                     "tan(beta) 2, s 20 m, b 0.3), vertical and Sentinel-1 ascending LOS",
            "alg": "geohazard:miningsubsidence", "group": "SIMULATED mine plan: subsidence basin",
            "prepare": lambda: write_simulated_mine_plan(os.path.join(out, "simulated_mine_plan.gpkg")),
            "params": {"PANELS": os.path.join(out, "simulated_mine_plan.gpkg"), "SUBSIDENCE_FACTOR": 0.8,
                       "TAN_BETA": 2.0, "OFFSET_M": 20.0, "HORIZONTAL_FACTOR": 0.3,
                       "EXTENT": f"{MINE_ORIGIN[0] - 400},{MINE_ORIGIN[0] + 1800},{MINE_ORIGIN[1] - 400},"
                                 f"{MINE_ORIGIN[1] + 1100} [EPSG:32614]",
                       "PIXEL_SIZE": 10.0, "INCIDENCE": 39.0, "HEADING": -12.0,
                       "OUTPUT_VERTICAL": os.path.join(out, "mine_vertical.tif"),
                       "OUTPUT_LOS": os.path.join(out, "mine_los.tif"),
                       "OUTPUT_PANEL": os.path.join(out, "mine_panels.gpkg")},
            "load": ["OUTPUT_VERTICAL", "OUTPUT_LOS", "OUTPUT_PANEL"],
        },
        {
            "title": "SIMULATED mine plan (not real data): the basin in time, Knothe's time function with c = 1.2 /yr "
                     "after an extraction ended 2024-03-01, forecast for three dates",
            "alg": "geohazard:miningsubsidence", "group": "SIMULATED mine plan: basin in time",
            "params": {"MODE": 2, "PANELS": os.path.join(out, "simulated_mine_plan.gpkg"), "SUBSIDENCE_FACTOR": 0.8,
                       "TAN_BETA": 2.0, "OFFSET_M": 20.0, "END_DATE": "2024-03-01", "TIME_FACTOR": 1.2,
                       "FORECAST_DATES": "2024-09-01,2025-03-01,2027-03-01",
                       "EXTENT": f"{MINE_ORIGIN[0] - 400},{MINE_ORIGIN[0] + 1800},{MINE_ORIGIN[1] - 400},"
                                 f"{MINE_ORIGIN[1] + 1100} [EPSG:32614]",
                       "PIXEL_SIZE": 10.0, "OUTPUT_VERTICAL": os.path.join(out, "mine_forecast.tif")},
            "load": ["OUTPUT_VERTICAL"],
        },
        {
            "title": "Mexico City coherence: damage proxy around 2018-05-10 (a date chosen for the demo, no known "
                     "damaging event: the map shows coherence noise; pairs of at most 48 days on both sides)",
            "alg": "geohazard:damageproxy", "group": "Mexico City: damage proxy (coherence change)",
            "params": {"PRE_COHERENCE": mexico_coherence(mexico, before="20180510"),
                       "CO_COHERENCE": mexico_coherence(mexico, spanning="20180510"), "EVENT_DATE": "2018-05-10",
                       "OUTPUT": os.path.join(out, "mexico_damage_proxy.tif"),
                       "OUTPUT_AREAS": os.path.join(out, "mexico_damage_areas.gpkg"),
                       "OUTPUT_CLASSES": os.path.join(out, "mexico_coherence_classes.tif")},
            "load": ["OUTPUT", "OUTPUT_CLASSES", "OUTPUT_AREAS"],
        },
        {
            "title": "Mexico City SBAS time series (13 dates, 2018-01..07): displacement forecast for 2018-10-01 and "
                     "2019-01-01, the model chosen per pixel under its own noise, scored on the last 3 dates held out",
            "alg": "geohazard:displacementforecast", "group": "Mexico City: displacement forecast",
            "params": {"INPUT_RASTER": os.path.join(out, "mexico_timeseries.tif"), "MODEL": 0, "HOLDOUT": 3,
                       "FORECAST_DATES": "2018-10-01,2019-01-01",
                       "OUTPUT_RASTER": os.path.join(out, "mexico_forecast.tif"),
                       "OUTPUT_SIGMA": os.path.join(out, "mexico_forecast_sigma.tif"),
                       "OUTPUT_MODEL": os.path.join(out, "mexico_forecast_model.tif")},
            "load": ["OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL"],
        },
        {
            "title": "Mexico City SBAS velocity: a west-east swath profile (1 km wide, 500 m bins) from the stable "
                     "western strip into the subsidence bowl; the line is in EPSG:4326, distances in metres (UTM 14N)",
            "alg": "geohazard:swathprofile", "group": "Mexico City: swath profile",
            "prepare": lambda: mexico_profile_line(os.path.join(out, "mexico_profile_line.gpkg")),
            "params": {"INPUT": os.path.join(out, "mexico_velocity.tif"),
                       "LINE": os.path.join(out, "mexico_profile_line.gpkg"), "WIDTH": 1000.0, "STEP": 500.0,
                       "OUTPUT": os.path.join(out, "mexico_swath_profile.gpkg"),
                       "OUTPUT_CHART": os.path.join(out, "mexico_swath_profile.html")},
            "load": ["OUTPUT"],
            "extra": lambda: [os.path.join(out, "mexico_profile_line.gpkg")],
        },
    ]


def _interferogram_steps(out: str) -> list[dict]:
    """The demo's interferogram steps: filtering and multilooking."""
    mexico = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
    return [
        {
            "title": "Mexico City, 3 Sentinel-1 interferograms wrapped again from their unwrapped phase (the real "
                     "fringes and noise): Goldstein filter (alpha 0.6) with 2 x 2 looks, and the coherence estimate",
            "alg": "geohazard:interferogramfilter", "group": "Mexico City: filtered interferograms",
            "prepare": lambda: write_rewrapped(mexico, os.path.join(out, "mexico_wrapped"), 3),
            "params": {"INPUT": os.path.join(out, "mexico_wrapped"), "ALPHA": 0.6, "LOOKS_Y": 2, "LOOKS_X": 2,
                       "PATCH_SIZE": 16,  # the looked frame is 30 x 50 pixels: a patch must fit in it
                       "OUTPUT": os.path.join(out, "mexico_filtered"),
                       "OUTPUT_COHERENCE": os.path.join(out, "mexico_filtered_coherence")},
            "load": [],
            "extra": lambda: [*first_pair(os.path.join(out, "mexico_wrapped"), ".wrapped.tif"),
                              *first_pair(os.path.join(out, "mexico_filtered"), ".wrapped.tif"),
                              *first_pair(os.path.join(out, "mexico_filtered_coherence"), ".coh.tif")],
        },
    ]


#: Lower-left corner of the SIMULATED mine plan (UTM 14N, east of Mexico City; a place for the demo, no mine).
MINE_ORIGIN = (520000.0, 2140000.0)

#: The SIMULATED second DEM of the demo: the Ecuador DEM moved (rows, cols) cells, raised, with noise and a dump of
#: this centre east, north and radius (m) and height (m).
ECUADOR_SHIFT_CELLS = (-0.42, 0.73)
ECUADOR_DUMP = (713900.0, 9558400.0, 250.0, 12.0)


def _terrain_steps(out: str) -> list[dict]:
    """The demo's terrain steps on the Ecuador DEM: slope stability, and a DEM difference against a SIMULATED
    second DEM."""
    dem = os.path.join(DATA, "ecuador_dem", "dem.tif")
    return [
        {
            "title": "Ecuador 10 m DEM (Reserva Biológica San Francisco): infinite-slope factor of safety (c' 6 kPa, "
                     "phi' 35 deg, gamma 18.5 kN/m3, z 1.5 m, wetness 0.5) and its classes",
            "alg": "geohazard:slopestability", "group": "Ecuador DEM: slope stability",
            "params": {"DEM": dem, "COHESION_KPA": 6.0, "FRICTION_DEG": 35.0, "UNIT_WEIGHT_KN_M3": 18.5,
                       "SOIL_DEPTH_M": 1.5, "WETNESS": 0.5, "OUTPUT": os.path.join(out, "ecuador_fs.tif"),
                       "OUTPUT_CLASSES": os.path.join(out, "ecuador_fs_classes.tif")},
            "load": ["OUTPUT_CLASSES", "OUTPUT"],
        },
        {
            "title": "Ecuador 10 m DEM against a SIMULATED second DEM (not real data: the same DEM moved 7.3 m east "
                     "and 4.2 m north, 1.8 m up, 0.5 m of noise and a 12 m dump): co-registered difference and the "
                     "dump's volume",
            "alg": "geohazard:demdifference", "group": "SIMULATED Ecuador DEM pair: DEM difference",
            "prepare": lambda: write_simulated_dem_pair(dem, out),
            "params": {"INPUT": dem, "INPUT_2": os.path.join(out, "simulated_ecuador_dem_2.tif"),
                       "EXCLUDE_AREA": os.path.join(out, "simulated_ecuador_dump.gpkg"),
                       "OUTPUT": os.path.join(out, "ecuador_dem_difference.tif"),
                       "OUTPUT_VOLUMES": os.path.join(out, "ecuador_dump_volume.gpkg")},
            "load": ["OUTPUT", "OUTPUT_VOLUMES"],
        },
    ]


def write_simulated_dem_pair(dem: str, out: str) -> float:
    """The SIMULATED second DEM (``simulated_ecuador_dem_2.tif``: ``dem`` moved :data:`ECUADOR_SHIFT_CELLS` by a
    cubic spline, +1.8 m, 0.5 m of noise, the dump of :data:`ECUADOR_DUMP`) and the dump's circle
    (``simulated_ecuador_dump.gpkg``) in ``out``; returns the dump's volume (m3)."""
    import numpy as np
    from osgeo import gdal, ogr, osr
    from scipy import ndimage

    src = gdal.Open(dem)
    ref = src.GetRasterBand(1).ReadAsArray().astype(float)
    gt = src.GetGeoTransform()
    holes = np.isnan(ref)
    moved = ndimage.shift(np.where(holes, np.nanmedian(ref), ref), ECUADOR_SHIFT_CELLS, order=3, mode="nearest")
    moved[ndimage.binary_dilation(ndimage.shift(holes.astype(float), ECUADOR_SHIFT_CELLS, order=1) > 0,
                                  iterations=3)] = np.nan
    r, c = np.mgrid[0:ref.shape[0], 0:ref.shape[1]]
    # the dump sits on the ground: in the moved DEM's own coordinates
    x = gt[0] + (c + 0.5) * gt[1] - ECUADOR_SHIFT_CELLS[1] * gt[1]
    y = gt[3] + (r + 0.5) * gt[5] - ECUADOR_SHIFT_CELLS[0] * gt[5]
    x0, y0, radius, height = ECUADOR_DUMP
    d2 = ((x - x0) ** 2 + (y - y0) ** 2) / radius ** 2
    dump = np.where(d2 < 1, height * (1 - d2), 0.0)
    other = moved + 1.8 + dump + np.random.default_rng(5).normal(0.0, 0.5, ref.shape)
    ds = gdal.GetDriverByName("GTiff").Create(os.path.join(out, "simulated_ecuador_dem_2.tif"), src.RasterXSize,
                                              src.RasterYSize, 1, gdal.GDT_Float32)
    ds.SetGeoTransform(gt)
    ds.SetProjection(src.GetProjection())
    ds.GetRasterBand(1).WriteArray(other.astype(np.float32))
    ds.GetRasterBand(1).SetNoDataValue(float("nan"))
    ds = None
    path = os.path.join(out, "simulated_ecuador_dump.gpkg")
    if os.path.exists(path):
        os.remove(path)
    srs = osr.SpatialReference()
    srs.ImportFromWkt(src.GetProjection())
    vds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = vds.CreateLayer("dump", srs, ogr.wkbPolygon)
    ring = ",".join(f"{x0 + 1.15 * radius * np.cos(a):.2f} {y0 + 1.15 * radius * np.sin(a):.2f}"
                    for a in np.linspace(0, 2 * np.pi, 65))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({ring}))"))
    layer.CreateFeature(feature)
    vds = None
    return float(dump.sum() * gt[1] * -gt[5])



def write_mine_plan(path: str, panels, epsg: int) -> str:
    """A mine plan in a new GeoPackage (layer ``panels``, EPSG ``epsg``): one polygon per panel of ``panels``, each
    ``(ring, DEPTH_M, THICKNESS_M)`` with the ring's map coordinates, not closed."""
    from osgeo import ogr, osr

    if os.path.exists(path):
        os.remove(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer("panels", srs, ogr.wkbPolygon)
    for name in ("DEPTH_M", "THICKNESS_M"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    for ring, depth, thickness in panels:
        feature = ogr.Feature(layer.GetLayerDefn())
        wkt = ",".join(f"{x} {y}" for x, y in ring + ring[:1])
        feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({wkt}))"))
        feature.SetField("DEPTH_M", depth)
        feature.SetField("THICKNESS_M", thickness)
        layer.CreateFeature(feature)
    ds = None
    return path


def write_simulated_mine_plan(path: str) -> str:
    """The SIMULATED mine plan of the demo: two panels with DEPTH_M and THICKNESS_M (EPSG:32614)."""
    x0, y0 = MINE_ORIGIN
    panels = (([(0, 0), (900, 0), (900, 220), (400, 220), (400, 520), (0, 520)], 300.0, 3.0),
              ([(1100, 0), (1400, 0), (1400, 700), (1100, 700)], 420.0, 2.5))
    return write_mine_plan(path, [([(x0 + x, y0 + y) for x, y in ring], depth, thickness)
                                  for ring, depth, thickness in panels], 32614)


def mexico_coherence(folder: str, *, before: str = "", spanning: str = "", max_days: int = 48) -> list[str]:
    """The Mexico City coherence files of pairs of at most ``max_days`` that end before the date ``before`` or
    span the date ``spanning`` (YYYYMMDD; the file names carry the pair's dates)."""
    import datetime as dt

    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*_cc.tif"))):
        d1, d2 = os.path.basename(path).split("_")[1].split("-")
        days = (dt.datetime.strptime(d2, "%Y%m%d") - dt.datetime.strptime(d1, "%Y%m%d")).days
        if days <= max_days and ((before and d2 < before) or (spanning and d1 < spanning < d2)):
            out.append(path)
    return out


def write_rewrapped(folder: str, out: str, n: int) -> list:
    """The first ``n`` unwrapped interferograms of ``folder`` (HyP3's ``*_unw.tif``, radians) wrapped again into
    ``out/YYYYMMDD_YYYYMMDD.wrapped.tif`` (georeference and metadata kept): real wrapped interferograms to filter."""
    import numpy as np
    from osgeo import gdal

    os.makedirs(out, exist_ok=True)
    written = []
    for path in sorted(glob.glob(os.path.join(folder, "*_unw.tif")))[:n]:
        pair = os.path.basename(path).split("_")[1].replace("-", "_")
        src = gdal.Open(path)
        band = src.GetRasterBand(1)
        phase = band.ReadAsArray().astype(np.float64)
        nodata = band.GetNoDataValue()
        bad = ~np.isfinite(phase) | (phase == nodata if nodata is not None else False) | (phase == 0)
        wrapped = np.where(bad, np.nan, np.angle(np.exp(1j * phase))).astype(np.float32)
        target = os.path.join(out, f"{pair}.wrapped.tif")
        ds = gdal.GetDriverByName("GTiff").Create(target, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32,
                                                  ["COMPRESS=DEFLATE", "TILED=YES"])
        ds.SetGeoTransform(src.GetGeoTransform())
        ds.SetProjection(src.GetProjection())
        ds.SetMetadata(src.GetMetadata())
        ds.GetRasterBand(1).SetNoDataValue(float("nan"))
        ds.GetRasterBand(1).SetDescription(pair)
        ds.GetRasterBand(1).WriteArray(wrapped)
        ds = src = None
        written.append(target)
    return written


# The SIMULATED SLC stack of the demo (algorithms/timeseries/simulate.py): small enough to simulate and
# run in a few seconds, with a fringe in the longest wrapped interferograms (about 1.1 cycles over the
# 3-neighbour network's 72 days). No atmosphere or DEM error: the check is the chain's own error.
SIMULATION = {"shape": (60, 80), "n_dates": 16, "revisit_days": 24, "seed": 7, "max_velocity_mm_yr": -160.0,
              "atmosphere_std_rad": 0.0, "dem_error_std_m": 0.0}
SIMULATED_TRUTH = "simulated_truth_velocity_mm_yr.tif"
SIMULATED_GEOTRANSFORM = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)  # 20 m pixels, UTM 33N (EPSG:32633)


def _core():
    """The plugin package as `make link` exposes it (.build/plugins/insar_geohazards)."""
    plugins = os.path.join(ROOT, ".build", "plugins")
    if plugins not in sys.path:
        sys.path.insert(0, plugins)
    import insar_geohazards.algorithms.timeseries.simulate as simulate

    return simulate


def envisat_scene(folder: str) -> dict:
    """The scene values of the Envisat stack's GAMMA SLC header (``20060619_slc.par``), read with the plugin's GAMMA
    parser: INCIDENCE_DEG, HEADING_DEG, WAVELENGTH_M."""
    _core()
    from insar_geohazards.algorithms.formats import gamma

    path = os.path.join(folder, "20060619_slc.par")
    with open(path, encoding="utf-8") as fh:
        return gamma.image_par(fh.read(), path).values


LICSAR_TRUTH = "simulated_truth_velocity_mm_yr.tif"


def write_simulated_licsar_frame(folder: str) -> str:
    """A SIMULATED LiCSAR frame (tests/testutils_products.py: the LiCSBAS GEOC layout, file names, data types and
    metadata text as LiCSAR delivers them) under ``folder``, and its LOS velocity truth (mm/yr) beside ``GEOC``.
    Returns the GEOC folder."""
    import shutil

    tests = os.path.join(ROOT, "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from testutils_products import LICSAR_GT, Truth, licsar_frame, write_tif

    if os.path.isdir(folder):
        shutil.rmtree(folder)
    truth = Truth(shape=(30, 36), n_dates=7)
    geoc = licsar_frame(folder, truth)
    write_tif(os.path.join(folder, LICSAR_TRUTH), truth.velocity, geotransform=LICSAR_GT)
    print(f"  SIMULATED input (not real data): LiCSAR frame of {len(truth.pairs)} pairs, {truth.shape[0]} x "
          f"{truth.shape[1]} px, bowl peak {truth.velocity.min():.0f} mm/yr -> {geoc}", flush=True)
    return geoc


def write_simulated_slc_stack(folder: str, **overrides):
    """Simulate the demo's SLC stack (SIMULATION, or overrides) and write it to ``folder``: one complex
    GeoTIFF per date ``slc_YYYYMMDD.tif`` and the simulated LOS velocity ``SIMULATED_TRUTH``
    (mm/yr, positive toward the satellite). Returns the SimulatedStack."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    sim = _core().simulate_slc_stack(**{**SIMULATION, **overrides})
    os.makedirs(folder, exist_ok=True)
    for old in glob.glob(os.path.join(folder, "slc_*.tif")):
        os.remove(old)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    n, rows, cols = sim.slc.shape

    def create(path, dtype, data, description):
        ds = gdal.GetDriverByName("GTiff").Create(path, cols, rows, 1, dtype)
        ds.SetGeoTransform(SIMULATED_GEOTRANSFORM)
        ds.SetProjection(srs.ExportToWkt())
        ds.SetMetadataItem("SIMULATED", description)
        band = ds.GetRasterBand(1)
        band.WriteArray(data)
        ds = None

    for i, d in enumerate(sim.dates):
        create(os.path.join(folder, f"slc_{d:%Y%m%d}.tif"), gdal.GDT_CFloat32, sim.slc[i],
               "simulated SLC (algorithms/timeseries/simulate.py), not real data")
    create(os.path.join(folder, SIMULATED_TRUTH), gdal.GDT_Float32, sim.velocity_mm_yr.astype("float32"),
           "simulated truth: LOS velocity mm/yr, positive toward the satellite")
    print(f"  SIMULATED input (not real data): {n} SLCs of {rows} x {cols} px, {sim.dates[0]} .. {sim.dates[-1]}, "
          f"bowl peak {sim.velocity_mm_yr.min():.0f} mm/yr -> {folder}", flush=True)
    return sim


def velocity_error(velocity_path: str, truth_path: str) -> dict:
    """The SBAS velocity against the simulated truth. SBAS velocities are relative to its reference
    point, so the error is measured after removing the median offset (reported as ``offset``)."""
    import numpy as np
    from osgeo import gdal

    gdal.UseExceptions()
    arrays = []
    for path in (velocity_path, truth_path):
        ds = gdal.Open(path)
        band = ds.GetRasterBand(1)
        arr = band.ReadAsArray().astype(float)
        nodata = band.GetNoDataValue()
        if nodata is not None and np.isfinite(nodata):
            arr[arr == nodata] = np.nan
        arrays.append(arr)
        ds = None
    v, truth = arrays
    ok = np.isfinite(v) & np.isfinite(truth)
    err = v[ok] - truth[ok]
    offset = float(np.median(err))
    centred = err - offset
    return {"pixels": int(ok.sum()), "share": float(ok.mean()), "offset": offset,
            "rms": float(np.sqrt(np.mean(centred ** 2))), "p95": float(np.percentile(np.abs(centred), 95)),
            "correlation": float(np.corrcoef(v[ok], truth[ok])[0, 1]), "truth_min": float(truth.min())}


def velocity_check_text(e: dict) -> str:
    return (f"velocity vs SIMULATED truth (peak {e['truth_min']:.0f} mm/yr): RMS error {e['rms']:.1f} mm/yr, "
            f"95 % of pixels within {e['p95']:.1f} mm/yr, correlation {e['correlation']:.3f} "
            f"({e['pixels']} pixels = {100 * e['share']:.1f} %, after the reference offset {e['offset']:+.1f} mm/yr)")


def mexico_stable_area(path: str) -> str:
    """The western strip of the Mexico City crop (lon -99.191..-99.170, whole latitude span) as the stable area
    of the corrections: the uncorrected SBAS velocity there is within +-20 mm/yr while the bowl to the east
    reaches -280 mm/yr. A choice for the demo, not a survey of stable ground."""
    from osgeo import ogr, osr

    if os.path.exists(path):
        os.remove(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer("stable_area", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(
        "POLYGON((-99.1911 19.3680,-99.1703 19.3680,-99.1703 19.4513,-99.1911 19.4513,-99.1911 19.3680))"))
    layer.CreateFeature(feature)
    ds = None
    return path


def ustica_terrain(points: str, out: str, cell_m: float = 40.0, radius_m: float = 150.0) -> list:
    """Height (m: the EGMS points' ``height_ortho`` by inverse-distance weighting of the points within ``radius_m``,
    GDAL's grid ``invdistnn``) and slope (degrees, from the height's central differences) on a ``cell_m`` grid in the
    points' CRS (EPSG:3035), written as ustica_height.tif and ustica_slope.tif in ``out``: the terrain factors of the
    demo's susceptibility step (no DEM of Ustica is bundled). Cells farther than ``radius_m`` from every point (the
    sea, fields without scatterers) have no value."""
    import numpy as np
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    ogr.UseExceptions()
    ds = ogr.Open(points)
    x0, x1, y0, y1 = ds.GetLayer(0).GetExtent()
    ds = None
    x0, y1 = np.floor(x0 / cell_m) * cell_m, np.ceil(y1 / cell_m) * cell_m
    nx, ny = int(np.ceil((x1 - x0) / cell_m)), int(np.ceil((y1 - y0) / cell_m))
    height_path = os.path.join(out, "ustica_height.tif")
    gdal.Grid(height_path, points, format="GTiff", outputType=gdal.GDT_Float32, zfield="height_ortho",
              algorithm=f"invdistnn:power=2.0:radius={radius_m}:max_points=16:min_points=3:nodata=-9999",
              outputBounds=(x0, y1, x0 + nx * cell_m, y1 - ny * cell_m), width=nx, height=ny)
    ds = gdal.Open(height_path)
    height = ds.GetRasterBand(1).ReadAsArray().astype(float)
    gt, wkt = ds.GetGeoTransform(), ds.GetProjection()
    ds = None
    height[height == -9999] = np.nan
    gy, gx = np.gradient(height, cell_m)
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    paths = []
    for name, arr in (("ustica_slope.tif", slope), ("ustica_height.tif", height)):
        path = os.path.join(out, name)
        dst = gdal.GetDriverByName("GTiff").Create(path, nx, ny, 1, gdal.GDT_Float32)
        dst.SetGeoTransform(gt)
        dst.SetProjection(wkt)
        band = dst.GetRasterBand(1)
        band.SetNoDataValue(float("nan"))
        band.WriteArray(arr.astype(np.float32))
        dst = None
        paths.append(path)
    return paths
def line_gpkg(path: str, wkt: str, epsg: int, name: str = "profile") -> str:
    """A GeoPackage of one line (``wkt``, x then y, in EPSG ``epsg``) at ``path`` (replaced if it exists)."""
    from osgeo import ogr, osr

    if os.path.exists(path):
        os.remove(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer(name, srs, ogr.wkbLineString)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    layer.CreateFeature(feature)
    ds = None
    return path


def mexico_profile_line(path: str) -> str:
    """A west-east line across the Mexico City crop at latitude 19.41 (EPSG:4326), from the stable western strip
    into the subsidence bowl: the profile of the demo's swath step."""
    return line_gpkg(path, "LINESTRING(-99.185 19.41,-99.06 19.41)", 4326)


def first_pair(folder: str, *suffixes: str) -> list[str]:
    """The first interferogram of ``folder``: one path per suffix (e.g. .unw.tif and .conncomp.tif)."""
    found = sorted(glob.glob(os.path.join(folder, "*" + suffixes[0])))
    if not found:
        return []
    stem = found[0][: -len(suffixes[0])]
    return [stem + s for s in suffixes if os.path.exists(stem + s)]


def analysis_cells(path: str, ncols: int = 3, nrows: int = 2) -> None:
    """Write ncols x nrows rectangles over the Mexico City stack's footprint (layer
    'analysis_cells_not_landslides'). A stand-in for an inventory in the demo only."""
    from osgeo import gdal, ogr, osr

    gdal.UseExceptions()  # explicit, as the plugin does (GDAL >= 3.9 warns when neither mode is chosen)
    ogr.UseExceptions()
    osr.UseExceptions()
    ds = gdal.Open(sorted(glob.glob(os.path.join(DATA, "sentinel1_mexico_city", "geotiffs", "*_unw.tif")))[0])
    gt, nx, ny = ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize
    x0, y1 = gt[0], gt[3]
    dx, dy = nx * gt[1] / ncols, ny * gt[5] / nrows
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    if os.path.exists(path):
        os.remove(path)
    dst = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = dst.CreateLayer("analysis_cells_not_landslides", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for r in range(nrows):
        for c in range(ncols):
            a, b = x0 + c * dx, x0 + (c + 1) * dx
            top, bottom = y1 + r * dy, y1 + (r + 1) * dy
            f = ogr.Feature(layer.GetLayerDefn())
            f["name"] = f"analysis cell row {r + 1} column {c + 1} (not a landslide)"
            f.SetGeometry(ogr.CreateGeometryFromWkt(
                f"POLYGON(({a} {bottom},{b} {bottom},{b} {top},{a} {top},{a} {bottom}))"))
            layer.CreateFeature(f)
    dst = None


#: ``(algorithm id, stderr)`` of every qgis_process run of this process (the tests read what a run logs)
STDERR: list = []


def qgis_process(alg: str, params: dict) -> dict:
    args = ["qgis_process.bin", "--json", "run", alg, "--"]
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        args += [f"{key}={v}" for v in values]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    STDERR.append((alg, proc.stderr))
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"demo step {alg} failed")
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    for line in (data.get("log") or {}).get("info", []):  # kernels not compiled yet: which path, why, any wait
        if "Chosen: " in line:
            print("  " + line[line.index("Chosen: "):].split(" `")[0], flush=True)
        elif "s of waiting" in line or "Not waiting any longer" in line or "beside the process compiling" in line:
            print("  " + line, flush=True)
    return data["results"]


def _titles(layers) -> dict:
    """``{(algorithm, output): name}``: each output's description in the plugin (quantity and unit) for the layers
    loaded as ``(group, (algorithm, output), path)``."""
    from qgis.core import QgsApplication

    plugins = os.path.join(ROOT, ".build", "plugins")
    if plugins not in sys.path:
        sys.path.insert(0, plugins)
    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    out = {}
    for _, title, _ in layers:
        if isinstance(title, tuple):
            alg = QgsApplication.processingRegistry().algorithmById(title[0])
            d = alg.parameterDefinition(title[1]) if alg is not None else None
            out[title] = d.description() if d is not None else title[1]
    plugin.unload()
    return out


def write_project(out: str, layers: list[tuple], main_group: str) -> str:
    """demo.qgz: one layer-tree group per step (layers keep the styles the tools wrote next to them, each named by
    its output: quantity (unit) and the dates it spans); the main job's group first, the only one switched on and
    expanded, the others closed; in each group the points and polygons lie above the rasters, the step's first
    output checked and the other rasters unchecked (opaque rasters never hide the points). The project opens on
    the main job's extent."""
    sys.path.append("/usr/share/qgis/python/plugins")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (
        QgsApplication,
        QgsDatumTransform,
        QgsProject,
        QgsRasterLayer,
        QgsReferencedRectangle,
        QgsVectorLayer,
    )

    app = QgsApplication([], False)
    app.initQgis()
    titles = _titles(layers)
    from insar_geohazards.fileio.display.arrange import date_span, layer_title
    from insar_geohazards.fileio.display.temporal import make_temporal

    project = QgsProject.instance()
    root = project.layerTreeRoot()
    focus = None
    first = {}
    for group_name, title, path in layers:
        group = root.findGroup(group_name) or root.addGroup(group_name)
        lower = path.lower()
        name = layer_title(titles.get(title, title) if isinstance(title, tuple) else title, path,
                           date_span([path]))
        if lower.endswith((".tif", ".tiff", ".vrt")):
            layer = QgsRasterLayer(path, name, "gdal")
        else:
            layer = QgsVectorLayer(path, name, "ogr")
        if not layer.isValid():
            continue
        qml = os.path.splitext(path)[0] + ".qml"
        if os.path.exists(qml):
            layer.loadNamedStyle(qml)
        make_temporal(layer)  # a series as this QGIS animates it (the project keeps what this QGIS knows)
        project.addMapLayer(layer, False)
        is_raster = isinstance(layer, QgsRasterLayer)
        rasters = [c for c in group.findLayers() if isinstance(c.layer(), QgsRasterLayer)]
        # vectors above the rasters, in the step's order; rasters in the step's order below them
        index = len(group.children()) if is_raster else len(group.children()) - len(rasters)
        node = group.insertLayer(index, layer)
        first.setdefault(group_name, layer)
        node.setItemVisibilityChecked(not is_raster or first[group_name] is layer)
        node.setExpanded(False)
        if group_name == main_group and focus is None:
            focus = layer
    main = root.findGroup(main_group)
    if main is not None and root.children().index(main) != 0:
        # the main job first: QGIS makes the first layer of the tree current when it opens the project (and
        # opens its group), and a new result lands beside the current layer on QGIS without run groups
        root.insertChildNode(0, main.clone())
        root.removeChildNode(main)
    for group in root.children():
        group.setItemVisibilityChecked(group.name() == main_group)
        group.setExpanded(group.name() == main_group)
    if focus is not None:
        project.setCrs(focus.crs())
        project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(focus.extent(), focus.crs()))
        # choose the datum transformations up front, so opening the project asks nothing
        context = project.transformContext()
        for src in {layer.crs().authid(): layer.crs() for layer in project.mapLayers().values()}.values():
            ops = [op for op in QgsDatumTransform.operations(src, focus.crs()) if op.isAvailable]
            if src != focus.crs() and ops:
                context.addCoordinateOperation(src, focus.crs(), ops[0].proj)
        project.setTransformContext(context)
    path = os.path.join(out, "demo.qgz")
    project.write(path)
    app.exitQgis()
    return path


def run_step(step: dict) -> list[tuple[str, str, str]]:
    """Run one demo step through qgis_process (its ``prepare`` first, its ``check`` after); returns the
    layers to load as (group, title, path)."""
    t0 = time.time()
    print(f"* {step['title']}\n  {step['alg']}", flush=True)
    if "prepare" in step:
        step["prepare"]()
    params = {k: v() if callable(v) else v for k, v in step["params"].items()}
    results = qgis_process(step["alg"], params)
    loaded = []
    for key in step["load"]:
        value = results.get(key)
        if value and os.path.exists(str(value)):
            loaded.append((step["group"], (step["alg"], key), str(value)))
            print(f"  -> {value}")
    for value in step.get("extra", list)():
        loaded.append((step["group"], os.path.basename(value).split(".tif")[0], value))
        print(f"  -> {value}")
    if "check" in step:
        step["check"]()
    print(f"  done in {time.time() - t0:.1f} s", flush=True)
    return loaded


def main() -> None:
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "demo_output"))
    os.makedirs(out, exist_ok=True)
    loaded = []
    for step in steps(out):
        loaded += run_step(step)
    project = write_project(out, loaded, main_group="Mexico City: SBAS time series (main job)")
    print(f"\nDemo outputs are in {out}\nOpen {project} in QGIS to see them styled.")


if __name__ == "__main__":
    main()

"""Run every ADA tool through qgis_process on the bundled real data and draw the maps
used in docs/ada.md.

Run: `make link` then /usr/bin/python3 docs/make_ada_figures.py [OUT_DIR]
Ustica (EGMS L2b asc + desc): loadegms -> adadetection -> adaclassification; landslide
activity of the descending ADAs judged with the ascending points (a cross-track check;
ascending ADAs outside every descending ADA are the candidates); fault proximity against
an illustrative NW-SE line (no public fault inventory ships with the test data).
Boissano (RADARSAT-1 PS shapefile, EPSG:3003): adadetection -> adaclassification ->
landslideactivity (the ADAs as inventory, a self-consistency check) -> faultproximity.
"""

import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "tests", "data")


def run(alg, plugins=None, **params):
    """``qgis_process --json run geohazard:ALG`` with the plugin folder ``plugins`` (default: this checkout's)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QGIS_PLUGINPATH": plugins or os.path.join(ROOT, ".build", "plugins")}
    args = ["qgis_process.bin", "--json", "run", f"geohazard:{alg}", "--"] + [f"{k}={v}" for k, v in params.items()]
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"{alg} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return json.loads(p.stdout[p.stdout.index("{"):])


def line_layer(path, wkt, epsg):
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("line", srs, ogr.wkbLineString)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    lyr.CreateFeature(f)
    ds = None
    return path


def features(path, fields):
    from osgeo import ogr

    ds = ogr.Open(path)
    out = []
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        out.append((g.Clone() if g is not None else None, {k: f.GetField(k) for k in fields}))
    return out


def summary(title, path, fields):
    feats = features(path, fields)
    print(f"-- {title}: {len(feats)} features")
    for _, a in feats[:12]:
        print("   ", {k: (round(v, 2) if isinstance(v, float) else v) for k, v in a.items()})
    return feats


def draw(png, points, adas, title, *, field="mean_velocity"):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch
    from osgeo import ogr

    ds = ogr.Open(points)
    lyr = ds.GetLayer(0)
    xy, v = [], []
    for f in lyr:
        g = f.GetGeometryRef()
        xy.append((g.GetX(), g.GetY()))
        v.append(f.GetField(field))
    xy = np.array(xy)
    v = np.array(v, float)
    colours = {"landslide": "#d95f02", "subsidence": "#7570b3", "uplift": "#1b9e77", "sinkhole_collapse": "#e7298a",
               "settlement": "#66a61e", "thermal_dilation": "#e6ab02", "unclassified": "#444444",
               "distorted": "#999999"}
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=110)
    sc = ax.scatter(xy[:, 0], xy[:, 1], c=v, s=2, cmap="RdBu", vmin=-6, vmax=6, linewidths=0)
    plt.colorbar(sc, ax=ax, shrink=0.7, label="LOS velocity (mm/yr, + toward the satellite)")
    seen = set()
    for g, a in features(adas, ["ada_class", "ada_id"]):
        c = colours.get(a["ada_class"], "k")
        seen.add(a["ada_class"])
        for i in range(g.GetGeometryCount()):
            ring = np.array(g.GetGeometryRef(i).GetGeometryRef(0).GetPoints())
            ax.plot(ring[:, 0], ring[:, 1], color=c, lw=1.4)
    ax.legend(handles=[Patch(edgecolor=colours[k], facecolor="none", label=k) for k in sorted(seen)],
              loc="lower left", fontsize=8, title="ADA class", title_fontsize=8)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def main(out):
    os.makedirs(out, exist_ok=True)
    img = os.path.join(ROOT, "docs", "img")
    os.makedirs(img, exist_ok=True)
    # ---------------- Ustica, EGMS
    zips = {"asc": "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "desc": "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"}
    res = {}
    for k, z in zips.items():
        pts = run("loadegms", INPUT=os.path.join(DATA, "egms_ustica", z), OUTPUT=os.path.join(out, f"ustica_{k}.gpkg"))
        det = run("adadetection", INPUT=pts["results"]["OUTPUT"], OUTPUT=os.path.join(out, f"ustica_{k}_ada.gpkg"),
                  OUTPUT_POINTS=os.path.join(out, f"ustica_{k}_flags.gpkg"))
        cls = run("adaclassification", INPUT=det["results"]["OUTPUT"], OUTPUT=os.path.join(out, f"ustica_{k}_cls.gpkg"))
        res[k] = (pts["results"]["OUTPUT"], det["results"]["OUTPUT"], cls["results"]["OUTPUT"])
        summary(f"Ustica {k} ADAs", cls["results"]["OUTPUT"],
                ["ada_id", "n_points", "area_m2", "mean_vel", "max_vel", "slope_pts_deg", "sc", "tc", "qi_class",
                 "ada_class"])
        draw(os.path.join(img, f"ada_ustica_{k}.png"), res[k][0], res[k][2],
             f"EGMS L2b Ustica {k}ending 2020-2024: points and ADAs by class")
    act = run("landslideactivity", INVENTORY=res["desc"][1], POINTS=res["asc"][0], ADAS=res["asc"][1],
              OUTPUT=os.path.join(out, "ustica_desc_ada_activity_asc.gpkg"),
              OUTPUT_CANDIDATES=os.path.join(out, "ustica_asc_candidates.gpkg"))
    summary("Ustica: descending ADAs judged with ascending points", act["results"]["OUTPUT"],
            ["ada_id", "n_points", "min_points", "mean_vlos", "share_moving", "state"])
    print("   candidates (asc ADAs outside every desc ADA):",
          len(features(act["results"]["OUTPUT_CANDIDATES"], ["ada_id"])))
    fl = line_layer(os.path.join(out, "ustica_line.gpkg"), "LINESTRING(4597000 1743000, 4601000 1739800)", 3035)
    fp = run("faultproximity", INPUT=res["desc"][2], FAULTS=fl, BANDS="250,500,1000,2000",
             OUTPUT=os.path.join(out, "ustica_fault.gpkg"), OUTPUT_CHART=os.path.join(img, "ada_ustica_faults.png"))
    print("-- Ustica fault proximity (illustrative line):", fp["results"]["SHARE_BY_BAND"])
    # ---------------- Boissano, RADARSAT-1
    shp = os.path.join(DATA, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    det = run("adadetection", INPUT=shp, OUTPUT=os.path.join(out, "boissano_ada.gpkg"),
              OUTPUT_POINTS=os.path.join(out, "boissano_flags.gpkg"))
    cls = run("adaclassification", INPUT=det["results"]["OUTPUT"], OUTPUT=os.path.join(out, "boissano_cls.gpkg"))
    summary("Boissano ADAs", cls["results"]["OUTPUT"],
            ["ada_id", "n_points", "area_m2", "mean_vel", "max_vel", "slope_pts_deg", "sc", "tc", "qi_class",
             "ada_class"])
    act = run("landslideactivity", INVENTORY=cls["results"]["OUTPUT"], POINTS=shp,
              OUTPUT=os.path.join(out, "boissano_activity.gpkg"))
    summary("Boissano ADAs as inventory (self-check)", act["results"]["OUTPUT"],
            ["ada_id", "n_points", "min_points", "mean_vlos", "share_moving", "state"])
    fl = line_layer(os.path.join(out, "boissano_line.gpkg"), "LINESTRING(1437000 4888200, 1439800 4886500)", 3003)
    fp = run("faultproximity", INPUT=cls["results"]["OUTPUT"], FAULTS=fl, BANDS="250,500,1000,2000",
             OUTPUT=os.path.join(out, "boissano_fault.gpkg"), OUTPUT_CHART=os.path.join(out, "boissano_faults.png"))
    print("-- Boissano fault proximity (illustrative line):", fp["results"]["SHARE_BY_BAND"])
    draw(os.path.join(img, "ada_boissano.png"), shp, cls["results"]["OUTPUT"],
         "RADARSAT-1 PS Boissano (asc, 2003-2010): points and ADAs by class", field="VEL")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "ada-real"))

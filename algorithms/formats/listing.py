"""What a user gave a stack parameter (folders, zips, files, or the list QGIS's "Add Directory..." makes of a
whole tree), listed as :class:`~.stack_spec.Entry` items: folders walked, zips listed in place with :mod:`zipfile`
(their files named as GDAL virtual paths ``/vsizip/<zip>/<member>``; nothing is extracted). The producers'
recognisers and stack readers (:mod:`.producers`) work on these entries. Pure Python (no GDAL).
"""

from __future__ import annotations

import os
import zipfile
from typing import Optional

from ..errors import GeohazardError
from .stack_spec import Entry

#: Extensions of the files QGIS's dialogs list as rasters; a zip is opened as a product archive.
ZIP_EXT = (".zip",)


# ------------------------------------------------------------------ listing what was given
def zip_entries(path: str, rel: str = "") -> list:
    """The files of a zip as :class:`Entry` items (GDAL paths ``/vsizip/<abs zip>/<member>``).

    Raises
    ------
    GeohazardError
        Naming the zip when it is not a complete archive (a download cut short has no central directory).
    """
    apath = os.path.abspath(path)
    try:
        with zipfile.ZipFile(apath) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        size = os.path.getsize(apath) if os.path.exists(apath) else 0
        raise GeohazardError(
            f"{rel or os.path.basename(path)} is not a complete zip archive ({size:,} bytes; {exc}): a download cut "
            "short ends before the archive's table of contents. Download it again (its size is listed where it "
            "was ordered) or leave it out") from None
    base = rel or os.path.basename(path)
    return [Entry(f"/vsizip/{apath}/{i.filename}", f"{base}/{i.filename}", zip=apath, member=i.filename)
            for i in sorted(infos, key=lambda i: i.filename)]


def walk_folder(folder: str, broken: Optional[list] = None) -> list:
    """Every file under ``folder`` (sorted, links to folders not followed) and the files of the zips among them.

    A zip found in the folder that is not complete is left out and named in ``broken`` (when given; else refused):
    one failed download among hundreds does not stop the stack, the log says which."""
    out = []
    root = os.path.abspath(folder)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, os.path.dirname(root))
            if f.lower().endswith(ZIP_EXT):
                try:
                    out += zip_entries(path, rel)
                except GeohazardError as exc:
                    if broken is None:
                        raise
                    broken.append(str(exc))
            else:
                out.append(Entry(path, rel))
    return out


def item_entries(items, broken: Optional[list] = None) -> tuple[list, list]:
    """``(entries, roots)``: the files of the items given (folders walked, zips listed, files as they are) and the
    folders they came from (a file's own folder), in the order given. Incomplete zips inside a folder go to
    ``broken`` (:func:`walk_folder`); a zip given itself is refused."""
    entries, roots = [], []
    for item in items:
        text = str(item)
        if os.path.isdir(text):
            entries += walk_folder(text, broken)
            roots.append(os.path.abspath(text))
        elif os.path.isfile(text) and text.lower().endswith(ZIP_EXT):
            entries += zip_entries(text)
            roots.append(os.path.dirname(os.path.abspath(text)))
        elif os.path.isfile(text):
            entries.append(Entry(os.path.abspath(text), os.path.basename(text)))
            roots.append(os.path.dirname(os.path.abspath(text)))
    return entries, roots

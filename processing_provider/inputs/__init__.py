"""Parameters into plain values: the only layer that reads a tool's ``parameters``, ``context`` and ``feedback``.

``ids``       one parameter ID per quantity (public API: models and scripts use them)
``aliases``   former IDs kept working as hidden aliases
``declare``   shared parameter declarations (stack inputs, LOS geometries, wavelength, km lengths)
``knobs``     run-wide knobs (memory, Dask scheduler, threads), declared once for every engine tool
``stacks``    interferogram and SLC stack parameters -> file lists -> opened stacks
``layers``    layer and output parameters -> paths, point tables, fields, masks, stations
``wavelength`` the wavelength parameter's value and its one rule
``values``    scalar parameters -> plain values, each read as its declaration says
``geometry``  the ascending + descending pair of a decomposition
``kinematics`` offset-tracking image pairs and offset pair stacks
``guard``     the checks every run passes before computing (outputs, inputs, ranges, overlaps)
``feedback``  QgsProcessingFeedback -> the core's progress protocol

It imports ``fileio`` (files <-> arrays), never a tool; ``fileio`` never imports it.
"""

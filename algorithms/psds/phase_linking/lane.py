"""One lane of the batch's iteration: the steps of :mod:`.batch` on the lane ``q`` of its arrays alone.

A lane still iterating when most of its batch has converged takes its last steps here, in place in the batch's arrays,
with the operations it would have received in the batch: the same bits. Nothing is written here: each kernel is the
batch's function from its one source, on one lane (:func:`.lane_passes.one_lane`, at the kernel's first use): its lane
loops on lane ``q`` (its last argument), a lane value one scalar, a loop over the lanes a loop over ``q`` alone, named
``..._q`` for the batch's ``..._b``.
"""

from __future__ import annotations

import functools

import numpy as np  # noqa: F401 - the one-lane functions made here call it

from ..._numba import njit_slp
from ...lane_passes import one_lane
from . import batch

#: The batch functions a lane's steps need, and the names of their one-lane forms here.
_ONE_LANE = {name: name[:-2] + "_q" for name in ("_chol_solve_b", "_matvec_b", "_normalise_b", "_step_converged_b",
                                                 "_steps_b")}


def _on_one_lane(kernel):
    """The kernel of ``kernel``'s source on one lane, a kernel of this module."""
    name = _ONE_LANE[kernel.__name__]
    build = functools.partial(one_lane, name=name, renames=_ONE_LANE, namespace=globals())
    made = njit_slp(error_model="numpy", build=build)(kernel.__wrapped__)
    made.__name__ = made.__qualname__ = name
    made.__module__ = __name__
    return made


_chol_solve_q = _on_one_lane(batch._chol_solve_b)
_matvec_q = _on_one_lane(batch._matvec_b)
_normalise_q = _on_one_lane(batch._normalise_b)
_step_converged_q = _on_one_lane(batch._step_converged_b)
_steps_q = _on_one_lane(batch._steps_b)

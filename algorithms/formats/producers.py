"""The producers this plugin reads, in the order they are tried: one list that every reader path iterates
(detection of a stack's producer, its stack reader, the HDF5 layer readers, the netCDF products a listing of
rasters keeps for the stack reader).

Each producer module declares its ``PRODUCER`` (:class:`~.producer_spec.Producer`: name, recognisers, readers);
:mod:`.product_walks` declares the four stacks it walks. An entry of a stack goes to the first producer that claims
it, so the order settles a file two could claim; an HDF5 file goes to the first whose ``claims_h5`` holds, MintPy
last (every HDF5 file no other producer claims, its reader naming what MintPy's layout lacks).

Add a producer: write its module (recogniser, reader, ``PRODUCER``) and put it in :data:`PRODUCERS`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Optional

from ..errors import GeohazardError
from . import gunw, hyp3_walk, licsar, licsbas, mintpy, nisar, opera, product_walks, roipac
from .producer_spec import RESERVED, Listing, Producer

#: Every producer, in the order they are tried.
PRODUCERS: tuple = (licsar.PRODUCER, licsbas.PRODUCER, hyp3_walk.PRODUCER, gunw.PRODUCER, nisar.PRODUCER,
                    opera.PRODUCER, *product_walks.PRODUCERS, roipac.PRODUCER, mintpy.PRODUCER)

#: The producers of interferogram stacks (``read_stack_items``), in order.
STACK_PRODUCERS: tuple = tuple(p for p in PRODUCERS if p.reads_stacks)
#: The producers of dated HDF5 layers (``h5_layers.open_layer``), in order.
H5_PRODUCERS: tuple = tuple(p for p in PRODUCERS if p.reads_h5_layers)


def by_name(name: str) -> Optional[Producer]:
    """The producer named ``name``, None for a name no producer has."""
    return next((p for p in PRODUCERS if p.name == name), None)


def names() -> list:
    """The producers' names, in order."""
    return [p.name for p in PRODUCERS]


def claimant(entry, listing: Listing) -> Optional[Producer]:
    """The first stack producer that claims ``entry`` (None: no producer, or one that reserves its name)."""
    for p in STACK_PRODUCERS:
        claim = p.claims(entry, listing)
        if claim:
            return p
        if claim is RESERVED:  # the producer's name, not one of its stack files
            return None
    return None


def stack_producer(entries: list) -> Optional[Producer]:
    """The producer whose stack files the entries hold, None for plain rasters.

    Raises
    ------
    GeohazardError
        When the entries mix two producers' products (both named), or a recogniser refuses a file.
    """
    listing = Listing(entries)
    found: OrderedDict = OrderedDict()
    for e in entries:
        p = claimant(e, listing)
        if p is not None:
            found.setdefault(p.name, (p, e.rel))
    if not found:
        hit = next(((p, e) for e in entries for p in STACK_PRODUCERS if p.claims_alone and p.claims_alone(e)), None)
        if hit is not None:
            found[hit[0].name] = (hit[0], hit[1].rel)
    if len(found) > 1:
        (a, (_, fa)), (b, (_, fb)) = list(found.items())[:2]
        raise GeohazardError(f"the inputs mix products of two producers: {a} ({fa}) and {b} ({fb}); one stack comes "
                             "from one producer and one frame: give them apart")
    return next(iter(found.values()), (None, None))[0]


def read_stack(producer: Producer, entries: list, roots: list, wrapped: bool):
    """The producer's :class:`~.stack_spec.StackSpec` of the entries (``wrapped`` refused where it holds none)."""
    if wrapped and producer.wrapped_refusal:
        raise GeohazardError(producer.wrapped_refusal.format(name=producer.name))
    return producer.read_stack(entries, roots, wrapped)


def h5_producer(f, basename: str, attrs: dict) -> Producer:
    """The producer whose result the open HDF5 file ``f`` is (MintPy when no other claims it)."""
    return next(p for p in H5_PRODUCERS if p.claims_h5(f, basename, attrs))


def container_producer(basename: str) -> Optional[Producer]:
    """The producer of a netCDF file that holds a whole product (read by the stack reader, not as a raster), or
    None."""
    return next((p for p in PRODUCERS if p.container_name and p.container_name(basename)), None)

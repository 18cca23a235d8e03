"""inputs/ids.py: one ID per quantity, public API spelled UPPER_SNAKE, each ID once."""

import re

from insar_geohazards.processing_provider.inputs import ids


def test_ids_are_upper_snake_strings_named_after_themselves_or_their_quantity():
    consts = {k: v for k, v in vars(ids).items() if k.isupper()}
    assert len(consts) >= 40
    for name, value in consts.items():
        assert isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", value), (name, value)
    assert consts["WAVELENGTH"] == "WAVELENGTH_M"
    assert all(v == k for k, v in consts.items() if k != "WAVELENGTH"), \
        "a constant spells its own ID, except the wavelength's (the ID carries its unit)"


def test_each_id_names_one_quantity():
    values = [v for k, v in vars(ids).items() if k.isupper()]
    assert len(values) == len(set(values))

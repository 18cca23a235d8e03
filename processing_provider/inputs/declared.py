"""What a tool's declaration adds to its parameters: the decimals a number shows."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterNumber


def _decimals(value) -> int:
    text = f"{abs(float(value)):.9f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def set_decimals(definition) -> None:
    """Decimals shown by a Double parameter's spin box: enough for its default and bounds
    (at least 2, 3 for fractions in 0..1, at most 9) instead of QGIS's fixed "0.000000"."""
    if definition.type() != "number" or definition.dataType() != QgsProcessingParameterNumber.Type.Double:
        return
    values = [v for v in (definition.defaultValue(), definition.minimum(), definition.maximum())
              if isinstance(v, (int, float)) and abs(v) < 1e15]
    wanted = max([_decimals(v) for v in values] + [2])
    if definition.maximum() <= 1.0:
        wanted = max(wanted, 3)
    meta = definition.metadata()
    wrapper = dict(meta.get("widget_wrapper", {}) or {})
    wrapper.setdefault("decimals", min(wanted, 9))
    meta["widget_wrapper"] = wrapper
    definition.setMetadata(meta)

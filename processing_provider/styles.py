"""Former place of :mod:`.io.styles` (the output stylers), kept so that imports of
``processing_provider.styles`` (other branches, user scripts) keep working: this module *is*
``io.styles`` (one code place, two names)."""

import sys

from .io import styles as _styles

sys.modules[__name__] = _styles

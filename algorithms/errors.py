"""Domain errors raised by the core.

Every error a user can cause by their data or parameters is a :class:`GeohazardError`
(a ``ValueError``) whose message names the argument and the value received, e.g.
``"interferogram 20200113_20200125 has shape (512, 510), expected (512, 512)"``.
The Processing layer turns it into a ``QgsProcessingException`` unchanged.
"""


class GeohazardError(ValueError):
    """A problem with the user's input or parameters, explained in the message."""


class NetworkError(GeohazardError):
    """An interferogram network that cannot be used as given (e.g. no pairs left)."""


class OperationCanceled(Exception):
    """Raised by :func:`algorithms.progress.check_canceled` when the user cancels.

    Not a ``GeohazardError``: cancelling is not a data problem and must never be
    reported as one.
    """

"""The error type every methodkit package raises for bad user input."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a wrong parameter, file, shape or value.

    Raised before any work is done. The CLI wrapper (:func:`core_utils.cli_main`)
    turns it into one readable line on stderr and exit code 2, without a
    traceback. The message should name the offending parameter and value.
    """

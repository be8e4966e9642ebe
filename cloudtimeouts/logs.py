"""The cloud SDKs' own logs: kept out of the output unless `--verbose`.

azure-identity, google-auth, botocore and urllib3 log through `logging`; with no handler
configured, Python prints their warnings on stderr (its "last resort" handler): the multi-line
"DefaultAzureCredential failed to retrieve a token" dump, google-auth's metadata-server retries.
The adapters already turn each failure into one error line naming the target and the cause, so
the command line gives the root logger a handler of its own: a NullHandler by default, and with
`--verbose` a stderr handler for INFO and above from every library. Python warnings (e.g.
google-auth's about end-user credentials) follow the same way. DEBUG stays off even then: at that
level botocore logs request headers, security tokens included.
"""

from __future__ import annotations

import logging
import sys

from cloudtimeouts.printable import printable_lines

VERBOSE_LEVEL = logging.INFO
FORMAT = "%(levelname)s %(name)s: %(message)s"

_installed: logging.Handler | None = None
_root_level: int | None = None


def configure(verbose: bool) -> None:
    """Route library logs to nowhere, or (verbose) to stderr; again replaces the earlier choice."""
    global _installed, _root_level
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    if _root_level is None:
        _root_level = root.level
    handler: logging.Handler
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_PrintableFormatter(FORMAT))
        handler.setLevel(VERBOSE_LEVEL)
        root.setLevel(VERBOSE_LEVEL)
    else:
        handler = logging.NullHandler()
        root.setLevel(_root_level)
    root.addHandler(handler)
    _installed = handler
    logging.captureWarnings(True)


class _PrintableFormatter(logging.Formatter):
    """A log line quotes what a cloud or a URL said: its controls are shown escaped
    (`printable`), keeping only the line breaks of a multi-line record such as a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return printable_lines(super().format(record))

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
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(VERBOSE_LEVEL)
        root.setLevel(VERBOSE_LEVEL)
    else:
        handler = logging.NullHandler()
        root.setLevel(_root_level)
    root.addHandler(handler)
    _installed = handler
    logging.captureWarnings(True)

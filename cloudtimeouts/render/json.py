"""A result as the JSON document docs/json.md describes: its `to_json()`, indented, on stdout.

Why one function for every result: the document is the result's own (`Plan.to_json`,
`ApplyResult.to_json`, `VerifyReport.to_json`, each beside the data it shows), so that the
library's callers and the CLI print the same thing; here it is only written out. stdout then
carries that one JSON object and nothing else (progress and diagnostics go to stderr).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudtimeouts.render import Output


def document(result: Any, output: Output) -> None:
    print(json.dumps(result.to_json(), indent=2), file=output.out.file)

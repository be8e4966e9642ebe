"""Outside text made safe for a terminal or a log line: controls become visible escapes.

Why: a profile's file name, a target's name, an `aws_profile`, a Terraform address or a value a
cloud API returns is text we did not write. Printed raw, an ESC or OSC sequence in it recolours
or retitles the terminal, rewrites what is already on screen, or plants a hyperlink; a newline
starts a line that looks like ours (a forged `Error:` or, in a CI log, a GitHub workflow command
such as `::set-output`); a bidi override (U+202E) shows text in another order than it runs
(the "Trojan Source" attack, CVE-2021-42574). So every outside value passes through `printable`
on its way to a person, and each such character is shown as the escape Python would write for
it (`\\x1b`, `\\n`, `\\u202e`): still there to see, no longer acting.

What is escaped: the C0 controls (U+0000-U+001F, tab and newline included: a log line is one
line), DEL (U+007F), the C1 controls (U+0080-U+009F: U+009B is a one-byte CSI in some terminals),
the Unicode line and paragraph separators (U+2028, U+2029, which some viewers break lines at) and
the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069;
Unicode Standard Annex #9, "Explicit Directional Formatting"). Every other character is kept,
letters of every script included. A backslash is kept too, so that a Windows path reads as
itself; a literal `\\x1b` in a value therefore looks like an escaped ESC, which is harmless.

JSON needs none of this: `json.dumps` already writes every control character as an escape.
Markdown and rich markup have their own escaping on top (`render.markdown.escape`,
`rich.markup.escape` or a `rich.text.Text`), which these escapes survive unchanged.
"""

from __future__ import annotations

import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """`str(value)` on one line, with every control, separator and bidi override escaped."""
    return _UNPRINTABLE.sub(_escape, str(value))


def printable_lines(value: object) -> str:
    """`printable` for text of several lines we wrote ourselves around outside values: each line
    is escaped and the line breaks (`\\n` only) are kept."""
    return "\n".join(printable(line) for line in str(value).split("\n"))

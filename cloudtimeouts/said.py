"""What the command line says of an error: its message with every outside value `printable`.

Why a module: an error's message is text the tool wrote around values it did not (a file's
name, a target's, what a cloud answered), with line breaks of its own between problems. A
ProfileError keeps its parts, so its lines are rebuilt here with the path and each problem
escaped: a file named "a\\n::error::x" stays on its line. Several profiles that fail at once are
told the same way, each from its own parts.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from cloudtimeouts.errors import CloudtimeoutsError, ProfileError
from cloudtimeouts.printable import printable


def line(text: object, style: str = "") -> Text:
    """Outside text for a console: `printable`, and a Text, so that no markup in it is parsed."""
    return Text(printable(text), style=style)


def say(console: Console, error: CloudtimeoutsError) -> None:
    """`Error: …` and `Hint: …`, each a Text: escaped, and read as no markup."""
    console.print(Text("Error: ", style="red") + Text(message(error)))
    if error.hint:
        console.print(Text("Hint: ", style="bold") + Text(printable(error.hint)))


def message(error: CloudtimeoutsError) -> str:
    """The message to show: a ProfileError rebuilt from its parts, one line per problem; one the
    tool wrote on several lines (`lines`) keeps them, each escaped; any other is one line, every
    control in it escaped (a --target, a --journal path or a journal's target name holding a
    line break stays on its line)."""
    if isinstance(error, ProfileError) and error.problems:
        path = printable(error.path)
        return "\n".join(
            f"{path}:{line}: {printable(text)}" if line else f"{path}: {printable(text)}"
            for line, text in error.problems
        )
    if error.lines is not None:
        return "\n".join(printable(line) for line in error.lines)
    return printable(error.message)

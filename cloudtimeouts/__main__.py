"""`python -m cloudtimeouts`: the same entry point as the console script.

Ctrl-C while the CLI is still being imported (typer, rich and Pydantic take a few hundred
milliseconds) is said in one line and exits 130, like a Ctrl-C during a command: the demo runs
each step this way, and a Ctrl-C sent to its process group can reach a step that is starting.
"""

import sys

try:
    from cloudtimeouts.cli import main
except KeyboardInterrupt:
    sys.stderr.write("Interrupted.\n")
    raise SystemExit(130) from None

main()

"""The `cloudtimeouts-validate` pre-commit hook's entry: `validate`, and a word when it got no file.

pre-commit runs a hook only on the files its `files:` pattern matches; when none does it prints
"(no files to check) Skipped", which reads like a pass. A repository whose profiles live where
the default pattern does not look would then never be checked, and nobody would notice (issue
20). So the hook is declared `always_run: true` and `verbose: true` (.pre-commit-hooks.yaml):
pre-commit runs it with no file at all when nothing matched, and this entry says so in a line
that names the fix, instead of `validate`'s usage error. It passes then: a commit that touches
no profile is not an error.
"""

from __future__ import annotations

import sys

NOTHING_MATCHED = (
    "cloudtimeouts: no profile matched, so none was checked. The hook looks under profiles/ and "
    "cloudtimeouts/ directories and at files named *.cloudtimeouts.yaml; if your profiles live "
    "elsewhere, set files: in your .pre-commit-config.yaml (README, 'CI and pre-commit')."
)


def main(argv: list[str] | None = None) -> None:
    """Validate the files pre-commit hands over; with none, say why and pass."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(NOTHING_MATCHED)
        raise SystemExit(0)
    from cloudtimeouts.cli import main as cli

    cli(["validate", *paths])


if __name__ == "__main__":
    main()

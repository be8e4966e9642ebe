"""`python -m cloudtimeouts`: the same entry point as the console script."""

from cloudtimeouts.cli import main

main()

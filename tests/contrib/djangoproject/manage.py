#!/usr/bin/env python
"""The proof project's manage.py (tests run `manage.py check --database default` through it)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proofsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

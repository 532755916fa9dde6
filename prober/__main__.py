"""`python -m prober`."""

from prober.cli import entry

entry()

"""Tricircle: one standard OpenStack API over many OpenStack clouds (pods)."""

__version__ = "0.1.0"

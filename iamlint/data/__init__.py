"""Pinned reference data shipped with iamlint (see README.md in this folder)."""

"""Distributed resources (DESIGN.md §10): defined once at the top, present in every
pod in service. Flavors and keypairs for now."""

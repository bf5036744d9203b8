"""The Tricircle lab: a real multi-region OpenStack on loopback (see docs/lab.md)."""

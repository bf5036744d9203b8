"""The volume surface /volume/v3 (Cinder v3): thin handlers over `tricircle.volumes`."""

"""Images follow workloads (DESIGN.md §10): one top image registry over the pods'
Glance services, replicas with the same id made on demand. docs/images.md."""

"""The generic pass-through: locate the pod of a resource, forward the call,
translate what must change (ids, AZ names, hrefs, Location), pass the pod's
answer back in its own dialect. Driven by `tricircle.resources` descriptors."""

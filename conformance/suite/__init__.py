"""conformance/run's implementation (standard library only; tempest runs in its own venv)."""

"""Lab-only extensions loaded by the lab's OpenStack services.

Installed into the lab's server venv by ``lab/lab up``; the gateway never imports them.

- ``mech.AgentlessMechanismDriver``: ML2 driver binding ports without L2 agents.
- ``virt.LabFakeDriver``: nova fake driver whose snapshots upload data to Glance.
- ``volume.FileVolumeDriver``: cinder driver keeping volumes as sparse files.
"""

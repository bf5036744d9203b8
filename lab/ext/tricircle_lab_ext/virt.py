"""A nova fake virt driver whose snapshots carry data.

``nova.virt.fake`` snapshots stop after setting the task state, so the snapshot image stays
``queued`` in Glance. Here ``snapshot()`` uploads a small raw payload the way real drivers do
(task states PENDING_UPLOAD -> UPLOADING, then ``image_api.update`` with data), so the image
becomes ``active`` and can be downloaded, copied between pods, or booted.
"""

import io
import os
import time

from nova import exception
from nova.compute import power_state, task_states, vm_states
from nova.image import glance
from nova.virt import fake

SNAPSHOT_PAYLOAD_SIZE = 64 * 1024
# vm_state of a server nova's database holds -> power state of the re-adopted fake guest
_ADOPT = {vm_states.ACTIVE: power_state.RUNNING, vm_states.STOPPED: power_state.SHUTDOWN,
          vm_states.PAUSED: power_state.PAUSED, vm_states.SUSPENDED: power_state.SUSPENDED}


def snapshot_payload(instance_uuid: str) -> bytes:
    """Return the bytes stored as a snapshot of the given instance (deterministic)."""
    head = f"tricircle-lab snapshot of {instance_uuid}\n".encode()
    return head + b"\0" * (SNAPSHOT_PAYLOAD_SIZE - len(head))


class LabFakeDriver(fake.FakeDriverWithoutFakeNodes):
    """Stable-node fake driver (survives restarts) with data-carrying snapshots."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

    def get_info(self, instance, use_cache=True):
        # The stock fake hypervisor forgets its guests when nova-compute restarts, and then
        # fails every action on servers that exist. Re-adopt settled servers nova asks about
        # (it does for each one at start-up); never those being built or deleted.
        state = _ADOPT.get(instance.vm_state)
        if (instance.uuid not in self.instances and state is not None
                and instance.task_state is None):
            self.instances[instance.uuid] = fake.FakeInstance(instance.name, state,
                                                              instance.uuid)
        return super().get_info(instance, use_cache)

    def get_host_uptime(self):
        """Return ``uptime``-style text (the stock fake driver raises NotImplementedError)."""
        with open("/proc/uptime") as fh:
            up = int(float(fh.read().split()[0]))
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        return (f" {time.strftime('%H:%M:%S')} up {up // 86400} days, "
                f"{up % 86400 // 3600}:{up % 3600 // 60:02d},  0 users,  load average: {load}")

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)
        metadata = {
            "disk_format": "raw",
            "container_format": "bare",
            "properties": {"image_location": "snapshot", "image_state": "available",
                           "owner_id": instance.project_id},
        }
        data = io.BytesIO(snapshot_payload(instance.uuid))
        self._image_api.update(context, image_id, metadata, data, purge_props=False)

"""A cinder volume driver whose volumes are sparse files under ``<state_path>/volumes``.

Connections are of the ``local`` type (``device_path`` = the file), which os-brick's
LocalConnector attaches by path. With it cinder's generic code paths run for real: copy image
to volume (qemu-img convert), upload to image, extend, snapshots, clones, and backup/restore
through cinder-backup. Nothing is exported; nova's fake driver "attaches" without I/O.
"""

import os

from cinder.volume import driver
from oslo_config import cfg
from oslo_log import log as logging

from tricircle_lab_ext.sparse import sparse_copy

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
GiB = 1024**3
CAPACITY_GB = 1000


class FileVolumeDriver(driver.VolumeDriver):
    """Volumes, snapshots and clones as sparse files; ``local`` connections."""

    VERSION = "1.0.0"
    CI_WIKI_NAME = "tricircle-lab"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backend_name = (self.configuration.safe_get("volume_backend_name")
                             or "lab-file")
        self._dir = os.path.join(CONF.state_path, "volumes")

    def do_setup(self, context):
        os.makedirs(self._dir, exist_ok=True)

    def check_for_setup_error(self):
        if not os.access(self._dir, os.W_OK):
            raise RuntimeError(f"volume directory {self._dir} is not writable")

    def _path(self, name: str) -> str:
        return os.path.join(self._dir, name)

    def local_path(self, volume):
        return self._path(volume.name)

    def create_volume(self, volume):
        with open(self.local_path(volume), "wb") as f:
            f.truncate(volume.size * GiB)

    def delete_volume(self, volume):
        self._remove(self.local_path(volume))

    def extend_volume(self, volume, new_size):
        with open(self.local_path(volume), "r+b") as f:
            f.truncate(new_size * GiB)

    def create_snapshot(self, snapshot):
        src = self.local_path(snapshot.volume)
        sparse_copy(src, self._path(snapshot.name), snapshot.volume_size * GiB)

    def delete_snapshot(self, snapshot):
        self._remove(self._path(snapshot.name))

    def create_volume_from_snapshot(self, volume, snapshot):
        sparse_copy(self._path(snapshot.name), self.local_path(volume), volume.size * GiB)

    def create_cloned_volume(self, volume, src_vref):
        sparse_copy(self.local_path(src_vref), self.local_path(volume), volume.size * GiB)

    def revert_to_snapshot(self, context, volume, snapshot):
        sparse_copy(self._path(snapshot.name), self.local_path(volume), volume.size * GiB)

    def ensure_export(self, context, volume):
        pass

    def create_export(self, context, volume, connector):
        pass

    def remove_export(self, context, volume):
        pass

    def initialize_connection(self, volume, connector, **kwargs):
        return {"driver_volume_type": "local",
                "data": {"device_path": self.local_path(volume)}}

    def terminate_connection(self, volume, connector, **kwargs):
        pass

    def get_volume_stats(self, refresh=False):
        if refresh or not self._stats:
            self._update_volume_stats()
        return self._stats

    def _update_volume_stats(self):
        used = sum(os.path.getsize(os.path.join(self._dir, n)) for n in os.listdir(self._dir)
                   if n.startswith("volume-"))
        used_gb = used // GiB
        self._stats = {
            "volume_backend_name": self.backend_name,
            "vendor_name": "Tricircle lab",
            "driver_version": self.VERSION,
            "storage_protocol": "local",
            "total_capacity_gb": CAPACITY_GB,
            "free_capacity_gb": CAPACITY_GB - used_gb,
            "provisioned_capacity_gb": used_gb,
            "reserved_percentage": 0,
            "thin_provisioning_support": True,
            "multiattach": False,
        }

    @staticmethod
    def _remove(path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            LOG.info("%s already gone", path)

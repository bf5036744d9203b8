"""What the compute surface checks before attaching a volume: both in one pod.

A pod's Nova can only attach its own Cinder's volumes. A volume of another pod
would get Nova's "Volume could not be found"; the gateway answers instead with
a 409 that says where each one is (moving volumes between pods comes later).
"""

from __future__ import annotations

import json
from typing import Any

from tricircle import faults
from tricircle.context import RequestContext
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Locator, NotFoundInGateway
from tricircle.resources import VOLUME


class VolumeInAnotherPod(faults.Conflict):
    """Nova's conflictingRequest, saying which pod holds what."""

    code = "tricircle.volume_in_another_pod"
    message = ("Volume %(volume)s is in availability zone %(volume_az)s (pod %(volume_pod)s) "
               "and server %(server)s in availability zone %(server_az)s (pod %(server_pod)s): "
               "a volume can only be attached to a server in the same pod. Moving volumes "
               "between pods is not supported yet.")


def requested_volume(body: bytes) -> str | None:
    """The ``volumeAttachment.volumeId`` of an attach (or swap) body, if well formed."""
    try:
        doc: Any = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None  # Nova words the 400
    member = doc.get("volumeAttachment") if isinstance(doc, dict) else None
    volume = member.get("volumeId") if isinstance(member, dict) else None
    return volume if isinstance(volume, str) and volume else None


async def check_same_pod(locator: Locator, ctx: RequestContext, server_id: str,
                         server_pod: PodInfo, body: bytes) -> None:
    """Raises VolumeInAnotherPod when the volume named in `body` is a top volume of
    another pod; anything else (no volume, unknown id) is the pod's to answer."""
    volume = requested_volume(body)
    if volume is None:
        return
    try:
        located = await locator.find(VOLUME, volume, ctx)
    except NotFoundInGateway:
        return
    if located.pod.id != server_pod.id:
        raise VolumeInAnotherPod(volume=volume, volume_az=located.pod.az_name,
                                 volume_pod=located.pod.region_name, server=server_id,
                                 server_az=server_pod.az_name,
                                 server_pod=server_pod.region_name)

"""Network resources (Neutron v2.0), served by central Neutron.

Top id = central Neutron's id; each pod holding a copy has a routing row of the
resource's `routing_type` whose bottom id is the pod's own id (DESIGN.md §6).
Bottom copies carry the top id as a Neutron tag (`tags`).
"""

from __future__ import annotations

from tricircle.resources.base import Surface

NETWORK_SURFACE = Surface(
    name="network",
    service_type="network",
    surface_path="/network",
    dialect="network",
    request_id_headers=("X-OpenStack-Request-ID",),
)

# Routing types of the bottom copies the gateway makes in pods.
NETWORK = "network"
SUBNET = "subnet"
PORT = "port"
SECURITY_GROUP = "security_group"
ROUTING_TYPES = (NETWORK, SUBNET, PORT, SECURITY_GROUP)

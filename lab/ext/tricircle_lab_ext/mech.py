"""An ML2 mechanism driver for API-only Neutron: binds every port, no agent needed.

Without OVS/OVN agents no in-tree driver binds a port, and nova puts a server whose port
stays unbound into ERROR. This driver binds on the first segment offered (any network type)
with ``vif_type=ovs`` and marks the port ACTIVE, so Neutron sends ``network-vif-plugged``.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

_VIF_DETAILS = {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False}


class AgentlessMechanismDriver(api.MechanismDriver):
    """Binds any port on any host on its first segment."""

    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS, _VIF_DETAILS,
                                status=constants.PORT_STATUS_ACTIVE)
            return

    def filter_hosts_with_segment_access(self, context, segments, candidate_hosts,
                                         agent_getter):
        # There is no agent to ask: every host reaches every segment.
        return set(candidate_hosts)

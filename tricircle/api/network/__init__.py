"""The network surface ``/network``: Neutron v2.0, served by central Neutron."""

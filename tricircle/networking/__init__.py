"""Networking automation (DESIGN.md §8): central Neutron is the authority for top
networks; the gateway forwards the network API there (`central`) and realises
what pods need (`boot`: bottom networks, subnets, security groups and ports for a
server boot)."""

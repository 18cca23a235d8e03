"""Hazard maps: faults and slip, mining subsidence, damage proxy, susceptibility."""

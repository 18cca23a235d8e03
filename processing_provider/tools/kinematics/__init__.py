"""The kinematics tools."""

"""The kinematics tools' files: 3-D motion, thickness, trigger and validation layers and grids, offset tracking's
image stacks and offset fields."""

"""The corrections group's floor: the stack corrections' passes over their files (corrections, troposphere,
ramps)."""

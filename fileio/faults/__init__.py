"""The fault tools' files: fault traces, slip patches, LOS datasets and Coulomb input files."""

"""The PS/DS tools' files: SLC stacks read in blocks, the selected points' phases, PS and DS outputs."""

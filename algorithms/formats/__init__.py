"""Pure-Python readers and writers: date parsing, MintPy HDF5, EGMS CSV."""

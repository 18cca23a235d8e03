"""Products as delivered: a product's pairs on one grid, GAMMA, MintPy, EGMS tiles, units."""

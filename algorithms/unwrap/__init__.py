"""Phase unwrapping: the built-in quality-guided unwrapper, its row tiles on the block engine and the prior-assisted
unwrapping of steep fields."""

"""Ground motion as points, shared by every group: dated points and bands, point tables, the forecast's files."""

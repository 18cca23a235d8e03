"""Active deformation areas: detection, outlines, quality, classification, inventories."""

"""The interferogram tools' files: the filtered and looked interferograms, basin detection's rasters, frames and
detector, target suitability's maps."""

"""Products as their producers deliver them, read in pure Python (no GDAL): the producers' registry
(producers.py: each producer module's PRODUCER, tried in order by the stack reader products.py and the HDF5 layer
reader h5_layers.py), their names, text files, stack walks and HDF5 layers (licsar, hyp3, gunw, nisar, opera,
roipac, product_walks, licsbas, mintpy; the shared HDF5 helpers and DatedLayer in hdf5.py), dates and baselines,
wavelengths, units and geometry metadata, EGMS tiles."""

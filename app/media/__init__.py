"""Media: uploaded images, their renditions, and the image object every surface returns."""

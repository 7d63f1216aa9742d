"""Interactive lessons over the plot: painting data, the likelihood landscape, predicting the
next step, and the views of soft membership (lines, bound slice)."""

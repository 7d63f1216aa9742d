"""Data sets: the data matrix with its columns and units, and synthetic mixtures."""

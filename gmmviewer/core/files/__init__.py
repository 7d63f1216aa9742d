"""Files: CSV data, parameter files (JSON, NPZ, CSV) and saved sessions (``sessions/``)."""

"""The package version, in a module of its own so any module can name it without importing
the package's public API (which reaches the window through ``gmmviewer.show``)."""

__version__ = "0.1.0"

"""gmmviewer's core: EM math, parameters, the stateful session, data and parameter files.

Pure numpy/scipy. Nothing here may import Qt, pyqtgraph or :mod:`gmmviewer.ui`
(``tests/core/test_architecture.py`` enforces it).
"""

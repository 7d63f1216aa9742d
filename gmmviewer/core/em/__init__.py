"""The EM math: Gaussian log-densities, the E-step, the M-step, the objective,
initialisation, k-means and headless ``fit``."""

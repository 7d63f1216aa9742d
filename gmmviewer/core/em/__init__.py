"""The EM math: Gaussian log-densities, the E-step (``estep.e_step``), the M-step
(``mstep.m_step``) and the sufficient statistics between them, the objective,
initialisation, k-means and headless ``fit``."""

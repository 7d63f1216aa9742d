"""Passes over the samples on a few threads, with BLAS held to one (pure Python; no Qt).

``threads`` runs the E-step's and the variational passes' chunks on a pool sized to the
cores, and keeps each thread's scratch; ``chunk_runner`` hands k-means' chunks to
threads as they become free. Both add each chunk's results in chunk order, so a pass
gives the same bits on any number of threads.
"""

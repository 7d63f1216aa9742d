"""Chunks of the samples shared among a few threads, for k-means (pure numpy; no Qt).

:class:`ChunkRunner` hands every chunk of a pass to the next free thread (the calling
thread works too); the callers write each chunk's results into its own slot and add the
slots up in chunk order, so the results do not depend on the number of threads.
:func:`products` keeps each matrix product small enough to stay on the thread that
asked for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar

import numpy as np

from gmmviewer.core.em.passes import chunks
from gmmviewer.core.parallel.threads import pass_threads

#: Chunks each thread gets at least, by default: handing a pass to a thread costs tens of
#: microseconds, and milliseconds when the machine is busy, which small data never repay.
MIN_CHUNKS_PER_THREAD = 4

# OpenBLAS (numpy's wheels) hands a matrix product to its own threads once M * N * K
# exceeds 4 * 65536, and those threads spin while they wait. Inside our own threads that
# oversubscribes the cores, and on a busy machine a product of a few hundred
# microseconds then took tens of milliseconds. Products are therefore cut into row
# blocks below that size, which keeps each on the thread that asked for it.
_SINGLE_THREAD_PRODUCT = 4 * 65536


def default_threads() -> int:
    """Threads a pass uses by default, as for the E-step (``GMMVIEWER_THREADS`` or the cores)."""
    return pass_threads()


_Buffers = TypeVar("_Buffers")


class ChunkRunner:
    """Runs a function on every chunk of the samples, on up to ``n_threads`` threads.

    The calling thread works too. Threads take the next unprocessed chunk as they
    become free, so a core that another process keeps busy does less of the work.

    Parameters
    ----------
    n_samples : int
    chunk_size : int
    n_threads : int or None
        At most one per chunk. None for :func:`default_threads`, but no more than one
        per :data:`MIN_CHUNKS_PER_THREAD` chunks.
    """

    def __init__(self, n_samples: int, chunk_size: int, n_threads: int | None) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        self.slices: list[slice] = list(chunks(n_samples, chunk_size))
        self.chunk_size = min(chunk_size, max(n_samples, 1))
        if n_threads is None:
            wanted = min(default_threads(), len(self.slices) // MIN_CHUNKS_PER_THREAD)
        elif n_threads < 1:
            raise ValueError(f"n_threads must be positive, not {n_threads}")
        else:
            wanted = int(n_threads)
        self.n_threads = max(1, min(wanted, len(self.slices)))
        # Imported here: concurrent.futures (3 ms) is not needed before the first pool.
        from concurrent.futures import ThreadPoolExecutor

        self._executor = (
            ThreadPoolExecutor(self.n_threads - 1, thread_name_prefix="kmeans")
            if self.n_threads > 1
            else None
        )

    @property
    def n_chunks(self) -> int:
        return len(self.slices)

    def run(
        self,
        work: Callable[[int, slice, _Buffers], None],
        buffers: Sequence[_Buffers],
    ) -> None:
        """Call ``work(index, rows, buffers[thread])`` once for every chunk.

        ``buffers`` has one entry per thread (``n_threads`` of them); a thread only
        ever touches its own.
        """
        next_chunk = iter(range(self.n_chunks))
        lock = threading.Lock()

        def worker(own: _Buffers) -> None:
            while True:
                with lock:
                    index = next(next_chunk, None)
                if index is None:
                    return
                work(index, self.slices[index], own)

        helpers = []
        if self._executor is not None:
            helpers = [self._executor.submit(worker, own) for own in buffers[1 : self.n_threads]]
        try:
            worker(buffers[0])
        finally:
            # Wait for every helper even if this thread failed: they write into arrays
            # the caller owns.
            for helper in helpers:
                helper.exception()
        for helper in helpers:
            helper.result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self) -> ChunkRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def block_rows(n_rows: int, n_features: int) -> int:
    """Rows of ``X`` per product with ``n_rows`` centres, kept on one BLAS thread."""
    return max(1, _SINGLE_THREAD_PRODUCT // max(n_rows * n_features, 1))


def products(weights: np.ndarray, features: np.ndarray, block: int, out: np.ndarray) -> np.ndarray:
    """``weights @ features`` into ``out``, in blocks of ``block`` columns.

    Parameters
    ----------
    weights : ndarray of shape (n_rows, n_terms)
    features : ndarray of shape (n_terms, size)
    block : int
    out : ndarray of shape (n_rows, size)
    """
    size = features.shape[1]
    for start in range(0, size, block):
        stop = min(start + block, size)
        np.matmul(weights, features[:, start:stop], out=out[:, start:stop])
    return out

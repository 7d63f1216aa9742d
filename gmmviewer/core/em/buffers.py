"""Large result arrays handed out again once nothing refers to them (pure numpy; no Qt).

A session's M-step computes the next E-step's responsibilities, a fresh (K, N) array: 40 MB
at N = 1e6, K = 5. A fresh array of that size is a new memory mapping, and the kernel
zeroes every page of it on first touch, which measured as a fifth of a session
iteration. The previous iteration's array is usually garbage by then (the session keeps
the posteriors of at most two parameter sets), so handing its memory out again costs
nothing.

Whether an array is garbage is read from its reference count: a view, a slice or a
``memoryview`` of an array keeps a reference to it, so an array that only the recycler
refers to has no reader left anywhere.
"""

from __future__ import annotations

import sys
import threading

import numpy as np


def _free_count() -> int:
    """The reference count :meth:`ArrayRecycler._is_free` sees for an unshared array.

    Measured, not assumed: how the interpreter counts the references of a list item
    passed to :func:`sys.getrefcount` differs between Python versions.
    """
    probe = [np.empty(1)]
    return sys.getrefcount(probe[0])


_FREE_COUNT = _free_count()


class ArrayRecycler:
    """Allocates arrays, reusing the memory of earlier ones nothing refers to any more.

    Safe to call from several threads. Arrays it hands out are writeable; a consumer may
    make them read-only (reuse makes them writeable again, once nobody can read them).

    Parameters
    ----------
    capacity : int
        How many arrays it keeps alive for reuse at most. An array it hands out while
        full is not kept.
    """

    def __init__(self, capacity: int = 6) -> None:
        self._capacity = capacity
        self._arrays: list[np.ndarray] = []
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...], dtype: np.dtype | type = np.float64) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype``: recycled when one is free.

        Parameters
        ----------
        shape : tuple of int
        dtype : numpy dtype

        Returns
        -------
        ndarray of shape ``shape``
            Writeable, C-contiguous, with arbitrary contents.
        """
        dtype = np.dtype(dtype)
        with self._lock:
            free = [i for i in range(len(self._arrays)) if self._is_free(i)]
            for i in free:
                if self._arrays[i].shape == shape and self._arrays[i].dtype == dtype:
                    array = self._arrays[i]
                    array.setflags(write=True)
                    return array
            if len(self._arrays) >= self._capacity and free:
                # Make room: a free array of another shape is only memory held for nothing.
                del self._arrays[free[0]]
            array = np.empty(shape, dtype)
            if len(self._arrays) < self._capacity:
                self._arrays.append(array)
            return array

    def _is_free(self, index: int) -> bool:
        """Whether nothing but this recycler refers to its array number ``index``."""
        return sys.getrefcount(self._arrays[index]) <= _FREE_COUNT

    def __len__(self) -> int:
        """How many arrays it keeps (free or in use)."""
        return len(self._arrays)

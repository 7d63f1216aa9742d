"""Chunks of a pass on both cores, and BLAS kept to one thread inside them (no Qt).

Two kinds of threads compete for the cores during a pass. A multithreaded BLAS splits
every small per-chunk matrix product between its threads, and the handover costs more
than the product: with two BLAS threads an iteration at N = 1e6, K = 10, D = 10 took
17.1 s against 2.2 s with one. Splitting the *chunks* between threads instead gives
each core whole chunks to work through (numpy releases the GIL inside its loops). So
every pass runs its chunks on a small pool of :func:`pass_threads` threads with BLAS
held to one thread (threadpoolctl, the tool scikit-learn uses), and each chunk's results
are combined in chunk order, so the result of a pass does not depend on the number of
threads or on which thread finished first.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from gmmviewer.core.errors import ParameterError

T = TypeVar("T")

#: Environment variable that sets the number of pass threads (1 turns the pool off).
THREADS_VARIABLE = "GMMVIEWER_THREADS"
#: Never more pass threads than this, however many cores: a pass is bound by memory
#: bandwidth long before.
MAX_THREADS = 8

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_threads = 0
_single_blas_depth = 0
_single_blas_context = None
_local = threading.local()


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pass_threads() -> int:
    """How many threads a pass uses: ``GMMVIEWER_THREADS``, else the available cores.

    Raises
    ------
    ParameterError
        If ``GMMVIEWER_THREADS`` is set to something other than a positive integer.
    """
    setting = os.environ.get(THREADS_VARIABLE, "").strip()
    if setting:
        try:
            threads = int(setting)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ParameterError(f"{THREADS_VARIABLE} must be a positive integer, not {setting!r}")
        return min(threads, MAX_THREADS)
    return min(available_cores(), MAX_THREADS)


def _pool(threads: int) -> ThreadPoolExecutor:
    global _executor, _executor_threads
    with _lock:
        if _executor is None or _executor_threads != threads:
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor = ThreadPoolExecutor(threads, thread_name_prefix="gmmviewer-pass")
            _executor_threads = threads
        return _executor


_controller_cache: tuple[int, object] | None = None


def _controller():  # noqa: ANN202 (threadpoolctl is imported lazily)
    """A threadpoolctl controller that knows every BLAS loaded so far.

    Making one inspects the loaded libraries (about a millisecond), so it is kept until
    more modules have been imported (scipy brings its own OpenBLAS, loaded later).
    """
    global _controller_cache
    loaded = len(sys.modules)
    if _controller_cache is None or _controller_cache[0] != loaded:
        from threadpoolctl import ThreadpoolController

        _controller_cache = (len(sys.modules), ThreadpoolController())
    return _controller_cache[1]


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Hold BLAS to one thread for the duration (nested and concurrent uses are counted).

    The limit is set when the first user enters and lifted when the last one leaves,
    so two passes running at once (a worker thread's step and a fit of restarts) never
    lift each other's limit.
    """
    global _single_blas_depth, _single_blas_context
    with _lock:
        if _single_blas_depth == 0:
            context = _controller().limit(limits=1, user_api="blas")
            context.__enter__()
            _single_blas_context = context
        _single_blas_depth += 1
    try:
        yield
    finally:
        with _lock:
            _single_blas_depth -= 1
            if _single_blas_depth == 0 and _single_blas_context is not None:
                _single_blas_context.__exit__(None, None, None)
                _single_blas_context = None


def map_in_order(
    work: Callable[[slice], T], pieces: Sequence[slice], threads: int | None = None
) -> list[T]:
    """``[work(piece) for piece in pieces]``, computed on the pass threads.

    Parameters
    ----------
    work : callable
        Called once per piece, possibly on several threads at once; it must write only
        to what belongs to its own piece (and to :func:`thread_scratch`).
    pieces : sequence of slice
    threads : int, optional
        At most this many threads; :func:`pass_threads` when None.

    Returns
    -------
    list
        The results in the order of ``pieces``.
    """
    threads = pass_threads() if threads is None else max(1, int(threads))
    with single_threaded_blas():
        if threads == 1 or len(pieces) < 2 or _in_pool_thread():
            return [work(piece) for piece in pieces]
        return list(_pool(threads).map(work, pieces))


def _in_pool_thread() -> bool:
    # A pass started from inside a pass thread runs inline: waiting on the pool from
    # one of its own threads could wait forever.
    return threading.current_thread().name.startswith("gmmviewer-pass")


def thread_scratch(key: object, allocate: Callable[[], T]) -> T:
    """This thread's scratch object for ``key``, allocated on first use and kept.

    Each thread keeps the last two keys it used (a pass's full chunks and its shorter
    last chunk), so the buffers of one pass are allocated once per thread.
    """
    cache: dict[object, T] | None = getattr(_local, "scratch", None)
    if cache is None:
        cache = {}
        _local.scratch = cache
    found = cache.get(key)
    if found is None:
        if len(cache) >= 2:
            cache.pop(next(iter(cache)))
        found = allocate()
        cache[key] = found
    return found

"""Chunks of a pass on both cores, and BLAS kept to one thread inside them (no Qt).

Two kinds of threads compete for the cores during a pass. A multithreaded BLAS splits
every small per-chunk matrix product between its threads, and the handover costs more
than the product: with two BLAS threads an iteration at N = 1e6, K = 10, D = 10 took
17.1 s against 2.2 s with one. Splitting the *chunks* between threads instead gives
each core whole chunks to work through (numpy releases the GIL inside its loops). So
every pass runs its chunks on a small pool of :func:`pass_threads` threads with BLAS
held to one thread (threadpoolctl, the tool scikit-learn uses), and each chunk's results
are combined in chunk order, so the result of a pass does not depend on the number of
threads or on which thread finished first. Work too small for a BLAS to split
(:func:`blas_work_is_small`) runs without the limit: setting it the first time costs
more than such a pass.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from gmmviewer.core.errors import ParameterError

if TYPE_CHECKING:  # concurrent.futures (3 ms) loads with the first pool, not at start-up
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")

#: Environment variable that sets the number of pass threads (1 turns the pool off).
THREADS_VARIABLE = "GMMVIEWER_THREADS"
#: Never more pass threads than this, however many cores: a pass is bound by memory
#: bandwidth long before.
MAX_THREADS = 8

#: A BLAS call runs on the calling thread whatever its thread count when its matrices
#: hold fewer entries than this and it makes at most :data:`SMALL_BLAS_MULTIPLY_ADDS`
#: multiply-adds. OpenBLAS, which numpy's and scipy's wheels bring, splits no smaller
#: call (the smallest seen split: a dot product of 10,000 entries; no 64 x 64 product
#: did); ``tests/benchmarks/bench_blas_threads.py`` checks whole passes this small.
SMALL_BLAS_ENTRIES = 9_216
SMALL_BLAS_MULTIPLY_ADDS = 262_144

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
    from concurrent.futures import ThreadPoolExecutor

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


def blas_work_is_small(entries: int, multiply_adds: int) -> bool:
    """Whether BLAS calls this small run on the calling thread anyway.

    Parameters
    ----------
    entries : int
        Entries of the largest matrix any of the calls takes or makes.
    multiply_adds : int
        Multiply-adds of the largest call.

    Returns
    -------
    bool
        True when :func:`single_threaded_blas` would change nothing for them.
    """
    return entries < SMALL_BLAS_ENTRIES and multiply_adds <= SMALL_BLAS_MULTIPLY_ADDS


def pass_blas_is_small(n_samples: int, n_components: int, n_features: int) -> bool:
    """Whether every BLAS call of an E-step pass of this shape is small.

    A pass multiplies the samples by at most the quadratic features
    ``(D + 1)(D + 2) / 2`` per component (or by a ``D x D`` factor per component) and
    makes the components' ``D x D`` precisions, so no call takes a matrix larger than
    the samples times the wider of the components and those features, nor makes more
    multiply-adds than the samples times the components times ``(D + 1)**2`` or the
    components times ``(D + 1)**3`` (:func:`blas_work_is_small`).
    """
    features = (n_features + 1) * (n_features + 2) // 2
    entries = n_samples * max(n_components, features)
    wide = n_features + 1
    multiply_adds = max(n_samples * n_components * wide**2, n_components * wide**3)
    return blas_work_is_small(entries, multiply_adds)


@contextmanager
def single_threaded_blas(needed: bool = True) -> Iterator[None]:
    """Hold BLAS to one thread for the duration (nested and concurrent uses are counted).

    The limit is set when the first user enters and lifted when the last one leaves,
    so two passes running at once (a worker thread's step and a fit of restarts) never
    lift each other's limit.

    Parameters
    ----------
    needed : bool
        False for work :func:`blas_work_is_small` calls small: nothing is done. The
        first limit of a process makes threadpoolctl look at every loaded library
        (about 5 ms with Qt's 100 or so), which the window's first paint, one small
        pass, would otherwise wait for.
    """
    global _single_blas_depth, _single_blas_context
    if not needed:
        yield
        return
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
    work: Callable[[slice], T],
    pieces: Sequence[slice],
    threads: int | None = None,
    *,
    small_blas: bool = False,
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
    small_blas : bool
        True when every BLAS call of ``work`` is small (:func:`blas_work_is_small`,
        :func:`pass_blas_is_small`): BLAS is then left as it is.

    Returns
    -------
    list
        The results in the order of ``pieces``.
    """
    threads = pass_threads() if threads is None else max(1, int(threads))
    with single_threaded_blas(needed=not small_blas):
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

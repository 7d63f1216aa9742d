"""Recycled result arrays: memory is handed out again only when nobody can read it."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.session.em_session import EMSession


def test_an_array_nobody_holds_is_handed_out_again():
    arrays = ArrayRecycler()
    first = arrays.empty((3, 5))
    address = first.__array_interface__["data"][0]
    first.setflags(write=False)
    del first
    again = arrays.empty((3, 5))
    assert again.__array_interface__["data"][0] == address
    assert again.flags.writeable


@pytest.mark.parametrize(
    "reader",
    [lambda a: a, lambda a: a.T, lambda a: a[1:], lambda a: memoryview(a), lambda a: a[:, 0]],
    ids=["array", "transpose", "slice", "memoryview", "column"],
)
def test_an_array_still_read_anywhere_is_never_handed_out(reader):
    arrays = ArrayRecycler()
    first = arrays.empty((3, 5))
    first[...] = 7.0
    kept = reader(first)
    del first
    other = arrays.empty((3, 5))
    other[...] = -1.0
    assert np.all(np.asarray(kept) == 7.0)


def test_shapes_and_types_are_not_mixed():
    arrays = ArrayRecycler()
    del_me = arrays.empty((4,), np.intp)
    del del_me
    floats = arrays.empty((4,), np.float64)
    assert floats.dtype == np.float64
    ints = arrays.empty((2, 2), np.intp)
    assert ints.shape == (2, 2)


def test_it_keeps_at_most_its_capacity():
    arrays = ArrayRecycler(capacity=2)
    held = [arrays.empty((n,)) for n in range(1, 6)]
    assert len(arrays) == 2
    assert [h.shape for h in held] == [(n,) for n in range(1, 6)]


def test_threads_never_share_an_array():
    arrays = ArrayRecycler(capacity=4)
    seen: list[list[int]] = [[] for _ in range(4)]
    clash = threading.Event()

    def work(slot: int) -> None:
        for _ in range(300):
            mine = arrays.empty((64,))
            mine[...] = slot
            if not np.all(mine == slot):
                clash.set()
            seen[slot].append(mine.__array_interface__["data"][0])
            del mine

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not clash.is_set()


def test_a_sessions_responsibilities_held_by_a_reader_survive_later_steps():
    """What the window or a script holds stays what it was, however far the session runs."""
    session = EMSession(
        make_preset("lecture", n_samples=300, seed=0), 3, init="random-means", seed=2
    )
    X = session.dataset.X
    session.e_step()
    held = session.responsibilities
    params = session.state.resp_params
    for _ in range(6):
        session.step()
    dens = np.column_stack(
        [
            w * multivariate_normal(mean=m, cov=c).pdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        ]
    )
    np.testing.assert_allclose(held, dens / dens.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-14)


def test_a_session_reuses_memory_between_iterations():
    session = EMSession(
        make_preset("lecture", n_samples=300, seed=0), 3, init="random-means", seed=2
    )
    addresses = set()
    for _ in range(8):
        session.step()
        addresses.add(session.responsibilities.base.__array_interface__["data"][0])
    # Without recycling every iteration's array would be new memory (8 addresses or close).
    assert len(addresses) <= 3

"""What a replay page shows of every history entry: parameters, point colours, the curve.

Pure numpy; no Qt. :func:`replay_frames` turns a session's whole history into
:class:`ReplayFrames`: one :class:`ReplayFrame` per entry, holding the parameters of
the shown columns and the NLL, and referring by index to a point set (each distinct
data set once, subsampled above :data:`MAX_POINTS`) and to a colour set (each distinct
q once: an M-step keeps the E-step's responsibilities, so it shares the E-step's
colours). Point colours are the window's own: the responsibility-weighted blend of the
component colours (:func:`gmmviewer.core.colours.blend`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.colours import blend, component_colours
from gmmviewer.core.em.passes import pass_data
from gmmviewer.core.errors import GMMViewerError, ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.posteriors import PosteriorCache
from gmmviewer.core.text import count

#: Most points a page holds per data set; larger data are shown as a random sample.
MAX_POINTS = 20_000
#: Seed of that sample, so the same session always gives the same page.
SAMPLE_SEED = 0


@dataclass(frozen=True, eq=False)
class ReplayFrame:
    """One history entry as the page draws it.

    Attributes
    ----------
    entry : int
        Its index in the session's history.
    points : int
        Index of its data in :attr:`ReplayFrames.point_sets`.
    colours : int or None
        Index of its point colours in :attr:`ReplayFrames.colour_sets`; None before the
        first E-step (every point neutral grey).
    action, description : str
        As in :class:`~gmmviewer.core.session.history.SessionState`.
    iteration : int
    next_step : {'E', 'M'}
    nll : float
        ``-log_likelihood`` (the negative evidence lower bound for a variational fit;
        NaN while the components wait for points).
    objective : {'NLL', '-ELBO'}
    x : float
        Where the entry sits on the NLL curve: the iteration, plus one half after an
        E-step (the window's NLL plot's x).
    run : int
        The run it belongs to: how many re-initialisations came before it.
    segment : int
        The stretch of unchanged data it belongs to (the curve breaks between two).
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_dims)
        Of the shown columns.
    covariances : ndarray of shape (n_components, n_dims, n_dims)
        The shown columns' marginal covariances.
    placed : bool
        False while the parameters are placeholders waiting for data.
    converged : bool
    """

    entry: int
    points: int
    colours: int | None
    action: str
    description: str
    iteration: int
    next_step: str
    nll: float
    objective: str
    x: float
    run: int
    segment: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    placed: bool
    converged: bool


@dataclass(frozen=True, eq=False)
class PointSet:
    """One distinct data set's shown columns.

    Attributes
    ----------
    coordinates : ndarray of shape (n_shown, n_dims)
        The shown rows (all, or a random sample in the data's order).
    rows : ndarray of shape (n_shown,), int
        Which rows of the data they are.
    n_total : int
        Rows of the data set.
    """

    coordinates: np.ndarray
    rows: np.ndarray
    n_total: int


@dataclass(frozen=True, eq=False)
class ColourSet:
    """The point colours of one q (responsibilities) on one point set.

    Attributes
    ----------
    points : int
        Index of the point set in :attr:`ReplayFrames.point_sets`.
    rgb : ndarray of shape (n_shown, 3), uint8
    """

    points: int
    rgb: np.ndarray


@dataclass(frozen=True, eq=False)
class ReplayFrames:
    """A session's history as a replay page shows it.

    Attributes
    ----------
    frames : tuple of ReplayFrame
        One per history entry, oldest first.
    point_sets : tuple of PointSet
    colour_sets : tuple of ColourSet
    columns : tuple of str
        Names of the shown columns (one or two).
    dims : tuple of int
        Their indices in the data.
    palette : ndarray of shape (max_components, 3), uint8
        Component colours: a frame of K components uses the first K.
    position : int
        The entry that was current in the session.
    note : str
        Says when points were subsampled, else ''.
    """

    frames: tuple[ReplayFrame, ...]
    point_sets: tuple[PointSet, ...]
    colour_sets: tuple[ColourSet, ...]
    columns: tuple[str, ...]
    dims: tuple[int, ...]
    palette: np.ndarray
    position: int
    note: str


def _state_data(session: EMSession, index: int) -> np.ndarray:
    """The data matrix history entry ``index`` refers to, shape (n_samples, n_features).

    The one place the replay reads data: a state carries its own data set once the data
    can be edited along the history, and the session's otherwise.
    """
    dataset = getattr(session.history[index], "dataset", session.dataset)
    if dataset is None:  # a state built outside a session
        dataset = session.dataset
    return dataset.X


def check_dims(dims: tuple[int, ...] | None, n_features: int) -> tuple[int, ...]:
    """The shown columns: ``dims`` checked, or the first two (the first of one-column data).

    Raises
    ------
    ParameterError
        Unless ``dims`` holds one or two distinct column indices of the data.
    """
    if dims is None:
        return (0, 1) if n_features >= 2 else (0,)
    dims = tuple(int(d) for d in dims)
    if not 1 <= len(dims) <= 2 or len(set(dims)) != len(dims):
        raise ParameterError(f"show one or two different columns, got {len(dims)}")
    for d in dims:
        if not 0 <= d < n_features:
            raise ParameterError(f"the data have no column {d} (they have {n_features})")
    return dims


def replay_frames(
    session: EMSession,
    dims: tuple[int, ...] | None = None,
    max_points: int = MAX_POINTS,
) -> ReplayFrames:
    """Every history entry of ``session`` as the replay page draws it.

    The session is only read. Responsibilities are recomputed from each distinct
    ``resp_params`` (once each) on the shown points only.

    Parameters
    ----------
    session : EMSession
    dims : tuple of int, optional
        The one or two columns to show; default the first two.
    max_points : int
        Data sets with more rows are shown as a random sample of this many.

    Raises
    ------
    ParameterError
        For bad ``dims`` or ``max_points``.
    """
    if max_points < 1:
        raise ParameterError(f"max_points must be at least 1, got {max_points}")
    dims = check_dims(dims, session.n_features)
    history = session.history
    trace = session.trace(0, len(history))
    segments = getattr(trace, "segment", None)
    point_sets: list[PointSet] = []
    sources: dict[int, tuple[int, np.ndarray]] = {}  # id(X) -> (index, X kept alive)
    colour_sets: list[ColourSet] = []
    colour_keys: dict[tuple[object, ...], int] = {}
    caches: dict[int, PosteriorCache] = {}
    frames: list[ReplayFrame] = []
    run = -1
    max_components = 1
    for index, state in enumerate(history):
        if state.action == "initialise" or index == 0:
            run += 1
        X = _state_data(session, index)
        if id(X) not in sources:
            sources[id(X)] = (len(point_sets), X)
            point_sets.append(_point_set(X, dims, max_points))
        points = sources[id(X)][0]
        colours = None
        placed = bool(getattr(state, "placed", True))
        if state.resp_params is not None and placed and point_sets[points].rows.size:
            key = _q_key(state, points)
            if key not in colour_keys:
                if points not in caches:
                    shown = X[point_sets[points].rows]
                    caches[points] = PosteriorCache(pass_data(shown, session.dtype), shown)
                rgb = _colours(caches[points], state)
                if rgb is not None:
                    colour_keys[key] = len(colour_sets)
                    colour_sets.append(ColourSet(points, rgb))
            colours = colour_keys.get(key)
        params = state.params
        max_components = max(max_components, params.n_components)
        index_list = list(dims)
        frames.append(
            ReplayFrame(
                entry=index,
                points=points,
                colours=colours,
                action=state.action,
                description=state.description,
                iteration=state.iteration,
                next_step=state.next_step,
                nll=-float(state.log_likelihood),
                objective="NLL" if state.variational is None else "-ELBO",
                x=float(trace.x[index]),
                run=run,
                segment=0 if segments is None else int(segments[index]),
                weights=np.array(params.weights),
                means=np.array(params.means[:, index_list]),
                covariances=params.full_covariances()[:, index_list][:, :, index_list],
                placed=placed,
                converged=bool(state.converged),
            )
        )
    columns = tuple(session.dataset.columns[d] for d in dims)
    return ReplayFrames(
        frames=tuple(frames),
        point_sets=tuple(point_sets),
        colour_sets=tuple(colour_sets),
        columns=columns,
        dims=dims,
        palette=component_colours(max_components),
        position=session.position,
        note=_sample_note(point_sets),
    )


def _point_set(X: np.ndarray, dims: tuple[int, ...], max_points: int) -> PointSet:
    n = X.shape[0]
    if n > max_points:
        rng = np.random.default_rng(SAMPLE_SEED)
        rows = np.sort(rng.choice(n, size=max_points, replace=False))
    else:
        rows = np.arange(n)
    return PointSet(np.array(X[rows][:, list(dims)], dtype=float), rows, n)


def _q_key(state: object, points: int) -> tuple[object, ...]:
    """What identifies a q: equal parameters give equal EM responsibilities on the same
    points (after a session is saved and opened they are equal, no longer one object).
    A variational q also depends on the variational parameters behind it: kept by object."""
    resp_params: GMMParams = state.resp_params  # type: ignore[attr-defined]
    if getattr(state, "variational", None) is not None:
        return (points, "vb", id(resp_params))
    digest = hashlib.sha256(resp_params.covariance_type.encode())
    for array in (resp_params.weights, resp_params.means, resp_params.covariances):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
        digest.update(str(array.shape).encode())
    return (points, "em", digest.hexdigest())


def _colours(cache: PosteriorCache, state: object) -> np.ndarray | None:
    """The window's point colours for the state's q, or None if they cannot be computed."""
    resp_params: GMMParams = state.resp_params  # type: ignore[attr-defined]
    try:
        posterior = cache.get(resp_params, state)  # type: ignore[arg-type]
    except GMMViewerError:
        return None
    resp = posterior.resp.T
    return blend(resp, component_colours(resp.shape[1]), resp.shape[0])


def _sample_note(point_sets: list[PointSet]) -> str:
    sampled = [s for s in point_sets if s.rows.size < s.n_total]
    if not sampled:
        return ""
    largest = max(sampled, key=lambda s: s.n_total)
    return (
        f"Showing a random sample of {largest.rows.size:,} "
        f"of the {count(largest.n_total, 'point')} "
        "(the ellipses and the NLL are those of the fit to all of them)."
    )


def finite_or_none(value: float) -> float | None:
    """``value``, or None for NaN and infinities (JSON has no such numbers)."""
    return value if math.isfinite(value) else None

"""Comparing a fit with the truth or with another partition (pure numpy/scipy; no Qt).

Components are matched to the true ones by an optimal assignment (the Hungarian
algorithm) on the distance between means, so "component 2" of a fit is compared with
the true component it plays the part of, whatever order EM found them in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.params import GMMParams

#: Up to this many components on the larger side, :func:`match_components` tries every
#: assignment (at most 7! = 5,040, one numpy sum) instead of importing scipy.optimize,
#: which costs ~0.2 s: the window matches the demo's fit to its truth before it first
#: paints, and a lecture's K is small.
MAX_ENUMERATED_COMPONENTS = 7


@dataclass(frozen=True)
class TruthComparison:
    """A fit against the true parameters.

    Attributes
    ----------
    matching : ndarray of shape (n_components,)
        ``matching[k]`` is the true component fitted component k stands for, or -1 when
        the fit has more components than the truth.
    weight_errors : ndarray of shape (n_components,)
        ``|w_k - w_true|`` (NaN for unmatched components).
    mean_errors : ndarray of shape (n_components,)
        Euclidean distance between the fitted and the true mean (NaN when unmatched).
    adjusted_rand_index : float or None
        Of the fit's hard assignment against the true labels, when labels are known.
    """

    matching: np.ndarray
    weight_errors: np.ndarray
    mean_errors: np.ndarray
    adjusted_rand_index: float | None


def match_components(means: np.ndarray, reference_means: np.ndarray) -> np.ndarray:
    """Optimal one-to-one matching of components by squared distance between means.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
    reference_means : ndarray of shape (n_reference, n_features)

    Returns
    -------
    matching : ndarray of shape (n_components,)
        Index of the reference component matched to each component, -1 where there are
        more components than references.
    """
    cost = ((means[:, None, :] - reference_means[None, :, :]) ** 2).sum(axis=2)
    if max(cost.shape) <= MAX_ENUMERATED_COMPONENTS and np.all(np.isfinite(cost)):
        rows, columns = _cheapest_assignment(cost)
    else:
        # Imported only here: scipy.optimize costs ~0.2 s to import (see above).
        from scipy.optimize import linear_sum_assignment

        rows, columns = linear_sum_assignment(cost)
    matching = np.full(len(means), -1, dtype=int)
    matching[rows] = columns
    return matching


def _cheapest_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The minimum-cost one-to-one assignment, found by trying every one.

    Parameters
    ----------
    cost : ndarray of shape (n_rows, n_columns)
        Finite; small (every assignment is built as an array).

    Returns
    -------
    rows, columns : ndarray of shape (min(n_rows, n_columns),)
        Row ``rows[i]`` is assigned column ``columns[i]``; rows ascending, as
        ``scipy.optimize.linear_sum_assignment`` returns them.
    """
    n_rows, n_columns = cost.shape
    if n_rows <= n_columns:
        # Every row gets a distinct column.
        choices = np.array(list(itertools.permutations(range(n_columns), n_rows)), dtype=int)
        choices = choices.reshape(-1, n_rows)
        best = choices[np.argmin(cost[np.arange(n_rows), choices].sum(axis=1))]
        return np.arange(n_rows), best
    # More rows than columns: every column gets a distinct row.
    choices = np.array(list(itertools.permutations(range(n_rows), n_columns)), dtype=int)
    choices = choices.reshape(-1, n_columns)
    best = choices[np.argmin(cost[choices, np.arange(n_columns)].sum(axis=1))]
    order = np.argsort(best)
    return best[order], np.arange(n_columns)[order]


def compare_with_truth(
    params: GMMParams,
    truth: GMMParams,
    hard_assignments: np.ndarray | None = None,
    true_labels: np.ndarray | None = None,
) -> TruthComparison:
    """Match a fit to the true components and measure its errors.

    Parameters
    ----------
    params, truth : GMMParams
        In the same units.
    hard_assignments : ndarray of shape (n_samples,), optional
        The fit's most responsible component per sample.
    true_labels : ndarray of shape (n_samples,), optional
    """
    matching = match_components(params.means, truth.means)
    matched = matching >= 0
    weight_errors = np.full(params.n_components, np.nan)
    mean_errors = np.full(params.n_components, np.nan)
    weight_errors[matched] = np.abs(params.weights[matched] - truth.weights[matching[matched]])
    mean_errors[matched] = np.linalg.norm(
        params.means[matched] - truth.means[matching[matched]], axis=1
    )
    ari = None
    if hard_assignments is not None and true_labels is not None:
        ari = adjusted_rand_index(true_labels, hard_assignments)
    return TruthComparison(matching, weight_errors, mean_errors, ari)


def adjusted_rand_index(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Hubert and Arabie's adjusted Rand index of two partitions (1 = identical, ~0 = chance).

    Parameters
    ----------
    labels_true, labels_pred : ndarray of shape (n_samples,)
        Non-negative integer labels.
    """
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape:
        raise ValueError("the two labellings must have the same length")
    n = labels_true.size
    _, true_index = np.unique(labels_true, return_inverse=True)
    _, pred_index = np.unique(labels_pred, return_inverse=True)
    n_pred = pred_index.max() + 1
    # One bincount over combined codes builds the contingency table in a single pass.
    table = np.bincount(
        true_index * n_pred + pred_index, minlength=(true_index.max() + 1) * n_pred
    ).reshape(-1, n_pred)
    pairs = _pair_count(table)
    rows = _pair_count(table.sum(axis=1))
    columns = _pair_count(table.sum(axis=0))
    total = float(n * (n - 1) // 2)
    expected = rows * columns / total if total else 0.0
    maximum = 0.5 * (rows + columns)
    if maximum == expected:
        # Both partitions put everything together (or apart): they agree perfectly.
        return 1.0
    return float((pairs - expected) / (maximum - expected))


def _pair_count(counts: np.ndarray) -> float:
    """How many pairs the groups of these sizes hold: the sum of ``counts`` choose 2.

    Exact integer arithmetic (no scipy.special, which costs ~0.1 s to import).
    """
    counts = counts.astype(np.int64)
    return float((counts * (counts - 1) // 2).sum())

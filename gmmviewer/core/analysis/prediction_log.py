"""The session's log of predictions: what was guessed before each half-step, and how
close it came. No Qt.

An :class:`~gmmviewer.core.session.em_session.EMSession` keeps one
:class:`PredictionLog` as ``session.predictions``, outside its history: undo, redo and
timeline jumps leave it alone, because it records what students guessed, not a state of
the fit (a record's ``history_index`` says where the guess was made, even once that
entry has been undone). A lecturer can go through it after the exercise.

Session files store it under an optional top-level key ``"predictions"`` of their
metadata (:func:`predictions_meta`, :func:`restore_predictions`): a list of plain JSON
objects, one per record, absent when nothing was predicted, so a file without
predictions is exactly what it was before they existed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

from gmmviewer.core.analysis.prediction import (
    MeanPrediction,
    PredictionScore,
    ResponsibilityPrediction,
    ResponsibilityScore,
)
from gmmviewer.core.limits import MAX_COMPONENTS
from gmmviewer.core.session.events import Signal

#: The kinds of prediction, and the half-step each one predicts.
KINDS = {"means": "M", "responsibilities": "E"}
#: Longest summary a session file may hold.
MAX_SUMMARY_CHARS = 1000
#: The metadata key of a session file that holds the log.
META_KEY = "predictions"


@dataclass(frozen=True)
class PredictionRecord:
    """One scored prediction.

    Attributes
    ----------
    kind : {'means', 'responsibilities'}
    history_index : int
        The history entry the prediction was made at (the state before the half-step).
    iteration : int
        The EM iteration the predicted half-step belongs to (1 for the first E-step
        and the first M-step).
    half_step : {'M', 'E'}
        The half-step predicted ('M' for means, 'E' for responsibilities).
    component_errors : tuple of float
        Per component: the distance of the predicted mean from the actual one, or the
        guessed minus the actual responsibility.
    mean_error : float
        Mean distance (data units), or mean absolute responsibility error.
    score : float
        Mean distance over the data spread, or the total variation distance: 0 is
        perfect (see :mod:`gmmviewer.core.analysis.prediction`).
    summary : str
        One line for people.
    point : int or None
        The data point whose responsibilities were guessed.
    """

    kind: str
    history_index: int
    iteration: int
    half_step: str
    component_errors: tuple[float, ...]
    mean_error: float
    score: float
    summary: str
    point: int | None = None

    def __post_init__(self) -> None:
        _check_record(self)

    @property
    def score_percent(self) -> float:
        """The score as a percentage (of the data spread, or of the point's membership)."""
        return 100.0 * self.score

    def to_json(self) -> dict[str, Any]:
        """A plain JSON object (what session files store)."""
        entry = asdict(self)
        entry["component_errors"] = list(self.component_errors)
        return entry

    @classmethod
    def from_json(cls, entry: Any, where: str = "record") -> PredictionRecord:
        """A record from :meth:`to_json`'s object.

        Raises
        ------
        ValueError
            Naming ``where`` and the field, when anything is missing or out of range.
        """
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(entry) - set(names))
        if unknown:
            raise ValueError(f"{where} has an unknown field {unknown[0]!r}")
        missing = [name for name in names if name not in entry and name != "point"]
        if missing:
            raise ValueError(f"{where} has no {missing[0]!r}")
        errors = entry["component_errors"]
        if not isinstance(errors, list) or len(errors) > MAX_COMPONENTS:
            raise ValueError(f"{where}.component_errors must be a list of numbers")
        values = dict(entry, component_errors=tuple(errors))
        try:
            return cls(**values)
        except ValueError as error:
            raise ValueError(f"{where}.{error}") from None


def _check_record(record: PredictionRecord) -> None:
    """Raise ValueError naming the first field of ``record`` that is out of range."""
    if not isinstance(record.kind, str) or record.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if record.half_step != KINDS[record.kind]:
        raise ValueError(f"half_step of a {record.kind} prediction must be {KINDS[record.kind]!r}")
    for name in ("history_index", "iteration"):
        _natural(getattr(record, name), name)
    if record.point is not None:
        _natural(record.point, "point")
    errors = record.component_errors
    if not 1 <= len(errors) <= MAX_COMPONENTS or not all(_finite(e) for e in errors):
        raise ValueError("component_errors must be 1 to 1000 finite numbers")
    if record.kind == "means" and any(e < 0 for e in errors):
        raise ValueError("component_errors of means are distances: none can be negative")
    for name in ("mean_error", "score"):
        value = getattr(record, name)
        if not _finite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0")
    if not isinstance(record.summary, str) or len(record.summary) > MAX_SUMMARY_CHARS:
        raise ValueError(f"summary must be text of at most {MAX_SUMMARY_CHARS} characters")


def _natural(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0")


def _finite(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def mean_record(
    prediction: MeanPrediction, score: PredictionScore, iteration: int
) -> PredictionRecord:
    """The log's record of a scored mean prediction made before iteration ``iteration``'s
    M-step."""
    summary = (
        f"M-step {iteration}: means off by {score.mean_error:.3g} on average "
        f"({100 * score.relative_error:.1f}% of the data spread)"
    )
    if score.size_ratios is not None:
        worst = max(score.size_ratios, key=lambda ratio: abs(math.log(ratio)))
        summary += f"; ellipses up to {worst:.2f}x the actual size"
    return PredictionRecord(
        kind="means",
        history_index=int(prediction.history_index),
        iteration=int(iteration),
        half_step="M",
        component_errors=tuple(float(d) for d in score.distances),
        mean_error=score.mean_error,
        score=score.relative_error,
        summary=summary,
    )


def responsibility_record(
    prediction: ResponsibilityPrediction, score: ResponsibilityScore, iteration: int
) -> PredictionRecord:
    """The log's record of a scored responsibility guess made before iteration
    ``iteration``'s E-step."""
    summary = (
        f"E-step {iteration}, point {prediction.point + 1}: "
        f"{100 * score.total_variation:.1f}% of its membership misplaced"
    )
    return PredictionRecord(
        kind="responsibilities",
        history_index=int(prediction.history_index),
        iteration=int(iteration),
        half_step="E",
        component_errors=tuple(float(e) for e in score.errors),
        mean_error=float(sum(abs(float(e)) for e in score.errors) / len(score.errors)),
        score=score.total_variation,
        summary=summary,
        point=prediction.point,
    )


class PredictionLog:
    """Scored predictions, oldest first.

    Attributes
    ----------
    changed : Signal
        Emitted with the new record after :meth:`add`, and with None after :meth:`clear`.
    """

    def __init__(self, records: tuple[PredictionRecord, ...] | list[PredictionRecord] = ()) -> None:
        self._records = list(records)
        self.changed = Signal()

    def add(self, record: PredictionRecord) -> PredictionRecord:
        """Append a record and tell the observers."""
        self._records.append(record)
        self.changed.emit(record)
        return record

    def clear(self) -> None:
        """Forget every record (a new class, a new exercise)."""
        self._records.clear()
        self.changed.emit(None)

    @property
    def records(self) -> tuple[PredictionRecord, ...]:
        """Every record, oldest first."""
        return tuple(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[PredictionRecord]:
        return iter(tuple(self._records))

    def __getitem__(self, index: int) -> PredictionRecord:
        return self._records[index]

    def mean_score(self, kind: str) -> float | None:
        """The mean score of the records of ``kind``, or None when there are none."""
        scores = [record.score for record in self._records if record.kind == kind]
        return sum(scores) / len(scores) if scores else None

    def to_json(self) -> list[dict[str, Any]]:
        """Every record as a plain JSON object."""
        return [record.to_json() for record in self._records]

    @classmethod
    def from_json(cls, entries: Any) -> PredictionLog:
        """A log from :meth:`to_json`'s list.

        Raises
        ------
        ValueError
            Naming the record and field, when anything is malformed.
        """
        if not isinstance(entries, list):
            raise ValueError(f"{META_KEY} must be a list")
        return cls(
            [
                PredictionRecord.from_json(entry, f"{META_KEY}[{i}]")
                for i, entry in enumerate(entries)
            ]
        )


def predictions_meta(log: PredictionLog) -> dict[str, Any]:
    """What a session file's metadata holds of ``log``: ``{}`` when it is empty."""
    return {META_KEY: log.to_json()} if len(log) else {}


def restore_predictions(meta: dict[str, Any]) -> PredictionLog:
    """The log a session file's metadata holds (empty when it has none).

    Raises
    ------
    ValueError
        When the ``predictions`` entry is malformed (the file is damaged).
    """
    return PredictionLog.from_json(meta.get(META_KEY, []))

"""Argument types and shared options of the ``gmmviewer`` command.

The argparse types turn bad values into one-line usage errors (exit code 2);
:class:`CommandError` is what a command raises for a problem found after parsing
(exit code 1). The options shared by ``fit`` and the window live here too.
"""

from __future__ import annotations

import argparse
import math

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_SEED

#: The command's name, in usage lines and at the start of its messages.
PROG = "gmmviewer"


class CommandError(GMMViewerError):
    """A problem with the command's arguments found after parsing (exit code 1)."""


def _int_at_least(minimum: int, what: str):
    """An argparse type: a whole number no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1, "a positive number")
_non_negative_int = _int_at_least(0, "zero or more")


def _int_at_most(maximum: int, what: str):
    """An argparse type: a whole number from 1 to ``maximum``; the limit names itself."""

    def parse(text: str) -> int:
        value = _positive_int(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"at most {maximum:,} {what}, got {value:,}")
        return value

    return parse


_n_components = _int_at_most(MAX_COMPONENTS, "components are supported")


def _seed(text: str) -> int:
    """An argparse type: a seed from 0 to :data:`MAX_SEED` (what the window's seed box holds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to {MAX_SEED:,}, got {text}"
        )
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text}")
    return value


def _number(text: str) -> float:
    """An argparse type: any number, NaN and infinity included (priors are checked with the
    data, which sets some of their ranges)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _number_list(text: str) -> list[float]:
    """An argparse type: ``1.5,2,-3`` -> numbers."""
    try:
        return [float(item) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None


def _column_list(text: str) -> list[str | int]:
    """``A,B`` -> names; ``0,2`` -> indices (0-based), as the CSV reader takes them."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"empty column name in {text!r}")
    return list(items)


def _init_choice(text: str) -> str:
    canonical = text.replace("_", "-")
    if canonical not in INIT_METHODS:
        raise argparse.ArgumentTypeError(
            f"unknown method {text!r} (choose from {', '.join(INIT_METHODS)})"
        )
    return canonical


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--columns",
        type=_column_list,
        metavar="A,B",
        help="columns to fit, by name or 0-based index (default: every numeric column "
        "except a leading row index)",
    )
    parser.add_argument(
        "--normalize",
        action="store_true",
        help="fit z-scores; parameters are written back in the data's own units",
    )


def _add_model_options(parser: argparse.ArgumentParser, k_required: bool) -> None:
    parser.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_n_components,
        required=False,
        default=None if k_required else 3,
        metavar="K",
        help="number of components" + ("" if k_required else " (default 3)"),
    )
    parser.add_argument(
        "--covariance-type",
        choices=COVARIANCE_TYPES,
        default=None,
        help="covariance type (default full)",
    )
    parser.add_argument(
        "--init",
        type=_init_choice,
        default=None,
        metavar="METHOD",
        help=f"initialisation: {', '.join(INIT_METHODS)} (default kmeans)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seed of the initialisation (0 to 2**31 - 1; 0)"
    )
    parser.add_argument(
        "--tol",
        type=_non_negative_float,
        default=DEFAULT_TOL,
        help=f"stop when the mean log-likelihood changes by less (default {DEFAULT_TOL:g})",
    )
    parser.add_argument(
        "--max-iter",
        type=_non_negative_int,
        default=DEFAULT_MAX_ITER,
        help=f"most EM iterations (default {DEFAULT_MAX_ITER})",
    )
    parser.add_argument(
        "--reg-covar",
        type=_non_negative_float,
        default=DEFAULT_REG_COVAR,
        help=f"added to covariance diagonals (default {DEFAULT_REG_COVAR:g})",
    )

"""The ``gmmviewer`` command: open the window, or ``fit`` / ``generate`` headless.

``fit`` and ``generate`` use :mod:`gmmviewer.core` only and never import Qt; the
window is imported only when it is asked for. Bad input ends with a one-line message
on stderr and exit code 1 (usage errors: 2), never a traceback; set
``GMMVIEWER_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from gmmviewer import __version__
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import PRESETS, make_preset, make_random_mixture
from gmmviewer.core.em.fit import FitResult, fit
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.em.passes import PASS_DTYPE_NAMES
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.csv_writer import write_data_csv
from gmmviewer.core.files.paramfile import FILE_FORMATS, load_params, save_params
from gmmviewer.core.files.paramfile_variational import VariationalRecord
from gmmviewer.core.limits import (
    MAX_COMPONENTS,
    MAX_COVARIANCE_ENTRIES,
    MAX_GENERATED_FEATURES,
    MAX_GENERATED_SAMPLES,
    MAX_GENERATED_VALUES,
    MAX_SEED,
    covariance_entries,
)
from gmmviewer.core.params import GMMParams
from gmmviewer.core.text import count

if TYPE_CHECKING:
    from gmmviewer.core.vb.fit import VariationalFitResult

PROG = "gmmviewer"
SUBCOMMANDS = ("fit", "generate")
FIT_METHODS = ("em", "vb")
PRIOR_TYPES = ("dirichlet-process", "dirichlet-distribution")
#: A component is "in use" in a variational fit when its expected weight is at least this.
IN_USE_WEIGHT = 0.01
#: The options only a variational fit takes: (argparse dest, option).
VARIATIONAL_OPTIONS = (
    ("prior_type", "--prior-type"),
    ("weight_concentration", "--weight-concentration"),
    ("mean_precision", "--mean-precision"),
    ("mean_prior", "--mean-prior"),
    ("degrees_of_freedom", "--degrees-of-freedom"),
    ("covariance_prior", "--covariance-prior"),
)


class CommandError(GMMViewerError):
    """A problem with the command's arguments found after parsing (exit code 1)."""


# ======================================================================= parsers
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


def _prior_type(text: str) -> str:
    canonical = text.replace("_", "-")
    if canonical not in PRIOR_TYPES:
        raise argparse.ArgumentTypeError(
            f"unknown prior type {text!r} (choose from {', '.join(PRIOR_TYPES)})"
        )
    return canonical


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


def _add_variational_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--method",
        choices=FIT_METHODS,
        default="em",
        help="em: maximum likelihood (default); vb: variational Bayes as scikit-learn's "
        "BayesianGaussianMixture, where -k is the most components and those the data do "
        "not need get weights near zero",
    )
    group = parser.add_argument_group(
        "priors of a variational fit (--method vb; default: scikit-learn's, from the data; "
        "with --normalize they are for z-scores)"
    )
    group.add_argument(
        "--prior-type",
        type=_prior_type,
        default=None,
        metavar="TYPE",
        help=f"prior on the weights: {' or '.join(PRIOR_TYPES)} (default dirichlet-process)",
    )
    group.add_argument(
        "--weight-concentration",
        type=_number,
        default=None,
        metavar="X",
        help="concentration of the weight prior, > 0: small values leave more components "
        "empty (default 1/K)",
    )
    group.add_argument(
        "--mean-precision",
        type=_number,
        default=None,
        metavar="X",
        help="precision of the prior on the means, > 0 (default 1)",
    )
    group.add_argument(
        "--mean-prior",
        type=_number_list,
        default=None,
        metavar="M1,M2",
        help="prior mean of the means, one number per column (default the data's mean; "
        "write --mean-prior=-1,2 when it starts with a minus)",
    )
    group.add_argument(
        "--degrees-of-freedom",
        type=_number,
        default=None,
        metavar="X",
        help="degrees of freedom of the Wishart prior, > D - 1 (default D, the columns)",
    )
    group.add_argument(
        "--covariance-prior",
        type=_number_list,
        default=None,
        metavar="C1,C2,...",
        help="prior covariance: one number (spherical), D (diag) or D x D row by row "
        "(full, tied) (default the data's covariance)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser for ``fit`` and ``generate`` (the window has :func:`window_parser`)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Watch EM fit a Gaussian mixture, or fit and generate data headless.",
        epilog="Run 'gmmviewer' alone for the window with a built-in demo, or "
        "'gmmviewer DATA.csv' to open a file in it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit_parser = commands.add_parser(
        "fit",
        help="fit a Gaussian mixture to a CSV file and write its parameters",
        description="Fit a Gaussian mixture by EM (or variational Bayes, --method vb) and "
        "write the parameters (.json, .npz or .csv by the output's extension).",
    )
    fit_parser.add_argument("data", metavar="DATA.csv", help="the data file")
    _add_model_options(fit_parser, k_required=True)
    fit_parser.add_argument(
        "--init-params",
        metavar="FILE",
        help="start from the parameters in FILE (.json, .npz or .csv) instead of --init",
    )
    _add_data_options(fit_parser)
    fit_parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="parameter file to write"
    )
    fit_parser.add_argument(
        "--progress",
        action="store_true",
        help="print every iteration (default: only when a fit runs for over a second)",
    )
    fit_parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    fit_parser.add_argument(
        "--dtype",
        choices=PASS_DTYPE_NAMES,
        default="float64",
        help="type of the E-step's arithmetic: float32 is about twice as fast on large data, "
        "log-likelihoods agree to about 1e-7 relative (default float64, exact)",
    )
    _add_variational_options(fit_parser)

    generate_parser = commands.add_parser(
        "generate",
        help="sample a synthetic Gaussian mixture to a CSV file",
        description="Sample data from a preset or a random well-separated mixture.",
    )
    source = generate_parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", choices=sorted(PRESETS), help="a named mixture")
    source.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_n_components,
        metavar="K",
        help=f"a random well-separated mixture of K components (at most {MAX_COMPONENTS:,})",
    )
    generate_parser.add_argument(
        "-n",
        "--samples",
        dest="n",
        type=_int_at_most(MAX_GENERATED_SAMPLES, "samples are generated"),
        required=True,
        metavar="N",
        help=f"rows to sample (at most {MAX_GENERATED_SAMPLES:,})",
    )
    generate_parser.add_argument(
        "--dim",
        type=_int_at_most(MAX_GENERATED_FEATURES, "columns are generated"),
        default=2,
        metavar="D",
        help=f"dimensions (random only; 2, at most {MAX_GENERATED_FEATURES})",
    )
    generate_parser.add_argument(
        "--separation",
        type=_non_negative_float,
        default=3.0,
        help="least distance between components in standard deviations (random only; 3)",
    )
    generate_parser.add_argument("--seed", type=_seed, default=0, help="seed (0)")
    generate_parser.add_argument("-o", "--output", required=True, metavar="DATA.csv")
    generate_parser.add_argument(
        "--truth", metavar="TRUTH.json", help="also write the true parameters"
    )
    generate_parser.add_argument(
        "--labels", action="store_true", help="add a 'component' column with the true labels"
    )
    return parser


def window_parser() -> argparse.ArgumentParser:
    """The parser for ``gmmviewer [DATA.csv] [options]``, which opens the window."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Open the gmmviewer window: the built-in lecture demo, or DATA.csv. "
        "Headless commands: 'gmmviewer fit --help', 'gmmviewer generate --help'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "data", nargs="?", metavar="DATA.csv", help="a CSV file or a saved session (.gmmv)"
    )
    _add_model_options(parser, k_required=False)
    _add_data_options(parser)
    return parser


# ====================================================================== commands
def run_fit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``gmmviewer fit``: load, fit, summarise, write."""
    output_format = _output_format(args.output)
    _check_method_options(args)
    if args.k is None and args.init_params is None:
        raise CommandError("give the number of components with -k K (or --init-params FILE)")
    if args.init_params and args.init:
        raise CommandError("give either --init or --init-params, not both")
    start: GMMParams | None = None
    start_file = None
    if args.init_params:
        start_file = load_params(args.init_params)
        start = start_file.params
        if args.k is not None and args.k != start.n_components:
            raise CommandError(
                f"-k {args.k} disagrees with the {start.n_components} components in "
                f"{args.init_params}"
            )
        if args.covariance_type and args.covariance_type != start.covariance_type:
            start = start.as_covariance_type(args.covariance_type)
    n_components = start.n_components if start is not None else args.k

    dataset = load_csv(args.data, args.columns, normalize=args.normalize, min_rows=n_components)
    covariance_type = args.covariance_type or (start.covariance_type if start else "full")
    entries = covariance_entries(n_components, dataset.n_features, covariance_type)
    if entries > MAX_COVARIANCE_ENTRIES:
        raise CommandError(
            f"{n_components:,} {covariance_type} covariances of {dataset.n_features:,} columns "
            f"hold {entries:,} numbers; at most {MAX_COVARIANCE_ENTRIES:,} are fitted "
            "(use fewer components or columns, or --covariance-type diag)"
        )
    if start is not None:
        if start.n_features != dataset.n_features:
            raise CommandError(
                f"{args.init_params} has {start.n_features} features but "
                f"{len(dataset.columns)} columns were selected ({', '.join(dataset.columns)})"
            )
        start = dataset.from_data_units(start)

    if args.method == "vb":
        return _run_variational_fit(
            args, dataset, start, n_components, covariance_type, output_format, out, err
        )
    progress = _Progress(err, always=args.progress and not args.quiet, quiet=args.quiet)
    result = fit(
        dataset,
        n_components,
        covariance_type=args.covariance_type or "full",
        init=args.init or "kmeans",
        init_params=start,
        seed=args.seed,
        tol=args.tol,
        max_iter=args.max_iter,
        reg_covar=args.reg_covar,
        callback=progress,
        keep_history=False,
        dtype=args.dtype,
    )
    params = dataset.to_data_units(result.params)
    log_likelihood = _data_unit_log_likelihood(result, dataset)
    save_params(
        args.output,
        params,
        columns=dataset.columns,
        log_likelihood=log_likelihood,
        n_iter=result.n_iter,
        converged=result.converged,
        n_samples=dataset.n_samples,
        source=os.path.basename(str(args.data)),
        format=output_format,
    )
    if not args.quiet:
        out.write(format_summary(dataset, params, result, log_likelihood, args))
        out.write(f"wrote {args.output}\n")
    if result.status and not args.quiet:
        err.write(f"{PROG}: warning: {result.status}\n")
    return 0


def _check_method_options(args: argparse.Namespace) -> None:
    """Refuse options that do not belong to the chosen method."""
    if args.method == "em":
        for dest, option in VARIATIONAL_OPTIONS:
            if getattr(args, dest) is not None:
                raise CommandError(f"{option} is for variational fits: add --method vb")
    elif args.dtype != "float64":
        raise CommandError(f"--dtype {args.dtype} is for EM fits; variational fits use float64")


def _run_variational_fit(
    args: argparse.Namespace,
    dataset: Dataset,
    start: GMMParams | None,
    n_components: int,
    covariance_type: str,
    output_format: str,
    out: TextIO,
    err: TextIO,
) -> int:
    """``gmmviewer fit --method vb``: fit, summarise and write a variational mixture.

    Like EM, the fit runs on ``dataset.X`` (z-scores with --normalize) and the expected
    weights, means and covariances are written in data units; the priors and variational
    parameters are written as fitted, with the file's ``units`` saying which.
    """
    # Imported here: the window starts through this module and its first paint does not
    # wait for the scipy.special the engine needs (tests/test_layout.py).
    from gmmviewer.core.vb.fit import fit_variational

    prior_options = _variational_prior_options(args, dataset.n_features, covariance_type)
    progress = _Progress(
        err, always=args.progress and not args.quiet, quiet=args.quiet, quantity="lower bound"
    )
    result = fit_variational(
        dataset,
        n_components,
        covariance_type,
        **prior_options,
        reg_covar=args.reg_covar,
        init=start if start is not None else (args.init or "kmeans"),
        max_iter=args.max_iter,
        tol=args.tol,
        random_state=args.seed,
        callback=progress,
    )
    params = dataset.to_data_units(result.params)
    if dataset.normalized:
        record = VariationalRecord(
            result.priors, result.variational, "z-scores", dataset.offset, dataset.scale
        )
    else:
        record = VariationalRecord(result.priors, result.variational)
    save_params(
        args.output,
        params,
        columns=dataset.columns,
        n_iter=result.n_iter,
        converged=result.converged,
        n_samples=dataset.n_samples,
        source=os.path.basename(str(args.data)),
        format=output_format,
        method="variational",
        lower_bound=result.lower_bound,
        variational=record,
    )
    if not args.quiet:
        out.write(format_variational_summary(dataset, params, result, args))
        out.write(f"wrote {args.output}\n")
    return 0


def _variational_prior_options(
    args: argparse.Namespace, n_features: int, covariance_type: str
) -> dict[str, object]:
    """The priors given on the command line as :func:`fit_variational` takes them, each
    checked with a one-line error naming its option."""

    def finite(option: str, values: list[float]) -> None:
        if not all(math.isfinite(v) for v in values):
            raise CommandError(f"{option} must be finite, got {_numbers_text(values)}")

    options: dict[str, object] = {
        "weight_concentration_prior_type": (args.prior_type or PRIOR_TYPES[0]).replace("-", "_")
    }
    for option, dest, name in (
        ("--weight-concentration", "weight_concentration", "weight_concentration_prior"),
        ("--mean-precision", "mean_precision", "mean_precision_prior"),
    ):
        value = getattr(args, dest)
        if value is not None:
            if not (math.isfinite(value) and value > 0.0):
                raise CommandError(f"{option} must be a positive number, got {value:g}")
            options[name] = value
    if args.degrees_of_freedom is not None:
        value = args.degrees_of_freedom
        if not (math.isfinite(value) and value > n_features - 1):
            raise CommandError(
                f"--degrees-of-freedom must be greater than {n_features - 1} "
                f"(the columns minus one), got {value:g}"
            )
        options["degrees_of_freedom_prior"] = value
    if args.mean_prior is not None:
        values = args.mean_prior
        if len(values) != n_features:
            raise CommandError(
                f"--mean-prior needs {count(n_features, 'number')} (one per column), "
                f"got {len(values)}"
            )
        finite("--mean-prior", values)
        options["mean_prior"] = np.array(values)
    if args.covariance_prior is not None:
        options["covariance_prior"] = _covariance_prior(
            args.covariance_prior, n_features, covariance_type
        )
    return options


def _covariance_prior(values: list[float], n_features: int, covariance_type: str) -> np.ndarray:
    """``--covariance-prior`` in the layout of ``covariance_type``, checked."""
    option = "--covariance-prior"
    wanted, layout = {
        "spherical": (1, "one number"),
        "diag": (n_features, f"{count(n_features, 'number')}, one variance per column"),
        "full": (n_features**2, f"{n_features**2} numbers, a {n_features} x {n_features} matrix"),
        "tied": (n_features**2, f"{n_features**2} numbers, a {n_features} x {n_features} matrix"),
    }[covariance_type]
    if len(values) != wanted:
        raise CommandError(
            f"{option} for {covariance_type} covariances needs {layout}, got {len(values)}"
        )
    if not all(math.isfinite(v) for v in values):
        raise CommandError(f"{option} must be finite, got {_numbers_text(values)}")
    if covariance_type == "spherical":
        prior = np.array(values[0])
    elif covariance_type == "diag":
        prior = np.array(values)
    else:
        prior = np.array(values).reshape(n_features, n_features)
        symmetric = np.allclose(prior, prior.T, rtol=1e-5, atol=1e-8)
        if not (symmetric and np.all(np.linalg.eigvalsh(prior) > 0.0)):
            raise CommandError(f"{option} must be a symmetric positive definite matrix")
        return prior
    if not np.all(prior > 0.0):
        raise CommandError(f"{option} must be positive, got {_numbers_text(values)}")
    return prior


def _numbers_text(values: list[float]) -> str:
    shown = ",".join(f"{v:g}" for v in values[:6])
    return shown + (",..." if len(values) > 6 else "")


def run_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``gmmviewer generate``: sample and write a CSV (and the truth)."""
    if not str(args.output).lower().endswith((".csv", ".txt", ".tsv")):
        raise CommandError(f"the data file must end in .csv, got {args.output!r}")
    if args.truth:
        _output_format(args.truth)
    n_features = 2 if args.preset else args.dim
    if args.n * n_features > MAX_GENERATED_VALUES:
        raise CommandError(
            f"{args.n:,} samples of {n_features} columns are {args.n * n_features:,} values; "
            f"at most {MAX_GENERATED_VALUES:,} are generated"
        )
    if args.preset:
        dataset = make_preset(args.preset, n_samples=args.n, seed=args.seed)
    else:
        dataset = make_random_mixture(
            args.k, args.n, n_features=args.dim, separation=args.separation, seed=args.seed
        )
    write_data_csv(args.output, dataset, labels=args.labels)
    if args.truth:
        assert dataset.truth is not None
        save_params(
            args.truth,
            dataset.truth,
            columns=dataset.columns,
            n_samples=dataset.n_samples,
            source=dataset.source,
        )
    out.write(
        f"wrote {count(dataset.n_samples, 'sample')} of {count(dataset.n_features, 'column')} "
        f"({dataset.source}, seed {args.seed}) to {args.output}\n"
    )
    if args.truth:
        out.write(f"wrote the true parameters to {args.truth}\n")
    return 0


def run_window(args: argparse.Namespace) -> int:
    """Open the window (imports Qt only now)."""
    from gmmviewer.ui.app import run_app

    return run_app(args)


# ======================================================================= helpers
def _output_format(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FILE_FORMATS:
        shown = f"'.{suffix}'" if suffix else "no extension"
        raise CommandError(f"cannot tell the format of {path!r} ({shown}): use .json, .npz or .csv")
    return suffix


def _data_unit_log_likelihood(result: FitResult, dataset: Dataset) -> float:
    """Log-likelihood of the data in its own units (z-scoring divides densities by the scales)."""
    if not dataset.normalized:
        return result.log_likelihood
    return result.log_likelihood - dataset.n_samples * float(np.sum(np.log(dataset.scale)))


def format_summary(
    dataset: Dataset,
    params: GMMParams,
    result: FitResult,
    log_likelihood: float,
    args: argparse.Namespace,
) -> str:
    """The few lines ``gmmviewer fit`` prints: what was fitted, how it ended, a parameter table."""
    name = os.path.basename(str(args.data))
    state = (
        f"converged after {result.n_iter} iterations"
        if result.converged
        else f"stopped after {result.n_iter} iterations without converging (raise --max-iter)"
    )
    kind = params.covariance_type
    if kind != result.params.covariance_type:
        kind = f"{result.params.covariance_type} (on z-scores; {kind} in data units)"
    lines = [
        f"{name}: {count(dataset.n_samples, 'row')} x {count(dataset.n_features, 'column')} "
        f"({', '.join(dataset.columns)})" + (", normalised" if dataset.normalized else ""),
        f"{count(params.n_components, 'component')}, {kind} covariances: {state}",
        f"log-likelihood {log_likelihood:.6g} ({log_likelihood / dataset.n_samples:.6g} per row)",
        "",
    ]
    shown = list(dataset.columns[:6])
    header = ["component", "weight"] + [f"mean {c}" for c in shown]
    rows = [
        [str(k + 1), f"{params.weights[k]:.4f}"] + [f"{v:.6g}" for v in params.means[k, :6]]
        for k in range(params.n_components)
    ]
    widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    if dataset.n_features > 6:
        lines.append(f"({dataset.n_features - 6} more columns in the output file)")
    return "\n".join(lines) + "\n"


def format_variational_summary(
    dataset: Dataset,
    params: GMMParams,
    result: VariationalFitResult,
    args: argparse.Namespace,
) -> str:
    """What ``gmmviewer fit --method vb`` prints: the method, components in use, how the fit
    ended, the lower bound, and the components in use (expected weight >= 1%)."""
    name = os.path.basename(str(args.data))
    priors = result.priors
    prior_name = "Dirichlet process" if priors.is_dirichlet_process else "Dirichlet distribution"
    in_use = np.flatnonzero(params.weights >= IN_USE_WEIGHT)
    k = params.n_components
    state = (
        f"converged after {count(result.n_iter, 'iteration')}"
        if result.converged
        else f"stopped after {count(result.n_iter, 'iteration')} without converging "
        "(raise --max-iter)"
    )
    kind = params.covariance_type
    if kind != priors.covariance_type:
        kind = f"{priors.covariance_type} (on z-scores; {kind} in data units)"
    bound = f"lower bound {result.lower_bound:.6g}"
    if dataset.normalized:
        bound += " (of the fit on z-scores)"
    lines = [
        f"{name}: {count(dataset.n_samples, 'row')} x {count(dataset.n_features, 'column')} "
        f"({', '.join(dataset.columns)})" + (", normalised" if dataset.normalized else ""),
        f"variational ({prior_name}): {len(in_use)} of {count(k, 'component')} in use "
        f"(expected weight >= {IN_USE_WEIGHT:.0%})",
        f"{kind} covariances: {state}",
        bound,
        "",
    ]
    shown = list(dataset.columns[:6])
    header = ["component", "weight"] + [f"mean {c}" for c in shown]
    rows = [
        [str(j + 1), f"{params.weights[j]:.4f}"] + [f"{v:.6g}" for v in params.means[j, :6]]
        for j in in_use
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    if len(in_use) < k:
        lines.append(
            f"({count(k - len(in_use), 'component')} below {IN_USE_WEIGHT:.0%} not shown; "
            "the output file holds all)"
        )
    if dataset.n_features > 6:
        lines.append(f"({dataset.n_features - 6} more columns in the output file)")
    return "\n".join(lines) + "\n"


class _Progress:
    """Prints fit progress to stderr: every iteration, or only once a fit runs over a second."""

    def __init__(
        self,
        stream: TextIO,
        always: bool,
        quiet: bool,
        quantity: str = "mean log-likelihood",
    ) -> None:
        self._stream = stream
        self._always = always
        self._quiet = quiet
        self._quantity = quantity
        self._start = time.perf_counter()
        self._last_print = self._start
        self._previous = -math.inf

    def __call__(self, iteration: int, lower_bound: float) -> None:
        change = lower_bound - self._previous
        self._previous = lower_bound
        now = time.perf_counter()
        if self._quiet:
            return
        if self._always or (now - self._start > 1.0 and now - self._last_print > 1.0):
            self._last_print = now
            shown = f"{change:.3g}" if math.isfinite(change) else "-"
            self._stream.write(
                f"iteration {iteration:4d}  {self._quantity} {lower_bound:.8g}  change {shown}\n"
            )
            self._stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gmmviewer`` command. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    headless = bool(argv) and argv[0] in SUBCOMMANDS
    if argv[:1] in (["-h"], ["--help"]):
        parser = _combined_help_parser()
    else:
        parser = build_parser() if headless else window_parser()
    args = parser.parse_args(argv)  # exits with code 2 on usage errors
    try:
        if not headless:
            return run_window(args)
        if args.command == "fit":
            return run_fit(args, sys.stdout, sys.stderr)
        return run_generate(args, sys.stdout, sys.stderr)
    except (GMMViewerError, OSError) as error:
        sys.stderr.write(f"{PROG}: error: {_one_line(error)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as error:  # a bug: still no traceback unless asked for
        if os.environ.get("GMMVIEWER_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error: {type(error).__name__}: {_one_line(error)} "
            "(set GMMVIEWER_DEBUG=1 for details)\n"
        )
        return 1


def _combined_help_parser() -> argparse.ArgumentParser:
    """``gmmviewer --help``: the window's options plus the headless commands."""
    parser = window_parser()
    parser.epilog = (
        "headless commands:\n"
        "  gmmviewer fit DATA.csv -k K -o OUT.json   fit and write parameters\n"
        "  gmmviewer generate --preset lecture -n 600 -o DATA.csv\n"
        "                                            sample a synthetic mixture\n"
        "Run 'gmmviewer fit --help' or 'gmmviewer generate --help' for their options."
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    text = str(error) or type(error).__name__
    return " ".join(text.split())

"""The variational part of ``gmmviewer fit`` (``--method vb``).

Its options and priors, the checks that give each prior a one-line error naming its
option, the fit itself and its summary. Like the rest of the command it never imports Qt.
"""

from __future__ import annotations

import argparse
import math
import os
from typing import TYPE_CHECKING, TextIO

import numpy as np

from gmmviewer.cli_arguments import CommandError, _number, _number_list
from gmmviewer.cli_assignments import write_variational_assignments
from gmmviewer.cli_progress import Progress
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.files.paramfile import save_params
from gmmviewer.core.files.paramfile_variational import VariationalRecord
from gmmviewer.core.params import GMMParams
from gmmviewer.core.text import count

if TYPE_CHECKING:
    from gmmviewer.core.vb.fit import VariationalFitResult

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


def _prior_type(text: str) -> str:
    canonical = text.replace("_", "-")
    if canonical not in PRIOR_TYPES:
        raise argparse.ArgumentTypeError(
            f"unknown prior type {text!r} (choose from {', '.join(PRIOR_TYPES)})"
        )
    return canonical


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
    progress = Progress(
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
    write_variational_assignments(args, dataset, result.variational, out)
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

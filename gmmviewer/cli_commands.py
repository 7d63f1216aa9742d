"""The headless commands ``fit`` and ``generate``, and the parser of every headless command.

:mod:`gmmviewer.cli` imports this module only when the command line names one of them:
opening the window needs none of the CSV and parameter files, the fit or the
variational options imported here. Uses :mod:`gmmviewer.core` only, never Qt.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

import numpy as np

from gmmviewer.cli_arguments import (
    PROG,
    CommandError,
    _add_data_options,
    _add_model_options,
    _int_at_most,
    _n_components,
    _non_negative_float,
    _seed,
)
from gmmviewer.cli_assignments import (
    add_assignments_option,
    check_assignments_path,
    write_em_assignments,
)
from gmmviewer.cli_progress import Progress
from gmmviewer.cli_replay import add_export_html_parser
from gmmviewer.cli_variational import (
    _add_variational_options,
    _check_method_options,
    _run_variational_fit,
)
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import PRESETS, make_preset, make_random_mixture
from gmmviewer.core.em.fit import FitResult, fit
from gmmviewer.core.em.passes import PASS_DTYPE_NAMES
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.csv_writer import write_data_csv
from gmmviewer.core.files.paramfile import FILE_FORMATS, load_params, save_params
from gmmviewer.core.limits import (
    MAX_COMPONENTS,
    MAX_COVARIANCE_ENTRIES,
    MAX_GENERATED_FEATURES,
    MAX_GENERATED_SAMPLES,
    MAX_GENERATED_VALUES,
    covariance_entries,
)
from gmmviewer.core.params import GMMParams
from gmmviewer.core.text import count
from gmmviewer.version import __version__

__all__ = ["build_parser", "format_summary", "run_fit", "run_generate"]


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
    add_assignments_option(fit_parser)
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
    add_export_html_parser(commands)
    return parser


def run_fit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``gmmviewer fit``: load, fit, summarise, write."""
    output_format = _output_format(args.output)
    check_assignments_path(args.assignments)
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
    progress = Progress(err, always=args.progress and not args.quiet, quiet=args.quiet)
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
    write_em_assignments(args, dataset, result.params, out)
    if result.status and not args.quiet:
        err.write(f"{PROG}: warning: {result.status}\n")
    return 0


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

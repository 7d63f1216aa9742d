"""``gmmviewer fit --assignments OUT.csv``: each row's component, responsibilities, uncertainty.

The responsibilities are those of the fitted model on the data it was fitted to
(z-scores with ``--normalize``; responsibilities do not change under that rescaling), as
the window would show them after one more E-step:

* EM: the E-step of the final parameters.
* variational Bayes (``--method vb``): the variational E-step of the final variational
  parameters, from expected log-weights and log-densities, as scikit-learn's
  ``BayesianGaussianMixture.predict_proba`` computes them (not those of the expected
  mixture written to the parameter file).

The layout is :mod:`gmmviewer.core.files.assignments_csv`'s. Never imports Qt.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TextIO

from gmmviewer.cli_arguments import CommandError
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.estep import e_step
from gmmviewer.core.files.assignments_csv import file_rows, write_assignments_csv
from gmmviewer.core.params import GMMParams

if TYPE_CHECKING:
    from gmmviewer.core.vb.variational import VariationalParams

#: Extensions an assignments file may have (it is CSV whatever its name).
ASSIGNMENT_EXTENSIONS = (".csv", ".txt")


def add_assignments_option(parser: argparse.ArgumentParser) -> None:
    """``--assignments OUT.csv`` for ``fit``."""
    parser.add_argument(
        "--assignments",
        metavar="OUT.csv",
        help="also write every row used: its data row in the file, most responsible "
        "component (from 1), responsibilities r1..rK and uncertainty (1 - max r)",
    )


def check_assignments_path(path: str | None) -> None:
    """Refuse, before fitting, an assignments file that could not be written."""
    if path is None:
        return
    if not path.lower().endswith(ASSIGNMENT_EXTENSIONS):
        raise CommandError(f"the assignments file must end in .csv, got {path!r}")
    if os.path.isdir(path):
        raise CommandError(f"{path} is a folder, not an assignments file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"cannot write {path}: the folder {folder} does not exist")


def write_em_assignments(
    args: argparse.Namespace, dataset: Dataset, params: GMMParams, out: TextIO
) -> None:
    """The E-step of ``params`` (fitted to ``dataset.X``), written to ``args.assignments``."""
    if not args.assignments:
        return
    posterior = e_step(dataset.X, params)
    write_assignments_csv(args.assignments, posterior.resp.T, file_rows(dataset), posterior.hard)
    _report(args, out)


def write_variational_assignments(
    args: argparse.Namespace, dataset: Dataset, variational: VariationalParams, out: TextIO
) -> None:
    """The variational E-step of ``variational``, written to ``args.assignments``."""
    if not args.assignments:
        return
    from gmmviewer.core.vb.estep import e_step as variational_e_step

    posterior = variational_e_step(dataset.X, variational)
    write_assignments_csv(args.assignments, posterior.resp.T, file_rows(dataset), posterior.hard)
    _report(args, out)


def _report(args: argparse.Namespace, out: TextIO) -> None:
    if not args.quiet:
        out.write(f"wrote {args.assignments}\n")

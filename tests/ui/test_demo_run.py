"""The real application, started in a subprocess on the demo: Step, then Run to the end.

What the session went through is printed by the subprocess and checked here against
scikit-learn started from the same parameters on the same data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

#: Opens the demo, presses Step, then Run once the iteration is complete, and when EM is done
#: prints what the session went through and closes the window: driven by the session's
#: events, not by timers.
STEP_RUN_CLOSE = """
import json
import sys
from PySide6 import QtCore
from gmmviewer.cli import main
from gmmviewer.ui.window import main_window

show = main_window.MainWindow.show

def show_step_run_close(self):
    show(self)
    session = self.controller.session
    title = self.windowTitle().replace("[*]", "*" if self.isWindowModified() else "")
    print("title:", title, "N =", session.n_samples, flush=True)
    seen = {}

    def on_changed(action):
        if "step" not in seen:
            if session.iteration == 1 and session.next_step == "E":
                seen["step"] = [state.action for state in session.history]
                QtCore.QTimer.singleShot(0, self.actions_by_name["run"].trigger)
        elif session.done and "report" not in seen:
            start = session.history[0].params
            seen["report"] = {
                "step": seen["step"],
                "X": session.X.tolist(),
                "tol": session.tol,
                "reg_covar": session.reg_covar,
                "start": [start.weights.tolist(), start.means.tolist(),
                          start.covariances.tolist(), start.covariance_type],
                "params": [session.params.weights.tolist(), session.params.means.tolist(),
                           session.params.covariances.tolist()],
                "iteration": session.iteration,
                "converged": session.converged,
                "actions": [state.action for state in session.history],
                "log_likelihoods": [state.log_likelihood for state in session.history],
            }
            print("report:", json.dumps(seen["report"]), flush=True)
            QtCore.QTimer.singleShot(0, close_saved)

    def close_saved():
        self.controller.mark_saved()  # closing must not ask to save
        self.close()

    session.changed.connect(on_changed)
    self.controller.set_speed(100)
    QtCore.QTimer.singleShot(0, self.actions_by_name["step"].trigger)

main_window.MainWindow.show = show_step_run_close
sys.exit(main(sys.argv[1:]))
"""


def test_the_demo_runs_em_where_scikit_learn_runs_it(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    try:
        result = subprocess.run(
            [sys.executable, "-c", STEP_RUN_CLOSE],
            capture_output=True,
            text=True,
            env=env,
            # A guard against a hang (below pytest's faulthandler_timeout, so a hang fails
            # here with the app's output), not a speed requirement.
            timeout=240,
        )
    except subprocess.TimeoutExpired as hang:
        output = f"{hang.stdout!s:.300}\n{hang.stderr!s:.2000}"
        pytest.fail(f"the app did not finish stepping, running and closing:\n{output}")
    assert result.returncode == 0, result.stderr
    assert "N = 600" in result.stdout
    assert "Traceback" not in result.stderr and "Fatal" not in result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("report: ")]
    report = json.loads(line.removeprefix("report: "))
    # Step did one whole iteration; Run went on from there, one half-step at a time.
    assert report["step"] == ["initialise", "e-step", "m-step"]
    n_iter = report["iteration"]
    assert report["actions"] == ["initialise"] + ["e-step", "m-step"] * n_iter
    log_likelihoods = np.array(report["log_likelihoods"])
    assert np.all(np.diff(log_likelihoods) >= -1e-9 * np.abs(log_likelihoods[1:]))
    # And it ran EM to where scikit-learn, started from the same parameters, stops.
    X = np.array(report["X"])
    weights, means, covariances, covariance_type = report["start"]
    assert covariance_type == "full"
    model = GaussianMixture(
        len(weights),
        weights_init=weights,
        means_init=means,
        precisions_init=np.linalg.inv(covariances),
        tol=report["tol"],
        reg_covar=report["reg_covar"],
    ).fit(X)
    assert report["converged"] and model.converged_
    assert n_iter == model.n_iter_ > 1
    for ours, theirs in zip(
        report["params"], [model.weights_, model.means_, model.covariances_], strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)

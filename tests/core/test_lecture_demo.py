"""The stored lecture demo is exactly what the preset and its random-means start give."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from gmmviewer.core.data import lecture_demo
from gmmviewer.core.session.em_session import EMSession


def test_the_stored_demo_is_the_computed_one():
    stored, stored_start = lecture_demo.lecture_demo()
    computed, computed_start = lecture_demo.computed_demo()
    assert np.array_equal(stored.X, computed.X)
    assert np.array_equal(stored.labels, computed.labels)
    assert stored.columns == computed.columns
    assert stored.source == computed.source == "preset:lecture"
    for name in ("weights", "means", "covariances"):
        assert np.array_equal(getattr(stored.truth, name), getattr(computed.truth, name))
        assert np.array_equal(getattr(stored_start, name), getattr(computed_start, name))
    assert stored_start.covariance_type == computed_start.covariance_type == "full"


def test_a_session_on_the_stored_demo_is_the_session_on_the_drawn_one():
    dataset, start = lecture_demo.lecture_demo()
    stored = EMSession(
        dataset,
        params=start,
        description=lecture_demo.START_DESCRIPTION,
        init=lecture_demo.INIT,
        seed=lecture_demo.INIT_SEED,
    )
    drawn = EMSession(
        lecture_demo.computed_demo()[0],
        lecture_demo.N_COMPONENTS,
        init=lecture_demo.INIT,
        seed=lecture_demo.INIT_SEED,
    )
    assert stored.history[0].description == drawn.history[0].description
    for _ in range(5):
        stored.step()
        drawn.step()
    assert stored.nll == drawn.nll
    assert np.array_equal(stored.params.means, drawn.params.means)
    # Initialising again (same method and seed) starts where the drawn session started.
    stored.reinitialize()
    drawn.reinitialize()
    assert np.array_equal(stored.params.means, start.means)
    assert np.array_equal(stored.params.covariances, drawn.params.covariances)
    assert stored.history[-1].description == drawn.history[-1].description


def test_reading_the_demo_does_not_import_numpy_random():
    code = (
        "import sys\n"
        "from gmmviewer.core.data.lecture_demo import lecture_demo\n"
        "lecture_demo()\n"
        "print('numpy.random' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_rewriting_the_demo_writes_the_same_arrays(tmp_path):
    path = tmp_path / "demo.npz"
    lecture_demo.write_stored_demo(path)
    with np.load(path) as written, np.load(lecture_demo.STORED) as shipped:
        assert sorted(written.files) == sorted(shipped.files)
        for name in written.files:
            assert np.array_equal(written[name], shipped[name])
    assert [p.name for p in tmp_path.iterdir()] == ["demo.npz"]

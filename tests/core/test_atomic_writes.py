"""Writes never destroy: the previous file survives a failed, full or killed save.

The kill tests run a real save in a child process and SIGKILL it once its temporary
file appears, the moment an in-place write would have started changing the target.
They wait on conditions (a line from the child, a file appearing, the child's exit)
under a generous overall guard, never on a fixed sleep.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import DataError, ParameterFileError, SessionFileError
from gmmviewer.core.files import atomic
from gmmviewer.core.files.atomic import atomic_path, atomic_write
from gmmviewer.core.files.csv_writer import write_data_csv, write_history_csv
from gmmviewer.core.files.paramfile import load_params, save_params
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and modes")
GUARD_SECONDS = 600  # only ever reached when something hangs

OLD = GMMParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]], [np.eye(2), np.eye(2)], "full")
NEW = GMMParams([0.2, 0.8], [[1.0, 0.0], [4.0, 3.0]], [np.eye(2), 2 * np.eye(2)], "full")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# ================================================================== the API
def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old contents that are longer than the new ones")
    with atomic_write(target, "w") as stream:
        stream.write("new")
        assert target.read_text().startswith("old")  # untouched until the block ends
        assert len(leftovers(tmp_path)) == 1
    assert target.read_text() == "new"
    assert leftovers(tmp_path) == []


def test_a_failure_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"), atomic_write(target) as stream:
        stream.write(b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_new_file_is_created_with_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "fresh.json"
    with atomic_write(target) as stream:
        stream.write(b"{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert target.read_bytes() == b"{}"


@posix_only
def test_the_old_files_permissions_are_kept(tmp_path):
    target = tmp_path / "shared.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_write(target) as stream:
        stream.write(b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@posix_only
def test_writing_through_a_symbolic_link_keeps_the_link(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with atomic_write(link, "w") as stream:
        stream.write("new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_directory_is_never_replaced(tmp_path):
    folder = tmp_path / "out.json"
    folder.mkdir()
    with pytest.raises(IsADirectoryError), atomic_write(folder) as stream:
        stream.write(b"x")
    assert folder.is_dir() and leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_special_file_is_never_replaced(tmp_path):
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="not a regular file"), atomic_write(pipe) as stream:
        stream.write(b"x")
    assert stat.S_ISFIFO(pipe.stat().st_mode) and leftovers(tmp_path) == []


def test_atomic_path_for_writers_that_take_a_name(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    with atomic_path(target) as temporary:
        assert temporary.endswith(".png") and Path(temporary).parent == tmp_path
        Path(temporary).write_bytes(b"new image")
    assert target.read_bytes() == b"new image" and leftovers(tmp_path) == []
    with pytest.raises(ValueError), atomic_path(target) as temporary:
        Path(temporary).write_bytes(b"broken")
        raise ValueError("the image writer failed")
    assert target.read_bytes() == b"new image" and leftovers(tmp_path) == []


# ============================================== every writer of the core uses it
def _session() -> EMSession:
    session = EMSession(make_preset("lecture", 100, seed=0), 2, seed=0)
    session.step()
    return session


WRITERS = {
    "session": (
        "s.gmmv",
        lambda path: save_session(path, _session()),
        SessionFileError,
        lambda path: load_session(path),
    ),
    "json": ("p.json", lambda path: save_params(path, NEW), ParameterFileError, load_params),
    "npz": ("p.npz", lambda path: save_params(path, NEW), ParameterFileError, load_params),
    "csv": ("p.csv", lambda path: save_params(path, NEW), ParameterFileError, load_params),
    "data": (
        "d.csv",
        lambda path: write_data_csv(path, make_preset("lecture", 50, seed=0)),
        DataError,
        None,
    ),
    "history": (
        "h.csv",
        lambda path: write_history_csv(path, list(_session().history)),
        DataError,
        None,
    ),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_full_disk_during_any_save_keeps_the_previous_file(tmp_path, monkeypatch, kind):
    name, write, error, _ = WRITERS[kind]
    target = tmp_path / name
    target.write_bytes(b"the previous file")

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(error, match="cannot write .*No space left on device") as info:
        write(target)
    assert "\n" not in str(info.value)
    assert target.read_bytes() == b"the previous file"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_save_goes_through_a_temporary_file(tmp_path, monkeypatch, kind):
    name, write, _, load = WRITERS[kind]
    target = tmp_path / name
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(source, destination):
        replaced.append((os.path.basename(source), os.path.basename(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(atomic.os, "replace", spy)
    write(target)
    assert len(replaced) == 1 and replaced[0][1] == name and ".tmp" in replaced[0][0]
    if load is not None:
        load(target)


# ===================================================================== kill -9
CHILD = r"""
import os, sys, threading
import numpy as np
from gmmviewer.core.files import atomic
from gmmviewer.core.files.paramfile import save_params
from gmmviewer.core.files.sessions.session_file import save_session
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

kind, target, block = sys.argv[1], sys.argv[2], sys.argv[3] == "block"
if block:
    # Stop inside the save, after the temporary file is written and before it replaces
    # the target; say so, then wait to be killed.
    def fsync(descriptor):
        sys.stdout.write("saving\n")
        sys.stdout.flush()
        threading.Event().wait()
    atomic.os.fsync = fsync
rng = np.random.default_rng(1)
def start():
    sys.stdout.write("start\n")
    sys.stdout.flush()
if kind == "session":
    X = rng.normal(size=(int(sys.argv[4]), 2))
    session = EMSession(X, 2, init="random-means", seed=0)
    session.step()
    start()
    save_session(target, session)
else:
    k, d = 40, 30
    covariances = np.stack([np.eye(d) * (1 + i) for i in range(k)])
    params = GMMParams(np.full(k, 1 / k), rng.normal(size=(k, d)), covariances, "full")
    start()
    save_params(target, params)
sys.stdout.write("done\n")
"""


def _start(kind: str, target: Path, block: bool, n_samples: int = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            kind,
            str(target),
            "block" if block else "race",
            str(n_samples),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=GUARD_SECONDS)
    child.stdout.close()
    child.stderr.close()


def _old_file(kind: str, target: Path) -> None:
    if kind == "session":
        save_session(target, EMSession(make_preset("lecture", 60, seed=3), 2, seed=0))
    else:
        save_params(target, OLD)


def _is_old(kind: str, target: Path) -> bool:
    if kind == "session":
        return load_session(target).session.n_samples == 60
    return load_params(target).params.equals(OLD)


@posix_only
@pytest.mark.parametrize(("kind", "name"), [("session", "s.gmmv"), ("params", "p.json")])
def test_kill_9_in_the_middle_of_a_save_keeps_the_previous_file(tmp_path, kind, name):
    target = tmp_path / name
    _old_file(kind, target)
    before = target.read_bytes()
    child = _start(kind, target, block=True, n_samples=20_000)
    try:
        # Wait for the child to be inside the save (its line, or its end if it failed).
        ready, _, _ = select.select([child.stdout], [], [], GUARD_SECONDS)
        assert ready, "the child never reached the save"
        line = child.stdout.readline()
        if line == "start\n":
            line = child.stdout.readline()
        assert line == "saving\n", line + child.stderr.read()
        temporaries = leftovers(tmp_path)
        assert len(temporaries) == 1 and (tmp_path / temporaries[0]).stat().st_size > 0
    finally:
        _kill(child)
    assert target.read_bytes() == before
    assert _is_old(kind, target)


@posix_only
@pytest.mark.slow
@pytest.mark.parametrize(("kind", "name"), [("session", "s.gmmv"), ("params", "p.json")])
def test_kill_9_as_soon_as_the_temporary_file_appears(tmp_path, kind, name):
    """No hook in the child: it is killed the moment its temporary file shows up, wherever
    the save then is. The target must load, the old file or the new, never half of one."""
    target = tmp_path / name
    _old_file(kind, target)
    child = _start(kind, target, block=False, n_samples=300_000)
    caught = False
    try:
        ready, _, _ = select.select([child.stdout], [], [], GUARD_SECONDS)
        assert ready and child.stdout.readline() == "start\n", child.stderr.read()
        deadline = time.monotonic() + GUARD_SECONDS
        while child.poll() is None and time.monotonic() < deadline:
            if leftovers(tmp_path):
                caught = True
                break
            os.sched_yield()
    finally:
        _kill(child)
    if kind == "session":
        assert load_session(target).session.n_samples in (60, 300_000)
    else:
        loaded = load_params(target)
        assert loaded.params.equals(OLD) or loaded.params.n_components == 40
    if caught and _is_old(kind, target):
        assert len(leftovers(tmp_path)) == 1  # the killed save's temporary file, nothing else

"""Helpers for the hostile-input tests: a saved session to tamper with, special files."""

from __future__ import annotations

import copy
import io
import json
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.files.sessions.session_file import save_session
from gmmviewer.core.session.em_session import EMSession


def small_session(n_samples: int = 120, half_steps: int = 7) -> EMSession:
    """A generated session with history: an initialisation, E- and M-steps, an edit."""
    session = EMSession(make_preset("lecture", n_samples, seed=0), 3, seed=1)
    session.run(max_half_steps=half_steps)
    session.move_mean(0, [0.5, 0.5])
    session.step()
    return session


class SavedSession:
    """A session saved once; :meth:`write` writes a tampered copy of its file."""

    def __init__(
        self, folder: Path, session: EMSession | None = None, theme: str = "dark"
    ) -> None:
        self.session = session if session is not None else small_session()
        self.path = folder / "good.gmmv"
        save_session(self.path, self.session, view={"dims": [0, 1], "theme": theme})
        with np.load(self.path, allow_pickle=False) as archive:
            self.arrays = {key: archive[key] for key in archive.files}
        self.meta = json.loads(str(self.arrays["meta"]))

    def write(
        self,
        path: Path,
        meta: Callable[[dict[str, Any]], None] | None = None,
        arrays: Callable[[dict[str, np.ndarray]], None] | None = None,
        meta_text: str | None = None,
    ) -> Path:
        """Write the session with ``meta`` and ``arrays`` changed in place by the callbacks."""
        document = copy.deepcopy(self.meta)
        contents = dict(self.arrays)
        if meta is not None:
            meta(document)
        if arrays is not None:
            arrays(contents)
        contents["meta"] = np.array(json.dumps(document) if meta_text is None else meta_text)
        with open(path, "wb") as stream:  # np.savez would append .npz to the name
            np.savez_compressed(stream, **contents)
        return path


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A .npy header alone, claiming ``shape``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def rewrite_zip(source: Path, target: Path, change: Callable[[str, bytes], tuple[str, bytes]]):
    """Copy a zip archive entry by entry through ``change(name, data) -> (name, data)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(*change(name, old.read(name)))
    return target


@contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A named pipe with a writer waiting on it.

    The writer lets a reader that does block on the pipe (the bug) get an empty file
    instead of hanging the suite; a reader that refuses the pipe never opens it, and
    the writer is released at the end by opening the pipe here.
    """
    os.mkfifo(path)

    def writer() -> None:
        with open(path, "wb"):
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(timeout=120)  # a generous guard: the writer returns as soon as it opens
        os.close(descriptor)

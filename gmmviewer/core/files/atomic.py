"""Writes that never destroy: a new file replaces the old one whole, or not at all. No Qt.

Everything gmmviewer writes goes to a temporary file in the target's folder (hidden,
``.<stem>.<random>.tmp<suffix>``), is flushed and fsynced, and is then renamed over the
target with ``os.replace``, which is atomic on POSIX and Windows. A crash, a full disk
or ``kill -9`` at any moment leaves the previous file intact (at worst a stray temporary
file beside it); a failed write removes its temporary file.

The new file keeps the old one's permission bits; a new target gets the usual ones
(0666 less the umask). Writing through a symbolic link replaces the file it points to
and keeps the link. A target that exists but is not a regular file (a directory, a
device, a FIFO) is refused, never replaced.

Use :func:`atomic_write` when you have the bytes or text, and :func:`atomic_path` for a
writer that wants a file name (``QImage.save``, Pillow); the temporary name keeps the
target's extension, so format-by-extension writers still work.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["atomic_path", "atomic_write"]

_BINARY = getattr(os, "O_BINARY", 0)


@contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the ``with`` block ends normally.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    mode : {'wb', 'w'}
        Binary or text.
    encoding, newline : str, optional
        For text mode, as in :func:`open` (``encoding`` defaults to UTF-8).

    Yields
    ------
    file object
        Write to it; do not close it.

    Raises
    ------
    OSError
        When the temporary file cannot be created, written, synced or renamed (the
        target is then unchanged), or the target is not a regular file.

    Examples
    --------
    >>> with atomic_write("out.json", "w") as stream:  # doctest: +SKIP
    ...     stream.write(text)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes in mode 'wb' or 'w', not {mode!r}")
    with _temporary(path) as (descriptor, temporary):
        if mode == "wb":
            stream: IO[Any] = os.fdopen(descriptor, "wb")
        else:
            stream = os.fdopen(descriptor, "w", encoding=encoding or "utf-8", newline=newline)
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary file name that replaces ``path`` when the ``with`` block ends normally.

    For writers that take a file name. The temporary file exists (empty) when the
    block starts, in the same folder and with the same extension as ``path``; write it
    by name. It is fsynced and renamed over ``path`` after the block; if the block
    raises, it is removed and ``path`` is unchanged.

    Examples
    --------
    >>> with atomic_path("plot.png") as temporary:  # doctest: +SKIP
    ...     if not image.save(temporary, "PNG"):
    ...         raise OSError(f"cannot write {temporary}")
    """
    with _temporary(path) as (descriptor, temporary):
        os.close(descriptor)
        yield temporary
        descriptor = os.open(temporary, os.O_RDONLY | _BINARY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextmanager
def _temporary(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Create the temporary file beside the real target; replace the target on success."""
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    existing = _existing_mode(target)
    stem, suffix = os.path.splitext(name)
    descriptor, temporary = -1, ""
    for _ in range(100):
        temporary = os.path.join(folder, f".{stem}.{secrets.token_hex(4)}.tmp{suffix}")
        try:
            # Created like open() would (0666 less the umask), never over another file.
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary file name", temporary)
    try:
        if existing is not None:
            _copy_mode(descriptor, temporary, existing)
        yield descriptor, temporary
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def _existing_mode(target: str) -> int | None:
    """The permission bits of the file being replaced, None when there is none."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), target)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file, so it is not replaced", target)
    return stat.S_IMODE(info.st_mode)


def _copy_mode(descriptor: int, temporary: str, mode: int) -> None:
    try:
        if os.chmod in os.supports_fd:
            os.chmod(descriptor, mode)
        else:
            os.chmod(temporary, mode)
    except OSError:
        pass  # the new file keeps the default permissions rather than failing the save


def _remove(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); best effort, a no-op where unsupported."""
    try:
        descriptor = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

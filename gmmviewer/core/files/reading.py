"""Reading files that may be hostile: only regular files, bounded sizes, bounded JSON and NPZ.

Pure Python and numpy; no Qt. Every reader of the core goes through here, so a FIFO
never blocks, ``/dev/zero`` is never read, JSON nested 100,000 deep never recurses, and
an NPZ archive never unpacks (or claims, in a ``.npy`` header) more than a set number of
bytes. Problems are raised as :class:`InputError` with a phrase that follows the file's
name ("is not valid JSON (...)"), which each reader wraps in its own error class.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import re
import stat
import zipfile
import zlib
from typing import Any

import numpy as np

from gmmviewer.core.limits import MAX_JSON_DEPTH, MAX_JSON_DIGITS, byte_size
from gmmviewer.core.text import count

__all__ = ["InputError", "SizeLimitError", "parse_json", "read_npz", "read_regular_file"]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
# A JSON string; an unterminated one runs to the end, so no text is scanned twice.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class InputError(ValueError):
    """What is wrong with a file, as a phrase that follows its name."""


class SizeLimitError(InputError):
    """A file, or what an archive unpacks to, is larger than gmmviewer reads."""


# ====================================================================== files
def read_regular_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    what: str,
    name: str | None = None,
    head: int | None = None,
) -> bytes:
    """The bytes of a regular file, refusing pipes, devices, sockets and oversized files.

    The file is checked before it is opened and opened without blocking (a FIFO would
    block ``open`` until a writer came), then checked again on the open descriptor.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int
        Largest file accepted; a larger one is refused whole, even when ``head`` is given.
    what : str
        What the file is, for the message ("data files").
    name : str, optional
        How messages name the file (default: ``path`` as given).
    head : int, optional
        Read at most this many bytes (for a preview).

    Raises
    ------
    InputError
        For a file that is not a regular file or is larger than ``max_bytes``; the
        message starts with ``name``.
    OSError
        As ``open`` raises them (FileNotFoundError, PermissionError, ...); a directory
        raises IsADirectoryError.
    """
    path_text = os.fspath(path)
    shown = path_text if name is None else name
    _check_kind(os.stat(path_text), path_text, shown)
    descriptor = os.open(path_text, os.O_RDONLY | _NONBLOCK | _BINARY)
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        _check_kind(info, path_text, shown)  # the path may have been replaced meanwhile
        if info.st_size > max_bytes:
            raise SizeLimitError(_too_large(shown, byte_size(info.st_size), what, max_bytes))
        # Read one byte more than allowed: a file that grows, or a /proc file whose
        # size reads as 0, is still caught.
        wanted = max_bytes + 1 if head is None else min(head, max_bytes + 1)
        data = stream.read(wanted)
    if head is None and len(data) > max_bytes:
        raise SizeLimitError(_too_large(shown, f"over {byte_size(max_bytes)}", what, max_bytes))
    return data


def _check_kind(info: os.stat_result, path_text: str, shown: str) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path_text)
    if stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "a special file"
    raise InputError(f"{shown} is {kind}, not a regular file")


def _too_large(shown: str, size: str, what: str, max_bytes: int) -> str:
    return f"{shown} is too large ({size}): {what} may be at most {byte_size(max_bytes)}"


# ======================================================================= JSON
def parse_json(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted text: bounded nesting, finite numbers, bounded integers.

    Raises
    ------
    InputError
        "is not valid JSON (line 3: Expecting value)", "is nested more than 32 levels
        deep", "has a number with 5,000 digits (...)", "has NaN, which is not allowed
        (numbers must be finite)", ...
    """
    _check_depth(text, max_depth)
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except json.JSONDecodeError as error:
        raise InputError(f"is not valid JSON (line {error.lineno}: {error.msg})") from None
    except RecursionError:  # deeper than the interpreter allows, below max_depth
        raise InputError(f"is nested more than {max_depth} levels deep") from None


def _check_depth(text: str, max_depth: int) -> None:
    # Counting brackets in C first skips the scan for every ordinary document.
    if text.count("[") + text.count("{") <= max_depth:
        return
    outside_strings = _JSON_STRING.sub("", text) if '"' in text else text
    brackets = _NOT_BRACKET.sub("", outside_strings).encode("ascii")
    codes = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(np.where((codes == ord("[")) | (codes == ord("{")), 1, -1))
    if depth.size and int(depth.max()) > max_depth:
        raise InputError(f"is nested more than {max_depth} levels deep")


def _reject_constant(name: str) -> float:
    raise InputError(f"has {name}, which is not allowed (numbers must be finite)")


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_JSON_DIGITS:
        raise InputError(
            f"has a number with {count(digits, 'digit')}, more than the {MAX_JSON_DIGITS} "
            "a number may have"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 30 else text[:27] + "..."
        raise InputError(f"has the number {shown}, which is out of range (numbers must be finite)")
    return value


# ======================================================================== NPZ
def read_npz(data: bytes, *, max_bytes: int, what: str) -> dict[str, np.ndarray]:
    """The arrays of a NumPy ``.npz`` archive, never unpacking more than ``max_bytes``.

    Unlike ``np.load``, the sizes are checked before anything is allocated: the sizes
    the zip directory declares (the most each entry can unpack to) must add up to at
    most ``max_bytes``, and each ``.npy`` header's shape must agree with its entry's
    size. Object arrays are never loaded.

    Parameters
    ----------
    data : bytes
        The archive.
    max_bytes : int
        Most bytes the entries may unpack to, together.
    what : str
        What the archive is, for the message ("a session file").

    Returns
    -------
    dict of str to ndarray
        By entry name without ``.npy``; writeable arrays.

    Raises
    ------
    SizeLimitError
        "unpacks to 8 GiB: a session file may unpack to at most 1 GiB".
    InputError
        "is not a NumPy .npz archive (...)", "has an unreadable entry 'x' (...)", ...
    """
    if data.startswith(_NPY_MAGIC):
        raise InputError("is a single .npy array, not a .npz archive")
    if not data.startswith(_ZIP_MAGIC):
        raise InputError("is not a NumPy .npz archive (it is not a zip file)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise InputError(
            f"is not a NumPy .npz archive, or one cut short ({_reason(error)})"
        ) from None
    with archive:
        entries = archive.infolist()
        declared = sum(entry.file_size for entry in entries)
        if declared > max_bytes:
            raise SizeLimitError(
                f"unpacks to {byte_size(declared)}: {what} may unpack to at most "
                f"{byte_size(max_bytes)}"
            )
        arrays: dict[str, np.ndarray] = {}
        for entry in entries:
            if entry.is_dir():
                continue
            key = entry.filename[:-4] if entry.filename.endswith(".npy") else entry.filename
            if not entry.filename.endswith(".npy"):
                raise InputError(f"has an entry {key!r} that is not a NumPy array")
            if key in arrays:
                raise InputError(f"has the entry {key!r} twice")
            try:
                arrays[key] = _read_member(archive, entry, key)
            except InputError:
                raise
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                ValueError,
                SyntaxError,
                RecursionError,
                NotImplementedError,
                RuntimeError,
                zlib.error,
            ) as error:
                raise InputError(f"has an unreadable entry {key!r} ({_reason(error)})") from None
    return arrays


def _read_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, key: str) -> np.ndarray:
    with archive.open(entry) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise InputError(f"has an unreadable entry {key!r} (.npy version {version})")
        if dtype.hasobject:
            raise InputError(
                f"has an unreadable entry {key!r} (it holds Python objects, which are never loaded)"
            )
        n_values = math.prod(shape)
        n_bytes = n_values * dtype.itemsize
        if dtype.itemsize == 0 or n_bytes != entry.file_size - stream.tell():
            shown = f"{n_values:,}" if n_values < 10**30 else "too many"
            raise InputError(
                f"has an entry {key!r} whose header claims {shown} values of "
                f"{dtype.itemsize} bytes in {byte_size(entry.file_size)}"
            )
        buffer = bytearray(n_bytes)
        view = memoryview(buffer)
        filled = 0
        while filled < n_bytes:
            got = stream.readinto(view[filled:])
            if not got:
                raise InputError(f"has an entry {key!r} that is cut short")
            filled += got
        stream.read(1)  # reach the end, where zipfile checks the CRC
    array = np.frombuffer(buffer, dtype=dtype, count=n_values)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())

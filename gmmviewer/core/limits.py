"""The sizes gmmviewer accepts, in one place, so that every refusal names its limit. No Qt.

Files are read whole into memory, and EM's cost grows with the cube of the number of
columns (a full covariance is factorised at every step), so input beyond these limits is
refused before any work starts, with a one-line message that names the limit, instead of
running for minutes or exhausting memory.
"""

from __future__ import annotations

#: Most columns EM fits (a file may have more; choose some of them).
MAX_FEATURES = 1_000
#: Most mixture components (K) a fit, a parameter file or a session may have.
MAX_COMPONENTS = 1_000
#: Most covariance entries a fit may hold (K x D x D for full, D x D for tied).
MAX_COVARIANCE_ENTRIES = 25_000_000
#: Largest seed of the initialisation (the window's seed box holds 32-bit signed integers).
MAX_SEED = 2**31 - 1

#: Most columns ``generate`` samples (random covariances cost D^3 each to draw).
MAX_GENERATED_FEATURES = 100
#: Most rows ``generate`` samples, as the window's Generate dialog.
MAX_GENERATED_SAMPLES = 10_000_000
#: Most values (rows x columns) ``generate`` samples.
MAX_GENERATED_VALUES = 100_000_000

#: Largest data file read (CSV, TSV, text).
MAX_DATA_FILE_BYTES = 1 << 30
#: Largest parameter file read (JSON, NPZ or CSV), and most bytes an NPZ unpacks to.
MAX_PARAM_FILE_BYTES = 256 << 20
#: Largest session file read, and most bytes its arrays unpack to.
MAX_SESSION_FILE_BYTES = 1 << 30
#: Deepest nesting of lists and objects in JSON read from a file.
MAX_JSON_DEPTH = 32
#: Most digits of an integer in JSON read from a file (more cannot be a double anyway).
MAX_JSON_DIGITS = 300


def byte_size(n_bytes: int) -> str:
    """``n_bytes`` for people: ``"512 bytes"``, ``"3.2 MiB"``, ``"1 GiB"``."""
    if n_bytes < 1024:
        return f"{n_bytes:,} bytes"
    value = float(n_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024 or unit == "PiB":
            break
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def covariance_entries(n_components: int, n_features: int, covariance_type: str) -> int:
    """Numbers stored for the covariances of K components in D dimensions."""
    if covariance_type == "full":
        return n_components * n_features * n_features
    if covariance_type == "tied":
        return n_features * n_features
    if covariance_type == "diag":
        return n_components * n_features
    return n_components


#: Largest magnitude of a data value (in the data's own units) EM fits. Squared deviations,
#: summed over millions of samples and from means up to :data:`MAX_MEAN_DISTANCE` data
#: extents away, then stay far from overflow (about 1e308).
MAX_DATA_MAGNITUDE = 1e100
#: How far a mean may lie from the centre of the data's bounding box, in data extents
#: (the largest column range); farther, EM's sums lose every digit of the data.
MAX_MEAN_DISTANCE = 1e6
#: Largest ``generate --separation`` (in standard deviations between component means).
MAX_SEPARATION = 1e6

#: Largest data magnitude a float32 pass accepts: its squares (about 1e36) stay below
#: float32's largest number (3.4e38), with room for the sums of a chunk.
MAX_FLOAT32_DATA_MAGNITUDE = 1e15

#: Two columns whose ranges differ by more than this factor are not drawn with equal
#: axis scales (the window's scatter and the replay page): one would be a thin strip.
EQUAL_ASPECT_RATIO_LIMIT = 4.0

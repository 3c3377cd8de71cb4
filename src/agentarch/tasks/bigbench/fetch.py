"""Fetch the BIG-bench sdist (``bigbench==1.0.0``) from the package index once, and check it.

The task files travel in the package's source distribution. It is only read as an archive,
never built or installed (building it would run its setup code), so it is fetched directly:
the index's JSON listing (PEP 691) gives the file's address, the file is streamed into the cache
(``~/.cache/agentarch/bigbench/``, or under ``$AGENTARCH_CACHE``) and refused unless its sha256
is the pinned one.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from agentarch.errors import DataError

__all__ = ["PACKAGE", "VERSION", "SDIST", "SDIST_SHA256", "cache_dir", "sdist_path", "ensure_sdist",
           "verify_sdist", "Progress"]

PACKAGE = "bigbench"
VERSION = "1.0.0"
SDIST = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"
DEFAULT_INDEX = "https://pypi.org/simple"
CHUNK = 1 << 20

# progress(bytes done, bytes in all or 0 when unknown)
Progress = Callable[[int, int], None]


def cache_dir() -> Path:
    root = os.environ.get("AGENTARCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "agentarch")
    return Path(root) / "bigbench"


def sdist_path() -> Path:
    return cache_dir() / SDIST


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK * 4):
            h.update(chunk)
    return h.hexdigest()


def verify_sdist(path: Path, expected: str | None = None) -> None:
    """Raise ``DataError`` unless ``path`` has the pinned sha256 (``SDIST_SHA256``)."""
    expected = expected or SDIST_SHA256
    digest = _sha256(path)
    if digest != expected:
        raise DataError(f"{path}: sha256 check failed (got {digest[:16]}…, expected {expected[:16]}…); "
                        f"the file is corrupt or not {SDIST}. Delete it and import again to fetch it anew.")


def _index_url() -> str:
    return (os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def _sdist_url(index: str) -> str:
    """The address of ``SDIST`` in the index's JSON listing of the package."""
    request = urllib.request.Request(f"{index}/{PACKAGE}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            listing = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"cannot read the package index {index} for {PACKAGE}: {exc}") from None
    files = listing.get("files", [])
    for entry in files:
        if entry.get("filename") == SDIST:
            return urllib.parse.urljoin(f"{index}/{PACKAGE}/", entry["url"])
    listed = ", ".join(sorted(str(e.get("filename")) for e in files)) or "no file"
    raise DataError(f"the package index {index} lists no {SDIST} (it lists {listed}). Put a copy of "
                    f"{SDIST} at {sdist_path()}: it is used once its sha256 is checked "
                    f"({SDIST_SHA256[:16]}…), or set PIP_INDEX_URL to an index that has it")


def _download(url: str, dest: Path, progress: Progress | None) -> None:
    try:
        with urllib.request.urlopen(url, timeout=120) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"download of {SDIST} failed: {exc}") from None


def ensure_sdist(progress: Progress | None = None) -> Path:
    """The cached, verified sdist, fetched first when it is not in the cache."""
    path = sdist_path()
    if path.exists():
        verify_sdist(path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    _download(_sdist_url(_index_url()), part, progress)
    try:
        verify_sdist(part)
    except DataError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    return path

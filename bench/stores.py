"""Keep the stores of the long bench runs in the repository, so their figures can be checked and their
runs resumed on another machine without paying for the model calls again.

A store (``bench/out/**/*.db``) holds a run's designs, results and the call cache. ``save`` writes a
consistent copy of each (SQLite's backup, safe while a run is writing) as ``bench/stores/<path>.gz``,
and copies the runs' reports, tables and logs (``*.json``, ``*.md``, ``*.log``) and the imported tasks
(``out/tasks/**/*.jsonl``, the suite's BIG-bench examples) as they are;
``restore`` puts them back into ``bench/out/`` where nothing is there yet. Rerunning a bench script
after ``restore`` resumes its runs and reprints its tables from the cache.

    .venv/bin/python bench/stores.py save        # after (or during) a long run
    .venv/bin/python bench/stores.py restore     # on a fresh clone, before resuming
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
STORES = BENCH / "stores"
KEPT_AS_IS = {".json", ".md", ".log", ".jsonl"}  # reports, tables, logs and imported tasks: copied, not packed


def save(out: Path = OUT, stores: Path = STORES) -> list[Path]:
    """Write a gzipped, consistent copy of every store under ``out`` and a copy of every report;
    returns the files written."""
    written = []
    for db in sorted(out.rglob("*.db")):
        target = stores / db.relative_to(out).with_suffix(".db.gz")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "copy.db"
            src, dst = sqlite3.connect(f"file:{db}?mode=ro", uri=True), sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
            with open(copy, "rb") as f, open(target, "wb") as raw, \
                    gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as g:  # same store, same bytes
                shutil.copyfileobj(f, g)
        written.append(target)
    for doc in sorted(p for p in out.rglob("*") if p.suffix in KEPT_AS_IS and p.is_file()):
        target = stores / doc.relative_to(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(doc, target)
        written.append(target)
    return written


def restore(out: Path = OUT, stores: Path = STORES) -> list[Path]:
    """Unpack every saved store (and copy every report) whose place under ``out`` is empty; returns
    what it restored."""
    restored = []
    for packed in sorted(stores.rglob("*.db.gz")):
        db = out / packed.relative_to(stores).with_suffix("")
        if db.exists():
            continue
        db.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(packed, "rb") as g, open(db, "wb") as f:
            shutil.copyfileobj(g, f)
        restored.append(db)
    for doc in sorted(p for p in stores.rglob("*") if p.suffix in KEPT_AS_IS and p.is_file()):
        target = out / doc.relative_to(stores)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(doc, target)
            restored.append(target)
    return restored


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=["save", "restore"])
    ap.add_argument("--out", type=Path, default=OUT, help="Where the bench runs keep their stores.")
    ap.add_argument("--stores", type=Path, default=STORES, help="Where the saved copies go.")
    args = ap.parse_args(argv)
    done = save(args.out, args.stores) if args.action == "save" else restore(args.out, args.stores)
    verb = "saved" if args.action == "save" else "restored"
    for path in done:
        print(f"{verb} {path} ({path.stat().st_size:,} bytes)")
    if not done:
        print(f"nothing to {args.action}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

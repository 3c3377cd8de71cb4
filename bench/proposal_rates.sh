#!/bin/bash
# How often the meta model's proposals are usable, for `meta` (ADAS: the meta model writes an agent
# as code; valid = it passes the check and the smoke run, after reflection and debug turns) and
# `mcts` (AFlow: the meta model picks an edit from a menu; valid = its reply names a menu entry,
# else the edit is drawn at random), each with the 0.5B and the 1.5B embedded model as meta model.
# The designs themselves always run on the 0.5B model. A long background run, never CI; each
# arm keeps its own store, so a rerun reuses what was already paid.
#
#   nohup bash bench/proposal_rates.sh > bench/out/proposal_rates.log 2>&1 &
#   RATES_ROUNDS=2 RATES_VAL_LIMIT=2 bash bench/proposal_rates.sh      # a short check
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
A=${RATES_AGENTARCH:-.venv/bin/agentarch}
PY=${RATES_PYTHON:-.venv/bin/python}
TASK=${RATES_TASK:-word_problems}
ROUNDS=${RATES_ROUNDS:-8}            # proposals asked for per arm
VAL_LIMIT=${RATES_VAL_LIMIT:-8}
META_MODELS=${RATES_META_MODELS:-"qwen2.5-coder-0.5b qwen2.5-coder-1.5b"}
OPTIMIZERS=${RATES_OPTIMIZERS:-"meta mcts"}
OUT=${RATES_OUT:-bench/out/proposal_rates}
export COLUMNS=${COLUMNS:-160}

for optimizer in $OPTIMIZERS; do
  for mm in $META_MODELS; do
    dir="$OUT/$optimizer-$mm"
    mkdir -p "$dir/runs"
    echo "== $optimizer with meta model $mm: $ROUNDS rounds $(date -u +%H:%M:%S)"
    # No early stop, so every arm asks for the same number of proposals.
    if [ "$optimizer" = meta ]; then stop=(--option stop_after_invalid=0); else stop=(--option patience=1000); fi
    "$A" search --task "$TASK" --optimizer "$optimizer" --meta-model "$mm" --baselines cot --no-race \
      --rounds "$ROUNDS" --patience 1000 --val-limit "$VAL_LIMIT" --test-limit 0 "${stop[@]}" \
      --db "$dir/rates.db" --out "$dir/runs"
  done
done

"$PY" - "$OUT" <<'PYEOF'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("| optimizer | meta model | proposals | valid | rate | scored above 0 on validation | best proposal (validation) | notes |")
print("|---|---|---|---|---|---|---|---|")
for arm in sorted(p for p in out.iterdir() if p.is_dir()):
    reports = sorted((arm / "runs").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        continue
    report = json.loads(reports[-1].read_text())
    stats = report.get("optimizer_stats", {})
    # What the proposals scored: a valid agent that always answers the same thing scores 0.
    found = [d for d in report.get("evaluated", []) if d.get("origin") != "baseline" and d.get("score") is not None]
    above = sum(1 for d in found if d["score"] > 0)
    top = max(found, key=lambda d: d["score"], default=None)
    best = f"{top['label'][:40]} {top['score']:.3f}" if top else "-"
    optimizer, mm = arm.name.split("-", 1)
    if optimizer == "meta":
        asked, ok = stats.get("proposed", 0), stats.get("valid", 0)
        note = (f"debug turns {stats.get('debug_attempts', 0)}, answer turns {stats.get('answer_debug', 0)} "
                f"(kept {stats.get('answer_fixed', 0)})")
    else:
        ok, asked = stats.get("meta_choice", 0), stats.get("meta_choice", 0) + stats.get("random_fallback", 0)
        note = f"duplicates rejected {stats.get('duplicates_rejected', 0)}"
    rate = f"{ok / asked:.2f}" if asked else "-"
    print(f"| {optimizer} | {mm} | {asked} | {ok} | {rate} | {above} of {len(found)} | {best} | {note} |")
PYEOF

#!/bin/bash
# Every building block through `agentarch eval` on the embedded model, with the baselines as reference
# on the same test examples. Learned designs (router, compute-optimal policy) are fitted on training
# examples first. Everything is kept in one store, so a rerun resumes and reprints at no model cost.
#
#   bash bench/blocks_table.sh            # 8 test examples per task: about 80 minutes on 2 cores
#   N=30 bash bench/blocks_table.sh       # tighter intervals, several hours
set -eu
cd "$(dirname "$0")/.."
A=.venv/bin/agentarch
N=${N:-8}
DB=${DB:-runs/blocks.db}
OUT=${OUT:-runs}
mkdir -p "$OUT"
export COLUMNS=${COLUMNS:-200}

$A fit-router --task word_problems --route direct,cot,program_of_thought -n 12 --db "$DB" -o "$OUT/router_text.json"
$A fit-router --task word_problems --route direct,cot,program_of_thought -n 12 --db "$DB" --features embedding \
   -o "$OUT/router_embedding.json"
$A fit-policy --task word_problems -n 12 --db "$DB" -o "$OUT/policy.json" --strategy cot \
   --strategy '{"block":"refine","params":{"rounds":1},"children":[{"block":"cot"}]}' \
   --strategy '{"block":"self_consistency","params":{"n":3},"children":[{"block":"cot"}]}'

designs=()
for d in spp self_discover "$OUT/router_text.json" "$OUT/router_embedding.json" reconcile moa meta_prompting \
         best_of_n compute_optimal "$OUT/policy.json" plangen tree_search mcts_reasoning particle_filter rebase dylan; do
  designs+=(--design "$d")
done
$A eval --task word_problems --baselines all "${designs[@]}" --limit "$N" --db "$DB" --json "$OUT/blocks_word_problems.json"
$A eval --task humaneval --design direct --design cot --design agentcoder --limit "$N" --db "$DB" \
   --json "$OUT/blocks_humaneval.json"

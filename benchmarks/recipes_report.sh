#!/usr/bin/env bash
# Train the study material's recipes on the real data, one at a time, then write the compare
# report that docs/recipes-report.md quotes.
#
#   RNNKIT_DATA=../shared/data benchmarks/recipes_report.sh                 # every recipe
#   RNNKIT_DATA=../shared/data benchmarks/recipes_report.sh lstm gru        # some of them
#
# Runs go to runs/ (one directory each, kept); an existing finished run of a recipe is reused,
# so the script can be stopped and started again. The report goes to docs/recipes-report/.
set -euo pipefail
cd "$(dirname "$0")/.."
recipes=("$@")
if [ ${#recipes[@]} -eq 0 ]; then
  recipes=(lstm gru lstm-dropout lstm-2layer embedding-simplernn scratch-rnn onehot-simplernn
           simplernn lstm32 bigru bilstm reuters-gru kim-cnn bigru-maxpool)
fi
rnnkit compare "${recipes[@]}" --runs-dir runs --out docs/recipes-report

#!/usr/bin/env bash
# Smoke test: rnnkit installed WITHOUT its optional pieces (numba, SciPy, torch) imports, trains a
# tiny model on the plain NumPy loop and predicts. The package is installed as a user gets it
# (a built wheel, not editable), with --no-deps since numba and SciPy are default dependencies on
# most platforms; the other dependencies are read from pyproject.toml by deps_without.py.
# Usage: .ci/smoke_no_extras.sh   (from anywhere; ~1 minute plus the downloads)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT
SECONDS=0
step() { printf '\n== smoke [%3ds] %s\n' "$SECONDS" "$*"; }

step "a fresh venv with rnnkit and its dependencies except numba and scipy"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
python3 "$repo/.ci/deps_without.py" numba scipy > "$work/requirements.txt"
"$py" -m pip install --quiet -r "$work/requirements.txt"
# Built from a copy: an in-tree build would leave build/ behind, and reuse a stale one.
mkdir "$work/src"
tar -C "$repo" --exclude=./.git --exclude=./.venv --exclude=./.ci-venv --exclude=./build \
    --exclude=./dist --exclude=./runs --exclude='*.egg-info' --exclude=__pycache__ -cf - . \
    | tar -C "$work/src" -xf -
"$py" -m pip install --quiet --no-deps "$work/src"
# pip check knows numba and scipy are left out on purpose; anything else it reports is a failure.
broken="$("$py" -m pip check 2>&1 | grep -v -E "^rnnkit [^ ]+ requires (numba|scipy), which is not installed\.$" \
          | grep -v "^No broken requirements found" || true)"
[[ -z "$broken" ]] || { echo "smoke: pip check: $broken" >&2; exit 1; }
cd "$work"                                   # nowhere near the source tree

step "import rnnkit; numba, scipy and torch are absent; the NumPy reference loop is chosen"
"$py" - <<'PY'
import importlib.util, sys, warnings
warnings.simplefilter("error")               # an absent extra must not even warn
import rnnkit, rnnkit.cli
from rnnkit import kernels
for name in ("numba", "llvmlite", "scipy", "torch"):
    assert importlib.util.find_spec(name) is None, f"{name} is installed"
assert not kernels.AVAILABLE and kernels.backend() == "numpy", kernels.backend()
print("rnnkit", rnnkit.__version__, "from", rnnkit.__file__, "- loop:", kernels.backend())
PY

step "rnnkit --version"
"$work/venv/bin/rnnkit" --version

step "rnnkit train (default recipe, shrunk: 200 reviews, 1 epoch, maxlen 40)"
"$work/venv/bin/rnnkit" train --set train.epochs=1 --set data.train_size=200 \
    --set data.validation_size=100 --set data.maxlen=40 --runs-dir "$work/runs"
run="$(find "$work/runs" -mindepth 1 -maxdepth 1 -type d)"
for f in config.json model.keras vocabulary.json history.csv metrics.json train.log; do
    test -s "$run/$f" || { echo "smoke: $run/$f is missing" >&2; exit 1; }
done

step "rnnkit predict"
out="$("$work/venv/bin/rnnkit" predict "$run" "A wonderful, moving film.")"
echo "$out"
[[ "$out" =~ ^.+\ \([0-9]+\.[0-9]{2}%\)$ ]] || { echo "smoke: unexpected prediction: $out" >&2; exit 1; }

step "rnnkit serve without the serve extra: one line naming it, exit status 2"
status=0; out="$("$work/venv/bin/rnnkit" serve "$run" 2>&1)" || status=$?
echo "$out"
[[ $status -eq 2 && "$out" == *'pip install "rnnkit[serve]"'* && "$out" != *$'\n'* ]] \
    || { echo "smoke: rnnkit serve without fastapi: status $status" >&2; exit 1; }

step "the served page's files are in the installed package"
"$py" - <<'PY'
from importlib import resources
static = resources.files("rnnkit.serve").joinpath("static")
for name in ("index.html", "page.js", "page.css", "examples.json"):
    assert static.joinpath(name).is_file(), f"rnnkit/serve/static/{name} is not installed"
print("rnnkit/serve/static:", sorted(p.name for p in static.iterdir()))
PY

step "passed"

"""Files rnnkit writes get the permissions a plain ``open(path, "w")`` would give them — 0666 less
the umask, or the replaced file's own — never the private 0600 of the temporary file that atomic
writes go through."""

from __future__ import annotations

import json

from ._blocking import run_python

# Train a tiny run under umask 027, so that a 0600 file and a 0644 one both show up as wrong.
TRAIN = """
import json, os, stat, sys
from pathlib import Path
os.umask(0o027)
from rnnkit.cli import main
runs = Path(sys.argv[1])
rc = main(["train", "--set", "train.epochs=1", "--set", "data.train_size=200",
           "--set", "data.maxlen=30", "--set", "data.validation_size=100",
           "--runs-dir", str(runs)])
assert rc in (0, None), rc
(run,) = runs.iterdir()
print(json.dumps({p.name: stat.S_IMODE(p.stat().st_mode) for p in sorted(run.iterdir())}))
"""


def test_every_file_of_a_run_is_readable_like_its_neighbours(tmp_path):
    done = run_python(TRAIN, absent=(), args=[str(tmp_path / "runs")])
    assert done.returncode == 0, done.stderr + done.stdout
    modes = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("model.keras", "vocabulary.json", "config.json", "history.csv", "curves.png",
                 "metrics.json", "summary.txt", "train.log"):
        assert name in modes, sorted(modes)
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o640}
    assert not wrong, f"expected 0o640 under umask 027: {wrong}"


SAVE = """
import json, os, stat, sys
import numpy as np
os.umask(0o027)
import rnnkit
from rnnkit import layers
folder = sys.argv[1]
model = rnnkit.Sequential([layers.Input((5, 3)), layers.GRU(2), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
paths = [os.path.join(folder, n) for n in ("m.keras", "m.weights.h5")]
model.save(paths[0])
model.save_weights(paths[1])
modes = [stat.S_IMODE(os.stat(p).st_mode) for p in paths]
for p in paths:                      # a replaced file keeps the mode its owner gave it
    os.chmod(p, 0o604)
model.save(paths[0])
model.save_weights(paths[1], overwrite=True)
print(json.dumps(modes + [stat.S_IMODE(os.stat(p).st_mode) for p in paths]))
"""


def test_saved_models_and_weights_get_the_umask_mode_or_keep_the_replaced_ones(tmp_path):
    done = run_python(SAVE, absent=(), args=[str(tmp_path)])
    assert done.returncode == 0, done.stderr + done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0o640, 0o640, 0o604, 0o604]


def test_a_missing_folder_is_named_not_the_temporary_file(tmp_path):
    import pytest

    from rnnkit.atomic import atomic_write_bytes
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        atomic_write_bytes(tmp_path / "nowhere" / "model.keras", b"x")

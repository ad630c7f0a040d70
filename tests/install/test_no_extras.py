"""rnnkit without its optional extras (numba, SciPy, torch): it imports, trains and predicts on
the plain NumPy reference loop — chosen explicitly, with the same numbers as that loop in-process
— and a numba that is installed but broken is reported, not swallowed.

Each case runs in a fresh interpreter whose import system refuses the extras (``_blocking``), so
the test venv may have them all installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnkit import kernels
from rnnkit.random import set_random_seed

from ._blocking import ABSENT, BROKEN_NUMBA, run_python
from ._layers import KINDS, run_layers

HERE = Path(__file__).resolve().parent

# Forward and backward of each recurrent layer (and an Embedding) on fixed weights and inputs;
# prints the loop each one ran and saves the arrays to argv[1].
LAYERS_SCRIPT = """
import json, sys
import numpy as np
from rnnkit import kernels
from _layers import run_layers

out = run_layers()
np.savez(sys.argv[1], **out)
print(json.dumps({"available": kernels.AVAILABLE, "backend": kernels.backend(),
                  "runs": sorted(set(str(v) for k, v in out.items() if k.endswith("/run"))),
                  "loaded": sorted(m for m in sys.modules if m.partition(".")[0] in %r)}))
""" % (ABSENT,)


def _reference_in_process() -> dict:
    saved = kernels.enabled()
    kernels.set_enabled(False)
    try:
        set_random_seed(1234)
        return run_layers()
    finally:
        kernels.set_enabled(saved)


def _run_layers_in_subprocess(tmp_path, **kw):
    npz = tmp_path / "out.npz"
    code = "import sys; sys.path.insert(0, %r)\n" % str(HERE) + LAYERS_SCRIPT
    done = run_python(code, args=[str(npz)], **kw)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(npz) as data:
        return info, {k: data[k] for k in data.files}, done.stderr


def test_without_numba_the_reference_loop_runs_and_gives_its_exact_numbers(tmp_path):
    info, got, stderr = _run_layers_in_subprocess(tmp_path)
    assert info == {"available": False, "backend": "numpy", "runs": ["steps"], "loaded": []}
    assert "numba" not in stderr                   # an absent extra is not worth a warning
    expected = _reference_in_process()
    assert set(got) == set(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba/scipy not installed")
def test_the_fallback_matches_the_compiled_loops(tmp_path):
    _, got, _ = _run_layers_in_subprocess(tmp_path)
    saved = kernels.enabled()
    kernels.set_enabled(True)
    try:
        compiled = run_layers()
    finally:
        kernels.set_enabled(saved)
    assert {str(compiled[f"{k}/run"]) for k in KINDS} == {"compiled"}
    for key, value in compiled.items():
        if not key.endswith("/run"):
            np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.skipif(not kernels._installed("scipy"), reason="scipy not installed")
def test_a_broken_numba_warns_once_and_falls_back():
    code = """
    import json, sys, warnings
    import numpy as np
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        import rnnkit
        from rnnkit import kernels, layers
        lstm = layers.LSTM(3)
        lstm.ensure_built((None, 4, 5))
        for _ in range(3):                       # three forward/backward passes, one warning
            y, cache = lstm.forward_train(np.ones((2, 4, 5), "float32"))
            lstm.backward(np.ones_like(y), cache)
        emb = layers.Embedding(10, 2)
        emb.ensure_built((None, 2))
        _, cache = emb.forward_train(np.array([[1, 2]]))
        emb.backward(np.ones((1, 2, 2), "float32"), cache)
    try:
        kernels.set_enabled(True)
        refused = ""
    except RuntimeError as e:
        refused = str(e)
    print(json.dumps({"available": kernels.AVAILABLE, "backend": kernels.backend(),
                      "warnings": [str(w.message) for w in caught
                                   if issubclass(w.category, RuntimeWarning)],
                      "refused": refused}))
    """
    done = run_python(code, absent=("torch",), prelude=BROKEN_NUMBA)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["available"] is True and info["backend"] == "numpy"
    assert len(info["warnings"]) == 1, info["warnings"]
    assert "Numba needs NumPy" in info["warnings"][0] and "plain NumPy loop" in info["warnings"][0]
    assert "Numba needs NumPy" in info["refused"]


def test_numba_switched_off_is_not_even_imported():
    code = """
    import json, sys
    import numpy as np
    from rnnkit import kernels, layers
    y = layers.GRU(3)(np.ones((2, 4, 5), "float32"))
    print(json.dumps([kernels.backend(), "numba" in sys.modules]))
    """
    done = run_python(code, absent=(), env={"RNNKIT_NUMBA": "0"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["numpy", False]


def test_import_and_cli_help_touch_no_optional_module():
    """``import rnnkit`` and building the CLI import neither numba nor torch (both are lazy)."""
    code = """
    import json, sys
    import rnnkit, rnnkit.cli, rnnkit.workflow
    loaded = sorted({m.partition(".")[0] for m in sys.modules} & {"numba", "llvmlite", "scipy",
                                                                  "torch", "keras"})
    print(json.dumps(loaded))
    try:
        rnnkit.cli.main(["--help"])
    except SystemExit as e:
        assert e.code in (0, None), e.code
    """
    for absent in (ABSENT, ()):             # refused, and installed-but-not-imported
        done = run_python(code, absent=absent)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[0]) == []
        assert "usage: rnnkit" in done.stdout


def test_train_and_predict_end_to_end_without_extras(tmp_path):
    """The main job, shrunk: ``rnnkit train`` then ``rnnkit predict`` with no extra importable."""
    code = """
    import sys
    from rnnkit.cli import main
    rc = main(sys.argv[1:])
    sys.exit(rc or 0)
    """
    runs = tmp_path / "runs"
    train = run_python(code, args=["train", "--set", "train.epochs=1",
                                   "--set", "data.train_size=200", "--set", "data.maxlen=30",
                                   "--set", "data.validation_size=100",
                                   "--runs-dir", str(runs)])
    assert train.returncode == 0, train.stderr + train.stdout
    (run_dir,) = runs.iterdir()
    assert (run_dir / "model.keras").is_file() and (run_dir / "vocabulary.json").is_file()
    predict = run_python(code, args=["predict", str(run_dir), "A wonderful, moving film."])
    assert predict.returncode == 0, predict.stderr + predict.stdout
    assert "%" in predict.stdout                     # a label and its probability
    assert "numba" not in train.stderr + predict.stderr

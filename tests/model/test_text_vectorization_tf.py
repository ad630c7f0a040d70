"""rnnkit's .keras files holding a TextVectorization load and predict alike in real Keras 3 on
TensorFlow (whose TextVectorization needs TensorFlow whatever the backend).

TensorFlow is no dependency of rnnkit, nor of its tests: these tests run another Python that
has tensorflow and keras, named by RNNKIT_TF_PYTHON, and are deselected unless asked for:

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu keras==3.15.1
    RNNKIT_TF_PYTHON=/tmp/tfvenv/bin/python pytest -m tensorflow tests/model/test_text_vectorization_tf.py
"""

import json
import os
import subprocess

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.layers import TextVectorization
from rnnkit.model import Sequential

from .test_text_vectorization import CORPUS, QUERIES

pytestmark = pytest.mark.tensorflow

# Runs in the TensorFlow environment: loads each file, predicts QUERIES, reports the vocabulary.
LOADER = """
import json, sys
import keras, tensorflow as tf
texts = json.load(sys.stdin)
out = {}
for path in sys.argv[1:]:
    model = keras.models.load_model(path)
    out[path] = {"predictions": model.predict(tf.constant(texts), verbose=0).tolist(),
                 "vocabulary": [str(t) for t in model.layers[0].get_vocabulary()]}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def tf_python():
    python = os.environ.get("RNNKIT_TF_PYTHON")
    if not python:
        pytest.skip("set RNNKIT_TF_PYTHON to a Python with tensorflow and keras 3")
    check = subprocess.run([python, "-c", "import tensorflow, keras"], capture_output=True,
                           text=True, env=_tf_env(), check=False)
    if check.returncode != 0:
        pytest.skip(f"{python} cannot import tensorflow and keras: "
                    f"{check.stderr.strip().splitlines()[-1:]}")
    return python


def _tf_env() -> dict:
    """Keras on TensorFlow (tests/conftest.py forces torch here), without rnnkit's path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return env


def keras_load_and_predict(python, paths, texts) -> dict:
    run = subprocess.run([python, "-c", LOADER, *map(str, paths)], input=json.dumps(texts),
                         capture_output=True, text=True, env=_tf_env(), timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _model(vectorize, adapt=True):
    if adapt:
        vectorize.adapt(CORPUS)
    rest = [layers.Dense(2, activation="softmax")] if vectorize.output_mode != "int" else [
        layers.Embedding(vectorize.vocabulary_size(), 6, mask_zero=True), layers.GRU(4),
        layers.Dense(1, activation="sigmoid")]
    return Sequential([layers.Input(shape=(), dtype="string"), vectorize] + rest)


MODELS = {
    "gru_adapted": lambda: _model(TextVectorization(max_tokens=50, output_sequence_length=12)),
    "gru_ngrams": lambda: _model(TextVectorization(ngrams=(1, 2), standardize="lower")),
    "tf_idf": lambda: _model(TextVectorization(output_mode="tf_idf", max_tokens=40)),
    "multi_hot_given": lambda: _model(TextVectorization(
        output_mode="multi_hot", vocabulary=["wonderful", "film", "[UNK]", "東京", "it's"]),
        adapt=False),
    "count_padded": lambda: _model(TextVectorization(output_mode="count", max_tokens=90,
                                                     pad_to_max_tokens=True)),
    # tokens holding "\n" and "\x85": the vocabulary goes in the config, where Keras reads it
    "line_breaks": lambda: _model(TextVectorization(split="character", standardize=None)),
}


def test_keras_loads_our_files_and_predicts_alike(tf_python, tmp_path):
    paths, ours = {}, {}
    texts = QUERIES + CORPUS
    for name, make in MODELS.items():
        model = make()
        paths[name] = tmp_path / f"{name}.keras"
        model.save(paths[name])
        ours[name] = (model.predict(np.array(texts), verbose=0), model.layers[0].get_vocabulary())
    keras_out = keras_load_and_predict(tf_python, paths.values(), texts)
    for name, path in paths.items():
        predictions, vocabulary = ours[name]
        assert keras_out[str(path)]["vocabulary"] == vocabulary, name
        np.testing.assert_allclose(keras_out[str(path)]["predictions"], predictions, atol=1e-6,
                                   err_msg=name)

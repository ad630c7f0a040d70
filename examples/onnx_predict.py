"""Classify texts with an exported rnnkit model, without rnnkit: onnxruntime (and NumPy) plus the
JSON that ``rnnkit export`` writes beside the model.

    rnnkit export runs/default-<time> --format onnx
    python examples/onnx_predict.py runs/default-<time>/model.onnx "A wonderful, moving film."

The encoder below is plain Python (``json`` only): it turns raw text into exactly the ids the
run's model was trained on, from the ``encoding`` part of ``model.preprocessing.json``.
"""

from __future__ import annotations

import json
import re
import string
import sys
from pathlib import Path

# --- encoder: start (docs/using-a-model.md shows this part) ---
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def split_words(text, filters=KERAS_FILTERS, lower=True, split=" "):
    """Keras's text_to_word_sequence: lower-case, filter characters become separators."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def pad(ids, maxlen):
    """Keras's pad_sequences defaults: keep the last maxlen ids, pad with 0 in front."""
    ids = ids[-maxlen:]
    return [0] * (maxlen - len(ids)) + ids


def tokenizer_ids(text, encoding):
    """kind "tokenizer": Keras's Tokenizer.texts_to_sequences for one text."""
    config = encoding["tokenizer"]["config"]
    index = json.loads(config["word_index"])           # a JSON string inside the JSON, as Keras
    limit = config["num_words"] or None                # only ids below num_words are kept
    oov = index[config["oov_token"]] if config["oov_token"] is not None else None
    if config["char_level"]:
        tokens = text.lower() if config["lower"] else text
    else:
        tokens = split_words(text, config["filters"], config["lower"], config["split"])
    ids = []
    for token in tokens:
        i = index.get(token)
        if i is not None and (limit is None or i < limit):
            ids.append(i)
        elif oov is not None:
            ids.append(oov)
    return ids


def keras_imdb_ids(text, encoding):
    """kind "keras_imdb": keras.datasets.imdb's ids (start mark, rank + index_from, oov mark)."""
    e = encoding
    ranks = [e["word_index"].get(word, 0) for word in split_words(text)]
    ids = [e["start_char"]] + [r + e["index_from"] if r > 0 else e["oov_char"] for r in ranks]
    ids = [i if e["skip_top"] <= i < e["num_words"] else e["oov_char"] for i in ids]
    return [i for i in ids if i >= e["drop_ids_below"]]


ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


def text_vectorization_ids(text, encoding):
    """kind "text_vectorization": Keras's TextVectorization, int mode (TensorFlow lowercases
    ASCII letters only, deletes ASCII punctuation and splits on ASCII whitespace)."""
    standardize, split = encoding["standardize"], encoding["split"]
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(ASCII_LOWER)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = text.translate(NO_PUNCTUATION)
    if split == "whitespace":
        tokens = [t for t in re.split("[ \t\n\v\f\r]+", text) if t]
    else:
        tokens = list(text) if split == "character" else [text]
    grams = [" ".join(tokens[i:i + n]) for n in encoding["ngrams"]
             for i in range(len(tokens) - n + 1)]
    index = {token: i for i, token in enumerate(encoding["vocabulary"])}
    return [index.get(token, 1) for token in grams]          # 1 is "[UNK]"


def pad_end(ids, maxlen):
    """TextVectorization's output_sequence_length: keep the first maxlen, pad with 0 after."""
    ids = ids[:maxlen]
    return ids + [0] * (maxlen - len(ids))


ENCODINGS = {"tokenizer": (tokenizer_ids, pad), "keras_imdb": (keras_imdb_ids, pad),
             "text_vectorization": (text_vectorization_ids, pad_end)}


def encode(texts, encoding):
    """One row of maxlen ids per text: the model's token_ids input."""
    ids_of, padded = ENCODINGS[encoding["kind"]]
    return [padded(ids_of(text, encoding), encoding["maxlen"]) for text in texts]
# --- encoder: end ---


def predict(model_path, texts):
    """(class names, one list of probabilities per text), from onnxruntime."""
    import numpy as np
    import onnxruntime

    model_path = Path(model_path)
    info = json.loads(model_path.with_name(model_path.stem + ".preprocessing.json")
                      .read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    ids = np.array(encode(texts, info["encoding"]), dtype=np.int64)
    (p,) = session.run([info["output"]["name"]], {info["input"]["name"]: ids})
    if p.shape[1] == 1:                                   # one sigmoid unit: P(second class)
        p = np.concatenate([1.0 - p, p], axis=1)
    return info["classes"]["names"], p.tolist()


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: python onnx_predict.py MODEL.onnx TEXT [TEXT …]")
    names, rows = predict(argv[0], argv[1:])
    for text, probabilities in zip(argv[1:], rows):
        best = max(range(len(names)), key=probabilities.__getitem__)
        print(f"{names[best]} ({probabilities[best]:.2%})\t{text}")


if __name__ == "__main__":
    main(sys.argv[1:])

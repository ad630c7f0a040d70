"""One text through a model that reads raw text: its gates and states, each input position
labelled with the word the text encoding put there.

Labels come from the encoding's ``word_positions``: a known word is itself, a word outside the
vocabulary that still takes a place (the out-of-vocabulary id) is "(word)", a position holding
an input but no word of the text is "<start>" (Keras IMDB's start mark), and an empty input
(id 0, or a zero one-hot vector) is "<pad>". Words the encoding dropped (unknown to a
tokenizer without an oov token) and words cut by ``maxlen`` are listed apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gates import LayerGates, gate_activations

PAD, START = "<pad>", "<start>"


@dataclass
class TextInspection:
    """``labels``/``statuses``: one per input position ("known", "unknown", "start",
    "padding"); ``output``: the model's output row; ``layers``: batch-of-one ``LayerGates``."""

    text: str
    labels: list
    statuses: list
    dropped: list
    cut: list
    output: np.ndarray
    predicted: int
    layers: list

    @property
    def text_positions(self) -> np.ndarray:
        """(1, T) True at the positions that hold the text (not padding)."""
        return np.array([[s != "padding" for s in self.statuses]])

    def saturation(self, layer: LayerGates) -> dict:
        """``layer``'s gate saturation over the text's positions."""
        return layer.saturation(self.text_positions)


def text_encoding_of(model):
    """The model's text encoding layer (its first preprocessing layer), or a one-line error."""
    first = model.preprocessing_layers[:1]
    if not first or not hasattr(first[0], "word_positions"):
        raise ValueError(f"model {model.name!r} does not start with a text encoding layer, so "
                         f"it cannot read a text; pass encoder= (the run's encoding), or load a "
                         f"model that `rnnkit train` wrote")
    return first[0]


def inspect_text(model, text: str, encoder=None) -> TextInspection:
    """Gates and states of every recurrent layer of ``model`` over one raw ``text``, encoded
    by ``encoder`` (default: the model's own text encoding layer)."""
    encoder = encoder or text_encoding_of(model)
    row = np.asarray(encoder.encode([text]))
    gates = gate_activations(model, row)
    labels, statuses, dropped, cut = position_labels(encoder, text, row[0])
    return TextInspection(text, labels, statuses, dropped, cut, gates.output[0],
                          int(gates.predicted[0]), gates.layers)


def position_labels(encoder, text: str, row: np.ndarray):
    """(labels, statuses, dropped words, cut words) for the encoded ``row`` of ``text``."""
    filled = np.asarray(row).reshape(len(row), -1).any(axis=1)
    labels = [START if f else PAD for f in filled]
    statuses = ["start" if f else "padding" for f in filled]
    dropped, cut = [], []
    for place in encoder.word_positions(text):
        if place.position is not None:
            known = place.status == "known"
            labels[place.position] = place.token if known else f"({place.token})"
            statuses[place.position] = place.status
        elif place.status == "cut":
            cut.append(place.token)
        else:
            dropped.append(place.token)
    return labels, statuses, dropped, cut

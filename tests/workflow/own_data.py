"""Small labelled files in every format a user brings, made by the tests (never downloaded).

Each class shows in a few signal words among filler words, so a small model learns it in a few
epochs, and "obvious" texts (signal words only) have a known right answer.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

FILLER = ["the", "a", "report", "today", "and", "it", "this", "story", "was", "with"]
TOPICS = {  # non-alphabetical on purpose: classes are sorted label values, not file order
    "sports": ["goal", "match", "league", "coach", "striker", "season"],
    "business": ["profit", "shares", "market", "merger", "revenue", "investor"],
    "arts": ["painting", "gallery", "novel", "opera", "sculpture", "poet"],
}
SPAM = {"spam": ["free", "winner", "prize", "cash", "click", "offer"],
        "ham": ["meeting", "lunch", "tomorrow", "family", "notes", "thanks"]}
SENTIMENT = {"1": ["good", "great", "wonderful", "superb", "moving", "fun"],
             "0": ["bad", "awful", "boring", "dull", "terrible", "weak"]}

#: the default recipe, shrunk so a run takes a few seconds; the model stays the recipe's
FAST = ["--set", "data.maxlen=16", "--set", "data.num_words=300", "--set", "train.epochs=8",
        "--set", "train.learning_rate=0.01", "--set", "train.early_stopping=false",
        "--set", "train.batch_size=16", "--quiet"]


def examples(words: dict[str, list[str]], n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (text, label) pairs cycling through the labels in the dict's order."""
    rng = np.random.default_rng(seed)
    labels = list(words)
    out = []
    for i in range(n):
        label = labels[i % len(labels)]
        tokens = list(rng.choice(FILLER, 6)) + list(rng.choice(words[label], 3))
        rng.shuffle(tokens)
        out.append((" ".join(tokens), label))
    return out


def write_delimited(path: Path, rows, header=("text", "label"), delimiter=",",
                    encoding="utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows, text_key="text", label_key="label", int_labels=False) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for text, label in rows:
            f.write(json.dumps({text_key: text, label_key: int(label) if int_labels else label})
                    + "\n")
    return path


def obvious(words: list[str]) -> str:
    """A text of a class's signal words only."""
    return " ".join(words[:4])

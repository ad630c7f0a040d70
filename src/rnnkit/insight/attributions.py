"""Which words decided a prediction: per-word attributions toward a class, three ways.

A text becomes one input vector per position v_t (the Embedding's row E[id_t], or a one-hot row),
and the model computes f_c(v), the probability of class c (class_score.py). Each method gives
every position of the encoded row a number, which ``explain`` hands to the words of the text:

* **integrated gradients** (Sundararajan et al. 2017, eq. 1): a_t = (v_t − v'_t) ·
  ∫₀¹ ∂f_c/∂v_t (v' + α(v − v')) dα, summed over the vector's features. The baseline v' has zero
  vectors at the text's words and keeps everything else (padding, a start mark) as it is; the
  Embedding's mask of the real ids is kept all along the path, so padding stays padding. The
  integral is the trapezoid rule. Completeness, Σ_t a_t = f_c(v) − f_c(v') (eq. 3 there), is
  how many steps it needs: by default the rule starts with 64 intervals and doubles them —
  reusing every gradient already taken — until completeness holds within 1% (or 1e-4), at most
  4096; an explicit ``steps`` is used as it is. The gradients along the path go through the
  model in batches;
* **gradient × input**: a_t = ∂f_c/∂v_t · (v_t − v'_t) at v alone — the first-order term of the
  same change, one gradient;
* **occlusion**: a_t = f_c(row) − f_c(row without word t), the word removed from the encoded row
  and one padding added in front (with ``mask_zero`` that is the same as putting id 0 in its
  place: a masked step carries the state over). No gradient at all.

The gradient is the NumPy engine's own backward pass, or torch autograd over the torch engine's
modules (``engine="torch"``); they agree to float32 rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..workflow.evaluation import class_probabilities
from .class_score import CHUNK, ModelInput, check_target, class_count, class_score
from .errors import ExplainError

METHODS = ("integrated-gradients", "gradient-x-input", "occlusion")
#: integrated gradients' first trapezoid intervals, doubled while completeness is off by more
#: than COMPLETENESS (relative) and COMPLETENESS_FLOOR (absolute), up to MAX_STEPS. Measured on
#: aclImdb reviews (docs/insight.md): most need 64 or fewer, a few GRU and SimpleRNN ones
#: thousands, so a fixed count is either slow everywhere or wrong somewhere.
DEFAULT_STEPS = 64
MAX_STEPS = 4096
COMPLETENESS, COMPLETENESS_FLOOR = 0.01, 1e-4


@dataclass(frozen=True)
class PositionAttributions:
    """One method's result on one encoded row: a number per position (0 where no word)."""

    values: np.ndarray            # (time,) float64
    probability: float            # f_c(v)
    baseline_probability: float   # f_c(v'): zero vectors at the text's words
    steps: int | None = None      # integrated gradients: the trapezoid intervals used


def baseline_of(v: np.ndarray, words: np.ndarray) -> np.ndarray:
    """v': zero vectors at the text's words, v unchanged elsewhere (padding, marks)."""
    return np.where(words[:, None], np.zeros_like(v), v)


def _batch_mask(mask, n: int):
    return None if mask is None else np.repeat(np.asarray(mask)[None], n, axis=0)


def integrated_gradients(score, v: np.ndarray, mask, words: np.ndarray,
                         steps: int | None = None) -> PositionAttributions:
    """IG of one row: v (time, features), mask (time,) or None, words (time,) bool.

    The trapezoid rule over m intervals, ∫₀¹ g ≈ (g(0)/2 + Σ_{0<k<m} g(k/m) + g(1)/2) / m, with
    m = ``steps``; or, when ``steps`` is None, m = DEFAULT_STEPS doubled (the new points are the
    midpoints, the old sums are kept) until completeness holds or m = MAX_STEPS."""
    baseline = baseline_of(v, words)
    delta = v - baseline
    path = _Path(score, baseline, delta, mask)
    (f_base, f_x), g_ends = path.gradients(np.array([0.0, 1.0]))
    m = steps or DEFAULT_STEPS
    g_inner = path.gradients(np.arange(1, m) / m)[1]
    change = f_x - f_base
    while True:
        values = (delta * (g_ends / 2 + g_inner) / m).sum(axis=-1)
        done = abs(values.sum() - change) <= max(COMPLETENESS * abs(change), COMPLETENESS_FLOOR)
        if steps is not None or done or 2 * m > MAX_STEPS:
            return PositionAttributions(values, float(f_x), float(f_base), m)
        g_inner = g_inner + path.gradients((2 * np.arange(m) + 1) / (2 * m))[1]
        m *= 2


@dataclass(frozen=True)
class _Path:
    """The straight path v' + α δ from the baseline to the text, fed to the model in batches."""

    score: object
    baseline: np.ndarray
    delta: np.ndarray
    mask: np.ndarray | None

    def gradients(self, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f_c at each α, Σ over the α of ∂f_c/∂v (time, features) in float64)."""
        f_all, g_sum = [], np.zeros(self.delta.shape, np.float64)
        for start in range(0, len(alphas), CHUNK):
            a = alphas[start:start + CHUNK]
            points = (self.baseline[None] + a[:, None, None] * self.delta[None])
            f, g = self.score.gradient(points.astype(self.delta.dtype),
                                       _batch_mask(self.mask, len(a)))
            f_all.append(f)
            g_sum += g.sum(axis=0, dtype=np.float64)
        return (np.concatenate(f_all) if f_all else np.zeros(0)), g_sum


def gradient_x_input(score, v: np.ndarray, mask, words: np.ndarray) -> PositionAttributions:
    """∂f_c/∂v_t · (v_t − v'_t) at v: one gradient."""
    baseline = baseline_of(v, words)
    f, g = score.gradient(v[None], _batch_mask(mask, 1))
    f_base = score.values(baseline[None], _batch_mask(mask, 1))[0]
    return PositionAttributions((g[0] * (v - baseline)).sum(axis=-1), float(f[0]), float(f_base))


def occlusion(score, model_input: ModelInput, row: np.ndarray,
              words: np.ndarray) -> PositionAttributions:
    """f_c(row) − f_c(row without the word at t), for each word position t."""
    at = np.flatnonzero(words)
    pad = np.zeros_like(row[:1])
    rows = np.stack([row] + [np.concatenate([pad, np.delete(row, t, axis=0)]) for t in at])
    f = np.concatenate([score.values(*model_input.vectors(rows[s:s + CHUNK]))
                        for s in range(0, len(rows), CHUNK)])
    values = np.zeros(len(row))
    values[at] = f[0] - f[1:]
    v, mask = model_input.vectors(row[None])
    f_base = score.values(baseline_of(v[0], words)[None], mask)[0]
    return PositionAttributions(values, float(f[0]), float(f_base))


@dataclass(frozen=True)
class Explanation:
    """One text's explanation: every token of the text, in order, with its attribution.

    ``statuses[i]`` is "known", "unknown" (outside the vocabulary) or "cut" (before the last
    ``maxlen`` ids); ``attributions[i]`` is None for a token the model never saw (an unknown word
    the encoding drops, a word cut by maxlen). An unknown word the encoding keeps as the
    out-of-vocabulary id has a position and an attribution like any other.
    """

    text: str
    tokens: tuple[str, ...]
    statuses: tuple[str, ...]
    positions: tuple[int | None, ...]
    attributions: tuple[float | None, ...]
    target: int                    # the class explained
    predicted: int                 # the model's most probable class
    probability: float             # f_target(text)
    baseline_probability: float    # f_target(baseline)
    method: str
    steps: int | None              # integrated gradients' trapezoid intervals
    engine: str = "numpy"
    class_names: tuple[str, ...] = field(default=())

    def label(self, class_id: int) -> str:
        return self.class_names[class_id] if self.class_names else str(class_id)

    @property
    def total(self) -> float:
        """Σ of the attributions (integrated gradients: ≈ probability − baseline_probability)."""
        return float(sum(a for a in self.attributions if a is not None))

    @property
    def completeness_gap(self) -> float:
        """Σ attributions − (probability − baseline_probability): integrated gradients' error."""
        return self.total - (self.probability - self.baseline_probability)

    @property
    def complete(self) -> bool:
        """Whether the gap is within integrated gradients' tolerance (1%, or 1e-4)."""
        change = abs(self.probability - self.baseline_probability)
        return abs(self.completeness_gap) <= max(COMPLETENESS * change, COMPLETENESS_FLOOR)

    def as_json(self) -> dict:
        return {"text": self.text, "method": self.method, "steps": self.steps,
                "engine": self.engine, "target": self.target, "label": self.label(self.target),
                "predicted": self.predicted, "predicted_label": self.label(self.predicted),
                "probability": self.probability,
                "baseline_probability": self.baseline_probability,
                "attribution_sum": self.total,
                "tokens": [{"token": t, "status": s, "position": p, "attribution": a}
                           for t, s, p, a in zip(self.tokens, self.statuses, self.positions,
                                                 self.attributions)]}


def explain(model, encoder, text: str, method: str = "integrated-gradients", target=None,
            steps: int | None = None, engine: str = "numpy",
            class_names: Sequence[str] = ()) -> Explanation:
    """Attributions of ``text``'s words toward class ``target`` (default: the predicted one).

    ``model``'s compute layers read what ``encoder`` makes of raw text (``encoder.encode``), and
    ``encoder.word_positions(text)`` says where each token went.
    """
    steps = _check_steps(method, steps)
    model_input = ModelInput.of(model)
    if not hasattr(encoder, "word_positions"):
        raise ExplainError(f"the text encoding {type(encoder).__name__} cannot say where each "
                           f"word went (it has no word_positions), so words cannot be matched "
                           f"to positions")
    row = np.asarray(encoder.encode([text]))[0]
    places = encoder.word_positions(text)
    words = np.zeros(len(row), bool)          # the positions holding the text's words
    words[[p.position for p in places if p.position is not None]] = True
    if not words.any():     # else an "explanation" of padding alone, all zeros, would come back
        raise ExplainError("no word of the text reached the model (it is empty, or every word "
                           "is outside the vocabulary); there is nothing to attribute")
    v, mask = model_input.vectors(row[None])
    probabilities = _probabilities(model_input, v, mask)
    predicted = int(np.argmax(probabilities))
    target = predicted if target is None else check_target(target, class_count(model_input))
    score = class_score(model_input, target, engine)
    mask1 = None if mask is None else mask[0]
    if method == "integrated-gradients":
        found = integrated_gradients(score, v[0], mask1, words, steps)
    elif method == "gradient-x-input":
        found = gradient_x_input(score, v[0], mask1, words)
    else:
        found = occlusion(score, model_input, row, words)
    return Explanation(
        text=text, tokens=tuple(p.token for p in places), statuses=tuple(p.status for p in places),
        positions=tuple(p.position for p in places),
        attributions=tuple(None if p.position is None else float(found.values[p.position])
                           for p in places),
        target=target, predicted=predicted, probability=float(probabilities[target]),
        baseline_probability=found.baseline_probability, method=method, steps=found.steps,
        engine=engine, class_names=tuple(class_names))


def _probabilities(model_input: ModelInput, v: np.ndarray, mask) -> np.ndarray:
    """(classes,) probabilities of one row, as ``predict_proba`` gives them."""
    return class_probabilities(model_input.output(v, mask))[0]


def _check_steps(method: str, steps) -> int | None:
    if method not in METHODS:
        raise ExplainError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if method != "integrated-gradients":
        if steps is not None:
            raise ExplainError(f"steps apply to integrated-gradients only, not to {method}")
        return None
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ExplainError(f"steps must be a positive whole number of trapezoid intervals, "
                           f"got {steps!r}")
    return int(steps)

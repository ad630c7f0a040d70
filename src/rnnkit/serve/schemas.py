"""Request and response bodies: what /docs shows and what FastAPI checks before any model work.

Strict types (a number is not a text) and unknown keys refused, so a misspelt ``"text"`` for
``"texts"`` is named in the error instead of being ignored. Sizes (texts per request, characters
per text, steps) are checked by ``limits.Limits``, whose values the server's flags set.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from ..insight.attributions import METHODS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictRequest(_Strict):
    texts: list[StrictStr] = Field(min_length=1, description="texts to classify, in order "
                                   "(at most max_texts, each at most max_chars characters)")


class PredictionResult(BaseModel):
    """One text's result: the record of ``rnnkit predict --json``."""

    text: str
    label: str | None = Field(description="the most probable class's name; null for an "
                                 "empty text")
    label_value: Any = Field(description="that class's label value in the training data")
    probability: float | None
    probabilities: dict[str, float] | None = Field(description="every class's probability")
    known_tokens: int = Field(description="words the model knows")
    unknown_tokens: int = Field(description="words outside its vocabulary")
    truncated: bool = Field(description="the text was cut to its last maxlen tokens")
    error: str | None = Field(description='"empty text" when there was nothing to classify')


class PredictResponse(BaseModel):
    results: list[PredictionResult] = Field(description="one per text, in the request's order")


class ExplainRequest(_Strict):
    text: StrictStr = Field(min_length=1, description="one text (at most max_chars)")
    method: Literal[METHODS] = Field(METHODS[0], description="how each word's share is "
                                     "measured")
    target: StrictStr | StrictInt | None = Field(
        None, description="the class to explain (a name or label value); default the "
        "predicted one")
    steps: StrictInt | None = Field(None, ge=1, description="integrated gradients only: "
                                       "trapezoid intervals (at most max_steps); default 64, "
                                       "doubled until the attributions add up within 1%")


class TokenAttribution(BaseModel):
    token: str
    status: str = Field(description="known, unknown (outside the vocabulary) or cut (by maxlen)")
    position: int | None = Field(description="its place in the model's input; null if the "
                                    "model never saw it")
    attribution: float | None = Field(description="its share of the target's probability")


class ExplainResponse(BaseModel):
    text: str
    method: str
    steps: int | None
    engine: str
    target: int
    label: str = Field(description="the explained class")
    predicted: int
    predicted_label: str
    probability: float = Field(description="the explained class's probability")
    baseline_probability: float = Field(description="its probability with no word known")
    attribution_sum: float
    tokens: list[TokenAttribution]


class InspectRequest(_Strict):
    text: StrictStr = Field(min_length=1, description="one text (at most max_chars)")


class Series(BaseModel):
    name: str = Field(description="a gate (i, f, o; z, r), a candidate (g, h_hat) or a state "
                      "(h, c)")
    kind: Literal["gate", "unit", "free"] = Field(description="gate: in [0, 1]; unit: in "
                                                  "[-1, 1]; free: unbounded")
    values: list[list[float | None]] = Field(description="[position][unit]; null where "
                                                "the mask skipped the step")


class LayerInspection(BaseModel):
    layer: str
    direction: str
    cell: str
    units: int
    saturation: dict[str, dict[str, float]]
    series: list[Series]


class Position(BaseModel):
    position: int
    label: str = Field(description="the word, (word) if outside the vocabulary, <start> for "
                       "a start mark")
    status: str


class InspectResponse(BaseModel):
    text: str
    prediction: dict[str, Any]
    positions: list[Position]
    dropped: list[str] = Field(description="words the encoding dropped")
    cut: list[str] = Field(description="words cut by maxlen")
    layers: list[LayerInspection]


class ErrorBody(BaseModel):
    error: str = Field(description="one line: what is wrong and what to do")
    limit: dict[str, Any] | None = Field(None, description="the limit it ran into: name, "
                                            "value, what it means")

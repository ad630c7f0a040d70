"""What passes from one exported layer to the next: a value in the graph and its mask.

Inside the graph every sequence is time-major, (time, batch, features), the layout ONNX's
recurrent operators read (layout=0; onnxruntime implements no other), so the graph transposes
once at the input and never again. The mask, where there is one, is (time, batch) bool, True on
a real step, in the original time order: rnnkit's (and Keras's) rule that a recurrent layer
passes the mask on unchanged, even after ``go_backwards``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Flow:
    value: str                  # (time, batch, width) if steps, else (batch, width)
    width: int                  # the last axis
    steps: bool                 # whether the value still has a time axis
    mask: str | None = None     # (time, batch) bool, or None
    ids: bool = False           # token ids (time, batch) int64, which only an Embedding reads

    def to(self, value: str, width: int | None = None, steps: bool | None = None,
           mask: str | None | bool = False) -> Flow:
        """This flow with a new value (and width, time axis, mask if given; mask=None ends it)."""
        return replace(self, value=value, ids=False, width=self.width if width is None else width,
                       steps=self.steps if steps is None else steps,
                       mask=self.mask if mask is False else mask)

"""LambdaCallback: a callback made of plain functions, one per hook."""

from __future__ import annotations

from .callback import HOOKS, Callback


class LambdaCallback(Callback):
    """``LambdaCallback(on_epoch_end=lambda epoch, logs: …)``: each function replaces its hook.

    Keras's named ones (on_epoch_begin/end, on_train_begin/end, on_train_batch_begin/end) and any
    other hook by keyword (``on_test_end=…``). The functions get what Keras passes: epoch hooks
    ``(epoch, logs)``, batch hooks ``(batch, logs)``, the others ``(logs)``. A keyword that is no
    hook is refused (Keras would keep it as a silent attribute).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got {', '.join(unknown)}, which is no callback "
                            f"hook; hooks are {', '.join(HOOKS)}")
        named = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for hook, function in {**named, **kwargs}.items():
            if function is not None:
                if not callable(function):
                    raise TypeError(f"LambdaCallback: {hook} must be a function, got "
                                    f"{function!r}")
                setattr(self, hook, function)

"""The callback protocol: Keras's hooks, and a list that calls them in order."""

from __future__ import annotations


class Callback:
    """Base class with every Keras 3 hook; override the ones you need.

    ``self.model`` is the model being trained, ``self.params`` holds ``epochs``, ``steps`` and
    ``verbose``. ``on_train_batch_*`` fall back to ``on_batch_*`` as in Keras.

    A callback whose decisions depend on earlier epochs returns that memory from ``get_state``
    (JSON values and NumPy arrays) and takes it back in ``set_state``: ``BackupAndRestore`` saves
    it with the model, so a resumed ``fit`` continues with it (rnnkit's; Keras has no such hook).
    """

    #: ``fit`` calls the hooks of callbacks with a higher ``order`` after the others (a stable
    #: sort): BackupAndRestore (1) saves every other callback's state at the end of a batch or
    #: an epoch; DeferredInterrupt (2) stops training after that backup was written.
    order = 0

    def __init__(self):
        self.params: dict = {}
        self.model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self.model = model

    def get_state(self) -> dict | None:
        """What this callback remembers between epochs (None: nothing)."""
        return None

    def set_state(self, state: dict) -> None:
        """Take back what ``get_state`` returned (in a resumed fit, after ``on_train_begin``)."""

    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)


HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_BATCH_HOOKS = tuple(name for name in HOOKS if "batch" in name)


class CallbackList:
    """Forwards every hook to each callback in turn (``callbacks.on_epoch_end(epoch, logs)``).

    As Keras's CallbackList: every callback of one call gets the same logs dict, a copy with
    the keys sorted (``{}`` when there are none), so what one callback writes into it (the
    ``learning_rate`` a scheduler logs) reaches those after it, History last; an epoch hook is
    called as ``hook(epoch, logs)``, a batch hook as ``hook(batch, logs=logs)``, the others as
    ``hook(logs)`` — which is what a ``LambdaCallback``'s functions receive.
    """

    def __init__(self, callbacks=None, model=None, **params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be rnnkit.callbacks.Callback instances, "
                                f"got {cb!r}")
        self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def __getattr__(self, hook):
        if hook not in HOOKS:
            raise AttributeError(hook)
        indexed = hook in _EPOCH_HOOKS or hook in _BATCH_HOOKS

        def call(*args, logs=None):
            index, args = (args[0], args[1:]) if indexed else (None, args)
            logs = dict(sorted(((args[0] if args else logs) or {}).items()))
            for cb in self.callbacks:
                method = getattr(cb, hook)
                if hook in _BATCH_HOOKS:
                    method(index, logs=logs)
                elif indexed:
                    method(index, logs)
                else:
                    method(logs)
        return call

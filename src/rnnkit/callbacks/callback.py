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


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class CallbackList:
    """Forwards every hook to each callback in turn (``callbacks.on_epoch_end(epoch, logs)``)."""

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
        if hook not in _HOOKS:
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
        return call

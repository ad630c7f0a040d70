"""The training loop shared by every engine: batches, metrics, callbacks, history, progress.

The loop asks the model's engine for three things only — ``train_step(x, y)``,
``eval_step(x, y)`` and ``predict_step(x)`` — and does the rest itself, with Keras 3's order of
events: epoch begin → (batch begin, step, batch end)… → validation → epoch end. Logged values are
running means over the samples seen so far in the epoch, as Keras reports them.
"""

from __future__ import annotations

import numpy as np

from . import data_adapter as da
from . import faults
from . import metrics as metrics_module
from .callbacks import CallbackList, History, ProgbarLogger
from .fit_loop import FitLoop
from .random import make_rng


class StepMetrics:
    """The loss tracker and the compiled metrics of one model, resolved on the first batch."""

    def __init__(self, identifiers):
        self.identifiers = list(identifiers or [])
        for identifier in self.identifiers:
            metrics_module.check_identifier(identifier)
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.compiled: list[metrics_module.Metric] | None = None
        self._pending: dict | None = None     # sums set_state kept for unresolved metrics

    @property
    def all(self) -> list[metrics_module.Metric]:
        return [self.loss_tracker] + (self.compiled or [])

    def reset(self) -> None:
        self._pending = None
        for metric in self.all:
            metric.reset_state()

    def update(self, loss: float, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        if self.compiled is None:
            self.compiled = [metrics_module.resolve(i, y_true, y_pred) for i in self.identifiers]
            if self._pending is not None:
                self._apply_pending()
        self.loss_tracker.update_state(loss, sample_weight=len(y_pred))
        for metric in self.compiled:
            metric.update_state(y_true, y_pred)

    def get_state(self) -> dict:
        """Each metric's running sums (a backup taken inside an epoch saves them)."""
        return {m.name: [m.total, m.count] for m in self.all}

    def set_state(self, state: dict) -> None:
        """Continue from ``get_state``'s sums; compiled metrics take theirs once resolved."""
        self.loss_tracker.total, self.loss_tracker.count = state[self.loss_tracker.name]
        self._pending = state
        if self.compiled is not None:
            self._apply_pending()

    def _apply_pending(self) -> None:
        for metric in self.compiled:
            metric.total, metric.count = self._pending[metric.name]
        self._pending = None

    def results(self) -> dict[str, float]:
        """Keras's logs: every metric's result, keys sorted as Keras's pythonify_logs does."""
        logs = {m.name: float(m.result()) for m in self.all}
        # sums restored for metrics not resolved yet (a resumed epoch with no batch left to run)
        for name, (total, count) in (self._pending or {}).items():
            logs.setdefault(name, total / count if count else 0.0)
        return dict(sorted(logs.items()))


def _verbosity(verbose) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _callback_list(model, callbacks, verbose: int, **params) -> CallbackList:
    callbacks = list(callbacks or [])
    if not any(isinstance(cb, History) for cb in callbacks):
        callbacks.append(History())
    if verbose and not any(isinstance(cb, ProgbarLogger) for cb in callbacks):
        callbacks.append(ProgbarLogger())
    callbacks.sort(key=lambda cb: getattr(cb, "order", 0))   # stable: see Callback.order
    return CallbackList(callbacks, model=model, verbose=verbose, **params)


# ---- fit ------------------------------------------------------------------------------------------
def fit(model, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto", callbacks=None,
        validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
        initial_epoch: int = 0, validation_batch_size=None, validation_freq: int = 1):
    """Keras's ``Model.fit`` on arrays; returns the History callback."""
    model.require_compiled("fit")
    x, y = da.check_inputs(model.preprocess(x), y)
    batch_size = da.check_batch_size(batch_size)
    val = _validation_arrays(model, x, y, validation_data, validation_split)
    if val is not None and validation_data is None:
        (x, y), val = val
    model.build_for_data(x, batch_size)
    model.check_targets(y, "y")
    if val is not None:
        model.check_targets(val[1], "y_val")
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}")

    verbose = _verbosity(verbose)
    steps = da.num_batches(len(x), batch_size)
    cbs = _callback_list(model, callbacks, verbose, epochs=epochs, steps=steps)
    loop = FitLoop(make_rng() if shuffle else None, initial_epoch, steps=steps,
                   callbacks=cbs.callbacks)
    model.fit_loop = loop
    model.stop_training = False
    logs: dict = {}
    cbs.on_train_begin()            # a BackupAndRestore may move the loop to where it was
    for epoch in range(loop.epoch, epochs):
        if loop.stopped:                # restored from a backup taken as a callback stopped
            break
        logs = _train_epoch(model, x, y, batch_size, loop, cbs, epoch)
        if val is not None and (epoch + 1) % validation_freq == 0:
            val_logs = _evaluate(model, *val, validation_batch_size or batch_size, cbs)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    model.fit_loop = None
    return model.history


def _validation_arrays(model, x, y, validation_data, validation_split):
    """(x_val, y_val), or ((x, y), (x_val, y_val)) when split off the training data."""
    if validation_data is not None:
        x_val, y_val = da.unpack_validation_data(validation_data)
        return da.check_inputs(model.preprocess(x_val), y_val, x_name="x_val", y_name="y_val")
    if validation_split:
        return da.train_validation_split(x, y, validation_split)
    return None


def _train_epoch(model, x, y, batch_size, loop: FitLoop, cbs, epoch) -> dict:
    first = loop.begin_epoch(epoch)     # > 0: a restored backup was taken inside this epoch
    if not first:
        model.step_metrics.reset()      # (else the metrics hold the epoch's sums so far)
    cbs.on_epoch_begin(epoch)
    for step, idx in enumerate(da.batch_indices(len(x), batch_size, loop.shuffle)):
        if step < first:
            continue
        if step == first and first and model.stop_training:
            break                       # the backup was taken as a callback stopped the epoch
        cbs.on_train_batch_begin(step)
        y_batch = y[idx]
        loss, y_pred = model.engine.train_step(x[idx], y_batch)
        model.step_metrics.update(loss, y_batch, y_pred)
        loop.step = step + 1
        faults.point("step")            # test hook (faults.py): a kill -9 between two steps
        cbs.on_train_batch_end(step, model.step_metrics.results())
        if model.stop_training:
            break
    return model.step_metrics.results()


# ---- evaluate and predict --------------------------------------------------------------------------
def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", callbacks=None,
             return_dict: bool = False):
    """Keras's ``Model.evaluate``: [loss, metrics…] (or the loss alone, or a dict)."""
    model.require_compiled("evaluate")
    x, y = da.check_inputs(model.preprocess(x), y)
    batch_size = da.check_batch_size(batch_size)
    model.build_for_data(x, batch_size)
    model.check_targets(y, "y")
    verbose = _verbosity(verbose)
    cbs = _callback_list(model, callbacks, verbose, epochs=1,
                         steps=da.num_batches(len(x), batch_size))
    logs = _evaluate(model, x, y, batch_size, cbs)
    if return_dict:
        return logs
    values = [logs["loss"]] + [logs[m.name] for m in model.step_metrics.compiled or []]
    return values[0] if len(values) == 1 else values


def _evaluate(model, x, y, batch_size, cbs) -> dict:
    model.step_metrics.reset()
    cbs.on_test_begin()
    for step, idx in enumerate(da.batch_indices(len(x), batch_size, None)):
        cbs.on_test_batch_begin(step)
        y_batch = y[idx]
        loss, y_pred = model.engine.eval_step(x[idx], y_batch)
        model.step_metrics.update(loss, y_batch, y_pred)
        cbs.on_test_batch_end(step, model.step_metrics.results())
    logs = model.step_metrics.results()
    cbs.on_test_end(logs)
    return logs


def predict(model, x, batch_size=None, verbose="auto", callbacks=None) -> np.ndarray:
    """Keras's ``Model.predict``: outputs for every sample, batch by batch, inference mode."""
    x, _ = da.check_inputs(model.preprocess(x))
    batch_size = da.check_batch_size(batch_size)
    model.build_for_data(x, batch_size)
    verbose = _verbosity(verbose)
    cbs = _callback_list(model, callbacks, verbose, epochs=1,
                         steps=da.num_batches(len(x), batch_size))
    outputs = []
    cbs.on_predict_begin()
    for step, idx in enumerate(da.batch_indices(len(x), batch_size, None)):
        cbs.on_predict_batch_begin(step)
        outputs.append(model.engine.predict_step(x[idx]))
        cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
    cbs.on_predict_end()
    return np.concatenate(outputs, axis=0)


# ---- single batches -----------------------------------------------------------------------------
def train_on_batch(model, x, y, return_dict: bool = False):
    """One optimizer step on (x, y); returns that batch's loss (and metrics)."""
    return _one_batch(model, x, y, "train_on_batch", engine_step="train_step",
                      return_dict=return_dict)


def test_on_batch(model, x, y, return_dict: bool = False):
    """The loss (and metrics) of (x, y) in inference mode."""
    return _one_batch(model, x, y, "test_on_batch", engine_step="eval_step",
                      return_dict=return_dict)


def _one_batch(model, x, y, what: str, engine_step: str, return_dict: bool):
    """Check and build as fit/evaluate do, run one engine step, report its loss and metrics."""
    model.require_compiled(what)
    x, y = da.check_inputs(model.preprocess(x), y)
    model.build_for_data(x, len(x))
    model.check_targets(y, "y")
    model.step_metrics.reset()
    loss, y_pred = getattr(model.engine, engine_step)(x, y)
    model.step_metrics.update(loss, y, y_pred)
    return _batch_result(model, return_dict)


def predict_on_batch(model, x) -> np.ndarray:
    x, _ = da.check_inputs(model.preprocess(x))
    model.build_for_data(x, len(x))
    return model.engine.predict_step(x)


def _batch_result(model, return_dict: bool):
    logs = model.step_metrics.results()
    if return_dict:
        return logs
    values = [logs["loss"]] + [logs[m.name] for m in model.step_metrics.compiled or []]
    return values[0] if len(values) == 1 else values

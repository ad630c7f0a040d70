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
from .engines.process_rank import is_writer
from .fit_loop import FitLoop
from .random import make_rng


class StepMetrics:
    """The loss tracker, the compiled metrics and the weighted metrics of one model, resolved on
    the first batch.

    The loss tracker averages the batches' (already weighted) losses by batch size; ``metrics``
    ignore sample weights and ``weighted_metrics`` apply them, as Keras's CompileMetrics does.
    """

    def __init__(self, identifiers, weighted_identifiers=None):
        self.identifiers = list(identifiers or [])
        self.weighted_identifiers = list(weighted_identifiers or [])
        for identifier in self.identifiers + self.weighted_identifiers:
            metrics_module.check_identifier(identifier)
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.compiled: list[metrics_module.Metric] | None = None
        self._pending: dict | None = None     # sums set_state kept for unresolved metrics
        self.weighted: list[metrics_module.Metric] = []

    @property
    def all(self) -> list[metrics_module.Metric]:
        return [self.loss_tracker] + (self.compiled or []) + self.weighted

    def reset(self) -> None:
        self._pending = None
        for metric in self.all:
            metric.reset_state()

    def update(self, loss: float, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: np.ndarray | None = None) -> None:
        if self.compiled is None:
            self.compiled = [metrics_module.resolve(i, y_true, y_pred) for i in self.identifiers]
            self.weighted = [metrics_module.resolve(i, y_true, y_pred)
                             for i in self.weighted_identifiers]
            if self._pending is not None:
                self._apply_pending()
        self.loss_tracker.update_state(loss, sample_weight=len(y_pred))
        for metric in self.compiled:
            metric.update_state(y_true, y_pred)
        for metric in self.weighted:
            metric.update_state(y_true, y_pred, sample_weight)

    def log_names(self) -> list[str]:
        """Each metric's key in the logs, in ``all``'s order: Keras's CompileMetrics.result
        numbers a repeated name (``accuracy_1``) and prefixes a weighted metric whose name is
        taken (``weighted_accuracy``)."""
        taken: dict[str, int] = {}
        names = [self.loss_tracker.name]
        for metric in self.compiled or []:
            names.append(_numbered(metric.name, taken))
        for metric in self.weighted:
            name = metric.name if metric.name not in taken else f"weighted_{metric.name}"
            names.append(_numbered(name, taken))
        return names

    def get_state(self) -> dict:
        """Each metric's running sums by its log name (a backup taken inside an epoch saves
        them; a weighted metric may share a compiled one's own name)."""
        return {name: [m.total, m.count] for name, m in zip(self.log_names(), self.all)}

    def set_state(self, state: dict) -> None:
        """Continue from ``get_state``'s sums; compiled metrics take theirs once resolved."""
        self.loss_tracker.total, self.loss_tracker.count = state[self.loss_tracker.name]
        self._pending = state
        if self.compiled is not None:
            self._apply_pending()

    def _apply_pending(self) -> None:
        for name, metric in zip(self.log_names()[1:], self.compiled + self.weighted):
            metric.total, metric.count = self._pending[name]
        self._pending = None

    def results(self) -> dict[str, float]:
        """Keras's logs: every metric's result, keys sorted as Keras's pythonify_logs does."""
        logs = {name: float(m.result()) for name, m in zip(self.log_names(), self.all)}
        # sums restored for metrics not resolved yet (a resumed epoch with no batch left to run)
        for name, (total, count) in (self._pending or {}).items():
            logs.setdefault(name, total / count if count else 0.0)
        return dict(sorted(logs.items()))

    def ordered_values(self, logs: dict) -> list[float]:
        """``evaluate``'s list: Keras's _flatten_metrics_in_order (values by the metrics' own
        names, then any log key those names missed, sorted)."""
        names = [m.name for m in self.all]
        values = [logs[name] for name in names if name in logs]
        return values + [logs[key] for key in sorted(logs) if key not in names]


def _numbered(name: str, taken: dict[str, int]) -> str:
    if name not in taken:
        taken[name] = 1
        return name
    taken[name] += 1
    return f"{name}_{taken[name] - 1}"


def _verbosity(verbose) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _callback_list(model, callbacks, verbose: int, **params) -> CallbackList:
    callbacks = list(callbacks or [])
    if not any(isinstance(cb, History) for cb in callbacks):
        callbacks.append(History())
    # one progress bar per run: in a distributed run every rank steps alike, rank 0 shows it
    if verbose and is_writer() and not any(isinstance(cb, ProgbarLogger) for cb in callbacks):
        callbacks.append(ProgbarLogger())
    callbacks.sort(key=lambda cb: getattr(cb, "order", 0))   # stable: see Callback.order
    return CallbackList(callbacks, model=model, verbose=verbose, **params)


# ---- fit ------------------------------------------------------------------------------------------
def fit(model, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto", callbacks=None,
        validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
        class_weight=None, sample_weight=None, initial_epoch: int = 0,
        validation_batch_size=None, validation_freq: int = 1):
    """Keras's ``Model.fit`` on arrays; returns the History callback.

    ``class_weight`` ({class: weight}) becomes per-sample weights as Keras makes them; those (or
    ``sample_weight``) scale each sample's loss and feed the ``weighted_metrics``. They apply to
    training only: validation uses ``validation_data``'s third element, if any."""
    model.require_compiled("fit")
    x, y = da.check_inputs(model.preprocess(x), y)
    sw = _sample_weights(y, sample_weight, class_weight)
    batch_size = da.check_batch_size(batch_size)
    if validation_data is not None:
        val = _validation_arrays(model, validation_data)
    elif validation_split:
        (x, y, sw), val = da.train_validation_split(x, y, validation_split, sw)
    else:
        val = None
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
    model.engine.prepare_training()
    for epoch in range(loop.epoch, epochs):
        if loop.stopped:                # restored from a backup taken as a callback stopped
            break
        logs = _train_epoch(model, (x, y, sw), batch_size, loop, cbs, epoch)
        if val is not None and (epoch + 1) % validation_freq == 0:
            val_logs = _evaluate(model, val, validation_batch_size or batch_size, cbs)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    model.fit_loop = None
    return model.history


def _sample_weights(y, sample_weight, class_weight):
    """The per-sample weights of (x, y): given, made from ``class_weight``, or None."""
    if class_weight is None:
        return da.check_sample_weight(sample_weight, len(y))
    if sample_weight is not None:
        raise ValueError("pass sample_weight or class_weight, not both (Keras refuses both too)")
    return da.class_weight_to_sample_weights(y, class_weight)


def _validation_arrays(model, validation_data):
    """(x_val, y_val, val_sample_weight or None), checked."""
    x_val, y_val, sw_val = da.unpack_validation_data(validation_data)
    x_val, y_val = da.check_inputs(model.preprocess(x_val), y_val, x_name="x_val",
                                   y_name="y_val")
    return x_val, y_val, da.check_sample_weight(sw_val, len(y_val), "val_sample_weight")


def _rows(sample_weight, idx):
    return None if sample_weight is None else sample_weight[idx]


def _train_epoch(model, data, batch_size, loop: FitLoop, cbs, epoch) -> dict:
    x, y, sw = data
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
        y_batch, sw_batch = y[idx], _rows(sw, idx)
        loss, y_pred = model.engine.train_step(x[idx], y_batch, sw_batch)
        model.step_metrics.update(loss, y_batch, y_pred, sw_batch)
        loop.step = step + 1
        faults.point("step")            # test hook (faults.py): a kill -9 between two steps
        cbs.on_train_batch_end(step, model.step_metrics.results())
        if model.stop_training:
            break
    return model.step_metrics.results()


# ---- evaluate and predict --------------------------------------------------------------------------
def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             callbacks=None, return_dict: bool = False):
    """Keras's ``Model.evaluate``: [loss, metrics…] (or the loss alone, or a dict)."""
    model.require_compiled("evaluate")
    x, y = da.check_inputs(model.preprocess(x), y)
    sw = da.check_sample_weight(sample_weight, len(y))
    batch_size = da.check_batch_size(batch_size)
    model.build_for_data(x, batch_size)
    model.check_targets(y, "y")
    verbose = _verbosity(verbose)
    cbs = _callback_list(model, callbacks, verbose, epochs=1,
                         steps=da.num_batches(len(x), batch_size))
    logs = _evaluate(model, (x, y, sw), batch_size, cbs)
    return _batch_result(model, logs, return_dict)


def _evaluate(model, data, batch_size, cbs) -> dict:
    x, y, sw = data
    model.step_metrics.reset()
    cbs.on_test_begin()
    for step, idx in enumerate(da.batch_indices(len(x), batch_size, None)):
        cbs.on_test_batch_begin(step)
        y_batch, sw_batch = y[idx], _rows(sw, idx)
        loss, y_pred = model.engine.eval_step(x[idx], y_batch, sw_batch)
        model.step_metrics.update(loss, y_batch, y_pred, sw_batch)
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
def train_on_batch(model, x, y, sample_weight=None, class_weight=None,
                   return_dict: bool = False):
    """One optimizer step on (x, y); returns that batch's loss (and metrics)."""
    return _one_batch(model, x, y, "train_on_batch", engine_step="train_step",
                      weights=(sample_weight, class_weight), return_dict=return_dict)


def test_on_batch(model, x, y, sample_weight=None, return_dict: bool = False):
    """The loss (and metrics) of (x, y) in inference mode."""
    return _one_batch(model, x, y, "test_on_batch", engine_step="eval_step",
                      weights=(sample_weight, None), return_dict=return_dict)


def _one_batch(model, x, y, what: str, engine_step: str, weights, return_dict: bool):
    """Check and build as fit/evaluate do, run one engine step, report its loss and metrics."""
    model.require_compiled(what)
    x, y = da.check_inputs(model.preprocess(x), y)
    sw = _sample_weights(y, *weights)
    model.build_for_data(x, len(x))
    model.check_targets(y, "y")
    model.step_metrics.reset()
    loss, y_pred = getattr(model.engine, engine_step)(x, y, sw)
    model.step_metrics.update(loss, y, y_pred, sw)
    return _batch_result(model, model.step_metrics.results(), return_dict)


def predict_on_batch(model, x) -> np.ndarray:
    x, _ = da.check_inputs(model.preprocess(x))
    model.build_for_data(x, len(x))
    return model.engine.predict_step(x)


def _batch_result(model, logs: dict, return_dict: bool):
    if return_dict:
        return logs
    values = model.step_metrics.ordered_values(logs)
    return values[0] if len(values) == 1 else values

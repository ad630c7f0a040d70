"""TorchEngine: the training loop's train / eval / predict steps, run with torch and autograd.

One step: the batch goes to the device, the network (network.py) runs forward, the outputs come
back to the host, where the model's own loss object gives the value and dL/d(output) — or, when
the output activation is the one the loss fuses with, dL/d(logits) = p − y — exactly as in the
NumPy engine. That gradient enters torch's graph with ``backward``; the optimizer's Keras rule
(optimizers.py) updates the Keras-layout parameters. Loss and metric code therefore exist once.

Weights: on the CPU the parameters *are* the description's arrays (shared memory), so saving,
callbacks and the NumPy engine always see the current weights. On CUDA they are copies: after
every train step they are written back, and before every step the description is compared with
the last copy written, so ``set_weights``/``load_weights`` between steps are picked up.
"""

from __future__ import annotations

import numpy as np

from ...layers import Embedding
from ..base import Engine
from .distributed import Shard, local_device
from .dropout_masks import make as make_masks
from .network import TorchNetwork
from .optimizers import KerasRule
from .torch_import import import_torch

torch = import_torch()

# bfloat16 keeps float32's exponent range, so gradients need no loss scaling.
_MIXED = {True: "bfloat16", "bfloat16": "bfloat16"}


def _graph_key(graph) -> tuple:
    """What the network was built for: the layers and how their calls connect."""
    return tuple(map(id, graph.layers)) + tuple((s.unit, s.inputs, s.outputs) for s in graph.steps)


def resolve_device(device) -> "torch.device":
    """'auto' → CUDA when available, else CPU; 'cpu' / 'cuda' / 'cuda:1' as given."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={str(device)!r} asked for, but torch sees no CUDA device "
                           f"(torch {torch.__version__}); use device='cpu' or 'auto'")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {str(device)!r}")
    return device


class TorchEngine(Engine):
    """Runs a Sequential model on PyTorch (CPU or CUDA; cuDNN where the layers allow)."""

    name = "torch"

    def __init__(self, model, device="auto", mixed_precision=False, dropout_masks="numpy",
                 seed: int | None = None, distributed="auto"):
        """``distributed``: 'auto' joins a torchrun/launch process group when WORLD_SIZE > 1;
        False always runs alone."""
        super().__init__(model)
        if distributed not in ("auto", True, False):
            raise ValueError(f"distributed must be 'auto', True or False, got {distributed!r}")
        self.device = resolve_device(local_device(device) if distributed else device)
        if mixed_precision and self.device.type != "cuda":
            raise ValueError(f"mixed_precision needs a CUDA device, got device="
                             f"{str(self.device)!r}")
        if mixed_precision not in (False, None) and mixed_precision not in _MIXED:
            raise ValueError(f"mixed_precision must be False, True or 'bfloat16', "
                             f"got {mixed_precision!r}")
        self.amp_dtype = getattr(torch, _MIXED[mixed_precision]) if mixed_precision else None
        self.share = self.device.type == "cpu"
        self.masks = make_masks(dropout_masks, self.device, seed)
        self.shard = Shard.from_env(self.device) if distributed else None
        self.masks.shard = self.shard
        self.net = None
        self.module = None                      # what forward calls: net, or DDP(net)
        self.rule = None
        self._built_for: tuple = ()
        self._written: list[np.ndarray] = []

    # ---- the step the training loop asks for (eval and predict: Engine) -----------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray,
                   sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """One optimizer step on one batch; returns the loss before the update and the outputs.
        ``sample_weight`` scales each sample's loss and so its gradient (losses.py)."""
        self._prepare()
        loss = self.model.loss
        x_local, y_local = self._local(x), self._local(y)
        sw_local = None if sample_weight is None else self._local(sample_weight)
        self.module.train()
        out, y_pred = self._run(x_local)
        y_true, y_pred_std = loss.standardize(y_local, y_pred)
        target, grad = self._loss_gradient(loss, (y_true, y_pred_std, sw_local), out)
        y_all = self._start_gather(y_pred_std)  # every rank's predictions, during backward
        if self.shard is not None:              # so that ranks average to the global-batch mean
            grad = grad * self.shard.gradient_scale(len(x), len(x_local))
            self.shard.touch(x)                 # the embedding rows all ranks' ids use
        target.backward(torch.from_numpy(np.ascontiguousarray(grad)).reshape(target.shape)
                        .to(target.device, target.dtype))
        params = self._trainable()
        if params:
            self.rule.step([p.grad if p.grad is not None else torch.zeros_like(p)
                            for p in params])
        for p in self.net.parameters():
            p.grad = None
        self._push()
        y_true_all, y_all = loss.standardize(y, y_all.result())
        return loss.value(y_true_all, y_all, sample_weight), y_all

    def prepare_training(self) -> None:
        """The network (and DDP's wrapper, whose constructor waits for every rank) now, not in
        the first step."""
        self._prepare()

    def forward(self, x, training: bool = False) -> np.ndarray:
        """The model's output for one batch (``training`` turns dropout on; no update)."""
        self._prepare()
        self.module.train(training)
        with torch.no_grad():
            _, y_pred = self._run(self._local(x))
        return self._gather(y_pred)

    # ---- what a training backup saves and restores --------------------------------------------------
    def random_state(self) -> dict:
        return self.masks.random_state()

    def set_random_state(self, state: dict) -> None:
        self.masks.set_random_state(state)

    def state_restored(self) -> None:
        """Weights and optimizer slots were replaced on the host: re-read them before the next
        step (the optimizer's slots may be new arrays, which the shared tensors do not see)."""
        self.rule = None
        if self.net is not None and not self.share:
            self.net.load_from_layers()
            self._written = [w.copy() for w in self._host_weights()]

    # ---- pieces ------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Build the network for the model's current layers; pick up outside weight changes."""
        graph = self.model.graph
        layers = graph.layers
        if _graph_key(graph) != self._built_for:
            self.net = TorchNetwork(graph, self.masks, share=self.share).to(self.device)
            self.module = self.net if self.shard is None else \
                self.shard.wrap(self.net, self._input_embedding())
            self._built_for = _graph_key(graph)
            self.rule = None
            self._written = [w.copy() for w in self._host_weights()] if not self.share else []
        elif not self.share and any(not np.array_equal(a, b) for a, b in
                                    zip(self._host_weights(), self._written)):
            self.net.load_from_layers()
            self._written = [w.copy() for w in self._host_weights()]
        if self.rule is None and self.model.optimizer is not None:
            host = [p for layer in layers if layer.trainable for p in layer.params()]
            self.rule = KerasRule(self.model.optimizer, self.net.trainable_parameters(), host,
                                  self.share)

    def _input_embedding(self):
        """The weight of the Embedding that reads the batch's ids, if one reads the input."""
        readers = self.net.graph.input_layers()
        if len(readers) == 1 and isinstance(readers[0], Embedding):
            return self.net.blocks[self.net.descriptions.index(readers[0])] \
                .keras_parameters()[0]
        return None

    def _host_weights(self) -> list[np.ndarray]:
        return [w for layer in self.model.graph.layers for w in layer.params()]

    def _trainable(self) -> list:
        return self.net.trainable_parameters() if self.model.trainable else []

    def _push(self) -> None:
        """Off the CPU: write weights and optimizer slots back to the description."""
        if self.share:
            return
        self.net.write_to_layers()
        self.rule.push_state()
        self._written = [w.copy() for w in self._host_weights()]

    def _to_device(self, x: np.ndarray):
        readers = self.model.graph.input_layers()
        embeddings = [layer for layer in readers if isinstance(layer, Embedding)]
        for embedding in embeddings:
            x = embedding.check_ids(x)          # the NumPy engine's one-line errors, on the host
        if embeddings:
            return torch.from_numpy(np.ascontiguousarray(x, np.int64)).to(self.device)
        return torch.from_numpy(np.ascontiguousarray(x, readers[0].dtype)).to(self.device)

    def _run(self, x: np.ndarray):
        """(output tensor, output as a host array) for one (local) batch."""
        x_t = self._to_device(np.asarray(x))
        if self.amp_dtype is not None:
            with torch.autocast("cuda", dtype=self.amp_dtype):
                out = self.module(x_t)
        else:
            out = self.module(x_t)
        dtype = np.dtype(self.model.graph.output_layer.dtype)
        return out, out.detach().float().cpu().numpy().astype(dtype, copy=False)

    def _loss_gradient(self, loss, batch, out):
        """(tensor to start backward from, dL/d(that tensor)), as the NumPy engine chooses;
        ``batch`` is (y_true, y_pred, sample_weight)."""
        fused = self.net.graph.fused_output_step(loss)
        if fused is not None:
            return self.net.output_logits(fused), loss.logits_gradient(*batch)
        return out, loss.gradient(*batch)

    def _local(self, a: np.ndarray) -> np.ndarray:
        return a if self.shard is None else self.shard.local(a)

    def _gather(self, a: np.ndarray) -> np.ndarray:
        return self._start_gather(a).result()

    def _start_gather(self, a: np.ndarray):
        """A pending ``_gather``: its ``result()`` is the global batch's rows."""
        return Ready(a) if self.shard is None else self.shard.start_gather(a)


class Ready:
    """A gather with nothing to wait for (one process)."""

    def __init__(self, value: np.ndarray):
        self.value = value

    def result(self) -> np.ndarray:
        return self.value

"""Data parallel training with torch.distributed: DDP, one shard of every global batch per process.

Every process runs the same training loop on the same global batches (same seed, same shuffle);
the engine keeps rows [start, stop) of each batch (``np.array_split``'s split) and DDP averages
gradients across processes. The loss gradient of each shard is scaled by n_local·world/n_global,
so the average is the gradient of the global batch's mean loss even when the split is uneven —
training on B rows over N processes gives the weights one process gets on B rows. Predictions
are gathered, so the loop's metrics and logs are the global batch's. Backends: gloo on the CPU,
NCCL on CUDA (device cuda:LOCAL_RANK).

Launch with ``torchrun --nproc-per-node N script.py`` or ``launch([script, …], nproc=N)``
(rnnkit.engines.launcher, which this module re-exports).

The input embedding's gradient is all-reduced on the rows the global batch used (``EmbeddingRows``,
a DDP communication hook), not densely: every rank holds the whole global batch, so every rank
knows every rank's ids without asking, and the other rows are zero on all of them.

Exit: a group this module started is torn down before the interpreter finalizes (``atexit``).
Gloo's worker threads drop their reference to a finished collective a moment *after* the caller's
``wait()`` returns; when that reference is the last one to a tensor Python made, dropping it takes
the GIL, and once the interpreter is finalizing CPython ends the thread (``pthread_exit``) inside a
C++ destructor: ``terminate called without an active exception``, SIGABRT, after the script's
work is done (pytorch/pytorch#190489). So the tensors handed to collectives stay referenced here
until the backend has let go of them (``_IN_FLIGHT``), the exit hook waits for that and then calls
``destroy_process_group()``.
"""

from __future__ import annotations

import atexit
import os
import time

import numpy as np

from ..launcher import launch, process_threads
from ..process_rank import rank, world_size
from .torch_import import import_torch

torch = import_torch()
dist = torch.distributed


class Shard:
    """This process's rows of every global batch, and the collectives over all processes."""

    #: all-reduce the input embedding's gradient on the rows the global batch used (False:
    #: DDP's dense all-reduce of every row; benchmarks and tests compare the two)
    embedding_rows = True

    def __init__(self, rank: int, world: int, device):
        self.rank, self.world, self.device = rank, world, torch.device(device)
        self.n_global = 0
        self.rows: EmbeddingRows | None = None

    @classmethod
    def from_env(cls, device) -> "Shard | None":
        """The shard of a torchrun/launch process (joining the process group), or None."""
        if world_size() <= 1:
            return None
        if not dist.is_initialized():
            backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
            dist.init_process_group(backend=backend, init_method="env://")
            _tear_down_at_exit(owned=True)
        return cls(dist.get_rank(), dist.get_world_size(), device)

    def bounds(self, n: int, rank: int | None = None) -> tuple[int, int]:
        """[start, stop) of this (or ``rank``'s) rows in a batch of n (sizes differ by ≤ 1)."""
        rank = self.rank if rank is None else rank
        base, extra = divmod(n, self.world)
        start = rank * base + min(rank, extra)
        return start, start + base + (rank < extra)

    def local(self, a: np.ndarray) -> np.ndarray:
        """This rank's rows; a rank with none runs row 0 with a zero gradient weight."""
        self.n_global = len(a)
        start, stop = self.bounds(len(a))
        return a[start:stop] if stop > start else a[:1]

    def gradient_scale(self, n_global: int, n_local: int) -> float:
        start, stop = self.bounds(n_global)
        return (stop - start) * self.world / n_global

    def start_gather(self, a: np.ndarray) -> Gathering:
        """The global batch's rows, in order, from every rank's own rows, gathered in the
        background: ``.result()`` waits for them. A training step starts it before its backward
        pass, so that the predictions travel while the gradients are computed instead of adding
        a second wait for the slower rank after the update.

        One all_gather of tensors padded to the largest share (shares differ by at most one
        row); the tensors stay in ``_IN_FLIGHT`` until the backend has released them.
        """
        sizes = [stop - start for start, stop in (self.bounds(self.n_global, r)
                                                  for r in range(self.world))]
        mine = np.ascontiguousarray(a[:sizes[self.rank]])
        padded = np.zeros((max(sizes),) + mine.shape[1:], dtype=mine.dtype)
        padded[:len(mine)] = mine
        send = torch.from_numpy(padded).to(self.device)
        parts = [torch.empty_like(send) for _ in range(self.world)]
        _hold(send, *parts)
        return Gathering(dist.all_gather(parts, send, async_op=True), parts, sizes)

    def wrap(self, net, embedding=None):
        """DDP over ``net`` (on its device); rank 0's weights are broadcast to every rank.

        ``embedding``: the weight of an Embedding that reads the batch's ids (the network's
        input); its gradient is then reduced on the rows of the ids ``touch`` was given.
        """
        ids = [self.device.index or 0] if self.device.type == "cuda" else None
        ddp = torch.nn.parallel.DistributedDataParallel(net, device_ids=ids)
        self.rows = None
        if embedding is not None and embedding.requires_grad and self.embedding_rows:
            self.rows = EmbeddingRows(embedding, self.world)
            ddp.register_comm_hook(self.rows, EmbeddingRows.hook)
        return ddp

    def touch(self, ids: np.ndarray) -> None:
        """The global batch's ids, before its backward pass (all of them, not this rank's)."""
        if self.rows is not None:
            self.rows.touch(ids)


class Gathering:
    """An all_gather under way: ``result()`` waits, then joins every rank's rows in rank order."""

    def __init__(self, work, parts: list, sizes: list[int]):
        self.work, self.parts, self.sizes = work, parts, sizes

    def result(self) -> np.ndarray:
        self.work.wait()
        return np.concatenate([p.cpu().numpy()[:size]
                               for p, size in zip(self.parts, self.sizes)])


class EmbeddingRows:
    """DDP communication hook: an input embedding's gradient reduced on the rows in use.

    dL/dW of an Embedding(V, d) is zero on every row whose id is not in the batch. Each rank
    holds the whole global batch (``Shard.local`` keeps its share), so each knows the ids of all
    ranks' shares without communicating; ``touch`` marks them. The hook then sends those rows,
    and the rest of the bucket, in one all-reduce: the sum of every other row is zero on every
    rank, so the gradient is the one DDP's dense all-reduce gives (the same floats: the same
    sums of the same values), in a fraction of the bytes — about 3,000 of 20,000 rows for a
    batch of 64 movie reviews. Without ``touch`` since the last reduction (a backward pass the
    engine did not prepare) the bucket is reduced densely.
    """

    def __init__(self, weight, world: int):
        self.weight, self.world = weight, world
        self.ids = None                 # rows to reduce in the next backward pass (LongTensor)
        self.reduced = 0                # rows the latest reduction sent

    def touch(self, ids: np.ndarray) -> None:
        n = self.weight.shape[0]
        flat = np.asarray(ids).astype(np.int64, copy=False).ravel()   # as F.embedding's long()
        used = np.zeros(n, dtype=bool)
        used[flat[(flat >= 0) & (flat < n)]] = True
        self.ids = torch.from_numpy(np.flatnonzero(used)).to(self.weight.device)

    @staticmethod
    def hook(state: EmbeddingRows, bucket):
        return state.reduce(bucket)

    def reduce(self, bucket):
        buffer = bucket.buffer()
        where = [i for i, p in enumerate(bucket.parameters()) if p is self.weight]
        rows, self.ids = self.ids, None
        if not where or rows is None:           # DDP's default: the mean of the whole bucket
            send = buffer.div_(self.world)
            _hold(send)
            return dist.all_reduce(send, async_op=True).get_future().then(
                lambda fut: fut.value()[0])
        # The bucket is the parameters' gradients laid end to end, in bucket.parameters() order.
        start = sum(p.numel() for p in bucket.parameters()[:where[0]])
        stop = start + self.weight.numel()
        dim = self.weight.shape[1] if self.weight.dim() > 1 else 1
        grad = buffer[start:stop].view(-1, dim)
        picked = grad.index_select(0, rows).view(-1)
        send = torch.cat([picked, buffer[:start], buffer[stop:]]).div_(self.world)
        self.reduced = rows.numel()
        _hold(send)

        def unpack(fut):
            summed = fut.value()[0]
            k = picked.numel()
            grad.zero_()                    # zero on every rank already: kept equal if not
            grad.index_copy_(0, rows, summed[:k].view(-1, dim))
            buffer[:start] = summed[k:k + start]
            buffer[stop:] = summed[k + start:]
            return buffer

        return dist.all_reduce(send, async_op=True).get_future().then(unpack)


#: tensors handed to collectives, kept until the backend has dropped its references to them
_IN_FLIGHT: list = []
_EXIT_HOOK = {"registered": False, "owned": False}


def _released(t) -> bool:
    """True once only Python holds ``t`` (the backend's work object let go of it)."""
    use_count = getattr(t, "_use_count", None)
    return use_count is None or use_count() <= 1


def _hold(*tensors) -> None:
    """Keep ``tensors`` (about to go to a collective); forget those the backend released."""
    _tear_down_at_exit(owned=False)
    _IN_FLIGHT[:] = [t for t in _IN_FLIGHT if not _released(t)]
    _IN_FLIGHT.extend(tensors)


def _drain(timeout: float = 10.0) -> bool:
    """Wait until the backend has released every held tensor (True), or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        _IN_FLIGHT[:] = [t for t in _IN_FLIGHT if not _released(t)]
        if not _IN_FLIGHT or time.monotonic() > deadline:
            return not _IN_FLIGHT
        time.sleep(0.001)


def _tear_down() -> None:
    """At exit, while the interpreter is whole: wait for the backend, then end the group."""
    _drain()                    # False only if a collective never finished (a rank died)
    if _EXIT_HOOK["owned"] and dist.is_initialized():
        dist.destroy_process_group()


def _tear_down_at_exit(owned: bool) -> None:
    _EXIT_HOOK["owned"] = _EXIT_HOOK["owned"] or owned
    if not _EXIT_HOOK["registered"]:
        atexit.register(_tear_down)
        _EXIT_HOOK["registered"] = True


def local_device(device) -> str:
    """'cuda' in a distributed run means this process's GPU, cuda:LOCAL_RANK."""
    if str(device) == "cuda" and world_size() > 1:
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return device


def limit_threads() -> None:
    """``process_threads`` applied to this process (the CLI's single torch process on a CPU)."""
    if process_threads():
        torch.set_num_threads(1)


__all__ = ["EmbeddingRows", "Shard", "launch", "local_device", "rank", "process_threads", "limit_threads", "world_size"]

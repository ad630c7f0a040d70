"""One process of the embedding-rows test: the rows all-reduce against DDP's dense one.

Usage: python ddp_rows_worker.py  (under launch(nproc=2)). Two models with the same initial
weights train three SGD steps on the same global batches; each batch's two shards use disjoint
ids (rank 0's rows ids 1–12, rank 1's 20–31, then the other way round, then overlapping), so a
reduction of the wrong rows — this rank's own ids only, or rows paired up wrongly — gives other
weights. One model reduces the embedding's gradient on the touched rows (``EmbeddingRows``),
the other densely (``Shard.embedding_rows = False``). Every rank prints
``ROWS <rank> <rows sent per step> <max |Δw| rows vs dense> <untouched rows unchanged>``.
"""

import os

import numpy as np

import rnnkit
from rnnkit import layers as L
from rnnkit.engines.process_rank import rank

VOCAB, T = 40, 5
rng = np.random.default_rng(3)
low = rng.integers(1, 13, (2, T))          # ids 1..12
high = rng.integers(20, 32, (2, T))        # ids 20..31
batches = [np.concatenate([low, high]), np.concatenate([high, low]),
           rng.integers(1, 32, (4, T))]     # shards of 2 rows: rank 0 rows 0–1, rank 1 rows 2–3
y = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=np.float32)


def model(rows: bool):
    rnnkit.set_random_seed(7)
    m = rnnkit.Sequential([rnnkit.Input((T,), dtype="int32"), L.Embedding(VOCAB, 3),
                           L.GRU(2), L.Dense(1, activation="sigmoid")])
    m.compile(optimizer=rnnkit.optimizers.SGD(0.5), loss="binary_crossentropy",
              engine="torch", device="cpu")
    m.engine.shard.embedding_rows = rows
    return m


sparse, dense = model(True), model(False)
start = sparse.get_weights()[0].copy()
sent = []
for x in batches:
    sparse.engine.train_step(x, y)
    dense.engine.train_step(x, y)
    sent.append(sparse.engine.shard.rows.reduced)
assert dense.engine.shard.rows is None          # the dense model ran DDP's own all-reduce
diff = max(float(np.abs(a - b).max()) for a, b in zip(sparse.get_weights(), dense.get_weights()))
untouched = np.setdiff1d(np.arange(VOCAB), np.concatenate([b.ravel() for b in batches]))
kept = np.array_equal(sparse.get_weights()[0][untouched], start[untouched])
# one write: the ranks share stdout, and print's separate writes can interleave
os.write(1, f"ROWS {rank()} {','.join(map(str, sent))} {diff:.3g} {kept}\n".encode())

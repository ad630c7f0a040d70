"""Embedding backward, compiled: add each position's gradient row to its id's row."""

from numba import njit


@njit(cache=True, nogil=True)
def scatter_add(ids, d_rows, grad):
    """grad[ids[n]] += d_rows[n] for every n; ids (N,), d_rows (N, D), grad (V, D)."""
    for n in range(ids.shape[0]):
        row = ids[n]
        for j in range(d_rows.shape[1]):
            grad[row, j] += d_rows[n, j]

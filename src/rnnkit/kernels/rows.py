"""Row copies and adds written element by element, for the compiled loops.

``h[t + 1, b] = h[t, b]`` does the same, but numba compiles an array assignment with a shape check
whose error message — formatting, joining, ``raise_with_shape_context`` — it builds even though
it never shows it: about 2 s of the ~6.5 s of CPU a cold cache costs the main job. These loops
copy the same values with nothing to check.
"""

from numba import njit


@njit(inline="always")
def copy_row(dst, src):
    """dst[:] = src, 1-D."""
    for j in range(dst.shape[0]):
        dst[j] = src[j]


@njit(inline="always")
def add_row(dst, src):
    """dst[:] += src, 1-D."""
    for j in range(dst.shape[0]):
        dst[j] += src[j]


@njit(inline="always")
def copy_rows(dst, src):
    """dst[:, :] = src, 2-D."""
    for b in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[b, j] = src[b, j]

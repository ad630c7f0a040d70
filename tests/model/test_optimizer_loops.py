"""The compiled update loops (rnnkit.kernels.optimizers) give the rules' floats, bit for bit.

Adam's and plain RMSprop's update run as one compiled pass where they apply (float32 arrays in
host memory, numba on). They must equal the rule as written (the lines Keras's oracle checks,
tests/model/test_oracle_training.py) exactly, in the NumPy engine and on the torch engine's CPU
tensors, and must not run where they do not apply.
"""

import numpy as np
import pytest

from rnnkit import kernels, optimizers
from rnnkit.optimizers import compiled

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba/scipy not installed")

SHAPES = [(50, 6), (6, 12), (12,), (1,)]

COMPILED = [
    (optimizers.Adam, {}),
    (optimizers.Adam, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4}),
    (optimizers.Adam, {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5}),
    (optimizers.RMSprop, {}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "clipvalue": 0.05}),
]

AS_WRITTEN = [
    (optimizers.Adam, {"amsgrad": True}),
    (optimizers.RMSprop, {"centered": True}),
    (optimizers.RMSprop, {"momentum": 0.5}),
]


def _ids(case):
    return f"{case[0].__name__}{sorted(case[1].items())}"


def _steps(dtype="float32"):
    """Weights and four steps' gradients: signs mixed, one all zero, one with large values."""
    rng = np.random.default_rng(3)
    weights = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) * scale for s in SHAPES]
             for scale in (1.0, 1e-3, 0.0, 40.0)]
    return weights, grads


@pytest.fixture
def loops_called(monkeypatch):
    """How many times each compiled loop ran (the loops still run)."""
    calls = {"adam": 0, "rmsprop": 0}
    module = compiled.loops()
    for name in calls:
        real = getattr(module, name)

        def counted(*args, _real=real, _name=name):
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(module, name, counted)
    return calls


def _train(cls, options, weights, grads, on: bool):
    saved = kernels.enabled()
    kernels.set_enabled(on)
    try:
        opt = cls(**options)
        params = [w.copy() for w in weights]
        for g in grads:
            opt.apply([x.copy() for x in g], params)
        return params, opt
    finally:
        kernels.set_enabled(saved)


@pytest.mark.parametrize("case", COMPILED, ids=_ids)
def test_compiled_update_equals_the_rule_bit_for_bit(case, loops_called):
    cls, options = case
    weights, grads = _steps()
    ref, ref_opt = _train(cls, options, weights, grads, on=False)
    assert sum(loops_called.values()) == 0
    fast, fast_opt = _train(cls, options, weights, grads, on=True)
    assert loops_called[cls.__name__.lower()] == len(grads) * len(SHAPES)
    for name, a, b in zip(map(str, range(len(ref))), ref, fast, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"weight {name}")
    for a, b in zip(ref_opt.variables, fast_opt.variables, strict=True):
        np.testing.assert_array_equal(a, b)


def _adam_first_step(w, g, lr):
    """Adam's first step by hand, in float64 from Keras's float32 constants: m = (1 − β₁)g,
    v = (1 − β₂)g², α = lr·√(1 − β₂)/(1 − β₁) with β₁, β₂ rounded to float32 as Keras's are."""
    f32 = lambda x: float(np.float32(x))
    b1, b2 = f32(0.9), f32(0.999)
    g = np.asarray(g, np.float64)
    m, v = f32(1 - 0.9) * g, f32(1 - 0.999) * g * g
    alpha = f32(lr) * np.sqrt(1 - b2) / (1 - b1)
    return np.asarray(w, np.float64) - alpha * m / (np.sqrt(v) + f32(1e-7))


def test_adam_first_step_by_hand(compiled_on, loops_called):
    g = np.array([0.5, -2.0, 1e-6, 0.0], np.float32)
    w = np.ones(4, np.float32)
    expected = _adam_first_step(w, g, 0.1)
    optimizers.Adam(learning_rate=0.1).apply([g], [w])
    assert loops_called["adam"] == 1
    np.testing.assert_allclose(w, expected, rtol=1e-6)


@pytest.mark.parametrize("case", AS_WRITTEN, ids=_ids)
def test_options_the_loop_lacks_run_the_rule_as_written(case, loops_called, compiled_on):
    cls, options = case
    weights, grads = _steps()
    _train(cls, options, weights, grads, on=True)
    assert sum(loops_called.values()) == 0


@pytest.mark.parametrize("make", [
    pytest.param(lambda w: w.astype(np.float64), id="float64"),
    pytest.param(lambda w: np.asfortranarray(w), id="not C-contiguous"),
])
def test_arrays_the_loop_cannot_take_run_the_rule_as_written(make, loops_called, compiled_on):
    w = make(np.arange(12, dtype=np.float32).reshape(3, 4) / 10)
    g = np.ones_like(w)
    expected = _adam_first_step(w, g, 0.001)
    optimizers.Adam().apply([g], [w])
    assert sum(loops_called.values()) == 0
    np.testing.assert_allclose(w, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", COMPILED[:1] + COMPILED[3:4], ids=_ids)
def test_torch_cpu_tensors_take_the_compiled_loop_in_place(case, loops_called):
    """The torch engine runs ``Optimizer.step`` on its tensors; on the CPU the loop writes into
    their memory and gives the NumPy engine's floats."""
    torch = pytest.importorskip("torch")
    from rnnkit.engines.torch_engine.ops import OPS

    cls, options = case
    weights, grads = _steps()
    ref, _ = _train(cls, options, weights, grads, on=False)
    saved = kernels.enabled()
    kernels.set_enabled(True)
    try:
        opt = cls(**options)
        params = [torch.tensor(w, requires_grad=True) for w in weights]
        opt.build([p.detach().numpy() for p in params])
        slots = {k: [torch.from_numpy(a) for a in arrays] for k, arrays in opt.slots.items()}
        with torch.no_grad():
            for g in grads:
                opt.step(OPS, [torch.from_numpy(x) for x in g], params, slots)
    finally:
        kernels.set_enabled(saved)
    assert loops_called[cls.__name__.lower()] == len(grads) * len(SHAPES)
    for a, p in zip(ref, params, strict=True):
        np.testing.assert_array_equal(a, p.detach().numpy())

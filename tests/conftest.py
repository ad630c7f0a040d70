"""Test settings shared by the whole suite.

* Real Keras 3 is the oracle; it runs on its PyTorch backend. The backend is *forced* here (before
  anything imports keras), whatever KERAS_BACKEND says; if keras was imported before this file
  ran (by a plugin or sitecustomize) on another backend, the run is refused.
* Real data lives in ../shared/data; loaders find it through RNNKIT_DATA, as on a user's machine.
* Tests marked ``tensorflow`` (Keras on TensorFlow, in the Python RNNKIT_TF_PYTHON names; no
  dependency of rnnkit) are deselected unless ``-m`` names them: ``pytest -m tensorflow``.
* In CI (CI=true) the oracle, integration and browser tests cannot skip silently: a skipped test
  marked ``oracle``, ``integration`` or ``browser`` is reported as a failure, and a test module
  skipped whole at collection (``importorskip`` at module level: its tests never ran) fails the
  session; both are listed with their reasons at the end. Outside CI a skip stays a skip.
"""

import os
import sys
from pathlib import Path

import pytest

KERAS_BACKEND = "torch"
_ASKED_BACKEND = os.environ.get("KERAS_BACKEND")
os.environ["KERAS_BACKEND"] = KERAS_BACKEND


def _imported_keras_backend() -> str | None:
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return keras.config.backend()
    except AttributeError:      # keras 2, or a partial import: cannot tell, so refuse below
        return "unknown"


_EARLY = _imported_keras_backend()
if _EARLY not in (None, KERAS_BACKEND):
    raise pytest.UsageError(
        f"keras was imported before tests/conftest.py with backend {_EARLY!r}; the oracle tests "
        f"need Keras on its {KERAS_BACKEND!r} backend. Run without the plugin or sitecustomize "
        f"that imports keras (KERAS_BACKEND={_ASKED_BACKEND!r}).")

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if _SHARED_DATA.is_dir():
    os.environ.setdefault("RNNKIT_DATA", str(_SHARED_DATA))


@pytest.fixture(autouse=True)
def _deterministic():
    """Every test starts from the same seed and fresh layer names (lstm, lstm_1, …)."""
    import rnnkit
    from rnnkit.layers import clear_session

    rnnkit.set_random_seed(1234)
    clear_session()
    yield


@pytest.fixture
def compiled_on():
    """The compiled loops (numba) switched on for one test (the switch is global), then restored."""
    from rnnkit import kernels

    saved = kernels.enabled()
    kernels.set_enabled(True)
    yield
    kernels.set_enabled(saved)


def pytest_collection_modifyitems(config, items):
    """Deselect tests marked tensorflow unless the -m expression asks for them."""
    if "tensorflow" in (config.getoption("markexpr") or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("tensorflow") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("tensorflow") is None]


def pytest_report_header(config):
    asked = "" if _ASKED_BACKEND in (None, KERAS_BACKEND) else \
        f" (KERAS_BACKEND={_ASKED_BACKEND!r} overridden by tests/conftest.py)"
    ci = "; CI: skipped oracle/integration/browser tests fail" if in_ci() else ""
    return f"keras backend: {KERAS_BACKEND}{asked}{ci}"


# --- CI: no silent skips -----------------------------------------------------------------------

GUARDED_MARKERS = ("oracle", "integration", "browser")
_SILENT_SKIPS_KEY = pytest.StashKey[list]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _silent_skips(config) -> list:
    return config.stash.setdefault(_SILENT_SKIPS_KEY, [])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a skipped oracle/integration/browser test (setup or call) becomes a failure."""
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        marks = [m for m in GUARDED_MARKERS if item.get_closest_marker(m) is not None]
        if marks:
            reason = _skip_reason(report)
            report.outcome = "failed"
            report.longrepr = (f"CI=true: {'/'.join(marks)} test skipped ({reason}); in CI "
                               f"{' and '.join(GUARDED_MARKERS)} tests must run, not skip")
            _silent_skips(item.config).append((item.nodeid, f"[{'/'.join(marks)}] {reason}"))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """In CI, a module skipped whole at collection is remembered: the session will fail."""
    report = yield
    if in_ci() and report.skipped and isinstance(collector, pytest.Module):
        _silent_skips(collector.config).append(
            (report.nodeid, f"[whole module, markers unknown] {_skip_reason(report)}"))
    return report


def pytest_sessionfinish(session, exitstatus):
    if _silent_skips(session.config) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = _silent_skips(config)
    if not skipped:
        return
    terminalreporter.section("CI=true: tests that would have skipped silently", sep="=", red=True)
    for nodeid, reason in skipped:
        terminalreporter.line(f"SKIPPED IN CI {nodeid}: {reason}", red=True)
    terminalreporter.line(f"{len(skipped)} skipped oracle/integration/browser test(s) or "
                          "module(s): the run fails. Install the test extras (keras, torch, "
                          "keras-preprocessing, playwright), Debian's chromium and the shared "
                          "data, or run outside CI to allow skips.", red=True)

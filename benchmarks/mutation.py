#!/usr/bin/env python
"""Mutation testing: would the test suite notice a realistic bug? (a project tool, not part of CI)

The mutants are hand-kept in ``benchmarks/mutants.toml``: each is a file, an exact snippet that
must occur there exactly once, its replacement, a one-line description and the tests relevant to
it. The run copies the chosen revision (``--rev``, default HEAD; or the working tree with
``--worktree``) into a scratch directory, checks that every mutant still applies — if a snippet no
longer matches, the code moved and the run stops, naming the mutant — and that the selected tests
pass unmutated, then applies one mutant at a time and runs its tests there with
``PYTHONPATH=<scratch>/src`` and the current interpreter. ``--full`` reruns the whole suite on
each mutant that survived its subset, to tell "survived its tests" from "survived the suite".

    nice -n 19 .venv/bin/python benchmarks/mutation.py --list
    nice -n 19 .venv/bin/python benchmarks/mutation.py --rev <commit> --full
    nice -n 19 .venv/bin/python benchmarks/mutation.py --only 'torch-*' --jobs 2
    nice -n 19 .venv/bin/python benchmarks/mutation.py --worktree --only fit-never-shuffles --full

Nothing in the repository is modified: every file written lives under the scratch directory
(removed at the end unless ``--keep``). Standard library only; nothing is pickled.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import fnmatch
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the project depends on tomli there
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_MUTANTS = HERE / "mutants.toml"

#: Runs pytest in the scratch tree, then checks which rnnkit the tests imported: the venv has
#: rnnkit installed in editable mode (pointing at the real checkout), so PYTHONPATH must win.
RUNNER = """
import os, sys
import pytest
tree = os.path.realpath(sys.argv[1])
code = int(pytest.main(sys.argv[2:]))
module = sys.modules.get("rnnkit")
if module is not None and not os.path.realpath(module.__file__).startswith(tree + os.sep):
    print(f"MUTATION-IMPORT-ERROR: rnnkit came from {module.__file__}, not from {tree}",
          file=sys.stderr, flush=True)
    sys.exit(97)
sys.exit(code)
"""
IMPORT_CHECK = "import rnnkit, sys; sys.stdout.write(rnnkit.__file__)"
WRONG_IMPORT = 97

PYTEST_OPTIONS = ["-q", "-x", "-rfE", "--no-header", "-p", "no:cacheprovider"]


class MutationError(RuntimeError):
    """A problem with the mutants or the scratch tree: the run stops with this message."""


# ---- mutants ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    file: str
    original: str
    replacement: str


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(e.file for e in self.edits))


def load_mutants(path: Path) -> list[Mutant]:
    """The mutants of a TOML file, checked for the fields every mutant needs."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    entries = data.get("mutant")
    if not isinstance(entries, list) or not entries:
        raise MutationError(f"{path}: no [[mutant]] tables")
    mutants, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"{path}: mutant #{i + 1} ({entry.get('name', '?')})"
        for key in ("name", "description", "file", "original", "replacement", "tests"):
            if key not in entry:
                raise MutationError(f"{where}: missing {key!r}")
        unknown = set(entry) - {"name", "description", "file", "original", "replacement",
                                "tests", "also"}
        if unknown:
            raise MutationError(f"{where}: unknown keys {sorted(unknown)}")
        name = entry["name"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise MutationError(f"{where}: names are lowercase words joined by '-'")
        if name in seen:
            raise MutationError(f"{where}: the name {name!r} is used twice")
        seen.add(name)
        if "\n" in entry["description"]:
            raise MutationError(f"{where}: the description must be one line")
        tests = entry["tests"]
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise MutationError(f"{where}: tests must be a non-empty list of paths or node ids")
        edits = []
        for spec in [entry] + list(entry.get("also", [])):
            for key in ("file", "original", "replacement"):
                if not isinstance(spec.get(key), str):
                    raise MutationError(f"{where}: every edit needs a string {key!r}")
            if spec["original"] == spec["replacement"]:
                raise MutationError(f"{where}: an edit of {spec['file']} changes nothing")
            edits.append(Edit(spec["file"], spec["original"], spec["replacement"]))
        mutants.append(Mutant(name, entry["description"], tuple(edits), tuple(tests)))
    return mutants


def select(mutants: list[Mutant], patterns: list[str] | None) -> list[Mutant]:
    """The mutants whose names match any of ``patterns`` (names or globs); all if none given."""
    if not patterns:
        return mutants
    wanted = [p for arg in patterns for p in arg.split(",") if p]
    for p in wanted:
        if not any(fnmatch.fnmatchcase(m.name, p) for m in mutants):
            raise MutationError(f"--only {p!r} matches no mutant; --list shows their names")
    return [m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in wanted)]


def mutated_texts(tree: Path, mutant: Mutant) -> dict[str, str]:
    """file → its text with every edit of ``mutant`` applied; each original must occur once."""
    texts: dict[str, str] = {}
    for edit in mutant.edits:
        path = tree / edit.file
        if edit.file not in texts:
            if not path.is_file():
                raise MutationError(f"mutant {mutant.name}: {edit.file} does not exist in this "
                                    f"revision")
            texts[edit.file] = path.read_bytes().decode("utf-8")
        count = texts[edit.file].count(edit.original)
        if count != 1:
            first = edit.original.strip().splitlines()[0]
            raise MutationError(f"mutant {mutant.name}: its snippet occurs {count} times in "
                                f"{edit.file} (exactly once expected) — the code moved; update "
                                f"the snippet in mutants.toml. Snippet starts: {first!r}")
        texts[edit.file] = texts[edit.file].replace(edit.original, edit.replacement)
    return texts


def split_tests(tree: Path, mutant: Mutant) -> tuple[list[str], list[str]]:
    """(test paths present in ``tree``, absent ones). The file is kept in step with the newest
    tests, so an older revision may lack some: those are left out of its run, loudly."""
    present, absent = [], []
    for test in mutant.tests:
        (present if (tree / test.split("::")[0]).exists() else absent).append(test)
    return present, absent


def check_mutants(tree: Path, mutants: list[Mutant]) -> list[str]:
    """Every problem that would stop the run: snippets that moved, mutants left without tests."""
    problems = []
    for mutant in mutants:
        try:
            mutated_texts(tree, mutant)
        except MutationError as e:
            problems.append(str(e))
        present, absent = split_tests(tree, mutant)
        if not present:
            problems.append(f"mutant {mutant.name}: none of its test paths exists here "
                            f"({', '.join(absent)})")
    return problems


def fit_to_tree(tree: Path, mutants: list[Mutant]) -> tuple[list[Mutant], list[str]]:
    """The mutants with only the test paths this tree has, and a warning per path left out."""
    fitted, warnings = [], []
    for mutant in mutants:
        present, absent = split_tests(tree, mutant)
        warnings += [f"{mutant.name}: {test}" for test in absent]
        fitted.append(dataclasses.replace(mutant, tests=tuple(present)))
    return fitted, warnings


# ---- the scratch tree ---------------------------------------------------------------------------
def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise MutationError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def export_revision(rev: str, dest: Path) -> None:
    """``git archive <rev> | tar -x -C <dest>``."""
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", "--format=tar", rev],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout,
                         capture_output=True)
    archive.stdout.close()
    err = archive.stderr.read().decode()
    if archive.wait() != 0 or tar.returncode != 0:
        raise MutationError(f"exporting {rev}: {err.strip()} {tar.stderr.decode().strip()}")


def export_worktree(dest: Path) -> None:
    """The working tree as it is: tracked files and untracked ones git does not ignore."""
    names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, names):
        src = REPO / name
        if not src.is_file():          # deleted in the working tree
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def shared_data() -> str | None:
    """RNNKIT_DATA as set, else the repository's ../shared/data (as tests/conftest.py finds it)."""
    if os.environ.get("RNNKIT_DATA"):
        return os.environ["RNNKIT_DATA"]
    candidate = REPO.parent / "shared" / "data"
    return str(candidate) if candidate.is_dir() else None


def child_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree / "src")
    env.pop("NUMBA_CACHE_DIR", None)    # keep numba's cache inside the tree (see purge_numba)
    env.pop("PYTEST_ADDOPTS", None)
    data = shared_data()
    if data:
        env["RNNKIT_DATA"] = data
    return env


def check_import(tree: Path) -> None:
    """Fail unless ``import rnnkit`` in a child process finds the scratch copy."""
    done = subprocess.run([sys.executable, "-c", IMPORT_CHECK], cwd=tree, env=child_env(tree),
                          capture_output=True, text=True, timeout=300)
    where = os.path.realpath(done.stdout.strip()) if done.returncode == 0 else None
    if where is None or not where.startswith(os.path.realpath(tree) + os.sep):
        raise MutationError(f"with PYTHONPATH={tree / 'src'}, rnnkit imports from "
                            f"{where or done.stderr.strip()[-500:]}, not from the scratch tree")


def purge_numba(tree: Path) -> None:
    """Drop numba's on-disk cache of the compiled loops: it is keyed by each source file's own
    stamp only, so a function inlined from another mutated file could be served stale."""
    for cache in (tree / "src" / "rnnkit" / "kernels").rglob("*.nb[ic]"):
        cache.unlink()


# ---- running tests ------------------------------------------------------------------------------
@dataclass
class Run:
    status: str            # "killed", "survived", "timeout", "error"
    seconds: float
    first_failure: str = ""
    detail: str = ""
    log: str = ""

    @property
    def killed(self) -> bool:
        return self.status in ("killed", "timeout")


_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def run_pytest(tree: Path, args: list[str], timeout: float, basetemp: Path) -> Run:
    """pytest on ``args`` inside ``tree``; killed (rc 1/2), survived (rc 0), timeout or error."""
    cmd = [sys.executable, "-c", RUNNER, str(tree), *PYTEST_OPTIONS,
           f"--basetemp={basetemp}", *args]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=child_env(tree), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace",
                            start_new_session=True)
    with _children_lock:
        _children.add(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        stop_group(proc)
        out, _ = proc.communicate()
        timed_out = True
    finally:
        with _children_lock:
            _children.discard(proc)
    seconds = time.monotonic() - started
    first = first_failure(out)
    if timed_out:
        return Run("timeout", seconds, first, f"no result within {timeout:.0f} s", out)
    rc = proc.returncode
    if rc == WRONG_IMPORT:
        raise MutationError(f"the tests imported rnnkit from outside the scratch tree:\n"
                            f"{out[-2000:]}")
    if rc == 0:
        return Run("survived", seconds, "", "", out)
    if rc in (1, 2):      # tests failed / collection or import errors (e.g. a mutant's SyntaxError)
        return Run("killed", seconds, first or _last_line(out), "", out)
    return Run("error", seconds, first, f"pytest exit code {rc}: {_last_line(out)}", out)


def stop_all() -> None:
    """End every test run still in flight (each with the processes it started)."""
    with _children_lock:
        running = list(_children)
    for proc in running:
        stop_group(proc)


def stop_group(proc: subprocess.Popen) -> None:
    """End a test run we started and every process it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


_FAILURE = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$")


def first_failure(output: str) -> str:
    for line in output.splitlines():
        match = _FAILURE.match(line)
        if match:
            return match.group(1)
    return ""


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


# ---- applying a mutant --------------------------------------------------------------------------
class Applied:
    """Context manager: ``mutant`` written into ``tree``, then every file restored exactly.

    Each mutant gets its own modification time (the original's + 10 s × its number), so neither
    Python's bytecode cache (seconds and size) nor numba's can hand a run another mutant's code.
    """

    def __init__(self, tree: Path, mutant: Mutant, number: int):
        self.tree, self.mutant, self.number = tree, mutant, number
        self.saved: dict[str, tuple[bytes, int, int]] = {}

    def __enter__(self):
        texts = mutated_texts(self.tree, self.mutant)
        touches_kernels = any(f.startswith("src/rnnkit/kernels/") for f in texts)
        for name, text in texts.items():
            path = self.tree / name
            st = path.stat()
            self.saved[name] = (path.read_bytes(), st.st_atime_ns, st.st_mtime_ns)
            path.write_bytes(text.encode("utf-8"))
            shift = 10_000_000_000 * (self.number + 1)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + shift))
        if touches_kernels:
            purge_numba(self.tree)
        self.touches_kernels = touches_kernels
        return self

    def __exit__(self, *exc):
        for name, (data, atime, mtime) in self.saved.items():
            path = self.tree / name
            path.write_bytes(data)
            os.utime(path, ns=(atime, mtime))
        if self.touches_kernels:
            purge_numba(self.tree)
        return False


# ---- the run ------------------------------------------------------------------------------------
@dataclass
class Result:
    mutant: Mutant
    number: int
    subset: Run | None = None
    full: Run | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def killed(self) -> bool:
        return bool(self.subset and self.subset.killed) or bool(self.full and self.full.killed)


def describe(run: Run | None) -> str:
    if run is None:
        return "—"
    return {"killed": "killed", "survived": "survived", "timeout": "killed (timeout)",
            "error": "ERROR"}[run.status]


def write_log(log_dir: Path | None, name: str, run: Run) -> None:
    if log_dir is not None:
        (log_dir / f"{name}.log").write_text(run.log, encoding="utf-8")


class Session:
    def __init__(self, args, mutants: list[Mutant], scratch: Path, base: Path):
        self.args, self.mutants, self.scratch, self.base = args, mutants, scratch, base
        self.log_dir = Path(args.log_dir).resolve() if args.log_dir else scratch / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.trees: queue.Queue[tuple[int, Path]] = queue.Queue()
        self.print_lock = threading.Lock()
        self.done = 0
        self.stopping = False

    def say(self, text: str) -> None:
        with self.print_lock:
            print(text, file=sys.stderr, flush=True)

    def prepare_trees(self) -> None:
        """One copy of the tree per job (job 0 uses the exported tree itself)."""
        for job in range(self.args.jobs):
            tree = self.base if job == 0 else self.scratch / f"tree{job}"
            if job:
                shutil.copytree(self.base, tree, symlinks=True)
            check_import(tree)
            self.trees.put((job, tree))

    def baseline(self) -> None:
        """The tests must pass without any mutant, or a 'kill' would mean nothing."""
        if self.args.full:
            targets, what = [], "the whole suite"
        else:
            targets = list(dict.fromkeys(t for m in self.mutants for t in m.tests))
            what = f"the {len(targets)} selected test paths"
        self.say(f"baseline: {what} on the unmutated tree …")
        run = run_pytest(self.base, targets, self.args.full_timeout if self.args.full
                         else self.args.timeout, self.scratch / "basetemp-baseline")
        write_log(self.log_dir, "baseline", run)
        if run.status != "survived":
            raise MutationError(f"the tests do not pass on the unmutated tree ({run.status}: "
                                f"{run.first_failure or run.detail}); see "
                                f"{self.log_dir / 'baseline.log'}, or skip with --no-baseline")
        self.say(f"baseline: passed in {run.seconds:.0f} s")

    def one(self, result: Result, stage: str) -> Result:
        if self.stopping:
            return result
        job, tree = self.trees.get()
        try:
            mutant = result.mutant
            basetemp = self.scratch / f"basetemp{job}"
            with Applied(tree, mutant, result.number):
                if stage == "subset":
                    run = run_pytest(tree, list(mutant.tests), self.args.timeout, basetemp)
                    result.subset = run
                else:
                    run = run_pytest(tree, [], self.args.full_timeout, basetemp)
                    result.full = run
            write_log(self.log_dir, f"{mutant.name}.{stage}", run)
            if self.stopping:
                return result
            with self.print_lock:
                self.done += 1
            extra = f" — {run.first_failure}" if run.first_failure else (
                f" — {run.detail}" if run.detail else "")
            self.say(f"[{stage} {self.done}] {mutant.name}: {describe(run)} "
                     f"({run.seconds:.0f} s){extra}")
            return result
        finally:
            self.trees.put((job, tree))

    def run_all(self) -> list[Result]:
        results = [Result(m, i) for i, m in enumerate(self.mutants)]
        pool = concurrent.futures.ThreadPoolExecutor(self.args.jobs)
        try:
            list(pool.map(lambda r: self.one(r, "subset"), results))
            if self.args.full:
                survivors = [r for r in results if r.subset.status == "survived"]
                if survivors:
                    self.say(f"whole suite on the {len(survivors)} survivor(s) …")
                self.done = 0
                list(pool.map(lambda r: self.one(r, "full"), survivors))
        except BaseException:        # Ctrl-C: start nothing more, end the runs in flight
            self.stopping = True
            pool.shutdown(wait=False, cancel_futures=True)
            stop_all()
            raise
        pool.shutdown()
        return results


# ---- reporting ----------------------------------------------------------------------------------
def table_rows(results: list[Result], full: bool) -> list[list[str]]:
    rows = []
    for r in results:
        first = (r.full.first_failure if r.full and r.full.killed else
                 r.subset.first_failure if r.subset and r.subset.killed else "")
        for run in (r.subset, r.full):
            if run and run.status in ("error", "timeout") and not first:
                first = run.detail
        row = [r.mutant.name, r.mutant.description, describe(r.subset)]
        if full:
            row.append(describe(r.full))
        row.append(first)
        rows.append(row)
    return rows


def plain_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: s.replace("|", "\\|")
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [f"`{row[0]}`", *map(esc, row[1:-1]), f"`{row[-1]}`" if row[-1] else ""]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def report(results: list[Result], args, revision: str, seconds: float,
           left_out: list[str]) -> str:
    headers = ["mutant", "description", "subset"] + (["full suite"] if args.full else []) \
        + ["first failing test"]
    rows = table_rows(results, args.full)
    total = len(results)
    errors = [r for r in results if r.subset and r.subset.status == "error"]
    killed_subset = sum(1 for r in results if r.subset and r.subset.killed)
    lines = [plain_table(headers, rows), ""]
    lines.append(f"command: {' '.join(map(shlex.quote, sys.argv))}")
    lines.append(f"revision: {revision}")
    lines.append(f"mutants: {total}; wall time {seconds / 60:.1f} min; jobs {args.jobs}")
    lines.append(f"mutation score (subsets): {killed_subset}/{total} killed "
                 f"({100 * killed_subset / total:.0f} %)")
    if args.full:
        killed_any = sum(1 for r in results if r.killed)
        lines.append(f"mutation score (subset, then the whole suite on survivors): "
                     f"{killed_any}/{total} killed ({100 * killed_any / total:.0f} %)")
    if errors:
        lines.append(f"errors (not counted as killed): {', '.join(r.mutant.name for r in errors)}")
    if left_out:
        lines.append(f"test paths absent in this revision, left out: {'; '.join(left_out)}")
    survivors = [r for r in results if r.subset and r.subset.status == "survived"]
    if survivors:
        lines.append("")
        lines.append("survivors:")
        for r in survivors:
            if args.full:
                where = ("survived the whole suite" if r.full and r.full.status == "survived"
                         else f"survived its subset; the whole suite: {describe(r.full)}"
                         + (f" by {r.full.first_failure}" if r.full and r.full.first_failure
                            else ""))
            else:
                where = "survived its subset (run --full for the whole suite)"
            lines.append(f"  {r.mutant.name} ({', '.join(r.mutant.files)}): "
                         f"{r.mutant.description} — {where}")
    if args.markdown:
        md = [f"Revision `{revision}`, {total} mutants, {seconds / 60:.1f} min "
              f"(`--jobs {args.jobs}`).", "", markdown_table(headers, rows), ""]
        Path(args.markdown).write_text("\n".join(md), encoding="utf-8")
    return "\n".join(lines)


def list_mutants(mutants: list[Mutant], tree: Path, revision: str) -> int:
    problems = {}
    for m in mutants:
        try:
            mutated_texts(tree, m)
        except MutationError as e:
            problems[m.name] = str(e)
    untested = []
    for m in mutants:
        state = "MOVED" if m.name in problems else "ok"
        present, absent = split_tests(tree, m)
        if not present:
            untested.append(m.name)
        print(f"{m.name}  [{state}]  {', '.join(m.files)}")
        print(f"    {m.description}")
        print(f"    tests: {' '.join(present)}")
        if absent:
            print(f"    not in this revision (left out): {' '.join(absent)}")
    print(f"\n{len(mutants)} mutants; {len(mutants) - len(problems)} apply to {revision}")
    for text in problems.values():
        print(text, file=sys.stderr)
    for name in untested:
        print(f"mutant {name}: none of its test paths exists in this revision", file=sys.stderr)
    return 1 if problems or untested else 0


# ---- main ---------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rev", help="the revision to mutate (default HEAD)")
    p.add_argument("--worktree", action="store_true",
                   help="mutate a copy of the working tree (uncommitted changes included)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only these mutants: names or globs, repeatable or comma-separated")
    p.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    p.add_argument("--full", action="store_true",
                   help="run the whole suite on every mutant that survived its subset")
    p.add_argument("--list", action="store_true",
                   help="list the mutants and check that each still applies, then stop")
    p.add_argument("--mutants", default=str(DEFAULT_MUTANTS),
                   help="the mutants file (default benchmarks/mutants.toml)")
    p.add_argument("--timeout", type=float, default=1200,
                   help="seconds allowed for one mutant's subset (default 1200)")
    p.add_argument("--full-timeout", type=float, default=2400,
                   help="seconds allowed for one whole-suite run (default 2400)")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip checking that the tests pass unmutated first")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.add_argument("--log-dir", metavar="DIR", help="keep every run's pytest output here")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    if args.worktree and args.rev:
        p.error("--rev and --worktree exclude each other")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        mutants = select(load_mutants(Path(args.mutants)), args.only)
        if args.worktree:
            revision = (f"working tree of {git('rev-parse', 'HEAD')} "
                        f"(uncommitted changes included)")
        else:
            revision = git("rev-parse", "--verify", f"{args.rev or 'HEAD'}^{{commit}}")
    except (MutationError, OSError, tomllib.TOMLDecodeError) as e:
        print(f"mutation.py: {e}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="rnnkit-mutation-"))
    base = scratch / "tree"
    base.mkdir()
    session = None
    try:
        if args.worktree:
            export_worktree(base)
        else:
            export_revision(revision, base)
        if args.list:
            return list_mutants(mutants, base, revision)
        problems = check_mutants(base, mutants)
        if problems:
            raise MutationError("the mutants do not fit this revision:\n  "
                                + "\n  ".join(problems))
        mutants, left_out = fit_to_tree(base, mutants)
        for text in left_out:
            print(f"warning: test path absent in this revision, left out: {text}",
                  file=sys.stderr)
        print(f"revision {revision}\n{len(mutants)} mutants, python {sys.executable}, "
              f"scratch {scratch}, RNNKIT_DATA={shared_data()}", file=sys.stderr, flush=True)
        session = Session(args, mutants, scratch, base)
        check_import(base)
        if not args.no_baseline:
            session.baseline()
        session.prepare_trees()
        results = session.run_all()
        print(report(results, args, revision, time.monotonic() - started, left_out))
        if args.log_dir:
            print(f"logs: {session.log_dir}", file=sys.stderr)
        errors = [r for r in results for run in (r.subset, r.full) if run and run.status == "error"]
        return 1 if errors else 0
    except MutationError as e:
        print(f"mutation.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        stop_all()
        print("mutation.py: interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"scratch kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

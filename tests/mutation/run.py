"""Mutation testing of the modules where the rules live, with cosmic-ray, within a time budget.

Not part of CI: run it by hand (or `tox -e mutation`) after changing a rule or its tests.

    python -m tests.mutation.run                       # every module, 40 minutes in all
    python -m tests.mutation.run --budget 10m mockserver/api/auth.py
    python -m tests.mutation.run --max-mutants 0       # no sampling: every mutant (hours for the kit)
    python -m tests.mutation.run --report              # only print the report of the sessions so far

Each module has its own test selection (SELECTIONS), so one mutant costs seconds, not the whole
suite. cosmic-ray mutates files in place, so everything runs in a copy of the work tree under
`.mutation/tree`; the sessions (`.mutation/<module>.sqlite`) keep their results, and a run that the
budget stops goes on where it stopped next time. A session starts again from scratch when the
module or the options change (or with --fresh); when only its tests change, its survivors are tried
again and the mutants already killed stay killed. The report is printed and written to
`.mutation/report.md`: per module the mutants tried, killed (timeouts count as killed) and
surviving, the kill rate, and each survivor with its diff.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"
TREE = WORK / "tree"
PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
BROKEN = "tests/test_contracts_broken.py"
CORRECT_FULL = f"{BROKEN}::test_correct_variant_passes_a_full_run_with_every_option"
CHECK_MODULES = ("base", "detail", "errors", "isolation", "pagination", "serializers", "writes")

# Operators left out: replacing an arithmetic operator by a bit, shift, power or modulo operator, a
# comparison by an identity test, and the unary operators: on this code they mostly give type errors
# or equivalents, and cost time without saying anything about the tests. Nor is `|` replaced: here it
# is mostly `X | None` in annotations, never evaluated (`from __future__ import annotations`).
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_\w+_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|Mod|FloorDiv)$",
    r"core/ReplaceBinaryOperator_BitOr_",
    r"core/ReplaceComparisonOperator_(Eq|NotEq|Lt|LtE|Gt|GtE)_(Is|IsNot)$",
    r"core/ReplaceUnaryOperator_",
)


@dataclass(frozen=True)
class Selection:
    module: str  # the file mutated, relative to the project
    tests: tuple[str, ...]  # pytest arguments: files or node ids

    @property
    def name(self) -> str:
        return self.module.removesuffix(".py").replace("/", "-")  # no dot: the session files add a suffix


def _bug_tests(theme: str | None) -> tuple[str, ...]:
    """The broken-catalog tests of the bugs a theme's checks must catch (every bug for base.py)."""
    sys.path.insert(0, str(ROOT))
    from tests.broken.bugs import BUGS

    names = sorted(name for name, bug in BUGS.items()
                   if theme is None or any(check.startswith(f"{theme}.") for check in bug.caught_by))
    return tuple(f"{BROKEN}::test_each_bug_fails_the_check_that_should_catch_it[{name}]" for name in names)


def selections() -> dict[str, Selection]:
    found = [
        Selection("mockserver/api/pagination.py", ("tests/test_mock_pagination.py",)),
        Selection("mockserver/api/auth.py", ("tests/test_mock_errors.py", "tests/test_mock_live.py")),
        Selection("mockserver/api/errors.py", ("tests/test_mock_errors.py", "tests/test_mock_live.py",
                                               "tests/test_mock_spec.py")),
    ]
    for theme in CHECK_MODULES:
        bugs = _bug_tests(None if theme == "base" else theme)
        found.append(Selection(f"contracts/checks/{theme}.py",
                               ("tests/test_contracts_units.py", *bugs, CORRECT_FULL)))
    return {selection.module: selection for selection in found}


def duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 40m or 2h")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


# -- the work tree copy ---------------------------------------------------------------------------

def copy_tree() -> None:
    """The project's files (tracked, and new ones git does not ignore) into .mutation/tree."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    if TREE.exists():
        shutil.rmtree(TREE)
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not name.startswith(".mutation/"):
            target = TREE / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            _ORIGINALS[name] = target.read_bytes()


_ORIGINALS: dict[str, bytes] = {}  # module -> its bytes when copied: the work tree may change meanwhile


def restore(module: str) -> None:
    """Undo whatever mutation a stopped cosmic-ray left in the copy."""
    if module not in _ORIGINALS:
        _ORIGINALS[module] = (ROOT / module).read_bytes()
    (TREE / module).write_bytes(_ORIGINALS[module])


# -- sessions ---------------------------------------------------------------------------------------

def paths(selection: Selection) -> tuple[Path, Path, Path]:
    base = WORK / selection.name
    return base.with_suffix(".toml"), base.with_suffix(".sqlite"), base.with_suffix(".json")


def _digest(names: list[str], extra: object) -> str:
    digest = hashlib.sha256()
    tree = TREE if TREE.exists() else ROOT  # what is tested: the copy, once made
    for name in sorted(names):
        digest.update(name.encode() + b"\0" + (tree / name).read_bytes())
    digest.update(json.dumps(extra).encode())
    return digest.hexdigest()


def fingerprint(selection: Selection, options: argparse.Namespace) -> str:
    """What the mutants are: the module, the operators and the draw. A change makes a new session."""
    return _digest([selection.module], [EXCLUDED_OPERATORS, options.max_mutants, options.seed])


def tests_fingerprint(selection: Selection) -> str:
    """What judges them. A change sends the survivors back to be tried again (killed ones stay killed)."""
    files = {*(test.split("::")[0] for test in selection.tests), "tests/broken/app.py", "tests/broken/bugs.py",
             "tests/conftest.py"}
    return _digest(sorted(files), list(selection.tests))


def retry_survivors(session: Path) -> int:
    """Forget the survivors' results, so the next exec tries them against the changed tests."""
    with sqlite3.connect(session) as db:
        return db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'").rowcount


def finished_before(selection: Selection, options: argparse.Namespace) -> bool:
    """The session is up to date and has nothing pending: only its report is needed."""
    _, session, meta = paths(selection)
    if not (session.exists() and meta.exists()):
        return False
    known = json.loads(meta.read_text())
    if known.get("fingerprint") != fingerprint(selection, options):
        return False
    if known.get("tests") != tests_fingerprint(selection):
        return False
    counted = tally(selection)
    return counted is not None and counted.pending == 0


def cosmic(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cosmic_ray.cli", *args], cwd=TREE, capture_output=True, text=True,
                          timeout=timeout, check=True)


def prepare(selection: Selection, options: argparse.Namespace, timeout: float) -> None:
    """A session for the module: kept if nothing it depends on changed, else made anew and sampled."""
    config, session, meta = paths(selection)
    stamp, judges = fingerprint(selection, options), tests_fingerprint(selection)
    known = json.loads(meta.read_text()) if meta.exists() else {}
    if session.exists() and not options.fresh and known.get("fingerprint") == stamp:
        if known.get("tests") != judges:
            print(f"{selection.module}: its tests changed: {retry_survivors(session)} survivor(s) to try again")
            meta.write_text(json.dumps({**known, "tests": judges}))
        return
    session.unlink(missing_ok=True)
    command = " ".join([*PYTEST, *selection.tests])
    config.write_text("\n".join([
        "[cosmic-ray]",
        f"module-path = {json.dumps(selection.module)}",
        f"timeout = {timeout:.0f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "[cosmic-ray.filters.operators-filter]",
        f"exclude-operators = {json.dumps(list(EXCLUDED_OPERATORS))}",
        "",
    ]))
    cosmic("init", str(config), str(session))
    subprocess.run([sys.executable, "-m", "cosmic_ray.tools.filters.operators_filter", str(session), str(config)],
                   cwd=TREE, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "cosmic_ray.tools.filters.pragma_no_mutate", str(session)],
                   cwd=TREE, check=True, capture_output=True)
    if options.max_mutants:
        sample(session, options.max_mutants, options.seed)
    meta.write_text(json.dumps({"fingerprint": stamp, "tests": judges, "module": selection.module}))


def sample(session: Path, keep: int, seed: int) -> None:
    """Leave `keep` pending mutants, drawn with the seed; the others are skipped as not sampled."""
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]
    from cosmic_ray.work_item import WorkerOutcome, WorkResult  # type: ignore[import-untyped]

    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = sorted(item.job_id for item in db.pending_work_items)
        if len(pending) <= keep:
            return
        chosen = set(random.Random(seed).sample(pending, keep))
        db.set_multiple_results([job for job in pending if job not in chosen],
                                WorkResult(output="not sampled", worker_outcome=WorkerOutcome.SKIPPED))


def baseline(selection: Selection) -> float | None:
    """Seconds the selection takes on the unmutated code; None (and why) if it fails: then every
    mutant would look killed, so the module is left out of this run."""
    started = time.monotonic()
    result = subprocess.run([*PYTEST, *selection.tests], cwd=TREE, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if result.returncode != 0:
        print(f"{selection.module}: left out, its tests fail without any mutation:\n{result.stdout[-2000:]}")
        return None
    return time.monotonic() - started


def execute(selection: Selection, seconds: float) -> bool:
    """Run pending mutants for at most `seconds`; True if the session finished."""
    config, session, _ = paths(selection)
    process = subprocess.Popen([sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(session)],
                               cwd=TREE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: cosmic-ray and the tests it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return False
    finally:
        restore(selection.module)


# -- the report ---------------------------------------------------------------------------------------

@dataclass
class Tally:
    module: str
    mutants: int = 0
    not_sampled: int = 0
    killed: int = 0
    timeouts: int = 0
    survived: int = 0
    incompetent: int = 0
    pending: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> str:
        tried = self.killed + self.survived
        return f"{100 * self.killed / tried:.0f} %" if tried else "-"


def tally(selection: Selection) -> Tally | None:
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome  # type: ignore[import-untyped]

    _, session, _ = paths(selection)
    if not session.exists():
        return None
    result = Tally(selection.module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        result.mutants = db.num_work_items
        result.pending = sum(1 for _ in db.pending_work_items)
        for item, outcome in db.completed_work_items:
            mutation = item.mutations[0]
            if outcome.worker_outcome == WorkerOutcome.SKIPPED:
                result.not_sampled += outcome.output == "not sampled"
                result.mutants -= 1
            elif outcome.test_outcome == TestOutcome.SURVIVED:
                result.survived += 1
                where = f"{mutation.module_path}:{mutation.start_pos[0]} in {mutation.definition_name}"
                apply = f"cosmic-ray apply {mutation.module_path} {mutation.operator_name} {mutation.occurrence}"
                result.survivors.append(f"{where}; to put it in: {apply}\n{(outcome.diff or '').strip()}")
            elif outcome.test_outcome == TestOutcome.INCOMPETENT:
                result.incompetent += 1
            else:
                result.killed += 1
                result.timeouts += outcome.output == "timeout"
    return result


def report(chosen: list[Selection]) -> str:
    lines = ["# Mutation testing report", "",
             "| module | mutants | tried | killed (timeouts) | survived | pending | kill rate |",
             "|---|---|---|---|---|---|---|"]
    details: list[str] = []
    for selection in chosen:
        result = tally(selection)
        if result is None:
            lines.append(f"| {selection.module} | not run | | | | | |")
            continue
        tried = result.killed + result.survived + result.incompetent
        lines.append(f"| {result.module} | {result.mutants} | {tried} | {result.killed} ({result.timeouts}) | "
                     f"{result.survived} | {result.pending} | {result.rate} |")
        for survivor in result.survivors:
            details += ["```diff", survivor, "```", ""]
    lines += ["", "`mutants` counts those left after the operator filter and sampling; the kill rate is "
              "killed / (killed + survived) over the mutants tried.", ""]
    if details:
        lines += ["## Survivors", "", *details]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    known = selections()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"modules to mutate (default: all): {', '.join(known)}")
    parser.add_argument("--budget", type=duration, default=duration("40m"), help="total time (default 40m)")
    parser.add_argument("--max-mutants", type=int, default=60,
                        help="mutants drawn per module after the operator filter (default 60; 0: all)")
    parser.add_argument("--seed", type=int, default=15, help="seed of that draw (default 15)")
    parser.add_argument("--report", action="store_true", help="print the report of the sessions so far and stop")
    parser.add_argument("--fresh", action="store_true", help="start every session again from scratch")
    options = parser.parse_args(argv)
    unknown = set(options.modules) - set(known)
    if unknown:
        parser.error(f"not a rule module here: {sorted(unknown)}")
    chosen = [known[module] for module in options.modules or known]
    WORK.mkdir(exist_ok=True)
    (WORK / ".gitignore").write_text("*\n")
    if not options.report:
        deadline = time.monotonic() + options.budget
        copy_tree()
        os.environ["HYPOTHESIS_PROFILE"] = "mutation"  # tests/conftest.py: fewer, derandomized examples
        for index, selection in enumerate(chosen):
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"budget spent: {selection.module} and the modules after it wait for the next run")
                break
            if finished_before(selection, options):
                continue
            spent = baseline(selection)
            if spent is None:
                continue
            prepare(selection, options, timeout=max(30.0, 3 * spent))
            share = left / (len(chosen) - index)  # what a module leaves unused goes to the next ones
            print(f"{selection.module}: tests take {spent:.0f} s unmutated; up to {share / 60:.0f} min",
                  flush=True)
            finished = execute(selection, share)
            if not finished:
                print(f"{selection.module}: stopped by the budget; the next run goes on from here")
    text = report(chosen)
    (WORK / "report.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The example GitHub workflows: actionlint (with shellcheck over every `run:` script) passes on each file in examples/,
and the sweep workflow's steps, run in order as a runner would against the replica, keep the baseline, fail once on a
change with one issue opened or updated, and are green again on the next run. Nothing reaches the network: the actions
(checkout, setup-python, cache, artifacts) are played by the harness below, and `gh` is a stand-in that records."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from prober.demo import DEMO_KEY, INTL_PASSPORT_COOKIES
from prober.report import Format, renderer
from tests.conftest import ScenarioReplica
from tests.test_compare import cn, intl
from tests.test_exit_codes import _closed_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{name} is missing: python -m pip install -e '.[test]' installs it"
    return found


def test_actionlint_passes_on_every_example_workflow() -> None:
    assert {p.name for p in EXAMPLES} >= {"github-workflow.yml", "github-matrix.yml"}
    env = {**os.environ, "PATH": f"{Path(_tool('shellcheck')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [_tool("actionlint"), *map(str, EXAMPLES)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_is_the_real_check(tmp_path: Path) -> None:
    """The control: the old workflow's actions (node20, deprecated) and an unquoted comma list both fail."""
    old = tmp_path / "old.yml"
    old.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        '      - run: |\n          args=(--format md,json)\n          echo "${args[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{Path(_tool('shellcheck')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([_tool("actionlint"), str(old)], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 1
    assert 'runtime "node20" is deprecated' in result.stdout and "SC2054" in result.stdout


# --------------------------------------------------------------------------------------------------
# A runner for the sweep workflow's steps
# --------------------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

GH = """\
import json, os, sys
from pathlib import Path

state = Path(os.environ["GH_STATE"])
args = sys.argv[1:]
with (state / "calls.jsonl").open("a") as log:
    log.write(json.dumps(args) + "\\n")
opened = state / "open"
if args[:2] == ["issue", "list"]:
    print(opened.read_text() if opened.exists() else "")
elif args[:2] == ["issue", "create"]:
    opened.write_text("1")
    (state / "issue-1.md").write_text(Path(args[args.index("--body-file") + 1]).read_text())
elif args[:2] == ["issue", "comment"]:
    n = len(list(state.glob("comment-*.md"))) + 1
    (state / f"comment-{n}.md").write_text(Path(args[args.index("--body-file") + 1]).read_text())
"""


@dataclass
class Job:
    """What one run of the job left: its result, each step's outputs, the steps that ran."""

    failed: bool
    outputs: dict[str, dict[str, str]]
    ran: list[str]
    log: str


@dataclass
class Runner:
    """Plays a GitHub-hosted runner for examples/github-workflow.yml: a fresh workspace per run, the Actions cache
    kept between runs, `${{ }}` from the contexts below, and each `run:` script with `bash -e` as GitHub does."""

    root: Path
    secrets: dict[str, str]
    variables: dict[str, str]
    cache: dict[str, Path] = field(default_factory=dict)  # key -> saved directory, in the order saved

    def __post_init__(self) -> None:
        self.state = self.root / "gh"
        self.state.mkdir(parents=True)
        bin_dir = self.root / "bin"
        bin_dir.mkdir()
        gh = bin_dir / "gh"
        gh.write_text(f"#!{sys.executable}\n{GH}")
        gh.chmod(0o755)
        self.path = os.pathsep.join([str(bin_dir), str(BIN), "/usr/bin", "/bin"])
        self.workflow = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())

    def calls(self) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def _value(self, expr: str, steps: dict[str, dict[str, str]], run_id: int, attempt: int) -> str:
        github = {
            "run_id": str(run_id),
            "run_attempt": str(attempt),
            "ref": "refs/heads/main",
            "token": "fake-github-token",
            "repository": "someone/endpoints",
        }
        head, _, rest = expr.partition(".")
        if head == "secrets":
            return self.secrets.get(rest, "")  # an unset secret is empty, as on GitHub
        if head == "vars":
            return self.variables.get(rest, "")
        if head == "github" and rest in github:
            return github[rest]
        if head == "steps":
            step, _, output = rest.partition(".outputs.")
            return steps.get(step, {}).get(output, "")
        raise AssertionError(f"the test runner does not model the expression {expr!r}")

    def _expand(self, text: str, *context: Any) -> str:
        return _EXPRESSION.sub(lambda m: self._value(m.group(1), *context), text)

    def _condition(self, text: str | None, failed: bool, *context: Any) -> bool:
        if text is None:
            return not failed
        text = _EXPRESSION.sub(lambda m: m.group(1), text).strip()
        if text == "always()":
            return True
        equal = re.fullmatch(r"([\w.-]+) == '([^']*)'", text)
        if equal is None:
            raise AssertionError(f"the test runner does not model the condition {text!r}")
        return not failed and self._value(equal.group(1), *context) == equal.group(2)  # success() && ...

    def _action(self, uses: str, inputs: dict[str, str], workspace: Path) -> None:
        name = uses.split("@", maxsplit=1)[0]
        if name in ("actions/checkout", "actions/setup-python"):
            return  # the workspace is fresh and this Python has prober installed
        if name == "actions/cache/restore":
            prefixes = [inputs["key"], *inputs.get("restore-keys", "").split()]
            for prefix in prefixes:
                hits = [k for k in self.cache if k == prefix or (prefix != inputs["key"] and k.startswith(prefix))]
                if hits:
                    shutil.copytree(self.cache[hits[-1]], workspace / inputs["path"])
                    return
            return
        if name == "actions/cache/save":
            # GitHub's cache entries are immutable: a re-run saving the same key would keep the stale one.
            assert inputs["key"] not in self.cache, f"cache key {inputs['key']} saved twice"
            saved = self.root / "cache" / str(len(self.cache))
            shutil.copytree(workspace / inputs["path"], saved)
            self.cache[inputs["key"]] = saved
            return
        if name == "actions/upload-artifact":
            return  # (with nothing at the path it warns, as `if-no-files-found: warn` does)
        raise AssertionError(f"the test runner does not model {uses}")

    def run(self, run_id: int, attempt: int = 1) -> Job:
        workspace = self.root / f"run-{run_id}-{attempt}"
        temp = self.root / f"temp-{run_id}-{attempt}"
        workspace.mkdir()
        temp.mkdir()
        job = self.workflow["jobs"]["sweep"]
        steps: dict[str, dict[str, str]] = {}
        failed, ran, log = False, [], []
        context = (steps, run_id, attempt)
        for n, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses", "")
            if not self._condition(step.get("if"), failed, *context):
                continue
            ran.append(name)
            if name == "Install prober":  # from the repository URL at a pinned tag: it is installed here already
                assert step["run"].strip() == 'python -m pip install "$PROBER_PACKAGE"'
                continue
            if "uses" in step:
                inputs = {k: self._expand(str(v), *context) for k, v in step.get("with", {}).items()}
                self._action(step["uses"], inputs, workspace)
                continue
            output = temp / f"output-{n}"
            output.touch()
            env = {
                "PATH": self.path,
                "HOME": str(self.root),
                "LANG": "C.UTF-8",
                "RUNNER_TEMP": str(temp),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
                "GH_STATE": str(self.state),
                **{k: self._expand(str(v), *context) for k, v in self.workflow.get("env", {}).items()},
                **{k: self._expand(str(v), *context) for k, v in step.get("env", {}).items()},
            }
            script = temp / f"step-{n}.sh"
            script.write_text(step["run"])
            done = subprocess.run(
                ["bash", "-e", str(script)],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            log.append(f"--- {name} (exit {done.returncode})\n{done.stdout}{done.stderr}")
            failed = failed or done.returncode != 0
            if "id" in step:
                steps[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return Job(failed, steps, ran, "\n".join(log))


@pytest.mark.timeout(300)
def test_the_sweep_workflow_fails_once_on_a_change_then_is_green(
    scenario_replica: ScenarioReplica, tmp_path: Path
) -> None:
    cookies = "".join(f".alibabacloud.com\tTRUE\t/\tTRUE\t0\t{n}\ttest-{n}-value\n" for n, _ in INTL_PASSPORT_COOKIES)
    # An unset secret arrives empty: the workflow must not hand prober an empty console token.
    secrets = {"DASHSCOPE_API_KEY": DEMO_KEY, "PROBER_COOKIES": cookies, "BAILIAN_CONSOLE_TOKEN": ""}
    runner = Runner(tmp_path / "runner", secrets, {})
    observed, moved = (
        "--connect-to {} --cacert {}".format(*scenario_replica(name)) for name in ("observed", "console-moved")
    )

    runner.variables["PROBER_FLAGS"] = observed
    first = runner.run(101)
    assert not first.failed, first.log
    assert first.outputs["sweep"] == {"code": "0"} and first.outputs["keep"] == {"keep": "true"}
    second = runner.run(102)  # the baseline is the report the first run wrote, restored from the cache
    assert not second.failed, second.log
    base = json.loads((tmp_path / "runner" / "run-102-1" / "reports" / "sweep.json").read_text())
    assert base["baseline"] is not None and base["baseline"]["changes"] == []
    assert runner.calls() == []

    runner.variables["PROBER_FLAGS"] = moved  # Alibaba moves the console's login host
    changed = runner.run(103)
    assert changed.failed and changed.outputs["sweep"] == {"code": "1"}, changed.log
    assert "Fail the job as the sweep did" in changed.ran
    assert "  - dashboard-intl: console now redirects to a different login host" in changed.log
    created = [c for c in runner.calls() if c[:2] == ["issue", "create"]]
    assert len(created) == 1 and "prober-drift" in created[0]
    issue = (runner.state / "issue-1.md").read_text()
    assert "### Changes since" in issue and "dashboard-intl" in issue and len(issue) <= 65_536
    assert "**The sweeps ran in different environments**" in issue  # the replica moved to another port
    assert "Warning: the sweeps ran in different environments" in changed.log  # and the terminal says so too
    assert "  - Connect-to: the requests went to other addresses" in changed.log

    again = runner.run(104)  # the changed report is the baseline now: green unless something changes again
    assert not again.failed, again.log
    assert "different environments" not in again.log
    assert [c for c in runner.calls() if c[:2] in (["issue", "create"], ["issue", "comment"])] == [created[0]]

    rerun = runner.run(104, attempt=2)  # a re-run saves under its own key (run_attempt), never a stale one
    assert not rerun.failed, rerun.log

    runner.variables["PROBER_FLAGS"] = observed  # and back: a second drift comments on the same issue
    back = runner.run(105)
    assert back.failed
    comments = [c for c in runner.calls() if c[:2] == ["issue", "comment"]]
    assert [c[2] for c in comments] == ["1"]
    assert len([c for c in runner.calls() if c[:2] == ["issue", "create"]]) == 1

    kept = len(runner.cache)
    closed = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{_closed_port()}", observed)  # nothing listens there
    runner.variables["PROBER_FLAGS"] = closed
    outage = runner.run(106)
    assert outage.failed and outage.outputs["sweep"] == {"code": "4"}, outage.log
    assert "keep" not in outage.outputs or outage.outputs["keep"] == {}
    assert len(runner.cache) == kept  # an outage never becomes the baseline

    runner.secrets = {"DASHSCOPE_API_KEY": "", "PROBER_COOKIES": "", "BAILIAN_CONSOLE_TOKEN": ""}
    unset = runner.run(107)  # the secrets are gone: exit 2, not a green run of skipped probes
    assert unset.failed and unset.outputs["sweep"] == {"code": "2"}, unset.log
    assert "no credential given: set DASHSCOPE_API_KEY" in unset.log
    assert len(runner.cache) == kept


def test_the_matrix_workflow_compares_the_sweeps_into_the_job_summary(tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github-matrix.yml").read_text())
    entries = workflow["jobs"]["sweep"]["strategy"]["matrix"]["include"]
    assert all(e["key"].startswith("DASHSCOPE_API_KEY_") for e in entries)  # a secret per matrix entry
    (step,) = [s for s in workflow["jobs"]["compare"]["steps"] if s.get("name") == "Compare the sweeps side by side"]
    sweeps = tmp_path / "sweeps"
    sweeps.mkdir()
    (sweeps / "intl.json").write_text(renderer(Format.JSON)(intl()))
    (sweeps / "cn.json").write_text(renderer(Format.JSON)(cn()))
    summary = tmp_path / "summary.md"
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    env = {"PATH": os.pathsep.join([str(BIN), "/usr/bin", "/bin"]), "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(
        ["bash", "-e", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "| | Probe | cn | intl |" in summary.read_text()
    assert "| ≠ | `dashboard` | 200 | 302 → `passport.alibabacloud.com` |" in summary.read_text()


def test_the_demo_leaves_a_checkout_clean(tmp_path: Path) -> None:
    """Issue 14.7: rerunning `prober demo` in a checkout does not touch the committed reports/demo.*: it writes to
    reports/demo/ (ignored by git) unless --out says otherwise."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "init.defaultBranch=main"]
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    (tmp_path / "reports").mkdir()
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    for name in (".gitkeep", "demo.md", "demo.json"):
        shutil.copy(ROOT / "reports" / name, tmp_path / "reports" / name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "checkout"]):
        subprocess.run([*git, *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "prober", "demo"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    status = subprocess.run(
        [*git, "status", "--porcelain"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""
    assert sorted(p.name for p in (tmp_path / "reports" / "demo").iterdir()) == [
        "demo.json",
        "demo.md",
        "demo.ticket.md",
    ]
    assert "wrote reports/demo/demo.md" in result.stdout

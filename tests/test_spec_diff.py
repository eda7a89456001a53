"""The spec change report (``python -m codegen.spec_diff``).

Classification cases are data: ``tests/fixtures/spec_diff/<case>.old.yaml`` and
``<case>.new.yaml`` are two versions of a small spec, and ``<case>.expected.yaml`` lists every
change the diff must report (kind, pointer and a substring of the message), no more and no
less. Adding a case is adding three files.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.spec_diff import Change, diff_specs, main

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "fixtures" / "spec_diff"
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _case_names() -> list[str]:
    return sorted(p.name.removesuffix(".expected.yaml") for p in CASES.glob("*.expected.yaml"))


def test_every_case_has_three_files() -> None:
    names = {p.name.split(".")[0] for p in CASES.glob("*.yaml")}
    assert names == set(_case_names())
    for name in names:
        assert (CASES / f"{name}.old.yaml").is_file() and (CASES / f"{name}.new.yaml").is_file(), name


@pytest.mark.parametrize("case", _case_names())
def test_case(case: str) -> None:
    changes = diff_specs(_load(CASES / f"{case}.old.yaml"), _load(CASES / f"{case}.new.yaml"))
    expected = _load(CASES / f"{case}.expected.yaml")["changes"] or []
    unmatched = list(changes)
    for want in expected:
        found = next(
            (
                c
                for c in unmatched
                if (c.kind, c.pointer) == (want["kind"], want["pointer"]) and want["message"] in c.message
            ),
            None,
        )
        assert found is not None, f"missing {want}; reported:\n" + "\n".join(map(str, changes))
        unmatched.remove(found)
    assert not unmatched, "unexpected:\n" + "\n".join(map(str, unmatched))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_a_real_spec_against_itself_has_no_changes(path: Path) -> None:
    assert diff_specs(_load(path), _load(path)) == []


def test_a_real_spec_change_is_found_where_it_is() -> None:
    old = _load(ROOT / "specs" / "minimax.yaml")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["ChatCompletionRequest"]["properties"]["temperature"]["maximum"] = 0.9
    assert diff_specs(old, new) == [
        Change(
            "breaking",
            "/components/schemas/ChatCompletionRequest/properties/temperature/maximum",
            "request field temperature: maximum lowered 1 → 0.9",
        )
    ]


def test_change_is_a_small_frozen_value() -> None:
    change = Change("compatible", "/info/version", "info.version changed 1 → 2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.kind = "breaking"  # type: ignore[misc]
    assert change == Change("compatible", "/info/version", "info.version changed 1 → 2")


# ---------------------------------------------------------------- the command on a git repository


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose HEAD holds specs/api.yaml and specs/gone.yaml (both the same spec)."""
    (tmp_path / "specs").mkdir()
    for name in ("api.yaml", "gone.yaml"):
        shutil.copy(CASES / "request_bounds_narrowed.old.yaml", tmp_path / "specs" / name)
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", "specs")
    _git(tmp_path, "commit", "--quiet", "-m", "specs")
    return tmp_path


def _run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(repo), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_unchanged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(repo, capsys, "--fail-on-breaking")
    assert code == 0
    assert "specs/api.yaml: unchanged since HEAD" in out
    assert "2 spec(s) compared with HEAD: 0 breaking, 0 compatible" in out


def test_cli_reports_breaking_first_and_fails_only_when_asked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(CASES / "request_bounds_narrowed.new.yaml", repo / "specs" / "api.yaml")
    text = (repo / "specs" / "gone.yaml").read_text(encoding="utf-8")
    (repo / "specs" / "gone.yaml").write_text(text.replace("title: Bounds", "title: Bounds v2"), "utf-8")
    code, out, _ = _run(repo, capsys)
    assert code == 0
    assert "specs/api.yaml: 7 breaking, 0 compatible since HEAD" in out
    assert "request field temperature: maximum lowered 2 → 1" in out
    assert "at /components/schemas/Req/properties/temperature/maximum" in out
    assert "specs/gone.yaml: 0 breaking, 1 compatible since HEAD" in out
    assert _run(repo, capsys, "--fail-on-breaking")[0] == 1
    assert _run(repo, capsys, "--fail-on-breaking", str(repo / "specs" / "gone.yaml"))[0] == 0


def test_cli_markdown_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(CASES / "request_defaults.old.yaml", repo / "specs" / "api.yaml")
    _git(repo, "commit", "--quiet", "-am", "defaults")
    shutil.copy(CASES / "request_defaults.new.yaml", repo / "specs" / "api.yaml")
    shutil.copy(CASES / "request_bounds_narrowed.new.yaml", repo / "specs" / "gone.yaml")
    code, out, _ = _run(repo, capsys, "--markdown", "--ref", "HEAD", str(repo / "specs" / "api.yaml"))
    assert code == 0
    assert out.splitlines() == [
        "- specs/api.yaml: request field temperature: default changed 0.7 → 1 (compatible)",
        "- specs/api.yaml: request field top_p: default removed (was 0.95) (compatible)",
        "- specs/api.yaml: request field stream: default added: false (compatible)",
    ]
    _, out, _ = _run(repo, capsys, "--markdown", "--ref", "HEAD~1", str(repo / "specs" / "gone.yaml"))
    lines = out.splitlines()
    assert lines[0] == "- **breaking** specs/gone.yaml: request field temperature: maximum lowered 2 → 1"
    assert len(lines) == 7 and all(line.startswith("- **breaking** ") for line in lines)


def test_cli_added_and_removed_specs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "specs" / "gone.yaml").unlink()
    shutil.copy(CASES / "request_fields.old.yaml", repo / "specs" / "new.yaml")
    code, out, _ = _run(repo, capsys, "--fail-on-breaking")
    assert code == 1
    assert "specs/gone.yaml: removed since HEAD (breaking)" in out
    assert "specs/new.yaml: added since HEAD (compatible)" in out
    _, markdown, _ = _run(repo, capsys, "--markdown")
    assert "- **breaking** specs/gone.yaml: spec removed (its endpoint is gone)" in markdown.splitlines()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--ref", "no-such-ref"], "'no-such-ref' is not a commit"),
        (["--ref=-x"], "not a git ref"),
        (["specs/nowhere.yaml"], "specs/nowhere.yaml: neither in the working tree nor at HEAD"),
        (["/elsewhere/spec.yaml"], "not inside"),
    ],
)
def test_cli_usage_errors_exit_2(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    error: str,
) -> None:
    monkeypatch.chdir(repo)
    code, out, err = _run(repo, capsys, *args)
    assert (code, out) == (2, "")
    assert error in err


def test_cli_outside_a_git_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "specs").mkdir()
    code, _, err = _run(tmp_path, capsys)
    assert code == 2
    assert "not a commit of a git repository" in err


def test_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--no-such-option"])
    assert raised.value.code == 2


def test_module_runs_as_a_command(repo: Path) -> None:
    shutil.copy(CASES / "request_bounds_narrowed.new.yaml", repo / "specs" / "api.yaml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "codegen.spec_diff", "--root", str(repo), "--fail-on-breaking"]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 1, done.stderr
    assert "request field temperature: maximum lowered 2 → 1" in done.stdout

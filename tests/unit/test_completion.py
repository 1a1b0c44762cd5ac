"""``kcr completion bash|zsh|fish``: the scripts click generates, and the installed ``kcr`` answering
them. bash runs its script for real (complete a command, a choice); zsh and fish scripts are checked
for syntax where those shells are installed, and their protocol is asked directly either way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
KCR = BIN / "kcr"


def kcr(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KCR), *args],
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def bash_complete(*words: str) -> list[str]:
    """What bash offers after ``words`` (the last one being completed), with kcr's script loaded."""
    script = kcr("completion", "bash").stdout
    quoted = " ".join(f"'{w}'" for w in words)
    program = "\n".join(
        [
            script,
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _kcr_completion kcr",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_and_choices() -> None:
    assert bash_complete("kcr", "pl") == ["plan"]
    assert set(bash_complete("kcr", "")) >= {"validate", "plan", "apply", "drift", "export", "completion"}
    assert bash_complete("kcr", "plan", "--format", "") == ["text", "markdown", "json"]
    assert bash_complete("kcr", "completion", "") == ["bash", "zsh", "fish"]
    assert "--detailed-exitcode" in bash_complete("kcr", "plan", "--det")


@pytest.mark.parametrize(
    ("shell", "cword", "check"),
    [("zsh", "1", ["zsh", "-n"]), ("fish", "dr", ["fish", "--no-execute"])],  # as each script sends it
)
def test_zsh_and_fish_scripts(shell: str, cword: str, check: list[str], tmp_path: Path) -> None:
    done = kcr("completion", shell)
    assert done.returncode == 0, done.stderr
    assert "_KCR_COMPLETE" in done.stdout
    assert f"{shell}_complete" in done.stdout
    answer = kcr(**{"_KCR_COMPLETE": f"{shell}_complete", "COMP_WORDS": "kcr dr", "COMP_CWORD": cword})
    assert "drift" in answer.stdout
    if shutil.which(check[0]):  # syntax of the generated script, where the shell is installed
        script = tmp_path / f"kcr.{shell}"
        script.write_text(done.stdout, encoding="utf-8")
        checked = subprocess.run(
            [*check, str(script)], capture_output=True, text=True, timeout=60, check=False
        )
        assert checked.returncode == 0, checked.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    done = kcr("completion", "powershell")
    assert done.returncode == 1
    assert "'powershell' is not one of 'bash', 'zsh', 'fish'" in done.stderr

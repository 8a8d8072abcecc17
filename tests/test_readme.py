"""README's promise: a fresh clone runs with exactly two commands, and CI runs the second."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quickstart_holds_two_one_line_commands_in_a_virtual_environment():
    commands = _quickstart_commands()
    assert len(commands) == 2
    for command in commands:
        assert "\n" not in command
        # Debian's and Ubuntu's system Python refuse pip outside a virtual environment.
        assert command.startswith("python3 -m venv .venv && .venv/bin/python -m pip install")
    assert commands[0].endswith("streamlit run app.py")
    assert commands[1].endswith("-m pytest")


def test_quickstart_says_which_address_to_open():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "http://localhost:8501" in text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]


def test_ci_runs_the_readme_test_command_exactly():
    assert _quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")

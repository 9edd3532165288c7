"""The README's promises: its Python example runs as printed, and CI runs its two commands."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_example_runs_and_prints_what_it_says(tmp_path):
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert "'label': 'pos'" in lines[0] and "'n_words': 10" in lines[0]
    assert lines[1].startswith("[") and all(tok.isdigit() for tok in lines[1].strip("[]").split())
    assert (tmp_path / "reviews_words" / "state.json").exists()


def test_ci_runs_exactly_the_readme_commands():
    block = README.split("<!-- ci:commands -->", 1)[1]
    commands = re.search(r"```bash\n(.*?)```", block, re.S).group(1).strip().splitlines()
    assert len(commands) == 2
    assert "pip install" in commands[0] and "examples/quickstart.py" in commands[0]
    assert "pytest" in commands[1] and "-n 2" in commands[1] and "--doctest-modules" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "ci:commands" in ci  # .ci/run reads the commands from that very block

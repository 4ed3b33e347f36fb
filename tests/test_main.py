"""The `newswatch` script's module: the command line, with nothing imported until it runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from pipeline import __version__

ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('pipeline', 'typer', 'pydantic')))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(out.stdout)
    return loaded


def test_the_script_runs_the_module_that_imports_nothing_at_load() -> None:
    (script,) = entry_points(group="console_scripts", name="newswatch")
    assert script.value == "pipeline.__main__:main"
    assert _loaded_after("import pipeline.__main__") == ["pipeline", "pipeline.__main__"]


def test_a_pool_process_of_the_script_does_not_import_the_command_line(tmp_path: Path) -> None:
    # What pip writes for the console script, plus a pool call asking its worker what it has loaded.
    (script,) = entry_points(group="console_scripts", name="newswatch")
    module, _, attribute = script.value.partition(":")
    program = tmp_path / "newswatch"
    program.write_text(
        f"import sys\nfrom {module} import {attribute}\n\n"
        "def loaded():\n    return sorted(m for m in sys.modules if m.startswith('pipeline.cli'))\n\n"
        "if __name__ == '__main__':\n"
        "    from concurrent.futures import ProcessPoolExecutor\n"
        "    from pipeline.processes import pool_context\n"
        "    with ProcessPoolExecutor(1, mp_context=pool_context()) as pool:\n"
        "        print(pool.submit(loaded).result())\n"
    )
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_pipeline_runs_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "version"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert __version__ in out.stdout

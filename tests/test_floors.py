"""The house rules the build enforces: imports point only down the floors (the import-linter
contract in pyproject.toml, with no exceptions listed), and the code passes ruff."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is in the test extra)")
    return found


def test_imports_point_only_down_the_floors():
    done = subprocess.run([tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout
    assert "ignore_imports" not in (ROOT / "pyproject.toml").read_text()     # no exception listed


def test_ruff_passes():
    done = subprocess.run([tool("ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_every_benchmark_imports(path):
    """A benchmark is run by hand, not by the tests: importing it at least finds a name it lost."""
    import importlib.util
    if path.name == "bench_openfisca.py" and importlib.util.find_spec("openfisca_core") is None:
        pytest.skip("needs the bench extra (openfisca_core)")
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

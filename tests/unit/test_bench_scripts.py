"""The benchmarks are not run in CI (they take minutes), but they must keep importing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_bench_script_imports_and_has_a_main(script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"bench_{script[:-3]}"
    spec = importlib.util.spec_from_file_location(name, BENCH / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)  # module level only: main() is behind __name__ guards
    assert callable(getattr(module, "main", None))

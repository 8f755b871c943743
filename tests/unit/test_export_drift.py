"""Facts that live in more than one place stay the same: the export formats (Python, the
protocol schemas, the extension's menu) and the verdicts and IOC types the history page uses."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sentinelx import export
from sentinelx.enrichment import history
from sentinelx.export import records
from sentinelx.protocol import validate

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "extension" / "lib"


def test_schemas_name_every_format():
    assert validate.schema_for("request", "export")["properties"]["format"]["enum"] == list(
        export.FORMATS)
    assert validate.schema_for("reply", "exported")["properties"]["format"]["enum"] == list(
        export.FORMATS)


def test_python_lists_agree():
    common = json.loads((ROOT / "host/sentinelx/protocol/schemas/common.json").read_text())
    assert list(records.IOC_TYPES) == list(history.IOC_TYPES) == common["$defs"]["ioc_type"]["enum"]
    assert list(records.VERDICTS) == list(history.VERDICTS) == common["$defs"]["verdict"]["enum"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_extension_lists_agree():
    script = (f"const c = await import({json.dumps((LIB / 'export-client.js').as_uri())});\n"
              f"const h = await import({json.dumps((LIB / 'history-view.js').as_uri())});\n"
              "console.log(JSON.stringify({formats: c.FORMATS.map((f) => f.id),"
              " verdicts: h.VERDICTS, types: h.IOC_TYPES}));\n")
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=60, check=True)
    got = json.loads(out.stdout)
    assert got["formats"] == list(export.FORMATS)
    assert got["verdicts"] == list(records.VERDICTS)
    assert got["types"] == list(records.IOC_TYPES)

"""Defanging is one rule in two languages: the host's exports (export/defang.py) and the
extension's copy buttons (extension/lib/format.js) must give the same text for every case."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from sentinelx.export.defang import defang

ROOT = Path(__file__).resolve().parents[2]
FORMAT_JS = ROOT / "extension" / "lib" / "format.js"
FIXED = [
    ("url", "http://evil.com/a.b?x=1"), ("url", "https://a.b.c:8443/p"), ("url", "HTTP://X.Y/"),
    ("url", "ftp://files.example/f"), ("url", "no-scheme.example/x"), ("url", "http://[2001:db8::1]/"),
    ("domain", "evil-c2.net"), ("ipv4", "185.220.101.47"), ("ipv6", "2001:db8::7"),
    ("email", "a.b@c.example"), ("md5", "d41d8cd98f00b204e9800998ecf8427e"), ("cve", "CVE-2021-44228"),
]


def cases() -> list[tuple[str, str]]:
    r = random.Random(13)
    alphabet = "ab.:/@?#[]-_%hxtpsfHTP \u00e9\u4e2d"
    out = list(FIXED)
    for _ in range(300):
        t = r.choice(["url", "domain", "ipv4", "ipv6", "email", "sha256"])
        prefix = r.choice(["", "http://", "https://", "ftp://", "HtTp://"]) if t == "url" else ""
        out.append((t, prefix + "".join(r.choice(alphabet) for _ in range(r.randint(0, 20)))))
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_python_and_extension_defang_agree():
    pairs = cases()
    script = (f"import {{ defang }} from {json.dumps(FORMAT_JS.as_uri())};\n"
              "let data = ''; process.stdin.on('data', (c) => data += c);\n"
              "process.stdin.on('end', () => process.stdout.write(JSON.stringify("
              "JSON.parse(data).map(([t, v]) => defang(t, v)))));\n")
    out = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(pairs),
                         capture_output=True, text=True, timeout=60, check=True)
    js = json.loads(out.stdout)
    assert [defang(t, v) for t, v in pairs] == js
    assert defang("url", "http://evil.com/a") == "hxxp[://]evil[.]com/a"

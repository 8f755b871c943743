// One source of truth per fact: where the extension keeps a copy of host knowledge, it must match.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { TYPE_LABELS } from "../../extension/lib/keys.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("the popup's type labels cover exactly the host's IOCType values", () => {
  const src = readFileSync(join(ROOT, "host/sentinelx/pipeline/models.py"), "utf8");
  const block = /class IOCType\(StrEnum\):([\s\S]*?)\n\n/.exec(src)?.[1] ?? "";
  const values = [...block.matchAll(/^\s+[A-Z0-9_]+\s*=\s*"([a-z0-9_]+)"/gm)].map((m) => m[1]);
  assert.ok(values.length >= 9, "IOCType not found in models.py");
  assert.deepEqual(Object.keys(TYPE_LABELS).sort(), values.sort());
});

test("no per-type or per-provider table is copied into the extension", () => {
  const privacy = readFileSync(join(ROOT, "extension/lib/privacy.js"), "utf8");
  assert.doesNotMatch(privacy, /VT_SUPPORTED|"sha256"/, "which types a provider takes is the host's (preview)");
  const keys = readFileSync(join(ROOT, "extension/lib/keys.js"), "utf8");
  assert.doesNotMatch(keys, /TYPE_ORDER\s*=/, "the order of types comes from pong capabilities");
});

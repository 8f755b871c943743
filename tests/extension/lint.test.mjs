// web-ext lint (Mozilla's add-on linter) on extension/: no errors, and none of the warnings the
// add-on site will refuse (data_collection_permissions, min-version mismatches).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB_EXT = join(HERE, "..", "node_modules", ".bin", "web-ext");

test("web-ext lint: no errors, no data-collection or min-version warnings", { skip: !existsSync(WEB_EXT) && "npm ci first" }, () => {
  let out;
  try {
    out = execFileSync(WEB_EXT, ["lint", "--source-dir", join(HERE, "..", "..", "extension"), "--output", "json",
      "--no-config-discovery"], { encoding: "utf8", env: { ...process.env, NO_UPDATE_NOTIFIER: "1" } });
  } catch (e) {
    out = e.stdout; // web-ext exits non-zero on errors; the JSON says which
  }
  const report = JSON.parse(out);
  assert.deepEqual(report.errors.map((e) => e.code), []);
  const codes = report.warnings.map((w) => w.code);
  for (const bad of ["MISSING_DATA_COLLECTION_PERMISSIONS", "KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION",
    "KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION"]) {
    assert.ok(!codes.includes(bad), `${bad} in ${codes.join(", ")}`);
  }
});

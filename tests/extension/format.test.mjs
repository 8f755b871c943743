import assert from "node:assert/strict";
import { test } from "node:test";
import { defang, formatBytes, quotaText, timeAgo, timeUntil, utf8Bytes } from "../../extension/lib/format.js";
import { safeLink } from "../../extension/lib/ui/dom.js";

const NOW = Date.parse("2024-05-10T12:00:00Z");

test("age of the last analysis", () => {
  assert.equal(timeAgo("2024-05-07T12:00:00Z", NOW), "3 days ago");
  assert.equal(timeAgo("2024-05-10T11:59:30Z", NOW), "just now");
  assert.equal(timeAgo("2024-05-10T11:00:00Z", NOW), "1 hour ago");
  assert.equal(timeAgo("2024-05-10T11:55:00Z", NOW), "5 minutes ago");
  assert.equal(timeAgo("2024-01-10T12:00:00Z", NOW), "3 months ago");
  assert.equal(timeAgo("2021-05-10T12:00:00Z", NOW), "3 years ago");
  assert.equal(timeAgo(null, NOW), null);
  assert.equal(timeAgo("garbage", NOW), null);
});

test("quota text: next lookup, minute and daily limits", () => {
  const base = { done: 1, total: 5, queued: 4, remaining_today: 10 };
  assert.equal(quotaText({ ...base, waiting_for_quota: true, quota_state: "ok", next_slot_at: "2024-05-10T12:00:42Z" }, NOW),
    "next lookup in 42 s");
  assert.match(quotaText({ ...base, waiting_for_quota: true, quota_state: "minute_limit", next_slot_at: "2024-05-10T12:00:42Z" }, NOW),
    /per-minute quota reached - next lookup in 42 s/);
  assert.equal(quotaText({ ...base, waiting_for_quota: true, quota_state: "daily_limit", next_slot_at: "2024-05-11T00:00:00Z" }, NOW),
    "daily quota reached - resumes at 00:00 UTC (in 12 h)");
  assert.equal(quotaText({ ...base, quota_state: "no_api_key" }, NOW), "an API key is missing");
  assert.equal(quotaText({ ...base, quota_state: "auth_failed" }, NOW), "an API key was rejected");
  assert.equal(timeUntil("2024-05-10T12:03:05Z", NOW), "3 min 5 s");
});

test("defang and refang forms", () => {
  assert.equal(defang("url", "https://evil.com/a.php?x=1.2"), "hxxps[://]evil[.]com/a.php?x=1.2");
  assert.equal(defang("domain", "evil.co.uk"), "evil[.]co[.]uk");
  assert.equal(defang("ipv4", "1.2.3.4"), "1[.]2[.]3[.]4");
  assert.equal(defang("email", "a.b@evil.com"), "a[.]b[@]evil[.]com");
  assert.equal(defang("ipv6", "2001:db8::1"), "2001[:]db8[:][:]1");
  assert.equal(defang("sha256", "ab".repeat(32)), "ab".repeat(32));
  assert.equal(defang("cve", "CVE-2021-44228"), "CVE-2021-44228");
});

test("only https links without credentials leave the popup", () => {
  assert.equal(safeLink("https://www.virustotal.com/gui/domain/evil.com"), "https://www.virustotal.com/gui/domain/evil.com");
  assert.equal(safeLink("https://urlhaus.abuse.ch/url/123/"), "https://urlhaus.abuse.ch/url/123/");
  for (const bad of ["javascript:alert(1)", "http://www.virustotal.com/gui/x", "https://user@www.virustotal.com/gui/x",
    "https://u:p@evil.com/", "data:text/html,<script>", "file:///etc/passwd", "", null, 42, `https://x.com/${"a".repeat(3000)}`]) {
    assert.equal(safeLink(bad), null, String(bad).slice(0, 40));
  }
});

test("sizes count UTF-8 bytes", () => {
  assert.equal(utf8Bytes("\u00e9"), 2);
  assert.equal(utf8Bytes("abc"), 3);
  assert.equal(formatBytes(12), "12 bytes");
  assert.equal(formatBytes(8 * 1024 * 1024), "8.0 MB");
});

"""Is a dotted word a hostname? Rejects the false positives analysts hate.

`setup.py`, `invoice.zip`, `Trojan.Win32.Agent`, `self.foo.bar` and `user.name` all end in a
real TLD. These rules look only at the candidate and the character around it, so they stay O(1)
per candidate.
"""

from __future__ import annotations

from sentinelx.pipeline.tlds import known_tlds


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Real TLDs that are more often file extensions in report text (name.ext). A two-label name on
# one of these is read as a file unless it was defanged (nobody defangs a file name).
FILE_EXT_TLDS = frozenset({
    "py", "sh", "zip", "mov", "md", "so", "pl", "pm", "rs", "ps", "one", "cab", "java", "tf",
})
# Well-known extension-less file names: `Makefile.am`, `Makefile.in`, `Dockerfile.dev`,
# `README.md` (.am, .in and .dev are real TLDs).
_FILE_BASENAMES = _words(
    "makefile gnumakefile dockerfile containerfile gemfile rakefile procfile jenkinsfile "
    "vagrantfile podfile pipfile brewfile readme changelog license licence copying"
)
# Extensions that give away a double-extension file name: invoice.pdf.zip, report.doc.mov.
_FILE_EXTS = _words(
    "pdf doc docx docm xls xlsx xlsm ppt pptx rtf txt exe dll scr js vbs jpg jpeg png gif bmp "
    "mp3 mp4 avi iso img lnk hta bat cmd ps1 msi jar apk html htm csv json xml zip rar 7z gz "
    "tar py sh one tmp dat bin log"
)
# Real TLDs that are also common attribute/method names: `e.target`, `user.name`, `f.read`,
# `subprocess.run`, `logger.info`. For these the second-level label must not look like code.
_CODE_TLDS = frozenset({
    "data", "read", "map", "open", "target", "style", "name", "email", "host", "link", "site",
    "run", "app", "bar", "foo", "info", "top", "zone", "click", "stream", "live", "download",
    "dev", "docs", "java", "tf", "show", "save", "call", "play", "new", "next", "search",
    "watch", "report", "select", "events", "store", "domains", "id", "is", "to",
})
_CODE_IDENTIFIERS = _words(
    "self this cls os sys subprocess logger logging log console user users file files event evt "
    "el elem element arr array list dict obj object response resp res req request data args "
    "kwargs opts options config cfg conf settings ctx context window document math json np pd "
    "item items node child parent props state model form button btn foo bar baz result "
    "results ret app server client db conn cursor session page driver browser thread task "
    "job worker plt ax fig df tf torch str string msg message params query path url uri "
    "socket sock stream reader writer proc process module exports module err error exc "
    "record row col field value key target src dst input output stdout stderr stdin io "
    "it mock test tests"
)
# First labels that mark a dotted expression as code whatever the TLD: self.foo.bar,
# window.location.host, os.path.name.
_CODE_ROOTS = _words(
    "self this cls os sys window document console math json np pd super subprocess logger "
    "logging args kwargs ctx obj props exports module process navigator"
)
# First labels of attribute chains on those TLDs: req.body.name, this.props.data, e.target.id.
_CODE_FIRST = _words(
    "req res request response resp self this ctx event evt e el obj data user args opts options "
    "props state config cfg settings params form msg message item node result err error exc "
    "record row field f fp args kwargs payload body headers"
)
# Labels from anti-virus family names: Trojan.Win32.Agent, HEUR.Backdoor.Linux.Mirai.
_AV_LABELS = _words(
    "trojan backdoor worm heur win32 win64 w32 w64 msil hacktool riskware adware pua pup "
    "trojandownloader trojandropper trojanspy trojanpsw trojanransom generickd o97m w97m x97m "
    "androidos ransom virtool exploit"
)
# TLDs people write in any case (`bar.COM`, `Example.Com`). Other TLDs in capitals after
# lower-case letters are detection names (AsyncRat.AD, Agent.GEN) or sentence joins (end.The).
CASE_FREE_TLDS = frozenset({"com", "net", "org", "edu", "gov", "mil", "int", "info", "biz"})
# Code namespaces that end in a Title-case TLD: System.Net, Microsoft.Com.
_NAMESPACES = _words("system microsoft windows java javax android")
# The TLDs a host joined from spaced parts (`evil . com`) may end in: `end of sentence . next`
# and `we got there . in time` stay prose.
COMMON_TLDS = CASE_FREE_TLDS | frozenset({
    "ru", "cn", "io", "top", "xyz", "online", "site", "club", "su", "uk", "de", "br",
})
# Framework names that are also registered domains but are never indicators in prose.
_TECH_NAMES = frozenset({"asp.net", "vb.net", "ado.net"})


def _labels_ok(labels: list[str]) -> bool:
    for i, label in enumerate(labels):
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return False
        # Underscores occur in sub-domains (_dmarc, SRV names) but never in the registered part.
        if "_" in label and i >= len(labels) - 2:
            return False
    return True


def looks_like_domain(raw: str, *, defanged: bool, before: str, after: str,
                      path_follows: bool = False) -> bool:
    """Whether `raw` (refanged, original case, no trailing dot) is a hostname.

    `before`/`after` are the characters just outside the candidate ('' at text edges);
    `defanged` says the analyst wrote it defanged, which proves it is an indicator;
    `path_follows` that a URL path comes next (`transfer.sh/a/b`): files are not folders.
    """
    if len(raw) > 253:  # checked before splitting: a 4 MB `a.a.a...` must not become 2M strings
        return False
    labels = raw.split(".")
    if len(labels) < 2 or not _labels_ok(labels):
        return False
    tld = labels[-1]
    low_tld = tld.lower()
    # `8.8.8.8.in`, `1.2.3.4.a`: an address with a word glued on, not a name.
    if all(label.isdigit() for label in labels[:-1]):
        return False
    if low_tld not in known_tlds():
        return False
    if defanged:
        return True
    if tld.istitle() and (after == ";" or labels[0].lower() in _NAMESPACES):
        return False  # `using System.Net;`: a namespace, not `Example.Com`
    if low_tld not in CASE_FREE_TLDS:
        # Capitalised TLDs are sentence joins or code/AV names (attack.The, Win32.Trojan.Foo).
        if not (tld.islower() or tld.isupper()):
            return False
        # An upper-case TLD after lower-case labels is a detection name (AsyncRat.AD,
        # Agent.GEN), not a host: people write hosts all lower-case or all upper-case.
        if tld.isupper() and any(c.islower() for c in raw):
            return False
    low = [label.lower() for label in labels]
    if ".".join(low) in _TECH_NAMES:
        return False
    if any(label in _AV_LABELS for label in low):
        return False
    if low[0] in _CODE_ROOTS:
        return False
    # A call, an index or an assignment: document.body.app(, foo.bar[0], x.name = ...
    if after in ("(", "[", "=") or before in ("\\", "$"):
        return False
    sld = low[-2]
    if len(low) == 2 and sld in _FILE_BASENAMES:
        return False
    if low_tld in FILE_EXT_TLDS and (len(low) == 2 or sld in _FILE_EXTS or sld.isdigit()) and not (
            path_follows and len(low) == 2 and sld not in _FILE_EXTS and not sld.isdigit()):
        return False
    if len(low) >= 3 and sld in _FILE_EXTS and low_tld in _FILE_EXTS | FILE_EXT_TLDS:
        return False
    if low_tld in _CODE_TLDS:
        if len(low) == 2 and (len(sld) == 1 or sld in _CODE_IDENTIFIERS):
            return False
        if len(low) > 2 and low[0] in _CODE_FIRST:
            return False
    # macOS bundles (Safari.app, Terminal.app): a Capitalised name on .app.
    return not (low_tld == "app" and labels[-2][:1].isupper() and len(low) == 2)

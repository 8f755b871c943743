"""Ids of the extension shipped in extension/manifest.json; the host serves only these by default.

A test checks these constants against the manifest, so they cannot drift apart.
"""

from __future__ import annotations

NATIVE_HOST_NAME = "com.sentinelx.host"
CHROME_EXTENSION_ID = "kclaegbkmfnnnehbjbmcnomffnallgci"
GECKO_EXTENSION_ID = "sentinelx@sentinelx.dev"


def chrome_id_from_key(key_b64: str) -> str:
    """Chrome's id for an extension with this manifest `key`: sha256 of the DER, hex mapped to a-p."""
    import base64  # not at the top: the host imports this module before its first reply
    import hashlib

    digest = hashlib.sha256(base64.b64decode(key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def chrome_origin(extension_id: str) -> str:
    return f"chrome-extension://{extension_id}/"

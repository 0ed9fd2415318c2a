"""Names from users' files (study, class, channel names) are data, never paths.

`check_name` bounds what a name may be; `safe_filename` turns any name into one file name inside
the folder it is joined to: safe names stay as they are, anything else becomes a slug plus a short
hash of the name, so that two different names never share a file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from harcnn.errors import HarcnnError

MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def check_name(value: object, what: str, where: str) -> str:
    """`value` as a name: a non-empty string of at most MAX_NAME characters, no control characters."""
    if not isinstance(value, str):
        raise HarcnnError(f"{where}: {what} must be text, got {value!r}")
    if not value.strip():
        raise HarcnnError(f"{where}: {what} must not be empty")
    if len(value) > MAX_NAME:
        raise HarcnnError(f"{where}: {what} is {len(value)} characters long; at most {MAX_NAME}")
    bad = [c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")]
    if bad:
        raise HarcnnError(f"{where}: {what} {value!r} holds a control character ({bad[0]!r})")
    return value


def safe_filename(name: str) -> str:
    """A file name for `name` that cannot leave its folder: `[A-Za-z0-9._-]`, no leading dot."""
    slug = _UNSAFE.sub("_", name).strip("._")[:60]
    if slug == name:
        return slug
    return f"{slug or 'name'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"

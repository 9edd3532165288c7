"""Fingerprints: stable content hashes that key the transform cache.

(Provisional minimal version; the transforms work replaces it with the full hasher.)
"""
from __future__ import annotations

import json
from typing import Any

import xxhash


def derive_fingerprint(parent: str, op: str, args: dict[str, Any]) -> str:
    """Fingerprint of ``op(parent, **args)``: the same inputs give the same string in every process."""
    payload = json.dumps({"parent": parent, "op": op, "args": args}, sort_keys=True, default=repr)
    return xxhash.xxh3_128_hexdigest(payload.encode())

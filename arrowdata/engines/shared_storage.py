"""Whether a path is on storage every node of a cluster sees (a network file system).

Workers on other nodes read the inputs and write the outputs by path, so on a multi-node
cluster the cache folder (and the dataset's files) must be shared. A path counts as shared when
its mount is a network or cluster file system, or when the user says so with
``$ARROWDATA_SHARED_CACHE=1`` (for a shared mount this check does not recognise, or identical
copies at the same path on every node).

Example:
    >>> mounts = "server:/export /mnt/shared nfs4 rw 0 0\\n/dev/sda1 / ext4 rw 0 0\\n"
    >>> filesystem_type("/mnt/shared/cache", mounts), filesystem_type("/home/me/.cache", mounts)
    ('nfs4', 'ext4')
    >>> is_network_filesystem("nfs4"), is_network_filesystem("ext4"), is_network_filesystem("fuse.juicefs")
    (True, False, True)
"""
from __future__ import annotations

import os
from pathlib import Path

#: Environment variable: set to 1 to declare the cache (and data files) shared across nodes.
SHARED_ENV = "ARROWDATA_SHARED_CACHE"

_NETWORK_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph", "cephfs", "glusterfs",
    "ocfs2", "gfs2", "afs", "panfs", "wekafs", "orangefs", "pvfs2", "9p", "davfs", "quobyte", "efs",
})


def is_network_filesystem(fstype: str) -> bool:
    """Network/cluster file systems, and FUSE mounts (sshfs, juicefs, gcsfuse, s3fs, ...)."""
    return fstype in _NETWORK_TYPES or fstype.startswith("fuse.") or fstype == "fuse"


def _read_mounts() -> str:
    try:
        return Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def filesystem_type(path: str | os.PathLike, mounts: str | None = None) -> str | None:
    """The type of the file system holding ``path`` (longest matching mount point in ``/proc/mounts``);
    ``None`` where that table is not available."""
    target = os.path.realpath(os.fspath(path))
    best, best_type = "", None
    for line in (mounts if mounts is not None else _read_mounts()).splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best) or point == "/" and not best and inside:
            best, best_type = point, fields[2]
    return best_type


def declared_shared() -> bool:
    """Whether ``$ARROWDATA_SHARED_CACHE`` says the storage is shared."""
    return os.environ.get(SHARED_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def unshared(paths: list[str | os.PathLike]) -> list[tuple[str, str | None]]:
    """The paths (with their file system type) that are not known to be shared across nodes."""
    if declared_shared():
        return []
    mounts = _read_mounts()
    found = [(os.fspath(p), filesystem_type(p, mounts)) for p in paths]
    return [(p, t) for p, t in found if t is None or not is_network_filesystem(t)]

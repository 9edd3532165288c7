"""Replacing a folder by another one atomically, with automatic recovery after a crash.

``save_to_disk`` over an existing folder writes the new dataset beside it, then swaps:

1. where the kernel and file system can (Linux ``renameat2(RENAME_EXCHANGE)``: ext4, xfs,
   btrfs, tmpfs...), the two folders exchange names in one step: the target is never missing,
   and readers see the old or the new dataset, nothing in between;
2. elsewhere, a small journal ``<target>.swap-<pid>-<rand>.json`` naming both folders is written
   (atomically) before the two renames ``target -> old`` and ``new -> target``. A crash between
   them leaves the target missing for a moment; the next access (``load_from_disk``) or the
   next save finds the journal and finishes the swap (the new folder is complete: the journal
   is only written once it is), or puts the old folder back.

Either way the old folder is then deleted, and so is any leftover from an earlier crash.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); a, b = os.path.join(d, "a"), os.path.join(d, "b")
    >>> os.mkdir(a); os.mkdir(b); _ = open(os.path.join(b, "x"), "w").write("new")
    >>> replace_folder(b, a); os.listdir(a), os.path.exists(b)
    (['x'], False)
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import logging
import os
import shutil
import uuid

from .cache_lock import pid_alive
from .metadata_files import read_json_file
from .writer import TMP_MARKER

logger = logging.getLogger(__name__)

_SWAP_MARKER = ".swap-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2 = None


def _exchange(a: str, b: str) -> bool:
    """Swap the names ``a`` and ``b`` in one step; ``False`` when the system cannot."""
    global _renameat2
    if _renameat2 is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            fn = libc.renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            _renameat2 = fn
        except (OSError, AttributeError):
            _renameat2 = False
    if not _renameat2:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), b)


def _journal_of(final: str) -> list[str]:
    parent, name = os.path.split(final.rstrip("/"))
    try:
        names = os.listdir(parent or ".")
    except FileNotFoundError:
        return []
    return sorted(os.path.join(parent, n) for n in names
                  if n.startswith(name + _SWAP_MARKER) and n.endswith(".json") and TMP_MARKER not in n)


def _owned_sibling(final: str, path: str) -> bool:
    """Whether ``path`` (read from a journal) is a temporary sibling of ``final``, nothing else."""
    parent, name = os.path.split(final.rstrip("/"))
    p_parent, p_name = os.path.split(path)
    return os.path.abspath(p_parent or ".") == os.path.abspath(parent or ".") and \
        p_name.startswith(name + TMP_MARKER) and "/" not in p_name


def recover(final: str) -> bool:
    """Finish or undo a swap of ``final`` that a crash interrupted; ``True`` when something was done.

    Called before opening a folder that is missing, and before every save over it.
    """
    done = False
    for journal in _journal_of(final):
        try:
            plan = read_json_file(journal, max_bytes=1 << 16, what="folder swap journal")
            old, new = plan["old"], plan["new"]
            if not (isinstance(old, str) and isinstance(new, str) and _owned_sibling(final, old)
                    and _owned_sibling(final, new)):
                raise ValueError("not a swap of this folder")
        except (OSError, ValueError, KeyError, TypeError) as e:
            logger.warning("ignoring swap journal %s (%s)", journal, e)
            continue
        if not os.path.lexists(final):
            source = new if os.path.isdir(new) else old if os.path.isdir(old) else None
            if source is not None:
                try:
                    os.rename(source, final)
                    logger.warning("%s: finished a save that was interrupted (%s dataset restored)", final,
                                   "new" if source == new else "old")
                except OSError:  # someone else recovered it meanwhile
                    pass
        if os.path.lexists(final):
            for leftover in (old, new):
                if os.path.isdir(leftover) and not os.path.islink(leftover):
                    shutil.rmtree(leftover, ignore_errors=True)
            try:
                os.unlink(journal)
            except FileNotFoundError:
                pass
            done = True
    return done


def sweep_leftovers(final: str, keep: str | None = None) -> None:
    """Delete temporary siblings of ``final`` (``<final>.tmp-<pid>-...``) whose writer is dead."""
    parent, name = os.path.split(final.rstrip("/"))
    try:
        names = os.listdir(parent or ".")
    except FileNotFoundError:
        return
    for n in names:
        if not n.startswith(name + TMP_MARKER):
            continue
        path = os.path.join(parent, n)
        try:
            pid = int(n[len(name + TMP_MARKER):].split("-", 1)[0])
        except ValueError:
            continue
        if path != keep and pid != os.getpid() and not pid_alive(pid) and not _journal_of(final):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def replace_folder(tmp: str, final: str) -> None:
    """Move the finished folder ``tmp`` to ``final``, replacing what is there (see the module docstring).

    Open memory maps of the old files stay valid (POSIX keeps unlinked files alive).
    """
    recover(final)
    sweep_leftovers(final, keep=tmp)
    if not os.path.lexists(final):
        os.makedirs(os.path.dirname(os.path.abspath(final)) or ".", exist_ok=True)
        os.replace(tmp, final)
        return
    if os.path.isdir(final) and not os.path.islink(final) and _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the old folder
        return
    old = f"{final.rstrip('/')}{TMP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    journal = f"{final.rstrip('/')}{_SWAP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
    staged = f"{final.rstrip('/')}{TMP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}.swap"  # swept if we die
    with open(staged, "w", encoding="utf-8") as f:
        json.dump({"old": old, "new": tmp}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(staged, journal)
    os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    os.unlink(journal)

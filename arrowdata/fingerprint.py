"""Fingerprints: stable content hashes that key the transform cache.

A dataset's fingerprint is a 32-hex-character key of its *content*. A transform
derives its result's fingerprint from the parent's fingerprint, the operation, its
canonical arguments and the identity of the user's function. Everything is hashed
by value with xxh3-128 over a tagged, length-prefixed byte encoding, so the same
inputs give the same key in every process, under every ``PYTHONHASHSEED``, on every
machine, wherever the data or the cache folder lives: no paths, mtimes, ``id()``s,
``hash()``es or pickles are ever fed in.

What a function's identity is made of:

- its code object (bytecode, constants, names, variable names; nested code objects
  recursively), but not its name, file name or line numbers: moving or renaming a
  function keeps the key;
- its defaults and keyword-only defaults, and the values in its closure cells;
- every global it reads (names in its code found in its ``__globals__``); a global
  that is itself the user's function or class is followed recursively, with cycle
  protection;
- installed libraries (standard library, site-packages) count by module, qualified
  name and package version: upgrading numpy changes keys, editing numpy in place does not.

Objects count by content: numpy and Arrow data by their bytes, pandas/polars frames
by their Arrow form, ``tokenizers.Tokenizer`` by ``to_str()``, transformers tokenizers
by their backend or vocabulary plus their settings, dicts and sets sorted by the
hashes of their items. A class may define ``__arrowdata_fingerprint__(self)`` returning
any hashable value, and :func:`register_hasher` adds a handler for a type you do not own.

An object that cannot be hashed raises :class:`UnhashableError`, whose message is the
path to the culprit, e.g. ``function -> closure 'model' -> torch.nn.modules.linear.Linear``.

Example:
    >>> derive_fingerprint("0" * 32, "rename_column", {"old": "a", "new": "b"}) == \\
    ...     derive_fingerprint("0" * 32, "rename_column", {"new": "b", "old": "a"})
    True
    >>> hash_object({3, 1, 2}) == hash_object({1, 2, 3})
    True
"""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import functools
import importlib.metadata
import os
import pathlib
import re
import struct
import sys
import sysconfig
import types
import uuid
from typing import Any, Callable

import xxhash

from .errors import FingerprintWarning, UnhashableError

__all__ = [
    "UnhashableError", "FingerprintWarning", "hash_object", "function_components",
    "derive_fingerprint", "random_fingerprint", "register_hasher", "is_fingerprint",
]

_FP_RE = re.compile(r"^[0-9a-f]{32}$")


def random_fingerprint() -> str:
    """A fresh random fingerprint, for results that must never be found again by key."""
    return uuid.uuid4().hex


def is_fingerprint(value: str) -> bool:
    """Whether ``value`` looks like a fingerprint (32 lowercase hex characters)."""
    return isinstance(value, str) and bool(_FP_RE.match(value))


# ----------------------------------------------------------------------------- library detection

def _library_roots() -> tuple[str, ...]:
    roots = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            roots.add(os.path.realpath(sysconfig.get_paths()[name]))
        except KeyError:
            pass
    import site

    for p in [*getattr(site, "getsitepackages", lambda: [])(), getattr(site, "USER_SITE", None) or ""]:
        if p:
            roots.add(os.path.realpath(p))
    return tuple(sorted(r + os.sep for r in roots))


_LIBRARY_ROOTS: tuple[str, ...] | None = None


@functools.lru_cache(maxsize=None)
def _module_kind(modname: str) -> str:
    """'library' for the standard library and installed packages, 'user' for the rest."""
    global _LIBRARY_ROOTS
    top = modname.split(".")[0]
    if top in sys.stdlib_module_names or top == "builtins" or modname in sys.builtin_module_names:
        return "library"
    module = sys.modules.get(modname) or sys.modules.get(top)
    file = getattr(module, "__file__", None)
    if top == "__main__" or file is None:
        return "user"  # scripts, notebooks, `python -c`, modules built at run time
    if _LIBRARY_ROOTS is None:
        _LIBRARY_ROOTS = _library_roots()
    real = os.path.realpath(file)
    return "library" if real.startswith(_LIBRARY_ROOTS) else "user"


@functools.lru_cache(maxsize=None)
def _library_version(modname: str) -> str:
    top = modname.split(".")[0]
    if top in sys.stdlib_module_names or top == "builtins":
        return "python-" + ".".join(map(str, sys.version_info[:2]))
    try:
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        dists = importlib.metadata.packages_distributions().get(top, [])
        if dists:
            return importlib.metadata.version(dists[0])
    except Exception:  # broken metadata must not break hashing
        pass
    module = sys.modules.get(top)
    return str(getattr(module, "__version__", "unknown"))


def _type_name(cls: type) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', getattr(cls, '__name__', '?'))}"


# ----------------------------------------------------------------------------- handler registries

#: Handlers for types you do not own: ``fn(obj) -> value`` where value is anything hashable here.
_BY_NAME: dict[str, Callable[[Any], Any]] = {}


def register_hasher(cls_or_name: type | str, fn: Callable[[Any], Any]) -> None:
    """Hash instances of a type by ``fn(obj)`` (any value this module can hash).

    The type may be given by its full name so its library need not be imported.

    Example:
        >>> class Point:
        ...     def __init__(self, x): self.x = x
        >>> register_hasher(Point, lambda p: ("Point", p.x))
        >>> hash_object(Point(1)) == hash_object(Point(1))
        True
    """
    name = cls_or_name if isinstance(cls_or_name, str) else _type_name(cls_or_name)
    _BY_NAME[name] = fn


def _numpy_array(a: Any) -> Any:
    import numpy as np

    if a.dtype.hasobject:
        return ("ndarray-object", a.shape, a.tolist())
    return ("ndarray", a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes())


def _arrow_ipc(obj: Any) -> Any:
    import pyarrow as pa

    if isinstance(obj, (pa.Array, pa.ChunkedArray)):
        obj = pa.table({"v": obj})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, obj.schema) as w:
        w.write(obj) if isinstance(obj, pa.RecordBatch) else w.write_table(obj)
    return ("arrow", type(obj).__name__, sink.getvalue().to_pybytes())


def _pandas(obj: Any) -> Any:
    import pandas as pd

    values = pd.util.hash_pandas_object(obj, index=True).to_numpy()
    if isinstance(obj, pd.DataFrame):
        return ("pandas.DataFrame", [str(c) for c in obj.columns], [str(t) for t in obj.dtypes], values)
    return ("pandas.Series", str(obj.name), str(obj.dtype), values)


def _polars(obj: Any) -> Any:
    return ("polars", type(obj).__name__, obj.to_arrow())


def _torch_tensor(t: Any) -> Any:
    import torch

    flat = t.detach().cpu().contiguous().reshape(-1)
    return ("torch.Tensor", str(t.dtype), tuple(t.shape), flat.view(torch.uint8).numpy().tobytes())


def _hf_tokenizer(tok: Any) -> Any:
    settings = {k: getattr(tok, k, None) for k in (
        "padding_side", "truncation_side", "model_max_length", "clean_up_tokenization_spaces")}
    specials = getattr(tok, "special_tokens_map_extended", None) or getattr(tok, "special_tokens_map", {})
    backend = getattr(tok, "backend_tokenizer", None)
    body = backend.to_str() if backend is not None else sorted(tok.get_vocab().items())
    return ("transformers-tokenizer", type(tok).__qualname__, body, settings, {k: str(v) for k, v in specials.items()})


for _name, _fn in {
    "numpy.ndarray": _numpy_array,
    "numpy.generic": lambda x: ("np-scalar", x.dtype.str, x.tobytes()),
    "numpy.dtype": lambda d: ("np-dtype", d.str, str(d)),
    "numpy.ufunc": lambda u: ("np-ufunc", u.__name__, _library_version("numpy")),
    "numpy.random._generator.Generator": lambda g: ("np-generator", g.bit_generator.state),
    "numpy.random.mtrand.RandomState": lambda r: ("np-randomstate", _numpy_array(r.get_state()[1]), r.get_state()[2:]),
    "pyarrow.lib.Table": _arrow_ipc,
    "pyarrow.lib.RecordBatch": _arrow_ipc,
    "pyarrow.lib.Array": _arrow_ipc,
    "pyarrow.lib.ChunkedArray": _arrow_ipc,
    "pyarrow.lib.Scalar": lambda s: ("arrow-scalar", str(s.type), s.as_py()),
    "pyarrow.lib.DataType": lambda t: ("arrow-type", str(t)),
    "pyarrow.lib.Field": lambda f: ("arrow-field", f.name, str(f.type), f.nullable),
    "pyarrow.lib.Schema": lambda s: ("arrow-schema", s.to_string(show_schema_metadata=True)),
    "pyarrow._compute.Expression": lambda e: ("arrow-expression", str(e)),
    "pandas.DataFrame": _pandas,
    "pandas.Series": _pandas,
    "pandas.core.frame.DataFrame": _pandas,
    "pandas.core.series.Series": _pandas,
    "polars.dataframe.frame.DataFrame": _polars,
    "polars.series.series.Series": _polars,
    "torch.Tensor": _torch_tensor,
    "torch.dtype": lambda d: ("torch.dtype", str(d)),
    "torch.device": lambda d: ("torch.device", str(d)),
    "tokenizers.Tokenizer": lambda t: ("tokenizers.Tokenizer", t.to_str()),
    "transformers.tokenization_utils_base.PreTrainedTokenizerBase": _hf_tokenizer,
    # Loggers and random generators are often read by functions; their settings are their identity.
    "logging.Logger": lambda lg: ("logger", lg.name),
    "random.Random": lambda r: ("random.Random", r.getstate()),
}.items():
    register_hasher(_name, _fn)


# ----------------------------------------------------------------------------- the hasher

_SKIP_CLASS_ATTRS = frozenset({"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__",
                               "__firstlineno__", "__static_attributes__", "__annotations__"})


class _Hasher:
    """Feeds a tagged, length-prefixed encoding of values into xxh3-128 states."""

    def __init__(self) -> None:
        self._state = xxhash.xxh3_128()
        self._active: dict[int, int] = {}  # id -> depth, for cycle protection
        self._memo: dict[int, tuple[Any, bytes]] = {}  # finished functions/classes/modules

    # -- primitives
    def _put(self, tag: bytes, payload: bytes = b"") -> None:
        self._state.update(tag + struct.pack("<Q", len(payload)) + payload)

    def digest(self, obj: Any, path: list[str]) -> bytes:
        """The digest of ``obj`` alone (an independent state; shares cycle protection)."""
        saved, self._state = self._state, xxhash.xxh3_128()
        try:
            self.feed(obj, path)
            return self._state.digest()
        finally:
            self._state = saved

    def feed(self, obj: Any, path: list[str]) -> None:
        if obj is None or obj is Ellipsis or obj is NotImplemented:
            return self._put(b"K", repr(obj).encode())
        cls = type(obj)
        if cls is bool:
            return self._put(b"b", b"1" if obj else b"0")
        if cls is int:
            return self._put(b"i", str(obj).encode())
        if cls is float:
            return self._put(b"f", struct.pack("<d", obj) if obj == obj else b"nan")
        if cls is str:
            return self._put(b"s", obj.encode("utf-8", "surrogatepass"))
        if cls in (bytes, bytearray):
            return self._put(b"y", bytes(obj))
        key = id(obj)
        if key in self._active:
            # A cycle: refer to the enclosing object by its depth, which is deterministic.
            return self._put(b"@", str(len(self._active) - self._active[key]).encode())
        self._active[key] = len(self._active)
        try:
            self._feed_container_or_object(obj, cls, path)
        finally:
            del self._active[key]

    def _feed_container_or_object(self, obj: Any, cls: type, path: list[str]) -> None:
        if hasattr(cls, "__arrowdata_fingerprint__") and not isinstance(obj, type):
            # The object says what its identity is (and nothing else of it counts).
            self._put(b"P", self._class_identity(cls))
            return self.feed(obj.__arrowdata_fingerprint__(), [*path, _type_name(cls)])
        if isinstance(obj, list) or (isinstance(obj, tuple) and not hasattr(obj, "_fields")):
            self._put(b"L" if cls is list else b"T", str(len(obj)).encode())
            for i, item in enumerate(obj):
                self.feed(item, [*path, f"[{i}]"])
            return
        if isinstance(obj, (dict, types.MappingProxyType)):
            # Sorted by item digests: independent of insertion order and of the hash seed.
            items = sorted(self.digest(k, [*path, f"key {k!r}"]) + self.digest(v, [*path, f"[{k!r}]"])
                           for k, v in obj.items())
            return self._put(b"D", b"".join(items))
        if isinstance(obj, (set, frozenset)):
            return self._put(b"S", b"".join(sorted(self.digest(v, [*path, "item"]) for v in obj)))
        handler = self._find_handler(cls)
        if handler is not None:
            self._put(b"H", _type_name(cls).encode())
            return self.feed(handler(obj), [*path, _type_name(cls)])
        if (cls.__module__ or "").startswith("arrowdata.") and isinstance(getattr(obj, "_fingerprint", None), str):
            # A Dataset read by a function counts by its fingerprint, never by its rows.
            return self._put(b"A", obj._fingerprint.encode())
        for kinds, method in _DISPATCH:
            if isinstance(obj, kinds):
                return method(self, obj, path)
        self._feed_instance(obj, cls, path)

    @staticmethod
    def _find_handler(cls: type) -> Callable[[Any], Any] | None:
        for base in cls.__mro__:
            handler = _BY_NAME.get(_type_name(base))
            if handler is not None:
                return handler
        return None

    # -- memoized identities (functions, classes, modules are hashed once per run)
    def _memoized(self, obj: Any, compute: Callable[[], bytes]) -> bytes:
        hit = self._memo.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = compute()
        self._memo[id(obj)] = (obj, value)
        return value

    def _feed_module(self, module: types.ModuleType, path: list[str]) -> None:
        self._put(b"M", self._memoized(module, lambda: self._module_identity(module)))

    def _module_identity(self, module: types.ModuleType) -> bytes:
        name = module.__name__
        if _module_kind(name) == "library" or name == "__main__" and not getattr(module, "__file__", None):
            return f"lib:{name}:{_library_version(name)}".encode()
        # The user's own module counts by its source text, never by where it lives.
        try:
            with open(module.__file__, "rb") as f:  # type: ignore[arg-type]
                return b"usermod:" + name.encode() + xxhash.xxh3_128_digest(f.read())
        except OSError:
            return f"usermod:{name}".encode()

    def _class_identity(self, cls: type) -> bytes:
        mod = getattr(cls, "__module__", "builtins") or "builtins"
        if _module_kind(mod) == "library":
            return f"lib:{mod}.{cls.__qualname__}:{_library_version(mod)}".encode()
        return self._memoized(cls, lambda: self._user_class_digest(cls))

    def _user_class_digest(self, cls: type) -> bytes:
        path = [f"class {cls.__qualname__}"]
        parts = [b"class", cls.__qualname__.encode()]
        parts += [self._class_identity(b) for b in cls.__bases__ if b is not object]
        for name in sorted(vars(cls)):
            value = vars(cls)[name]
            dunder = name.startswith("__") and name.endswith("__")
            # Dunder data (dataclass fields, match args...) is bookkeeping; dunder methods are behaviour.
            if name not in _SKIP_CLASS_ATTRS and (not dunder or isinstance(value, _METHOD_LIKE)):
                parts.append(name.encode() + self.digest(vars(cls)[name], [*path, f"attribute {name!r}"]))
        return xxhash.xxh3_128_digest(b"\0".join(parts))

    def _feed_class(self, cls: type, path: list[str]) -> None:
        self._put(b"C", self._class_identity(cls))

    def _feed_function(self, fn: types.FunctionType, path: list[str]) -> None:
        mod = getattr(fn, "__module__", None) or ""
        if mod and _module_kind(mod) == "library":
            return self._put(b"F", f"lib:{mod}.{fn.__qualname__}:{_library_version(mod)}".encode())
        self._put(b"F", self._memoized(fn, lambda: _combine(self.function_components(fn, path))))

    def function_components(self, fn: Callable, path: list[str]) -> dict[str, bytes]:
        """Digests of the parts of a user function: code, defaults, each closure value, each global."""
        parts: dict[str, bytes] = {"code": self.digest(fn.__code__, [*path, "code"])}
        if fn.__defaults__:
            for i, value in enumerate(fn.__defaults__):
                name = _default_name(fn.__code__, i, len(fn.__defaults__))
                parts[f"default {name!r}"] = self.digest(value, [*path, f"default {name!r}"])
        for name, value in sorted((fn.__kwdefaults__ or {}).items()):
            parts[f"default {name!r}"] = self.digest(value, [*path, f"default {name!r}"])
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: the variable is assigned later
                parts[f"closure {name!r}"] = b"<empty>"
                continue
            parts[f"closure {name!r}"] = self.digest(value, [*path, f"closure {name!r}"])
        fn_globals = getattr(fn, "__globals__", {})
        for name in _global_names(fn.__code__):
            if name in fn_globals:
                parts[f"global {name!r}"] = self.digest(fn_globals[name], [*path, f"global {name!r}"])
        return parts

    def _feed_code(self, code: types.CodeType, path: list[str]) -> None:
        # Names, file names and line numbers are left out: moving a function keeps its key.
        self._put(b"B", code.co_code)
        self._put(b"n", struct.pack("<5q", code.co_argcount, code.co_posonlyargcount,
                                    code.co_kwonlyargcount, code.co_flags, code.co_nlocals))
        for group in (code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars):
            self._put(b"N", "\0".join(group).encode())
        self._put(b"c", str(len(code.co_consts)).encode())
        for i, const in enumerate(code.co_consts):
            self.feed(const, [*path, f"constant {i}"])

    def _feed_builtin(self, fn: types.BuiltinFunctionType, path: list[str]) -> None:
        owner = getattr(fn, "__self__", None)
        if owner is None or isinstance(owner, types.ModuleType):
            mod = getattr(fn, "__module__", None) or getattr(owner, "__name__", "builtins")
            return self._put(b"b", f"{mod}.{fn.__qualname__}:{_library_version(mod)}".encode())
        # A bound builtin such as `vocab.get`: its behaviour depends on the object it is bound to.
        self._put(b"b", fn.__name__.encode())
        self.feed(owner, [*path, f"bound to {_type_name(type(owner))}"])

    def _feed_method(self, m: types.MethodType, path: list[str]) -> None:
        self._put(b"m")
        self.feed(m.__func__, [*path, "method"])
        self.feed(m.__self__, [*path, "self"])

    def _feed_partial(self, p: functools.partial, path: list[str]) -> None:
        self._put(b"p")
        self.feed(p.func, [*path, "partial function"])
        self.feed(p.args, [*path, "partial args"])
        self.feed(p.keywords, [*path, "partial keywords"])

    def _feed_descriptor(self, obj: Any, path: list[str]) -> None:
        self._put(b"x", type(obj).__name__.encode())
        if isinstance(obj, property):
            for part in (obj.fget, obj.fset, obj.fdel):
                self.feed(part, [*path, "property"])
        else:
            self.feed(obj.__func__, [*path, type(obj).__name__])

    def _feed_value(self, obj: Any, path: list[str]) -> None:
        # Standard-library value types whose repr is exact and canonical.
        self._put(b"V", (_type_name(type(obj)) + ":" + repr(obj)).encode())

    def _feed_path(self, obj: pathlib.PurePath, path: list[str]) -> None:
        self._put(b"Q", str(obj).encode())

    def _feed_enum(self, obj: enum.Enum, path: list[str]) -> None:
        self._put(b"E", self._class_identity(type(obj)) + obj.name.encode())

    def _feed_pattern(self, obj: re.Pattern, path: list[str]) -> None:
        self._put(b"R", str(obj.flags).encode())
        self.feed(obj.pattern, path)

    def _feed_instance(self, obj: Any, cls: type, path: list[str]) -> None:
        if dataclasses.is_dataclass(obj):
            self._put(b"d", self._class_identity(cls))
            for f in dataclasses.fields(obj):
                self._put(b"k", f.name.encode())
                self.feed(getattr(obj, f.name), [*path, f"field {f.name!r}"])
            return
        if isinstance(obj, tuple):  # a named tuple
            self._put(b"t", self._class_identity(cls))
            for i, item in enumerate(obj):
                self.feed(item, [*path, f"[{i}]"])
            return
        mod = getattr(cls, "__module__", "") or ""
        if _module_kind(mod) == "library":
            named = _resolvable_name(obj)
            if named is not None:  # e.g. numpy 2's `np.sum`, a callable object with a public name
                return self._put(b"F", f"lib:{named}:{_library_version(named)}".encode())
            # Instances of library classes may keep state in C; their __dict__ would lie.
            raise UnhashableError(path, cls, "register a hasher with arrowdata.fingerprint.register_hasher "
                                             "or pass cache_key=")
        self._put(b"O", self._class_identity(cls))
        state = dict(getattr(obj, "__dict__", {}))
        for slot_owner in cls.__mro__:
            for slot in getattr(slot_owner, "__slots__", ()):
                if isinstance(slot, str) and hasattr(obj, slot) and slot not in ("__dict__", "__weakref__"):
                    state[slot] = getattr(obj, slot)
        for name in sorted(state):
            self._put(b"k", name.encode())
            self.feed(state[name], [*path, f"attribute {name!r}"])


_DISPATCH: list[tuple[Any, Callable]] = [
    (types.FunctionType, _Hasher._feed_function),
    (types.CodeType, _Hasher._feed_code),
    (types.ModuleType, _Hasher._feed_module),
    (type, _Hasher._feed_class),
    ((types.BuiltinFunctionType, types.BuiltinMethodType), _Hasher._feed_builtin),
    (types.MethodType, _Hasher._feed_method),
    (functools.partial, _Hasher._feed_partial),
    ((staticmethod, classmethod, property), _Hasher._feed_descriptor),
    (enum.Enum, _Hasher._feed_enum),
    (pathlib.PurePath, _Hasher._feed_path),
    (re.Pattern, _Hasher._feed_pattern),
    ((complex, range, slice, decimal.Decimal, fractions.Fraction, uuid.UUID, datetime.date,
      datetime.time, datetime.timedelta, datetime.timezone), _Hasher._feed_value),
]


def _resolvable_name(obj: Any) -> str | None:
    """``module.qualname`` when that name leads back to ``obj`` itself (a library's public object)."""
    mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(mod, str) or not isinstance(qual, str) or mod not in sys.modules:
        return None
    target: Any = sys.modules[mod]
    for part in qual.split("."):
        target = getattr(target, part, None)
    return f"{mod}.{qual}" if target is obj else None


_METHOD_LIKE = (types.FunctionType, staticmethod, classmethod, property)


def _combine(parts: dict[str, bytes]) -> bytes:
    return xxhash.xxh3_128_digest(b"".join(k.encode() + b"\0" + v for k, v in sorted(parts.items())))


def _default_name(code: types.CodeType, i: int, n_defaults: int) -> str:
    positional = code.co_varnames[:code.co_argcount]
    return positional[len(positional) - n_defaults + i]


def _global_names(code: types.CodeType) -> list[str]:
    """Names a code object (and the code nested in it) may read as globals, in first-use order."""
    seen: dict[str, None] = {}
    stack = [code]
    while stack:
        c = stack.pop(0)
        for name in c.co_names:
            seen.setdefault(name, None)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return list(seen)


# ----------------------------------------------------------------------------- public API

def hash_object(obj: Any, label: str = "value") -> str:
    """The content hash of ``obj`` as 32 hex characters.

    Raises:
        UnhashableError: something reached from ``obj`` cannot be hashed by content;
            the message is the path to it, starting at ``label``.

    Example:
        >>> hash_object({"b": 1, "a": [1.5, None]}) == hash_object({"a": [1.5, None], "b": 1})
        True
    """
    return _Hasher().digest(obj, [label]).hex()


def function_components(fn: Callable, label: str = "function") -> dict[str, str]:
    """The hashed parts of a function's identity, for explaining cache misses.

    A user function gives ``{"code": ..., "default 'x'": ..., "closure 'k'": ..., "global 'g'": ...}``;
    anything else (a library function, a callable object, a partial) gives ``{"callable": ...}``.

    Raises:
        UnhashableError: naming the path to the culprit, e.g. ``function -> closure 'model' -> ...``.

    Example:
        >>> def scale(k):
        ...     return lambda x: x * k
        >>> sorted(function_components(scale(2)))
        ["closure 'k'", 'code']
        >>> function_components(scale(2)) == function_components(scale(3))
        False
    """
    hasher = _Hasher()
    if isinstance(fn, types.FunctionType) and _module_kind(getattr(fn, "__module__", "") or "") != "library":
        return {k: v.hex() for k, v in hasher.function_components(fn, [label]).items()}
    return {"callable": hasher.digest(fn, [label]).hex()}


def derive_fingerprint(parent: str, op: str, args: dict[str, Any]) -> str:
    """Fingerprint of ``op(parent, **args)``: the same inputs give the same string in every process.

    ``args`` are the operation's canonical arguments (the ones that change the data);
    values are hashed by content. Argument order does not matter.

    Raises:
        UnhashableError: an argument cannot be hashed by content.

    Example:
        >>> fp = derive_fingerprint("0" * 32, "select", {"indices": [3, 1]})
        >>> len(fp), fp == derive_fingerprint("0" * 32, "select", {"indices": [1, 3]})
        (32, False)
    """
    hasher = _Hasher()
    return hasher.digest(("fingerprint-v1", parent, op, args), [f"{op} arguments"]).hex()

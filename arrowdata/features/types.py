"""Feature types: what each column holds, beyond its raw Arrow type.

A feature is a ``Value`` (one Arrow primitive), a ``ClassLabel`` (integers with names),
a ``List``/``LargeList`` (variable or fixed length), an ``Array2D``..``Array5D`` (fixed
shape tensors, first dimension may be ``None``), or a plain ``dict`` of features (a struct).
``Features`` maps column names to features.

Example:
    >>> f = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    >>> f["label"].str2int("pos")
    1
    >>> f.arrow_schema.field("label").type
    DataType(int64)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import pyarrow as pa

from .dtypes import dtype_to_arrow

FeatureType = Any  # Value | ClassLabel | List | LargeList | ArrayND | dict[str, FeatureType]


@dataclass
class Value:
    """One Arrow primitive per row: ``Value("int64")``, ``Value("string")``, ``Value("timestamp[us]")``.

    Example:
        >>> Value("float").dtype
        'float32'
    """

    dtype: str
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "Value"

    def __post_init__(self) -> None:
        if not isinstance(self.dtype, str):
            raise TypeError(f"Value(dtype=...) takes a dtype string such as 'int64', got {self.dtype!r}")
        # Normalise aliases so that equal features compare equal.
        from .dtypes import arrow_to_dtype

        self.dtype = arrow_to_dtype(dtype_to_arrow(self.dtype))

    @property
    def arrow_type(self) -> pa.DataType:
        return dtype_to_arrow(self.dtype)


@dataclass
class ClassLabel:
    """Integer class labels with names; stored as ``int64``, ``-1`` for unknown.

    Build from ``names``, ``num_classes`` (names ``"0".."n-1"``) or ``names_file`` (one per line).

    Example:
        >>> c = ClassLabel(names=["neg", "pos"])
        >>> c.str2int(["pos", "neg"]), c.int2str(1), c.num_classes
        ([1, 0], 'pos', 2)
    """

    num_classes: int | None = None
    names: list[str] | None = None
    names_file: str | None = field(default=None, repr=False)
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "ClassLabel"
    dtype: ClassVar[str] = "int64"  # the storage dtype, as HF reports it

    def __post_init__(self) -> None:
        if self.names_file is not None:
            if self.names is not None:
                raise ValueError("ClassLabel: give names or names_file, not both")
            with open(self.names_file, encoding="utf-8") as f:
                self.names = [line.strip() for line in f if line.strip()]
            self.names_file = None
        if self.names is None:
            if self.num_classes is None:
                raise ValueError("ClassLabel needs names=, num_classes= or names_file=")
            self.names = [str(i) for i in range(self.num_classes)]
        self.names = [str(n) for n in self.names]
        if self.num_classes is not None and self.num_classes != len(self.names):
            raise ValueError(f"ClassLabel: num_classes={self.num_classes} but {len(self.names)} names were given")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"ClassLabel: duplicate names in {self.names}")
        self.num_classes = len(self.names)
        self._index = {n: i for i, n in enumerate(self.names)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClassLabel) and self.names == other.names

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.int64()

    def str2int(self, values: str | Iterable[str]) -> int | list[int]:
        """Label name(s) to integer(s). Digits strings of a valid index are accepted too."""
        if isinstance(values, str):
            return self._one_str2int(values)
        return [self._one_str2int(v) for v in values]

    def _one_str2int(self, value: str) -> int:
        value = str(value)
        if value in self._index:
            return self._index[value]
        stripped = value.strip()
        if stripped in self._index:
            return self._index[stripped]
        if stripped.lstrip("-").isdigit() and -1 <= int(stripped) < self.num_classes:
            return int(stripped)
        raise ValueError(f"Invalid label {value!r}: known labels are {self.names}")

    def int2str(self, values: int | Iterable[int]) -> str | list[str]:
        """Integer(s) to label name(s); ``ValueError`` outside ``0..num_classes-1``."""
        if isinstance(values, (int,)) or hasattr(values, "__index__"):
            return self._one_int2str(int(values))
        return [self._one_int2str(int(v)) for v in values]

    def _one_int2str(self, value: int) -> str:
        if not 0 <= value < self.num_classes:
            raise ValueError(f"Invalid class index {value}: must be in 0..{self.num_classes - 1}")
        return self.names[value]

    def encode_example(self, value: Any) -> int | None:
        """A label as stored: names become integers, integers are range-checked."""
        if value is None:
            return None
        if isinstance(value, str):
            return self._one_str2int(value)
        value = int(value)
        if not -1 <= value < self.num_classes:
            raise ValueError(f"Class label {value} outside -1..{self.num_classes - 1} (names {self.names})")
        return value


@dataclass
class List:
    """A list of ``feature`` per row; ``length=-1`` is variable, ``length=n`` is fixed (Arrow fixed_size_list).

    Example:
        >>> List(Value("int32")).arrow_type
        ListType(list<item: int32>)
        >>> List(Value("float32"), length=3).arrow_type
        FixedSizeListType(fixed_size_list<item: float>[3])
    """

    feature: FeatureType
    length: int = -1
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "List"

    @property
    def arrow_type(self) -> pa.DataType:
        inner = arrow_type_of(self.feature)
        return pa.list_(inner, self.length) if self.length >= 0 else pa.list_(inner)


@dataclass
class LargeList:
    """A list with 64-bit offsets (for lists whose values exceed 2**31 in one chunk).

    Example:
        >>> LargeList(Value("int64")).arrow_type
        LargeListType(large_list<item: int64>)
    """

    feature: FeatureType
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "LargeList"

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.large_list(arrow_type_of(self.feature))


def Sequence(feature: FeatureType, length: int = -1, id: str | None = None) -> Any:  # noqa: N802 - a type name
    """A list of ``feature``; a dict of features becomes a dict of lists (the TFDS convention).

    Example:
        >>> Sequence(Value("int8"))
        List(feature=Value(dtype='int8'), length=-1)
        >>> sorted(Sequence({"a": Value("int8")}))
        ['a']
    """
    if isinstance(feature, dict):
        return {k: v if isinstance(v, List) else List(v, length=length) for k, v in feature.items()}
    return List(feature, length=length, id=id)


@dataclass
class _ArrayND:
    """A fixed-shape tensor per row; the first dimension may be ``None`` (variable)."""

    shape: tuple
    dtype: str
    id: str | None = field(default=None, repr=False)
    ndims: ClassVar[int] = 0
    _type: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.shape = tuple(self.shape)
        if len(self.shape) != self.ndims:
            raise ValueError(f"{self._type} needs a shape of {self.ndims} dimensions, got {self.shape}")
        if any(d is None for d in self.shape[1:]):
            raise ValueError(f"{self._type}: only the first dimension may be None, got {self.shape}")
        self.dtype = Value(self.dtype).dtype

    @property
    def arrow_type(self) -> pa.DataType:
        # Variable lists, as HF `datasets` stores them, so the storage matches its extension types.
        t = dtype_to_arrow(self.dtype)
        for _ in self.shape:
            t = pa.list_(t)
        return t

    @property
    def extension_name(self) -> str:
        return f"datasets.features.features.{self._type}ExtensionType"


@dataclass
class Array2D(_ArrayND):
    """A 2-D tensor per row. Example: ``Array2D(shape=(2, 3), dtype="float32")``."""

    ndims: ClassVar[int] = 2
    _type: ClassVar[str] = "Array2D"


@dataclass
class Array3D(_ArrayND):
    """A 3-D tensor per row. Example: ``Array3D(shape=(None, 2, 3), dtype="int32")``."""

    ndims: ClassVar[int] = 3
    _type: ClassVar[str] = "Array3D"


@dataclass
class Array4D(_ArrayND):
    """A 4-D tensor per row."""

    ndims: ClassVar[int] = 4
    _type: ClassVar[str] = "Array4D"


@dataclass
class Array5D(_ArrayND):
    """A 5-D tensor per row."""

    ndims: ClassVar[int] = 5
    _type: ClassVar[str] = "Array5D"


ARRAY_TYPES = {cls.ndims: cls for cls in (Array2D, Array3D, Array4D, Array5D)}


@dataclass
class Translation:
    """One text per language per row, for fixed languages: a struct of strings (fields sorted).

    Example:
        >>> Translation(languages=["fr", "en"]).arrow_type
        StructType(struct<en: string, fr: string>)
    """

    languages: list
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "Translation"
    dtype: ClassVar[str] = "dict"

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.struct([pa.field(lang, pa.string()) for lang in sorted(self.languages)])

    def flatten(self) -> dict:
        return {lang: Value("string") for lang in sorted(self.languages)}


@dataclass
class TranslationVariableLanguages:
    """Translations whose languages vary per row, stored as ``{"language": [...], "translation": [...]}``
    sorted by language (a language may have several texts).

    Example:
        >>> TranslationVariableLanguages(languages=["en", "fr"]).encode_example({"fr": ["b", "a"], "en": "c"})
        {'language': ['en', 'fr', 'fr'], 'translation': ['c', 'a', 'b']}
    """

    languages: list | None = None
    num_languages: int | None = None
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "TranslationVariableLanguages"
    dtype: ClassVar[str] = "dict"

    def __post_init__(self) -> None:
        self.languages = sorted(set(self.languages)) if self.languages else None
        self.num_languages = len(self.languages) if self.languages else None

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.struct([pa.field("language", pa.list_(pa.string())), pa.field("translation", pa.list_(pa.string()))])

    def encode_example(self, value: dict | None) -> dict | None:
        """``{lang: text or [texts]}`` as sorted ``language``/``translation`` lists; unknown languages raise."""
        if value is None:
            return None
        if set(value) == {"language", "translation"}:
            return {"language": list(value["language"]), "translation": list(value["translation"])}
        value = {lang: texts for lang, texts in value.items() if texts is not None}  # absent from this row
        unknown = sorted(set(value) - set(self.languages or value))
        if unknown:
            raise ValueError(f"languages {unknown} are not in this feature's languages {self.languages}")
        pairs = sorted((lang, text) for lang, texts in value.items()
                       for text in ([texts] if isinstance(texts, str) else texts))
        return {"language": [p[0] for p in pairs], "translation": [p[1] for p in pairs]}

    def flatten(self) -> dict:
        return {"language": List(Value("string")), "translation": List(Value("string"))}


@dataclass
class Json:
    """Any JSON value per row (objects of varying keys, mixed types), stored as JSON text.

    ``encode_example`` turns a value into its JSON text; ``decode_example`` parses it back.

    Example:
        >>> Json().encode_example({"a": [1, "x"]}), Json().decode_example('{"a": [1, "x"]}')
        ('{"a":[1,"x"]}', {'a': [1, 'x']})
    """

    decode: bool = True
    id: str | None = field(default=None, repr=False)
    _type: ClassVar[str] = "Json"
    dtype: ClassVar[str] = "json"

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.string()  # HF writes Arrow's json extension type, whose storage is this

    def encode_example(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                json.loads(value)
                return value  # already JSON text
            except ValueError:
                pass
        return json.dumps(value, separators=(",", ":"))  # compact, as HF writes it

    def decode_example(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


def arrow_type_of(feature: FeatureType) -> pa.DataType:
    """The in-memory Arrow type of a feature (Array features as their nested-list storage)."""
    if isinstance(feature, dict):
        return pa.struct([pa.field(k, arrow_type_of(v)) for k, v in feature.items()])
    arrow_type = getattr(feature, "arrow_type", None)
    if arrow_type is not None:
        return arrow_type
    raise TypeError(f"{feature!r} is not a feature type (Value, ClassLabel, List, Array2D..., or a dict)")


class Features(dict):
    """Column name → feature, in column order.

    Example:
        >>> f = Features({"a": Value("int64"), "b": List(Value("string"))})
        >>> Features.from_dict(f.to_dict()) == f
        True
    """

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema, with the features JSON in its metadata (key ``huggingface``)."""
        from .serialization import schema_metadata

        schema = pa.schema([pa.field(k, arrow_type_of(v)) for k, v in self.items()])
        return schema.with_metadata(schema_metadata(self))

    @property
    def type(self) -> pa.StructType:
        return pa.struct([pa.field(k, arrow_type_of(v)) for k, v in self.items()])

    def to_dict(self) -> dict:
        """The JSON-ready form, identical to Hugging Face ``datasets``' ``Features.to_dict()``."""
        from .serialization import feature_to_json

        return {k: feature_to_json(v) for k, v in self.items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Features":
        """Features from their JSON form (``to_dict`` output, or HF ``dataset_info.json``'s ``features``)."""
        from .serialization import feature_from_json

        return cls({k: feature_from_json(v, path=k) for k, v in data.items()})

    @classmethod
    def from_arrow_schema(cls, schema: pa.Schema) -> "Features":
        """Features stored in the schema metadata, else inferred from the Arrow types."""
        from .inference import features_from_schema

        return features_from_schema(schema)

    def copy(self) -> "Features":
        import copy

        return copy.deepcopy(self)

    def __repr__(self) -> str:
        return f"Features({dict.__repr__(self)})"

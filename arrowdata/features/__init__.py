"""Feature types, their JSON form (identical to Hugging Face ``datasets``), inference and casting.

Example:
    >>> from arrowdata.features import Features, Value, ClassLabel, List, Array2D
    >>> Features({"label": ClassLabel(names=["a", "b"])}).to_dict()
    {'label': {'names': ['a', 'b'], '_type': 'ClassLabel'}}
"""
from .cast import cast_array, cast_table, conform_table
from .dtypes import arrow_to_dtype, dtype_to_arrow
from .inference import feature_from_arrow_type, features_from_schema, storage_type
from .serialization import Opaque, feature_from_json, feature_to_json, schema_metadata
from .types import (Array2D, Array3D, Array4D, Array5D, ClassLabel, Features, FeatureType, Json, LargeList, List,
                    Sequence, Translation, TranslationVariableLanguages, Value, arrow_type_of)

__all__ = ["Array2D", "Array3D", "Array4D", "Array5D", "ClassLabel", "Features", "FeatureType", "Json", "LargeList",
           "List", "Opaque", "Sequence", "Translation", "TranslationVariableLanguages", "Value", "arrow_to_dtype",
           "arrow_type_of", "cast_array", "cast_table", "conform_table", "dtype_to_arrow", "feature_from_arrow_type", "feature_from_json", "feature_to_json",
           "features_from_schema", "schema_metadata", "storage_type"]

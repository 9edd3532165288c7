"""HF 5 feature types and keywords: Json, Translation, TranslationVariableLanguages, ClassLabel.dtype,
try_original_type / on_mixed_types; JSON forms identical to the installed ``datasets``."""
from __future__ import annotations

import pytest

import arrowdata
from arrowdata import ClassLabel, Dataset, Features, Json, Translation, TranslationVariableLanguages, Value
from arrowdata.errors import ArrowDataError
from arrowdata.features.compact import compact_token_column, smallest_int_type
from arrowdata.features.retain import retain_feature, same_kind

hf = pytest.importorskip("datasets")

import pyarrow as pa  # noqa: E402


@pytest.mark.parametrize("ours, theirs", [
    (lambda: Translation(languages=["fr", "en"]), lambda: hf.Translation(languages=["fr", "en"])),
    (lambda: TranslationVariableLanguages(languages=["fr", "en", "fr"]),
     lambda: hf.TranslationVariableLanguages(languages=["fr", "en", "fr"])),
    (lambda: Json(), lambda: hf.Json()),
    (lambda: ClassLabel(names=["a", "b"]), lambda: hf.ClassLabel(names=["a", "b"])),
])
def test_json_forms_match_hf_and_round_trip(ours, theirs):
    mine, rival = Features({"c": ours()}), hf.Features({"c": theirs()})
    assert mine.to_dict() == rival.to_dict()
    assert Features.from_dict(rival.to_dict()) == mine
    assert mine.arrow_schema.field("c").type == hf.Features.from_dict(mine.to_dict()).arrow_schema.field("c").type \
        or isinstance(mine["c"], Json)  # HF stores Json as Arrow's json extension over the same string storage


def test_classlabel_dtype_is_hf_s():
    assert ClassLabel(names=["x"]).dtype == hf.ClassLabel(names=["x"]).dtype == "int64"


def test_translation_columns_store_like_hf():
    rows = {"t": [{"en": "the cat", "fr": ["le chat", "la chatte"]}, {"de": "die Katze"}]}
    ours = Dataset.from_dict(rows, features=Features({"t": TranslationVariableLanguages(["en", "fr", "de"])}))
    theirs = hf.Dataset.from_dict(rows, features=hf.Features({"t": hf.TranslationVariableLanguages(["en", "fr", "de"])}))
    assert ours["t"] == theirs["t"]
    with pytest.raises(ArrowDataError, match="'t'.*it"):
        Dataset.from_dict({"t": [{"it": "gatto"}]}, features=Features({"t": TranslationVariableLanguages(["en"])}))
    fixed = {"t": [{"en": "a", "fr": "b"}]}
    assert Dataset.from_dict(fixed, features=Features({"t": Translation(["fr", "en"])}))["t"] == \
        hf.Dataset.from_dict(fixed, features=hf.Features({"t": hf.Translation(["fr", "en"])}))["t"]


def test_json_feature_encodes_any_value_and_survives_save(tmp_path):
    ds = Dataset.from_dict({"j": ['{"a": 1}', None, "[1, \"x\"]"]}, features=Features({"j": Json()}))
    ds.save_to_disk(str(tmp_path))
    back = arrowdata.load_from_disk(str(tmp_path))
    assert back.features["j"] == Json()
    assert back["j"] == [r["j"] for r in back.to_list()] and back[0]["j"] == {"a": 1}  # read back as Python values
    assert back["j"] == [{"a": 1}, None, [1, "x"]] and list(back)[2] == {"j": [1, "x"]}
    assert back.data.column("j").to_pylist() == ['{"a": 1}', None, '[1, "x"]']  # stored as JSON text
    assert back.to_pandas()["j"].tolist() == [{"a": 1}, None, [1, "x"]]
    assert Json().encode_example("not json") == '"not json"'


def test_json_values_of_any_shape_like_hf():
    data = {"col": [{"a": {"b": {"c": 1}}, "d": [2, {"e": 3}]}, {"z": "q"}]}
    ours = Dataset.from_dict(data, features=Features({"col": Json()}))
    theirs = hf.Dataset.from_dict(data, features=hf.Features({"col": hf.Json()}))
    assert ours.to_list() == theirs.to_list() and ours.to_dict() == theirs.to_dict()
    nested = {"a": [[{"b": 0}, {"c": 0}]]}
    ours = Dataset.from_dict(nested, features=Features({"a": arrowdata.List(Json())}))
    assert ours[0] == {"a": nested["a"][0]} and ours.features.to_dict() == hf.Features({"a": hf.List(hf.Json())}).to_dict()

    def tag(row):  # changes the decoded dicts in place and returns the row, as HF's docs show
        for item in row["a"]:
            item["d"] = "foo"
        return row

    assert ours.map(tag)[0] == {"a": [{"b": 0, "d": "foo"}, {"c": 0, "d": "foo"}]}


def test_on_mixed_types_use_json_like_hf():
    mixed = {"mixed_type": [-1, 1, "foo"], "mix_struct_and_non_struct": [{"a": 0}, [0]],
             "mixed_dict_keys": [{"a": 0}, {"b": 0}, {"c": 0}], "mixed_dict_keys2": [[{"a": 0}, {"b": 0}], [{"c": 0}]]}
    base = Dataset.from_dict({"x": [1, 2]})
    out = base.map(lambda r: mixed, on_mixed_types="use_json", remove_columns=["x"])
    assert out[0] == mixed == out[1] and isinstance(out.features["mixed_type"], Json)
    assert out.map(lambda r: {"n": len(r["mixed_type"])})["n"] == [3, 3]  # the function sees Python values
    with pytest.raises(ValueError, match="mixed_type"):
        base.map(lambda r: {"mixed_type": mixed["mixed_type"]}, on_mixed_types=None)
    built = Dataset.from_dict({"m": [1, "x", {"k": [1]}]}, on_mixed_types="use_json")
    assert built["m"] == [1, "x", {"k": [1]}] and isinstance(built.features["m"], Json)
    assert Dataset.from_list([{"m": 1}, {"m": "x"}], on_mixed_types="use_json")["m"] == [1, "x"]


def test_retain_feature_rules():
    label = ClassLabel(names=["a", "b"])
    assert retain_feature(pa.array([0, 1, None]), label, "y").to_pylist() == [0, 1, None]
    assert retain_feature(pa.array([2]), label, "y") is None
    assert retain_feature(pa.array([1, 2]), Value("float32"), "x").type == pa.float32()
    assert retain_feature(pa.array([1, 2]), Value("string"), "x") is None  # numbers never become text
    assert retain_feature(pa.array(["1"]), Value("int64"), "x") is None  # nor text numbers
    assert retain_feature(pa.array([2**40]), Value("int32"), "x") is None  # overflow: inferred type kept
    assert retain_feature(pa.array([None, None]), Value("int8"), "x").type == pa.int8()
    assert same_kind(pa.list_(pa.int64()), pa.list_(pa.int8())) and not same_kind(pa.list_(pa.int64()), pa.int8())
    assert not same_kind(pa.struct([("a", pa.int64())]), pa.struct([("b", pa.int64())]))


def test_compaction_is_exact_and_only_for_token_columns():
    ids = pa.array([[0, 2**31 - 1], [5]])
    assert compact_token_column("input_ids", ids).type == pa.list_(pa.int32())
    assert compact_token_column("input_ids", pa.array([[2**31]])).type == pa.list_(pa.int64())
    assert compact_token_column("attention_mask", pa.array([[[1, 0]]])).type == pa.list_(pa.list_(pa.int8()))
    assert compact_token_column("attention_mask", pa.array([1.0])).type == pa.float64()  # not ints: untouched
    assert compact_token_column("other", pa.array([1])).type == pa.int64()
    assert smallest_int_type(pa.array([-129]), pa.int8()) == pa.int16()
    assert smallest_int_type(pa.array([None], pa.int64()), pa.int8()) == pa.int8()
    for array in (ids, pa.array([[-5, 300], None])):
        assert compact_token_column("token_type_ids", array).to_pylist() == array.to_pylist()


def test_map_keywords_of_hf_5_are_accepted():
    ds = Dataset.from_dict({"x": [1, 2]}, features=Features({"x": Value("int16")}))
    assert ds.map(lambda r: {"x": r["x"]}, try_original_type=True).features["x"] == Value("int16")
    assert ds.map(lambda r: {"x": r["x"]}, try_original_type=False).features["x"] == Value("int64")
    assert ds.map(lambda r: {"x": r["x"]}, on_mixed_types="use_json", disable_nullable=True)["x"] == [1, 2]
    with pytest.raises(ValueError, match="on_mixed_types"):
        ds.map(lambda r: r, on_mixed_types="yes")
    assert ds.map(lambda r: {"y": 1}, new_fingerprint="fixed").fingerprint == \
        ds.map(lambda r: {"y": 2}, new_fingerprint="fixed").fingerprint


def test_empty_dicts_are_json_under_use_json():
    ds = Dataset.from_dict({"e": [{}]}, on_mixed_types="use_json")
    assert ds[:] == {"e": [{}]} and ds.features["e"] == Json()
    assert ds.features.to_dict() == hf.Dataset.from_dict({"e": [{}]}, on_mixed_types="use_json").features.to_dict()

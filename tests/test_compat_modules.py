"""The module layout and exception types HF ``datasets`` scripts rely on: top-level names,
``arrowdata.utils.logging``, the progress-bar switch, ``arrowdata.features``, and exceptions that
are instances of the builtin type HF raises for the same mistake."""
from __future__ import annotations

import builtins
import logging

import pytest

import arrowdata
from arrowdata import Dataset, DatasetDict

hf = pytest.importorskip("datasets")

# names a script written for HF uses after `import datasets` (streaming names are the streaming issue's)
TOP_LEVEL = ["load_dataset", "load_from_disk", "Dataset", "DatasetDict", "Features", "Value", "ClassLabel",
             "Sequence", "List", "LargeList", "Array2D", "Array3D", "Translation", "TranslationVariableLanguages",
             "Json", "DatasetInfo", "NamedSplit", "Split", "ReadInstruction", "concatenate_datasets",
             "interleave_datasets",
             "disable_caching", "enable_caching", "is_caching_enabled", "disable_progress_bar",
             "enable_progress_bar", "disable_progress_bars", "enable_progress_bars", "is_progress_bar_enabled",
             "are_progress_bars_disabled", "config", "features", "utils"]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_names_exist_where_hf_has_them(name):
    assert hasattr(hf, name)
    assert hasattr(arrowdata, name), f"arrowdata.{name} is missing"


def test_submodules_import_as_in_hf():
    import arrowdata.features as features
    from arrowdata.splits import NamedSplit, Split
    from arrowdata.utils import logging as ad_logging

    assert features.Features is arrowdata.Features and features.ClassLabel is arrowdata.ClassLabel
    assert NamedSplit is arrowdata.NamedSplit and Split is arrowdata.Split
    hf_names = {n for n in dir(hf.utils.logging) if not n.startswith("_") and n not in ("os", "logging", "Optional")}
    assert hf_names <= set(dir(ad_logging))


def test_verbosity_controls_arrowdata_loggers(caplog):
    from arrowdata.utils import logging as ad_logging

    try:
        ad_logging.set_verbosity_info()
        assert ad_logging.get_verbosity() == ad_logging.INFO == logging.INFO
        assert ad_logging.get_logger("arrowdata.io.load").isEnabledFor(logging.INFO)
        ad_logging.set_verbosity_error()
        assert not ad_logging.get_logger("arrowdata.io.load").isEnabledFor(logging.WARNING)
        assert ad_logging.get_logger().name == "arrowdata"
        ad_logging.set_verbosity(ad_logging.DEBUG)
        with caplog.at_level(logging.DEBUG, logger="arrowdata"):
            Dataset.from_dict({"a": [1]}).map(lambda r: r)
        assert ad_logging.get_verbosity() == logging.DEBUG
    finally:
        ad_logging.set_verbosity_warning()


def test_progress_bar_switch_reaches_every_bar(monkeypatch, tmp_path):
    import tqdm.auto

    made = []

    class Recorder(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            made.append(kwargs.get("disable"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    p = tmp_path / "a.csv"
    p.write_text("x\n1\n2\n")
    try:
        arrowdata.disable_progress_bars()
        assert arrowdata.are_progress_bars_disabled() and not arrowdata.is_progress_bar_enabled()
        ds = arrowdata.load_dataset("csv", data_files=str(p), split="train")
        ds.map(lambda r: {"y": r["x"] * 2}).save_to_disk(str(tmp_path / "out"))
        assert made and all(d is True for d in made)
        made.clear()
        arrowdata.enable_progress_bar()  # HF's singular spelling
        Dataset.from_dict({"a": [1, 2]}).map(lambda r: r)
        assert made and True not in made
    finally:
        arrowdata.enable_progress_bars()


def _builtin_base(exc: BaseException) -> type:
    """The most specific builtin exception class ``exc`` is an instance of (Exception excluded)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins" and cls not in (Exception, BaseException):
            return cls
    return Exception


def _raises(lib, call):
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return e
    raise AssertionError(f"{lib.__name__}: no exception")


# (a Hub name: HF raises DatasetNotFoundError, a FileNotFoundError, online, and ConnectionError offline
# as here; arrowdata's DatasetNotFoundError is a FileNotFoundError: see test_compat_load.py)
MISTAKES = {
    "missing column": lambda lib: lib.Dataset.from_dict({"a": [1]})["zz"],
    "remove a missing column": lambda lib: lib.Dataset.from_dict({"a": [1]}).remove_columns("zz"),
    "index out of range": lambda lib: lib.Dataset.from_dict({"a": [1]})[5],
    "missing data file": lambda lib: lib.load_dataset("csv", data_files="/no/such/file.csv"),
    "unknown split": lambda lib: lib.Dataset.from_dict({"a": [1]}).train_test_split(test_size=5),
    "cast to an impossible type": lambda lib: lib.Dataset.from_dict({"a": ["x"]}).cast_column("a", lib.Value("int64")),
    "non-Dataset value in a DatasetDict": lambda lib: lib.DatasetDict({"train": None}).map(lambda r: r),
    "missing saved folder": lambda lib: lib.load_from_disk("/no/such/folder"),
    "rename onto an existing column": lambda lib: lib.Dataset.from_dict({"a": [1], "b": [2]}).rename_column("a", "b"),
    "select out of range": lambda lib: lib.Dataset.from_dict({"a": [1]}).select([3]),
    "unknown format": lambda lib: lib.Dataset.from_dict({"a": [1]}).with_format("nope"),
    "shard index too large": lambda lib: lib.Dataset.from_dict({"a": [1, 2]}).shard(num_shards=2, index=5),
    "unknown class label": lambda lib: lib.ClassLabel(names=["x"]).str2int("y"),
    "add_column of the wrong length": lambda lib: lib.Dataset.from_dict({"a": [1]}).add_column("b", [1, 2]),
    "cast to other column names": lambda lib: lib.Dataset.from_dict({"a": [1]}).cast(
        lib.Features({"b": lib.Value("int64")})),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_exceptions_are_the_builtin_type_hf_raises(mistake):
    theirs = _raises(hf, MISTAKES[mistake])
    ours = _raises(arrowdata, MISTAKES[mistake])
    expected = _builtin_base(theirs)
    assert isinstance(ours, expected), f"{mistake}: HF raises {type(theirs).__name__} ({expected.__name__}), " \
                                       f"arrowdata {type(ours).__mro__}"
    assert getattr(builtins, expected.__name__) is expected


def test_datasetdict_keeps_dict_behaviour():
    dd = DatasetDict({"train": Dataset.from_dict({"a": [1]})})
    assert isinstance(dd, dict) and dict(dd)["train"]["a"] == [1] and dd.get("nope") is None

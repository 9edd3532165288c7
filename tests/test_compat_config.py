"""``arrowdata.config`` answers the availability/version flags HF scripts read from ``datasets.config``."""
import subprocess
import sys
from importlib import metadata

import pytest
from packaging.version import Version

from arrowdata import config


@pytest.mark.parametrize("flag, dist", [("PYARROW", "pyarrow"), ("PANDAS", "pandas"), ("NUMPY", "numpy")])
def test_versions_match_installed_metadata(flag, dist):
    assert getattr(config, f"{flag}_AVAILABLE") is True
    assert getattr(config, f"{flag}_VERSION") == Version(metadata.version(dist))


def test_missing_package_is_unavailable(monkeypatch):
    monkeypatch.setitem(config._OPTIONAL_PACKAGES, "NOPEPKG", "surely-not-an-installed-distribution")
    assert config.NOPEPKG_AVAILABLE is False
    assert config.NOPEPKG_VERSION is None


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="NOT_A_FLAG"):
        config.NOT_A_FLAG  # noqa: B018


def test_flags_do_not_import_frameworks():
    code = (
        "import sys, arrowdata.config as c; c.TORCH_AVAILABLE; c.TF_AVAILABLE; c.TORCH_VERSION;"
        "print(any(m in sys.modules for m in ('torch', 'tensorflow')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

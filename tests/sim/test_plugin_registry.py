"""load_model: built-in names and module:Class, with errors that say what is wrong."""
import sys
import textwrap

import pytest

from nrisim.plugin.head import HeadModel
from nrisim.plugin.interface import PluginModel
from nrisim.plugin.registry import MODEL_NAMES, load_model


def test_builtin_names():
    assert MODEL_NAMES[0] == "head"
    assert set(MODEL_NAMES) == {"head", "pre-fix", "leak-on-remove", "integer-one-too-many",
                                "integer-shared-cpu", "restart-forgets-integer", "annotated-plus-one",
                                "shared-includes-integer", "forbid-ignored", "annotated-mems-missing",
                                "annotation-not-validated", "exit-on-removal-burst", "sync-leaves-unpinned",
                                "refused-annotation-reserves", "siblings-ignored", "impossible-move-admitted",
                                "move-off-first-conflict-only", "realloc-splits-cores"}
    for name in MODEL_NAMES:
        cls = load_model(name)
        assert issubclass(cls, PluginModel) and cls.name == name


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_plugin_models.py").write_text(textwrap.dedent("""
        from nrisim.plugin.head import HeadModel
        class Mine(HeadModel):
            name = "mine"
        class NotAModel:
            pass
        value = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_plugin_models"
    sys.modules.pop("my_plugin_models", None)


def test_module_class(user_module):
    cls = load_model(f"{user_module}:Mine")
    assert issubclass(cls, HeadModel) and cls.name == "mine"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nope", "unknown plugin model 'nope': expected one of head, "),
        ("", "must be a non-empty string"),
        ("no_such_module_xyz:Cls", "no module named 'no_such_module_xyz' on sys.path"),
        ("{mod}:Missing", "has no class 'Missing'"),
        ("{mod}:NotAModel", "NotAModel is not a subclass of nrisim.plugin.interface.PluginModel"),
        ("{mod}:value", "value is not a subclass"),
        ("{mod}:", "expected module:Class with both parts non-empty"),
        ("nrisim.plugin.interface:PluginModel", "does not implement"),
    ],
)
def test_errors_name_spec_and_problem(user_module, spec, fragment):
    spec = spec.format(mod=user_module)
    with pytest.raises(ValueError) as err:
        load_model(spec)
    assert fragment in str(err.value)
    if spec:
        assert repr(spec) in str(err.value)

"""Every public name the packages export is documented, and the vault facade's docstrings name
every parameter: ``help()`` and the generated API reference (docs/README.md) are only as good as
these docstrings."""

from __future__ import annotations

import importlib
import inspect
import pydoc
import re
from typing import Any, Iterator, List, Tuple

import pytest

PACKAGES = (
    "cassdk_like",
    "cassdk_like.vault",
    "cassdk_like.bucket",
    "cassdk_like.reduct",
    "cassdk_like.direct",
    "cassdk_like.par",
    "cassdk_like.transfer",
)

#: the vault facade and the transfer manager: each of their methods' docstrings names every parameter
FACADE = ("CasAPI", "Vault", "Archive", "Job", "MultipartUpload", "TransferManager", "SendInterface")

#: parameters a docstring need not name
IMPLICIT = {"self", "cls"}


def _own_doc(obj: Any) -> str:
    """The object's own docstring (a class does not inherit one; a method may, from what it overrides)."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else inspect.getdoc(obj)
    return (doc or "").strip()


def _exported() -> Iterator[Tuple[str, Any]]:
    seen = set()
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            yield f"{package}.{name}", obj


def _defined_here(cls: type, name: str) -> Any:
    """``name`` as found on the first class of the MRO that defines it, if that class is the SDK's."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name] if klass.__module__.startswith("cassdk_like") else None
    return None


def _public_members(cls: type) -> Iterator[Tuple[str, Any]]:
    """Public functions, class/static methods and properties of ``cls`` (inherited ones included)."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = _defined_here(cls, name)
        if isinstance(raw, (classmethod, staticmethod)):
            yield name, raw.__func__
        elif isinstance(raw, property) or inspect.isfunction(raw):
            yield name, raw


EXPORTED: List[Tuple[str, Any]] = sorted(_exported(), key=lambda item: item[0])
CLASSES = [(name, obj) for name, obj in EXPORTED if inspect.isclass(obj)]
FUNCTIONS = [(name, obj) for name, obj in EXPORTED if inspect.isfunction(obj)]


def _missing_member_docs(cls: type) -> List[str]:
    return [name for name, member in _public_members(cls) if not _own_doc(member)]


def test_the_walk_finds_the_facade_and_the_services() -> None:
    names = {name for name, _ in EXPORTED}
    assert {f"cassdk_like.{cls}" for cls in FACADE} <= names
    assert {"cassdk_like.Bucket", "cassdk_like.reduct.Client", "cassdk_like.direct.DirectIO"} <= names
    assert "cassdk_like.par.create_par" in names
    assert {"cassdk_like.transfer.TransferInfo", "cassdk_like.transfer.parse_address"} <= names
    assert len(CLASSES) > 100


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[name for name, _ in CLASSES])
def test_each_public_class_and_its_public_methods_have_docstrings(name: str, cls: type) -> None:
    assert _own_doc(cls), f"{name} has no docstring"
    assert _missing_member_docs(cls) == [], f"{name}: methods without a docstring"


@pytest.mark.parametrize(("name", "func"), FUNCTIONS, ids=[name for name, _ in FUNCTIONS])
def test_each_public_function_has_a_docstring(name: str, func: Any) -> None:
    assert _own_doc(func), f"{name} has no docstring"


def _unnamed(params: List[str], doc: str) -> List[str]:
    return [name for name in params if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", doc)]


def _named_parameters(func: Any) -> List[str]:
    """The parameters a docstring must name: not ``self``/``cls``, ``*args`` or ``**kwargs``."""
    return [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.name not in IMPLICIT and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _facade_methods() -> Iterator[Tuple[str, Any]]:
    import cassdk_like

    for cls_name in FACADE:
        cls = getattr(cassdk_like, cls_name)
        for name, member in _public_members(cls):
            if not isinstance(member, property):
                yield f"{cls_name}.{name}", member


FACADE_METHODS = list(_facade_methods())


@pytest.mark.parametrize(("name", "func"), FACADE_METHODS, ids=[name for name, _ in FACADE_METHODS])
def test_the_facade_docstrings_name_every_parameter(name: str, func: Any) -> None:
    assert _unnamed(_named_parameters(func), _own_doc(func)) == [], f"{name}: parameters not named"


@pytest.mark.parametrize("cls_name", FACADE)
def test_the_facade_class_docstrings_name_the_constructor_parameters(cls_name: str) -> None:
    import cassdk_like

    cls = getattr(cassdk_like, cls_name)
    assert _unnamed(_named_parameters(cls.__init__), _own_doc(cls)) == []


@pytest.mark.parametrize("cls_name", ["Vault", "Job", "MultipartUpload", "Archive"])
def test_help_shows_the_docstring_and_the_methods_before_any_attrs_machinery(cls_name: str) -> None:
    import cassdk_like

    cls = getattr(cassdk_like, cls_name)
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    public = [name for name, _ in _public_members(cls)]
    first_internal = min(text.index(word) for word in ("__attrs", "generated by attrs") if word in text)
    assert text.index(_own_doc(cls).splitlines()[0]) < first_internal
    for name in public:
        shown = [text.find(f" |  {name}{end}") for end in ("(", "\n")]
        assert 0 <= max(shown) < first_internal, f"help({cls_name}) shows {name} late or not at all"

"""jinja2 with the first Jinja widget, not with aiogram_dialog.

`aiogram_dialog.widgets.text` imports its Jinja widget, and jinja2 and markupsafe with it
(1.9 MB of RSS), in every process that has a dialog; the bot has no Jinja widget.
`defer()`, called before aiogram_dialog is imported, puts in place of that module one whose
names load it on first use (`Jinja(...)`, `setup_jinja(...)`, any other attribute)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

MODULE = "aiogram_dialog.widgets.text.jinja"
_REAL = "aiogram_dialog.widgets.text._jinja"


def _real() -> ModuleType:
    module = sys.modules.get(_REAL)
    if module is None:
        package = importlib.util.find_spec("aiogram_dialog.widgets.text")
        if package is None or not package.submodule_search_locations:
            raise ImportError("aiogram_dialog.widgets.text not found")
        location = f"{next(iter(package.submodule_search_locations))}/jinja.py"
        spec = importlib.util.spec_from_file_location(_REAL, location)
        if spec is None or spec.loader is None:
            raise ImportError(f"{location} not found")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_REAL] = module
        spec.loader.exec_module(module)
    return module


def Jinja(*args: Any, **kwargs: Any) -> Any:  # aiogram_dialog's class name
    return _real().Jinja(*args, **kwargs)


def setup_jinja(*args: Any, **kwargs: Any) -> Any:
    return _real().setup_jinja(*args, **kwargs)


def _rest(name: str) -> Any:
    if name.startswith("__"):  # asked by the import system (__path__, …): not the widget's
        raise AttributeError(name)
    return getattr(_real(), name)


def defer() -> None:
    if MODULE in sys.modules or "aiogram_dialog" in sys.modules:
        return  # imported already: nothing to save
    stand_in = ModuleType(MODULE, __doc__)
    stand_in.Jinja = Jinja  # type: ignore[attr-defined]
    stand_in.setup_jinja = setup_jinja  # type: ignore[attr-defined]
    setattr(stand_in, "__getattr__", _rest)  # noqa: B010 - a module's __getattr__
    sys.modules[MODULE] = stand_in

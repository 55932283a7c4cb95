"""jinja2 with the first Jinja text rendered, not with aiogram_dialog.

`aiogram_dialog.widgets.text` imports its Jinja widget's module, and jinja2 and markupsafe
with it (1.7-1.9 MB of RSS), in every process that has a dialog, and `setup_dialogs` makes
one Jinja widget (its «about» dialog, never opened here); the bot has none of its own.
`defer()`, called before aiogram_dialog is imported, puts in place of that module one whose
`Jinja` keeps its template and loads the real module at its first render, and whose other
names (`setup_jinja`, …) load it when used. Its widgets are not instances of the real class."""

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


def _jinja_widget() -> type:
    # Asked for by aiogram_dialog.widgets.text's __init__ after it imported .base.
    from aiogram_dialog.widgets.text.base import Text

    class Jinja(Text):
        def __init__(self, text: str, when: Any = None) -> None:
            super().__init__(when=when)
            self.template_text = text

        async def _render_text(self, data: dict[str, Any], manager: Any) -> str:
            rendered: str = await _real().Jinja._render_text(self, data, manager)
            return rendered

    return Jinja


def setup_jinja(*args: Any, **kwargs: Any) -> Any:
    return _real().setup_jinja(*args, **kwargs)


def _attribute(stand_in: ModuleType, name: str) -> Any:
    if name == "Jinja":
        widget = _jinja_widget()
        stand_in.Jinja = widget  # type: ignore[attr-defined]
        return widget
    if name.startswith("__"):  # asked by the import system (__path__, …): not the widget's
        raise AttributeError(name)
    return getattr(_real(), name)


def defer() -> None:
    if MODULE in sys.modules or "aiogram_dialog" in sys.modules:
        return  # imported already: nothing to save
    stand_in = ModuleType(MODULE, __doc__)
    stand_in.setup_jinja = setup_jinja  # type: ignore[attr-defined]
    setattr(stand_in, "__getattr__", lambda name: _attribute(stand_in, name))  # noqa: B010
    sys.modules[MODULE] = stand_in

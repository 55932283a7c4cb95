"""The picker's states, what a dialog asks of it (start data) and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State, StatesGroup

from bot.services.people import Scope


class PersonPickSG(StatesGroup):
    search = State()  # «Напишите часть имени…»
    pick = State()  # the people found (or the whole scope, when it is small), in pages


@dataclass(frozen=True)
class PersonPick:
    """What a dialog asks: `manager.start(PersonPickSG.search, data=PersonPick(...).data())`."""

    scope: Scope
    heading: str  # a catalogue key: the step's heading («<b>Новый кейс</b> · шаг 1 из 8»), or ""
    question: str  # a catalogue key: what is asked («Кого касается ошибка? …»)
    question_args: dict[str, Any] = field(default_factory=dict)  # for the question and `nobody`
    nobody: str = "picker-nobody"  # a catalogue key: the scope is empty
    group_id: int = 0  # Scope.GROUP: which of the lead's groups
    current_id: int = 0  # the earlier pick: «Сейчас: …» and «Дальше ▶» keep it
    current_name: str = ""
    listed: bool = False  # a small scope: the list at once (typing a name still searches)
    skip: bool = False  # the person is optional: «Пропустить»
    back: bool = True  # «◀ Назад» to the step the picker was opened from
    grouped: bool = False  # only a person with a working group may be picked (a case)

    def data(self) -> dict[str, Any]:
        return {**self.__dict__, "scope": self.scope.value, "question_args": self.question_args}

    @classmethod
    def of(cls, data: Any) -> PersonPick:
        assert isinstance(data, dict)
        return cls(**{**data, "scope": Scope(data["scope"])})


@dataclass(frozen=True)
class Picked:
    """The picker's result: a person, or «Пропустить» (`person_id` None)."""

    person_id: int | None
    name: str = ""
    group: str = ""

    @classmethod
    def of(cls, result: Any) -> Picked | None:
        """What the picker returned; None when it was left by «◀ Назад»."""
        if not isinstance(result, dict):
            return None
        if result.get("skipped"):
            return cls(None)
        return cls(int(result["person_id"]), str(result["name"]), str(result["group"]))

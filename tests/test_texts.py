"""The text catalogue: every key the code uses exists, and arguments are rendered safely."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fluent.syntax import ast as ftl
from fluent.syntax import parse

from bot.callbacks import CaseAct
from bot.commands import GROUP_COMMANDS, ROLE_COMMANDS
from bot.services import errors
from bot.services.links import LinkField
from bot.texts import LOCALES_DIR, Html, Texts
from db.models import CaseCategory, CaseSource, CaseState, CaseTab, Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("bot", "handlers")
TEXT_CALLS = {"texts", "T", "_texts"}
ERROR_CALLS = {"ServiceError", "Invalid", "AlreadyDone", "NotFound", "Forbidden"}
# Keys built at run time, and every value their placeholder can take.
DYNAMIC_KEYS: dict[str, list[str]] = {
    "role-": [str(role) for role in Role],
    "help-": [*(str(role) for role in Role), "unknown"],
    "cmd-": sorted(
        {name for names in ROLE_COMMANDS.values() for name in names} | set(GROUP_COMMANDS)
    ),
    "links-field-": [str(field) for field in LinkField],
    "case-tab-": [str(tab) for tab in CaseTab],
    "case-category-": [str(category) for category in CaseCategory],
    "case-source-": [str(source) for source in CaseSource],
    "case-state-": [str(state).replace("_", "-") for state in CaseState],
    "case-btn-": [act.name.lower().replace("_", "-") for act in CaseAct],
}


@dataclass(frozen=True)
class KeyUse:
    where: str
    key: str
    # Argument names given with the key; None when they cannot be known statically.
    args: frozenset[str] | None


def _python_files() -> list[Path]:
    return sorted(path for folder in SCANNED for path in (PROJECT_ROOT / folder).rglob("*.py"))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _keyword_names(call: ast.Call, skip: frozenset[str] = frozenset()) -> frozenset[str] | None:
    if any(keyword.arg is None for keyword in call.keywords):  # **kwargs
        return None
    return frozenset(
        keyword.arg for keyword in call.keywords if keyword.arg and keyword.arg not in skip
    )


def _keys_in(node: ast.expr) -> tuple[list[str], list[str]]:
    """Constant keys and f-string prefixes a key expression can produce."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value], []
    if isinstance(node, ast.IfExp):
        body, body_f = _keys_in(node.body)
        orelse, orelse_f = _keys_in(node.orelse)
        return body + orelse, body_f + orelse_f
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            prefix += part.value
        return [], [prefix]
    return [], []


def _scan() -> tuple[list[KeyUse], list[tuple[str, str]]]:
    uses: list[KeyUse] = []
    prefixes: list[tuple[str, str]] = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
            key_node: ast.expr | None = None
            args: frozenset[str] | None = None
            if name in TEXT_CALLS and node.args:
                key_node, args = node.args[0], _keyword_names(node)
            elif name in ERROR_CALLS:
                key_node = node.args[0] if node.args else None
                key_node = next((k.value for k in node.keywords if k.arg == "key"), key_node)
                args = _keyword_names(node, frozenset({"key"}))
            elif name == "RowError" and len(node.args) >= 2:
                key_node = node.args[1]
                details = node.args[2] if len(node.args) > 2 else None
                if details is None:
                    args = frozenset()
                elif isinstance(details, ast.Dict):
                    names = [k.value for k in details.keys if isinstance(k, ast.Constant)]
                    if len(names) == len(details.keys):
                        args = frozenset(str(name) for name in names)
            if key_node is None:
                continue
            constants, f_prefixes = _keys_in(key_node)
            uses.extend(KeyUse(where, key, args) for key in constants)
            prefixes.extend((where, prefix) for prefix in f_prefixes)
    return uses, prefixes


def _catalogue() -> dict[str, ftl.Message]:
    messages: dict[str, ftl.Message] = {}
    for path in sorted((LOCALES_DIR / "ru").glob("*.ftl")):
        for entry in parse(path.read_text(encoding="utf-8")).body:
            if isinstance(entry, ftl.Message):
                messages[entry.id.name] = entry
    return messages


def _variables(
    key: str, catalogue: dict[str, ftl.Message], seen: set[str] | None = None
) -> set[str]:
    """Variables a message needs, including those of the messages it references."""
    seen = seen if seen is not None else set()
    if key in seen or key not in catalogue:
        return set()
    seen.add(key)
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, ftl.VariableReference):
            found.add(node.id.name)
        elif isinstance(node, ftl.MessageReference):
            found.update(_variables(node.id.name, catalogue, seen))
        elif isinstance(node, ftl.TermReference):
            return  # a term has its own arguments
        if isinstance(node, ftl.BaseNode):
            for value in vars(node).values():
                for child in value if isinstance(value, list) else [value]:
                    visit(child)

    visit(catalogue[key].value)
    return found


USES, PREFIXES = _scan()


def test_the_scan_finds_the_code_that_uses_texts() -> None:
    """Guards the scanner itself: if it found nothing, the tests below would prove nothing."""
    keys = {use.key for use in USES}
    assert len(keys) > 20
    assert {"error-internal", "roster-error-role", "cancelled"} <= keys
    assert {"role-", "cmd-"} <= {prefix for _, prefix in PREFIXES}


def test_every_key_used_in_code_is_in_the_catalogue(texts: Texts) -> None:
    missing = sorted(f"{use.where}: {use.key}" for use in USES if not texts.has(use.key))
    assert missing == []


def test_default_error_keys_are_in_the_catalogue(texts: Texts) -> None:
    for error in (errors.Forbidden(), errors.AlreadyDone(), errors.NotFound()):
        assert texts.has(error.key), error.key


def test_every_key_used_in_code_gets_the_arguments_its_text_needs() -> None:
    catalogue = _catalogue()
    short = []
    for use in USES:
        if use.args is None or use.key not in catalogue:
            continue
        needed = _variables(use.key, catalogue)
        if not needed <= use.args:
            short.append(f"{use.where}: {use.key} needs {sorted(needed - use.args)}")
    assert short == []


@pytest.mark.parametrize(
    ("prefix", "value"),
    [(prefix, value) for prefix, values in DYNAMIC_KEYS.items() for value in values],
)
def test_keys_built_at_run_time_exist_for_every_value(
    texts: Texts, prefix: str, value: str
) -> None:
    assert texts.has(prefix + value)
    assert texts(prefix + value).strip()


def test_every_f_string_key_in_code_is_known() -> None:
    """A new f-string key must be listed in DYNAMIC_KEYS, so its values are checked above."""
    unknown = sorted(
        f"{where}: {prefix!r}" for where, prefix in PREFIXES if prefix not in DYNAMIC_KEYS
    )
    assert unknown == []


def test_every_catalogue_message_formats_with_its_variables(texts: Texts) -> None:
    catalogue = _catalogue()
    for key in catalogue:
        if catalogue[key].value is None:
            continue
        args = {name: "x" for name in _variables(key, catalogue)}
        assert texts(key, **args).strip(), key


# --- rendering ------------------------------------------------------------------------------


def test_user_text_is_escaped_and_html_passes_through(texts: Texts) -> None:
    rendered = texts(
        "start-known",
        name="<b>x</b> & <script>",
        card=Html("<b>Карточка</b>"),
        help=Html("<i>help</i>"),
    )
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in rendered
    assert "<script>" not in rendered
    assert "<b>Карточка</b>" in rendered
    assert "<i>help</i>" in rendered


def test_numbers_are_not_grouped(texts: Texts) -> None:
    assert texts("roster-line", line=1234, reason="x") == "строка 1234: x"
    assert "1234567" in texts(
        "access-request-post", id=1234567, name="n", username="u", telegram_id=1
    )


def test_datetimes_are_shown_in_the_configured_zone(texts: Texts) -> None:
    moment = datetime(2024, 3, 31, 21, 30, tzinfo=UTC)
    assert "01.04.2024 00:30" in texts("start-pending", date=moment)
    assert texts.datetime(moment) == "01.04.2024 00:30"
    assert texts.date(moment) == "01.04.2024"
    assert "09.05.2024" in texts("start-pending", date=date(2024, 5, 9))


def test_none_and_bool_arguments(texts: Texts) -> None:
    assert texts("roster-line", line=2, reason=None) == "строка 2: "
    assert texts("roster-line", line=2, reason=True) == "строка 2: да"


def test_an_unknown_key_or_a_missing_argument_is_an_error(texts: Texts) -> None:
    with pytest.raises(KeyError):
        texts("no-such-key")
    with pytest.raises(ValueError, match="roster-line"):
        texts("roster-line", line=1)


def test_a_long_argument_full_of_markup_characters_is_escaped_whole() -> None:
    # Fluent refuses a placeable over 2,500 characters; 2,000 «<» escape to 8,000.
    texts = Texts("ru")
    summary = "<&" * 1000
    text = texts("case-post-summary", summary=summary)
    assert text == "&lt;&amp;" * 1000

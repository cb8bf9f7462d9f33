"""The config file's settings as one pydantic model: which keys exist, the type of each and the
values that cannot work, declared once — `ConfigTable`, with `DoneTable`, `PlateauTable` and
`Keymap` for its tables — rather than checked by hand key by key.

Pydantic lists every mistake in its own words; a user gets the first one as one line naming the
file and the key (`UserError`, exit 2), in the words each setting has always used. So each type
says how its refusal reads (`_typed`), each value check what follows the key (`_check`), and
`checked_settings` turns pydantic's report into that line.

Imported only when a config file is read: pydantic and building these models cost about 0.1 s,
which `mlboard --help` and a folder without a config file never pay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import time
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    Strict,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import ErrorDetails

from mlboard.config_rules import COMPUTED_ITEMS, DoneRules, PlateauRules
from mlboard.config_values import key_prefix_problem, sqlite_path, time_zone_problem
from mlboard.domain import Sensitivity, StoryKind
from mlboard.errors import UserError
from mlboard.keymap import DEFAULT_KEYS


class WrongType(ValueError):
    """A value of the wrong type; its text follows the key (`' must be a bool, not str'`)."""


class UnknownSetting(ValueError):
    """A key in a table of free keys that no setting has (a binding id in `[keymap]`)."""


def _typed(say: Callable[[Any], str]) -> WrapValidator:
    """Pydantic's strict type check (and any bounds declared with it), its refusal in the words
    `say(value)` gives after the key."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise WrongType(say(value)) from None

    return WrapValidator(check)


def _not_a(kind: str) -> Callable[[Any], str]:
    return lambda value: f" must be a {kind}, not {type(value).__name__}"


def _check(problem: Callable[[Any], str | None]) -> AfterValidator:
    """A value of the right type that still cannot work: `problem` says why, after the key."""

    def check(value: Any) -> Any:
        if why := problem(value):
            raise ValueError(why)
        return value

    return AfterValidator(check)


def _table(value: Any) -> Any:
    if not isinstance(value, dict):
        raise WrongType(f" must be a table, not {type(value).__name__}")
    return value


# --- the values that cannot work ----------------------------------------------------------------


def _filled(text: str) -> str | None:
    return None if text.strip() else " is empty"


def _location(location: str) -> str | None:
    """A path the file names beside itself: one the file system could hold, a `~user` that
    exists."""
    if "\x00" in location:
        return " contains a NUL character"
    if "://" not in location:
        try:
            Path(location).expanduser()
        except RuntimeError:
            return f": no home folder for {location.split('/')[0]!r}"
    return None


def _uris(value: str | list[str]) -> str | None:
    uris = [value] if isinstance(value, str) else value
    if not all(uri.strip() for uri in uris):
        return " has an empty URI"
    return next(filter(None, (_location(sqlite_path(uri) or "") for uri in uris)), None)


def _key_prefix(prefix: str) -> str | None:
    problem = key_prefix_problem(prefix)
    return f": {problem}" if problem else None


def _standup_time(text: str) -> str | None:
    try:
        time.fromisoformat(text)
    except ValueError:
        return f" is {text!r}, not a time like 09:30"
    return None


def _time_zone(name: str) -> str | None:
    problem = time_zone_problem(name)
    return f": {problem}" if problem else None


def _one_of(allowed: tuple[str, ...], what: str) -> Callable[[list[Any]], str | None]:
    def problem(values: list[Any]) -> str | None:
        for value in values:
            if value not in allowed:
                return f" has {value!r}, which is not {what} (choose from {', '.join(allowed)})"
        return None

    return problem


_ITEM = re.compile(r"[a-z][a-z0-9_]{0,49}")


def _item_names(values: list[Any]) -> str | None:
    """Checklist item names: snake_case ids, and not one of the gates the board computes."""
    for value in values:
        if not isinstance(value, str) or not _ITEM.fullmatch(value):
            return f" has {value!r}: item names are snake_case, e.g. rollback_plan"
        if value in COMPUTED_ITEMS:
            return (
                f" has {value!r}, which the board decides from runs "
                "(see done.experiment_needs_run and done.target_needs_met_or_accepted)"
            )
    return None


def _binding_id(binding_id: str) -> str:
    """A misspelt binding id would remap nothing, silently: refused as any unknown setting."""
    if binding_id not in DEFAULT_KEYS:
        close = get_close_matches(binding_id, DEFAULT_KEYS, n=1)
        hint = f"did you mean {close[0]}?" if close else "the README lists them per screen"
        raise UnknownSetting(f": no key binding has that id ({hint})")
    return binding_id


def _keys(keys: str) -> str | None:
    """An empty key would unbind nothing and bind nothing."""
    if all(key.strip() for key in keys.split(",")):
        return None
    return " has an empty key: name one, e.g. 'x'"


# --- the types of the settings ------------------------------------------------------------------

Text = Annotated[str, Strict(), _typed(_not_a("str"))]
Flag = Annotated[bool, Strict(), _typed(_not_a("bool"))]
Uris = Annotated[
    StrictStr | list[StrictStr],
    _typed(
        lambda value: (
            " must be a URI or a list of URIs"
            if isinstance(value, list)
            else _not_a("str or list")(value)
        )
    ),
    _check(_uris),
]
Rule = Annotated[bool, Strict(), _typed(_not_a("true or false"))]
Names = Annotated[list[Any], Strict(), _typed(_not_a("list"))]
Items = Annotated[Names, _check(_item_names)]
KindItems = Annotated[
    list[Any],
    Strict(),
    _typed(lambda _: ' must be a list of item names, e.g. ["rollback_plan"]'),
    _check(_item_names),
]
_story_kinds = _one_of(tuple(kind.value for kind in StoryKind), "a story kind")
_sensitivities = _one_of(tuple(level.value for level in Sensitivity), "a sensitivity")


# A plateau's numbers: refused in one sentence whether their type or their size is wrong.
Patience = Annotated[
    int, Strict(), Field(ge=1), _typed(lambda value: f" must be a whole number ≥ 1, not {value!r}")
]
Share = Annotated[
    float,
    Strict(),
    Field(ge=0, allow_inf_nan=False),
    _typed(lambda value: f" must be a number ≥ 0, not {value!r}"),
]
BindingId = Annotated[str, AfterValidator(_binding_id)]
Keys = Annotated[str, _check(_keys)]


class Table(BaseModel):
    """A table of the file (`[done]`, `[plateau]`): a key it does not know is refused
    (`extra="forbid"`), and so is anything but a table in its place."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _is_a_table(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise WrongType(f" must be a table ([tool.mlboard.{cls.name}])")
        return data

    @classmethod
    def known(cls) -> str:
        """What follows `unknown setting 'done.x'`: the keys the table has, in their order."""
        return f" (known: {', '.join(cls.model_fields)})"


_DONE = DoneRules()
_PLATEAU = PlateauRules()


class DoneTable(Table):
    """`[done]`: the Definition of Done (`DoneRules`, whose defaults a key left out keeps)."""

    name = "done"
    sensitive_kinds: Annotated[Names, _check(_story_kinds)] = list(_DONE.sensitive_kinds)
    sensitive_levels: Annotated[Names, _check(_sensitivities)] = list(_DONE.sensitive_levels)
    sensitive_items: Items = list(_DONE.sensitive_items)
    experiment_needs_run: Rule = _DONE.experiment_needs_run
    target_needs_met_or_accepted: Rule = _DONE.target_needs_met_or_accepted
    kinds: Annotated[
        dict[Annotated[str, _check(lambda kind: _story_kinds([kind]))], KindItems],
        BeforeValidator(_table),
    ] = {}

    def rules(self) -> DoneRules:
        return DoneRules(
            sensitive_kinds=tuple(self.sensitive_kinds),
            sensitive_levels=tuple(self.sensitive_levels),
            sensitive_items=tuple(dict.fromkeys(self.sensitive_items)),
            experiment_needs_run=self.experiment_needs_run,
            target_needs_met_or_accepted=self.target_needs_met_or_accepted,
            kinds={kind: tuple(dict.fromkeys(items)) for kind, items in self.kinds.items()},
        )


class PlateauTable(Table):
    """`[plateau]`: when a story's runs have stopped paying (`PlateauRules`)."""

    name = "plateau"
    patience: Patience = _PLATEAU.patience
    min_delta: Share | None = None
    min_delta_fraction: Share = _PLATEAU.min_delta_fraction

    def rules(self) -> PlateauRules:
        return PlateauRules(self.patience, self.min_delta, self.min_delta_fraction)


class Keymap(RootModel[dict[BindingId, Keys]]):
    """`[keymap]`: binding ids (`mlboard.keymap`) to the keys that replace their defaults,
    kept in the file's order."""

    @model_validator(mode="before")
    @classmethod
    def _maps_ids_to_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not all(isinstance(keys, str) for keys in data.values()):
            raise WrongType(" must map binding ids to keys, e.g. move_next")
        return data


class ConfigTable(BaseModel):
    """All of an `mlboard.toml`, or `[tool.mlboard]` of a `pyproject.toml`. A key left out is
    None: `Settings` holds the defaults, as flags and variables come before the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: Annotated[Text, _check(_filled), _check(_location)] | None = None
    key_prefix: Annotated[Text, _check(_key_prefix)] | None = None
    user: Annotated[Text, _check(_filled)] | None = None
    tracking_uri: Uris | None = None
    standup_time: Annotated[Text, _check(_standup_time)] | None = None
    link_writes_tag: Flag | None = None
    timezone: Annotated[Text, _check(_time_zone)] | None = None
    alerts_open_stories: Flag | None = None
    keymap: Keymap | None = None
    done: DoneTable | None = None
    plateau: PlateauTable | None = None

    @classmethod
    def known(cls) -> str:
        return f" (known: {', '.join(sorted(cls.model_fields))})"

    def settings(self) -> dict[str, Any]:
        """The settings the file sets, typed as `Settings` holds them."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if self.keymap is not None:
            values["keymap"] = self.keymap.root
        for name, table in (("done", self.done), ("plateau", self.plateau)):
            if table is not None:
                values[name] = table.rules()
        return values


_TABLES: dict[str, type[Table]] = {"done": DoneTable, "plateau": PlateauTable}


def checked_settings(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The settings `table` sets, checked and typed; the first mistake as a `UserError` naming
    `where` (the file) and the key."""
    try:
        checked = ConfigTable.model_validate(table)
    except ValidationError as error:
        first = min(error.errors(), key=lambda mistake: _reading_order(mistake, table))
        raise UserError(f"{where}: {_sentence(first)}") from None
    return checked.settings()


# The values of `[done]` whose mistakes are told first: each kind's items, then the lists.
_DONE_VALUES = ("kinds", "sensitive_kinds", "sensitive_levels", "sensitive_items")


def _reading_order(mistake: ErrorDetails, table: Mapping[str, Any]) -> tuple[int, ...]:
    """Which mistake a user hears of first: the top-level keys' in the file's order, then those
    inside `[done]` (an unknown or mistyped key before a bad value), then inside `[plateau]`."""
    loc = mistake["loc"]
    if len(loc) == 1 or loc[0] not in _TABLES:
        return (0, list(table).index(loc[0]))
    group = list(_TABLES).index(str(loc[0])) + 1
    if len(loc) == 2 and (
        mistake["type"] == "extra_forbidden" or isinstance(_cause(mistake), WrongType)
    ):
        return (group, 0, list(table[loc[0]]).index(loc[1]))
    return (group, 1, _DONE_VALUES.index(str(loc[1])))


def _sentence(mistake: ErrorDetails) -> str:
    """One mistake in mlboard's words: `'done.kinds' has 'rollout', which is not a story kind …`."""
    loc = mistake["loc"]
    cause = _cause(mistake)
    if mistake["type"] == "extra_forbidden":
        known = _TABLES[str(loc[0])].known() if len(loc) > 1 else ConfigTable.known()
        return f"unknown setting {_key(loc)}{known}"
    if isinstance(cause, UnknownSetting):
        return f"unknown setting {_key(loc[:-1])}{cause}"
    if loc[-1] == "[key]":  # a bad key of a table is the table's mistake: 'done.kinds' has …
        loc = loc[:-2]
    return f"{_key(loc)}{cause}"


def _cause(mistake: ErrorDetails) -> Exception | None:
    return mistake.get("ctx", {}).get("error")


def _key(loc: tuple[int | str, ...]) -> str:
    """A top-level key as Python quotes it, a nested one dotted: `'plateau.patience'`."""
    return repr(loc[0]) if len(loc) == 1 else "'" + ".".join(map(str, loc)) + "'"

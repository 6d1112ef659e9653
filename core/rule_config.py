"""Rules in the site file: one `[[rules]]` table per rule, one model per `kind`, and their cross-checks.

Config models only; `rules/` runs them. The site file model imports this module, so it must not import
`core.site` or `core.config` at import time: `asset_facts` and `validate_rules` import them when called.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    Field,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.config_files import Strict
from core.durations import Duration, TimeOfDay
from core.ids import AssetId
from core.measurements import FIELD_TYPES, AssetKind, FieldType

if TYPE_CHECKING:
    from core.config_files import ConfigProblem
    from core.site_loader import Site

Ident = AssetId
# Same values as core.site.Utility and core.site.AreaKind; tests/unit/rules/test_rule_config.py keeps them equal.
UtilityName = Literal["water", "electricity", "gas"]
AreaKindName = Literal["lobby", "corridor", "stairwell", "garage", "plant_room", "garden", "other"]

NUMERIC = frozenset({FieldType.FLOAT, FieldType.INT})


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    MAJOR = "major"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """What targeting needs to know about one asset: registry data plus vacancy and area kind from the site."""

    asset_id: str
    kind: AssetKind
    tags: Mapping[str, str]
    expected_interval_s: int
    vacant: bool | None = None  # None: not a unit's meter
    area_kind: str | None = None


def asset_facts(site: Site) -> list[AssetFacts]:
    """Facts for every asset of a resolved site."""
    from core.registry import AssetRegistry  # here, not at the top: core.registry imports core.site

    facts = []
    for info in AssetRegistry.from_site(site).all():
        unit = info.tags.get("unit")
        area = site.areas.get(info.tags.get("area", ""))
        facts.append(
            AssetFacts(
                info.asset_id,
                info.kind,
                info.tags,
                info.expected_interval_s,
                vacant=site.units[unit].unit.vacant if unit in site.units else None,
                area_kind=area.kind.value if area is not None else None,
            )
        )
    return facts


def field_type(kind: AssetKind, name: str) -> FieldType | None:
    """The schema type of a field of an asset kind, or None if the kind has no such field."""
    return FIELD_TYPES[kind].get(name)


class LocalText(Strict):
    zh: str = ""
    en: str = ""


class Targets(Strict):
    """Which assets a rule watches: every criterion given must match, and any one value of a criterion does.

    No criteria means every asset of the kinds the rule applies to.
    """

    assets: tuple[Ident, ...] = ()
    kinds: tuple[AssetKind, ...] = ()
    utilities: tuple[UtilityName, ...] = ()
    buildings: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    area_kinds: tuple[AreaKindName, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    vacant: bool | None = None  # true: meters of vacant units; false: meters of occupied units
    exclude: tuple[Ident, ...] = ()

    def matches(self, asset: AssetFacts) -> bool:
        tags = asset.tags
        return not (
            (self.assets and asset.asset_id not in self.assets)
            or asset.asset_id in self.exclude
            or (self.kinds and asset.kind not in self.kinds)
            or (self.utilities and tags.get("utility") not in self.utilities)
            or (self.buildings and tags.get("building") not in self.buildings)
            or (self.areas and tags.get("area") not in self.areas)
            or (self.area_kinds and asset.area_kind not in self.area_kinds)
            or (self.vacant is not None and asset.vacant is not self.vacant)
            or any(tags.get(key) != value for key, value in self.tags.items())
        )


ConditionValue = StrictBool | StrictInt | StrictFloat | StrictStr
Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in"]


class Condition(Strict):
    """`{ field = "door", op = "eq", value = "open" }`; `in`/`not_in` take a list, gt/ge/lt/le a number."""

    field: str = Field(min_length=1)
    op: Op = "eq"
    value: ConditionValue | tuple[ConditionValue, ...]

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        listed = isinstance(self.value, tuple)
        if (self.op in ("in", "not_in")) != listed:
            raise ValueError(f"op {self.op!r} needs {'a list' if not listed else 'a single value'} as value")
        if self.op in ("gt", "ge", "lt", "le") and (isinstance(self.value, bool | str | tuple)):
            raise ValueError(f"op {self.op!r} compares numbers; value must be a number")
        return self

    def values(self) -> tuple[ConditionValue, ...]:
        return self.value if isinstance(self.value, tuple) else (self.value,)


FieldRef = tuple[str, str, frozenset[FieldType] | None]  # (key path in the rule, field name, wanted types)


class RuleBase(Strict):
    id: Ident
    severity: Severity = Severity.WARNING
    title: LocalText = Field(default_factory=LocalText)
    targets: Targets = Field(default_factory=Targets)
    enabled: bool = True
    # After an alarm clears, the same rule and asset raise again only once this much time has passed.
    cooldown: Duration = timedelta(0)
    # Per-asset settings that replace the rule's own, e.g. { "B1-L1" = { above = 2.5 } }.
    overrides: dict[Ident, dict[str, Any]] = Field(default_factory=dict)

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset(AssetKind)
    fixed_keys: ClassVar[frozenset[str]] = frozenset({"id", "kind", "targets", "overrides"})

    def field_refs(self) -> list[FieldRef]:
        """The reading fields this rule reads, with where they are named and the types that fit."""
        return []

    def condition_refs(self) -> list[tuple[str, Condition]]:
        """The conditions this rule tests, with where they are named."""
        return []

    def applies(self, asset: AssetFacts) -> bool:
        """True if this rule watches `asset`: its kind fits, the targets match and it has every field read."""
        return (
            asset.kind in self.applies_to
            and self.targets.matches(asset)
            and all(field_type(asset.kind, name) is not None for _, name, _ in self.field_refs())
        )

    def for_asset(self, asset_id: str) -> Self:
        """This rule with the asset's overrides applied."""
        change = self.overrides.get(asset_id)
        if not change:
            return self
        data = self.model_dump(by_alias=True, exclude={"overrides"})
        data.update(change)
        return self.model_validate(data)

    @model_validator(mode="after")
    def _overrides_fit(self) -> Self:
        keys = {info.alias or name for name, info in type(self).model_fields.items()} - self.fixed_keys
        for asset_id, change in self.overrides.items():
            for key in change:
                if key not in keys:
                    raise ValueError(
                        f"overrides.{asset_id}.{key}: not a setting an override can change; use one of "
                        + ", ".join(sorted(keys))
                    )
            try:
                self.for_asset(asset_id)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = "".join(f".{part}" for part in first["loc"])
                message = str(first["msg"]).removeprefix("Value error, ")
                raise ValueError(f"overrides.{asset_id}{where}: {message}") from None
        return self


class Baseline(Strict):
    """The asset's own normal level: the mean of its first `samples` normal readings, then held.

    Held, not moving: a baseline that kept learning would follow a bearing that wears over days and
    never see it. The reference is learnt once (as condition monitoring learns one after commissioning).
    """

    samples: int = Field(default=500, ge=2, le=100_000)
    min_samples: int = Field(default=100, ge=1)  # no alarm until this many readings were learnt


class ThresholdRule(RuleBase):
    kind: Literal["threshold"] = "threshold"
    field: str = Field(min_length=1)
    above: float | None = None
    below: float | None = None
    clear: float | None = None  # hysteresis: the level that ends an alarm; defaults to the trigger level
    for_: Duration = Field(default=timedelta(0), alias="for")
    when: tuple[Condition, ...] = ()  # only readings meeting all of these are judged
    baseline: Baseline | None = None  # above/below/clear are then multiples of the asset's own baseline

    def field_refs(self) -> list[FieldRef]:
        refs: list[FieldRef] = [("field", self.field, NUMERIC)]
        return refs + [(f"{path}.field", c.field, None) for path, c in self.condition_refs()]

    def condition_refs(self) -> list[tuple[str, Condition]]:
        return [(f"when[{i}]", c) for i, c in enumerate(self.when)]

    @model_validator(mode="after")
    def _levels(self) -> Self:
        if (self.above is None) == (self.below is None):
            raise ValueError("set exactly one of 'above' or 'below'")
        trigger = self.trigger
        if self.baseline is not None and (trigger <= 0 or (self.clear is not None and self.clear <= 0)):
            raise ValueError("with a baseline, above/below/clear are multiples of it and must be above 0")
        if self.clear is not None and (self.clear > trigger if self.above is not None else self.clear < trigger):
            side = "at or below 'above'" if self.above is not None else "at or above 'below'"
            raise ValueError(f"clear {self.clear} must be {side} ({trigger}), or the alarm could never clear")
        return self

    @property
    def trigger(self) -> float:
        """The level that starts an alarm (a multiple of the baseline when there is one)."""
        if self.above is not None:
            return self.above
        if self.below is not None:
            return self.below
        raise RuntimeError("unreachable: the model validator requires above or below")

    @property
    def clear_level(self) -> float:
        return self.clear if self.clear is not None else self.trigger


class StateRule(RuleBase):
    kind: Literal["state"] = "state"
    conditions: tuple[Condition, ...]  # all must hold
    for_: Duration = Field(default=timedelta(0), alias="for")

    @field_validator("conditions")
    @classmethod
    def _some_condition(cls, value: tuple[Condition, ...]) -> tuple[Condition, ...]:
        # Not Field(min_length=1): that would repeat every bad condition's error as "too short".
        if not value:
            raise ValueError('list at least one condition, e.g. [{ field = "fault_code", op = "ne", value = 0 }]')
        return value

    def field_refs(self) -> list[FieldRef]:
        return [(f"{path}.field", c.field, None) for path, c in self.condition_refs()]

    def condition_refs(self) -> list[tuple[str, Condition]]:
        return [(f"conditions[{i}]", c) for i, c in enumerate(self.conditions)]


class EntrapmentRule(RuleBase):
    """Alarm button pressed while the car is stopped with its doors closed, for `for`: someone is trapped."""

    kind: Literal["entrapment"] = "entrapment"
    severity: Severity = Severity.CRITICAL
    for_: Duration = Field(default=timedelta(seconds=30), alias="for")
    stopped_states: tuple[str, ...] = Field(default=("stopped", "idle"), min_length=1)

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.ELEVATOR})


class DaylightWindow(Strict):
    start: TimeOfDay
    end: TimeOfDay
    for_: Duration = Field(default=timedelta(0), alias="for")  # on inside the window this long

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        length = timedelta(hours=self.end.hour - self.start.hour, minutes=self.end.minute - self.start.minute)
        if self.for_ > length:
            raise ValueError(f"'for' is longer than the window ({length}), so it could never fire")
        return self


class ContinuousOnRule(RuleBase):
    """長明燈: a circuit on longer than `max_on`, or on inside the daylight window."""

    kind: Literal["continuous_on"] = "continuous_on"
    field: str = "on"
    max_on: Duration | None = None
    daylight: DaylightWindow | None = None

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.CIRCUIT})

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, frozenset({FieldType.BOOL}))]

    @model_validator(mode="after")
    def _some_check(self) -> Self:
        if self.max_on is None and self.daylight is None:
            raise ValueError("set 'max_on', 'daylight' or both")
        if self.max_on is not None and self.max_on <= timedelta(0):
            raise ValueError("max_on must be longer than 0")
        return self


class UsageWindow(Strict):
    """Use between `start` and `end` each day (crossing midnight if end < start; start = end: all day)."""

    start: TimeOfDay
    end: TimeOfDay
    above: float = Field(ge=0)  # in the meter's unit (m³ for water)


class ContinuousFlowRule(RuleBase):
    """長流水: the total rose in every interval for `rising_for`, or use inside `window` exceeded its limit."""

    kind: Literal["continuous_flow"] = "continuous_flow"
    field: str = "total"
    rising_for: Duration | None = None
    window: UsageWindow | None = None
    min_rise: float = Field(default=0.0, ge=0)  # a rise of this much or less counts as no flow
    clear_after: Duration = timedelta(hours=1)  # the alarm ends after this long without a rise

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.METER})

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, NUMERIC)]

    @model_validator(mode="after")
    def _some_check(self) -> Self:
        if self.rising_for is None and self.window is None:
            raise ValueError("set 'rising_for', 'window' or both")
        return self


class SilenceRule(RuleBase):
    """No reading for `intervals` × the asset's expected interval (and at least `at_least`)."""

    kind: Literal["silence"] = "silence"
    intervals: float = Field(default=4, gt=0, le=10_000)
    at_least: Duration = timedelta(0)


class ConsumptionSpikeRule(RuleBase):
    """Use in a window above `factor` × the mean of the asset's own last `history` windows at that time of day."""

    kind: Literal["consumption_spike"] = "consumption_spike"
    field: str = "total"
    window: Duration = timedelta(days=1)  # windows start at local midnight
    factor: float = Field(default=3.0, gt=1)
    clear_factor: float | None = Field(default=None, gt=0)
    history: int = Field(default=7, ge=1, le=60)
    min_history: int = Field(default=3, ge=1)
    min_usage: float = Field(default=0.0, ge=0)  # never fire below this use, however small the baseline

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.METER})

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, NUMERIC)]

    @model_validator(mode="after")
    def _window_fits_day(self) -> Self:
        seconds = self.window.total_seconds()
        if seconds < 60 or 86_400 % seconds:
            raise ValueError("window must divide a day evenly, e.g. '1h', '6h' or '1d'")
        if self.clear_factor is not None and self.clear_factor > self.factor:
            raise ValueError("clear_factor must be at or below factor")
        if self.min_history > self.history:
            raise ValueError("min_history cannot exceed history")
        return self


AnyRule = (
    ThresholdRule
    | StateRule
    | EntrapmentRule
    | ContinuousOnRule
    | ContinuousFlowRule
    | SilenceRule
    | ConsumptionSpikeRule
)
RULE_KINDS: dict[str, type[AnyRule]] = {
    "threshold": ThresholdRule,
    "state": StateRule,
    "entrapment": EntrapmentRule,
    "continuous_on": ContinuousOnRule,
    "continuous_flow": ContinuousFlowRule,
    "silence": SilenceRule,
    "consumption_spike": ConsumptionSpikeRule,
}


def _by_kind(value: object) -> AnyRule:
    # Dispatched by hand, not Field(discriminator=...): errors read `rules[2].for`, not `rules[2].threshold.for`.
    if isinstance(value, AnyRule):
        return value
    kinds = ", ".join(RULE_KINDS)
    if not isinstance(value, Mapping) or "kind" not in value:
        raise PydanticCustomError("rule_kind", "kind is missing; add kind = one of {kinds}", {"kinds": kinds})
    model = RULE_KINDS.get(value["kind"]) if isinstance(value["kind"], str) else None
    if model is None:
        raise PydanticCustomError("rule_kind", "unknown rule kind; use one of {kinds}", {"kinds": kinds})
    return model.model_validate(value)


RuleSpec = Annotated[AnyRule, PlainValidator(_by_kind, json_schema_input_type=AnyRule)]
_RULE_LIST: TypeAdapter[tuple[RuleSpec, ...]] = TypeAdapter(tuple[RuleSpec, ...])


def parse_rules(raw: object) -> tuple[RuleSpec, ...]:
    """A list of rule tables (as read from TOML) as rule models; pydantic's ValidationError if one is bad."""
    return _RULE_LIST.validate_python(raw)


def validate_rules(rules: Sequence[RuleSpec], site: Site, *, key: str = "rules") -> list[ConfigProblem]:
    """What pydantic cannot check alone: ids, targets, fields and overrides against the site's assets."""
    from core.config_files import ConfigProblem  # here, not at the top: core.config imports core.site

    facts = asset_facts(site)
    by_id = {fact.asset_id: fact for fact in facts}
    problems: list[ConfigProblem] = []
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        at = f"{key}[{i}]"
        if rule.id in seen:
            problems.append(
                ConfigProblem(f"{at}.id", f"duplicate rule id {rule.id!r}, already used at {key}[{seen[rule.id]}]")
            )
        seen.setdefault(rule.id, i)
        named: dict[str, Collection[str]] = {
            "assets": by_id,
            "exclude": by_id,
            "buildings": site.buildings,
            "areas": site.areas,
        }
        unknown = [
            ConfigProblem(f"{at}.targets.{name}[{j}]", f"no {name.removesuffix('s')} {value!r} in this site")
            for name, known in named.items()
            for j, value in enumerate(getattr(rule.targets, name))
            if value not in known
        ]
        targeted = [f for f in facts if f.kind in rule.applies_to and rule.targets.matches(f)]
        unknown += _field_problems(rule, at, {f.kind for f in targeted})
        if not targeted and not unknown:
            kinds = ", ".join(sorted(rule.applies_to))
            unknown.append(
                ConfigProblem(f"{at}.targets", f"matches no asset this {rule.kind} rule applies to ({kinds})")
            )
        problems += unknown
        for asset_id in rule.overrides:
            if asset_id not in by_id:
                problems.append(ConfigProblem(f"{at}.overrides.{asset_id}", f"no asset {asset_id!r} in this site"))
            elif not unknown and not rule.applies(by_id[asset_id]):
                problems.append(ConfigProblem(f"{at}.overrides.{asset_id}", "this rule does not watch that asset"))
    return problems


def _field_problems(rule: RuleSpec, at: str, kinds: set[AssetKind]) -> list[ConfigProblem]:
    from core.config_files import ConfigProblem  # see validate_rules

    problems = []
    for where, name, wanted in rule.field_refs():
        types = {t for kind in kinds if (t := field_type(kind, name)) is not None}
        if kinds and not types:
            known = sorted({f for kind in kinds for f in FIELD_TYPES[kind]})
            problems.append(ConfigProblem(f"{at}.{where}", f"unknown field {name!r}; known: {', '.join(known)}"))
        elif wanted is not None and types and not types & wanted:
            need = "a number" if wanted == NUMERIC else " or ".join(sorted(wanted))
            problems.append(ConfigProblem(f"{at}.{where}", f"field {name!r} is {'/'.join(sorted(types))}; need {need}"))
    for path, condition in rule.condition_refs():
        types = {t for kind in kinds if (t := field_type(kind, condition.field)) is not None}
        if types and not any(_value_fits(v, t) for v in condition.values() for t in types):
            kind_text = "/".join(sorted(types))
            problems.append(
                ConfigProblem(
                    f"{at}.{path}.value",
                    f"field {condition.field!r} is {kind_text}; compare it with a {kind_text} value",
                )
            )
    return problems


def _value_fits(value: ConditionValue, wanted: FieldType) -> bool:
    if wanted is FieldType.BOOL or wanted is FieldType.STRING:
        return isinstance(value, bool if wanted is FieldType.BOOL else str)
    return isinstance(value, int | float) and not isinstance(value, bool)

"""What every rule kind's config shares: severity, title, targets, conditions, overrides and the site checks.

A rule kind is one module in `rules/kinds/` that subclasses `RuleBase` (its config model, titles, message
templates and evaluator) and is registered by an entry point in `facilities.rule_kinds`; see docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import (
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from core.config_files import ConfigProblem, Strict
from core.device_kinds import Trade
from core.durations import Duration
from core.ids import AssetId
from core.measurements import AssetKind, FieldType
from core.site import RuleConfig, RuleSpec, Site
from rules.evaluation import Context, Evaluator
from rules.facts import AssetFacts, asset_facts, field_type

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


class LocalText(Strict):
    zh: str = ""
    en: str = ""


class Targets(Strict):
    """Which assets a rule watches: every criterion given must match, and any one value of a criterion does.

    No criteria means every asset of the kinds the rule applies to.
    """

    assets: tuple[Ident, ...] = ()
    kinds: tuple[AssetKind, ...] = ()
    device_kinds: tuple[Ident, ...] = ()  # sensors of these kinds (water_leak, pump, a site's own, …)
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
            or (self.device_kinds and asset.device_kind not in self.device_kinds)
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


class RuleBase(RuleConfig):
    """A rule's config: what every kind has. A kind adds its settings, `titles`, `templates` and `evaluator`."""

    id: Ident
    severity: Severity = Severity.WARNING
    title: LocalText = Field(default_factory=LocalText)
    targets: Targets = Field(default_factory=Targets)
    enabled: bool = True
    # After an alarm clears, the same rule and asset raise again only once this much time has passed.
    cooldown: Duration = timedelta(0)
    # Per-asset settings that replace the rule's own, e.g. { "B1-L1" = { above = 2.5 } }.
    overrides: dict[Ident, dict[str, Any]] = Field(default_factory=dict)

    # The trade (work-order category, and so the team) of the orders it opens; unset: the sensor kind's trade,
    # else the asset kind's (elevator → elevator, circuit → lighting, meter → metering).
    trade: Trade | None = None

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset(AssetKind)
    titles: ClassVar[tuple[str, str]] = ("", "")  # the alarm title (zh-CN, en)
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {}  # message key → (zh-CN, en); see rules.messages
    fixed_keys: ClassVar[frozenset[str]] = frozenset({"id", "kind", "targets", "overrides"})

    def evaluator(self, context: Context) -> Evaluator:
        """A fresh evaluator of this rule on `context.asset`."""
        raise NotImplementedError(f"rule kind {self.kind!r} has no evaluator")

    def trade_for(self, tags: Mapping[str, str]) -> str | None:
        """The trade of an order this rule opens on an asset with `tags`; None: the sensor kind's or asset kind's."""
        return self.trade

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
            and all(field_type(asset, name) is not None for _, name, _ in self.field_refs())
        )

    def for_asset(self, asset_id: str) -> Self:
        """This rule with the asset's overrides applied."""
        change = self.overrides.get(asset_id)
        if not change:
            return self
        data = self.model_dump(by_alias=True, exclude={"overrides"})
        data.update(change)
        return self.model_validate(data)

    def site_problems(self, site: Site, at: str) -> list[ConfigProblem]:
        """Targets, fields and overrides against the site's assets."""
        facts = asset_facts(site)
        by_id = {fact.asset_id: fact for fact in facts}
        problems: list[ConfigProblem] = []
        named: dict[str, Collection[str]] = {
            "assets": by_id,
            "exclude": by_id,
            "buildings": site.buildings,
            "areas": site.areas,
        }
        unknown = [
            ConfigProblem(f"{at}.targets.{name}[{j}]", f"no {name.removesuffix('s')} {value!r} in this site")
            for name, known in named.items()
            for j, value in enumerate(getattr(self.targets, name))
            if value not in known
        ]
        targeted = [f for f in facts if f.kind in self.applies_to and self.targets.matches(f)]
        unknown += _field_problems(self, at, targeted)
        if not targeted and not unknown:
            kinds = ", ".join(sorted(self.applies_to))
            unknown.append(
                ConfigProblem(f"{at}.targets", f"matches no asset this {self.kind} rule applies to ({kinds})")
            )
        problems += unknown
        for asset_id in self.overrides:
            if asset_id not in by_id:
                problems.append(ConfigProblem(f"{at}.overrides.{asset_id}", f"no asset {asset_id!r} in this site"))
            elif not unknown and not self.applies(by_id[asset_id]):
                problems.append(ConfigProblem(f"{at}.overrides.{asset_id}", "this rule does not watch that asset"))
        return problems

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


AnyRule = RuleBase
_RULE_LIST: TypeAdapter[tuple[RuleSpec, ...]] = TypeAdapter(tuple[RuleSpec, ...])


def parse_rules(raw: object) -> tuple[AnyRule, ...]:
    """A list of rule tables (as read from TOML) as rule models; pydantic's ValidationError if one is bad."""
    return as_rule_bases(_RULE_LIST.validate_python(raw))


def as_rule_bases(rules: Iterable[RuleConfig]) -> tuple[AnyRule, ...]:
    """The site's rules as `RuleBase`s (every registered kind is one); TypeError names one that is not."""
    out = []
    for rule in rules:
        if not isinstance(rule, RuleBase):
            raise TypeError(f"rule kind {type(rule).__qualname__} does not derive from rules.config.RuleBase")
        out.append(rule)
    return tuple(out)


def _field_problems(rule: RuleBase, at: str, assets: list[AssetFacts]) -> list[ConfigProblem]:
    problems = []
    for where, name, wanted in rule.field_refs():
        types = {t for asset in assets if (t := field_type(asset, name)) is not None}
        if assets and not types:
            known = sorted({f for asset in assets for f in asset.fields})
            problems.append(ConfigProblem(f"{at}.{where}", f"unknown field {name!r}; known: {', '.join(known)}"))
        elif wanted is not None and types and not types & wanted:
            need = "a number" if wanted == NUMERIC else " or ".join(sorted(wanted))
            problems.append(ConfigProblem(f"{at}.{where}", f"field {name!r} is {'/'.join(sorted(types))}; need {need}"))
    for path, condition in rule.condition_refs():
        types = {t for asset in assets if (t := field_type(asset, condition.field)) is not None}
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

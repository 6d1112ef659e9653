"""The alerts file's shape (TOML): channels, teams with members and an on-call roster, routing rules, escalation.

Models forbid unknown keys so a misspelt key is an error. Cross-references (a rule's team must exist …) are
checked in `alerts.loading`, where the error can name the key path. Secrets are never in the file: a channel
names the environment variable that holds its URL, key or password (`url_env`, `secret_env`, `password_env`).
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from core.config_files import Strict
from core.durations import Duration, TimeOfDay
from core.ids import AssetId as Ident
from workorders.values import Category, Priority

Locale = Literal["zh-CN", "en"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_RANGE = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?")
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


def parse_days(value: object) -> tuple[int, ...]:
    """`["mon-fri", "sun"]`, `"sat-sun"` or `"daily"` as weekday numbers (Monday 0), in order."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("list the days, e.g. ['mon-fri'] or ['sat', 'sun']")
    days: set[int] = set()
    for item in items:
        text = str(item).strip().lower()
        if text in {"daily", "*"}:
            days.update(range(7))
            continue
        match = _DAY_RANGE.fullmatch(text)
        if match is None:
            raise ValueError(f"{item!r} is not a day; write mon … sun, a range such as 'mon-fri', or 'daily'")
        first = WEEKDAYS.index(match[1])
        last = WEEKDAYS.index(match[2] or match[1])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)])
    return tuple(sorted(days))


Weekdays = Annotated[tuple[int, ...], BeforeValidator(parse_days)]


class _Strict(Strict):
    # Channel keys may also be written by their alias.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _UrlChannel(_Strict):
    """A channel whose endpoint is a URL: in the file (`url`) or, when it holds a key, in the environment."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: EnvName | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _one_url(self) -> Self:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env (the environment variable holding the URL)")
        return self


class MqttChannel(_Strict):
    """Alerts and a retained state per work order on the hub's broker (FACILITIES_MQTT_*)."""

    type: Literal["mqtt"]
    topic_prefix: str = Field(min_length=1, pattern=r"^[^#+]*[^#+/]$")  # no wildcards, no trailing slash
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class WebhookChannel(_UrlChannel):
    """JSON POST to any HTTP peer (an SMS gateway, a ticket system); HMAC-signed when `secret_env` is set."""

    type: Literal["webhook"]
    secret_env: EnvName | None = None
    signature_header: str = Field(default="X-Facilities-Signature", pattern=r"^[A-Za-z0-9-]+$")


class WeComChannel(_UrlChannel):
    """A WeCom (企業微信) group robot; the URL carries the robot's key, so keep it in `url_env`."""

    type: Literal["wecom"]


class DingTalkChannel(_UrlChannel):
    """A DingTalk (釘釘) group robot; `secret_env` holds the SEC… secret when the robot requires signing (加簽)."""

    type: Literal["dingtalk"]
    secret_env: EnvName | None = None


class EmailChannel(_Strict):
    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=465, ge=1, le=65_535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str | None = None
    password_env: EnvName | None = None
    sender: str = Field(min_length=3)
    to: tuple[str, ...] = ()  # used as a team channel: these addresses, else the on-call members' e-mail
    timeout_s: float = Field(default=10.0, gt=0, le=120)


AnyChannel = Annotated[
    MqttChannel | WebhookChannel | WeComChannel | DingTalkChannel | EmailChannel, Field(discriminator="type")
]
GROUP_ONLY = frozenset({"wecom", "dingtalk"})  # group robots: a team's channel, never one person's


class Member(_Strict):
    id: Ident
    name: str = Field(min_length=1)
    phone: str = Field(default="", pattern=r"^\+?[0-9 -]*$")
    email: str = ""
    wecom_id: str = ""  # the WeCom userid, to @mention the person in the group
    channels: tuple[Ident, ...] = ()  # personal channels: SMS gateway webhook, e-mail, MQTT pager


class Shift(_Strict):
    """On call on `days` from `from` to `to` (site time); `to` at or before `from` runs into the next day."""

    days: Weekdays
    from_: TimeOfDay | None = Field(default=None, alias="from")
    to: TimeOfDay | None = None
    members: tuple[Ident, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.from_ is None) != (self.to is None):
            raise ValueError("give both 'from' and 'to', or neither for the whole day")
        return self


class Team(_Strict):
    name: str = ""
    locale: Locale | None = None
    channels: tuple[Ident, ...] = ()  # group channels: one message per alert, mentioning who is on call
    members: tuple[Member, ...] = ()
    roster: tuple[Shift, ...] = ()  # none: every member is on call; a gap in the roster: every member too


class RouteRule(_Strict):
    """Orders of these categories and priorities (empty = any) go to `teams`; the first matching rule wins."""

    categories: tuple[Category, ...] = ()
    priorities: tuple[Priority, ...] = ()
    teams: tuple[Ident, ...] = Field(min_length=1)
    escalation: Ident | None = None
    breach_teams: tuple[Ident, ...] = ()  # told when an SLA step is missed

    def matches(self, category: Category, priority: Priority) -> bool:
        return (not self.categories or category in self.categories) and (
            not self.priorities or priority in self.priorities
        )


class EscalationStep(_Strict):
    after: Duration  # counted from the first alert
    teams: tuple[Ident, ...] = Field(min_length=1)


class EscalationChain(_Strict):
    steps: tuple[EscalationStep, ...] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: tuple[EscalationStep, ...]) -> tuple[EscalationStep, ...]:
        afters = [step.after for step in steps]
        if afters and (afters[0].total_seconds() <= 0 or any(b <= a for a, b in itertools.pairwise(afters))):
            raise ValueError("each step's 'after' must be above zero and later than the step before it")
        return steps


class Calendar(_Strict):
    """The official calendar's exceptions to the week: public holidays and the weekend days worked instead (调休).

    For the rosters a holiday is a Sunday and a make-up working day a Monday, so `days = ["mon-fri"]` shifts
    cover 2026-09-27 (a Sunday worked) and `["sat-sun"]` shifts cover 2026-10-01 to 10-07.
    """

    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"{', '.join(d.isoformat() for d in both)} cannot be both a holiday and a workday")
        return self

    def weekday(self, day: date) -> int:
        """The weekday (Monday 0) whose shifts apply on `day`."""
        if day in self.holidays:
            return 6
        if day in self.workdays:
            return 0
        return day.weekday()


LINK_FIELDS = {"base": "", "id": "0", "code": "WO-20261126-0001", "site": "site"}


class AlertsFile(_Strict):
    locale: Locale = "zh-CN"
    # The work order's page: {base} (FACILITIES_PUBLIC_URL), {id}, {code} and {site} are filled in. Each
    # recipient's copy gets their own signed ?k= token, so the link lets them act on that order.
    link: str = ""
    state_channels: tuple[Ident, ...] = ()  # MQTT channels that get every order's state, retained
    channels: dict[Ident, AnyChannel] = Field(min_length=1)
    teams: dict[Ident, Team] = Field(min_length=1)
    rules: tuple[RouteRule, ...] = Field(min_length=1)
    escalations: dict[Ident, EscalationChain] = Field(default_factory=dict)
    calendar: Calendar = Field(default_factory=Calendar)  # public holidays and 调休 for the rosters

    @field_validator("link")
    @classmethod
    def _known_placeholders(cls, link: str) -> str:
        try:
            link.format(**LINK_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{link!r} uses {exc}; the link may use {{base}}, {{id}}, {{code}} and {{site}}") from None
        return link

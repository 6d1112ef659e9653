"""Device profiles: register maps shipped as TOML files in `collectors/modbus/profiles/`, plus site overrides.

A profile is `description = "..."` and one `[[fields]]` table per `RegisterField`. A site file
may override any attribute of a profile field except its name, field by field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources

from pydantic import ValidationError

from collectors.modbus.registers import RegisterField, RegisterMap

PROFILE_PACKAGE = "collectors.modbus.profiles"
_SUFFIX = ".toml"
# The name identifies the field, so renaming it is not an override but a different field.
_OVERRIDABLE = tuple(name for name in RegisterField.model_fields if name != "name")


class ProfileError(ValueError):
    """An unknown profile, a broken profile file, or an override that does not fit the profile."""


def available_profiles() -> list[str]:
    """Names of the shipped profiles (file names without `.toml`), sorted."""
    root = resources.files(PROFILE_PACKAGE)
    return sorted(
        entry.name.removesuffix(_SUFFIX) for entry in root.iterdir() if entry.is_file() and entry.name.endswith(_SUFFIX)
    )


@cache  # Profiles are immutable data shipped with the package; parse each once.
def load_profile(name: str) -> RegisterMap:
    """The register map of profile `name`; raises `ProfileError` naming the available profiles."""
    known = available_profiles()
    # Checking against the list also keeps a name like "../x" from reaching the file system.
    if name not in known:
        raise ProfileError(f"unknown device profile {name!r}; available: {', '.join(known) or '(none)'}")
    text = resources.files(PROFILE_PACKAGE).joinpath(name + _SUFFIX).read_text(encoding="utf-8")
    try:
        return RegisterMap.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProfileError(f"device profile {name!r} is invalid: {exc}") from None


def apply_overrides(
    register_map: RegisterMap,
    overrides: Mapping[str, Mapping[str, object]],
    *,
    profile: str | None = None,
) -> RegisterMap:
    """A copy of `register_map` with `overrides[field_name]` attributes replaced, all re-validated.

    `profile` only names the map in error messages.
    """
    where = f"device profile {profile!r}" if profile else "register map"
    unknown = sorted(set(overrides) - set(register_map.names))
    if unknown:
        raise ProfileError(
            f"override for unknown field(s) {', '.join(map(repr, unknown))} of {where}; "
            f"fields: {', '.join(register_map.names)}"
        )
    fields: list[RegisterField] = []
    for f in register_map.fields:
        changes = overrides.get(f.name)
        if not changes:
            fields.append(f)
            continue
        bad_keys = sorted(set(changes) - set(_OVERRIDABLE))
        if bad_keys:
            raise ProfileError(
                f"override of field {f.name!r} of {where}: cannot set {', '.join(map(repr, bad_keys))}; "
                f"can set: {', '.join(_OVERRIDABLE)}"
            )
        try:
            # model_copy(update=...) skips validation, so rebuild the field from its data instead.
            fields.append(RegisterField.model_validate({**f.model_dump(), **changes}))
        except ValidationError as exc:
            raise ProfileError(f"override of field {f.name!r} of {where} is invalid: {exc}") from None
    try:
        return RegisterMap(description=register_map.description, fields=tuple(fields))
    except ValidationError as exc:
        raise ProfileError(f"overrides of {where} make it invalid: {exc}") from None

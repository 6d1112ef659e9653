"""Channels from the alerts file and the environment: URLs with keys, secrets and passwords come from env vars."""

from __future__ import annotations

from collections.abc import Mapping

from alerts import config
from alerts.channels.base import Channel
from alerts.channels.email import EmailChannel
from alerts.channels.http import DingTalkChannel, WebhookChannel, WeComChannel
from alerts.channels.mqtt import MqttChannel, MqttPublisher
from core.clock import Clock
from core.config_files import ConfigError, ConfigProblem
from core.secret_policy import WeakSecret, weakness
from core.settings import PLACEHOLDERS


def build_channels(
    file: config.AlertsFile,
    *,
    environ: Mapping[str, str],
    clock: Clock,
    mqtt: MqttPublisher | None = None,
    production: bool = False,
    source: str = "alerts",
) -> dict[str, Channel]:
    """Every channel of the file by name; `ConfigError` names each environment variable that is missing.

    `mqtt` is the broker connection for MQTT channels (`MqttPublisher.from_settings`); it is needed only
    when the file has one. In `production` a placeholder secret ("changeme" …) is refused like a missing one.
    """
    problems: list[ConfigProblem] = []

    def secret(name: str, key: str, variable: str | None, *, ours: bool = False) -> str | None:
        # `ours`: a signing secret we choose, held to the secret policy in production; a robot URL or a
        # mailbox password is the provider's, so only a placeholder is refused there.
        if variable is None:
            return None
        value = environ.get(variable, "").strip()
        if not value:
            problems.append(ConfigProblem(f"channels.{name}.{key}", f"environment variable {variable} is not set"))
        elif production and value.lower() in PLACEHOLDERS:
            problems.append(
                ConfigProblem(f"channels.{name}.{key}", f"{variable} holds a placeholder; set the real one")
            )
        elif production and ours and (reason := weakness(value)) is not None:
            problems.append(ConfigProblem(f"channels.{name}.{key}", str(WeakSecret(variable, reason))))
        return value or None

    channels: dict[str, Channel] = {}
    for name, spec in file.channels.items():
        if isinstance(spec, config.MqttChannel):
            if mqtt is None:
                problems.append(ConfigProblem(f"channels.{name}", "an MQTT channel needs the hub's broker connection"))
                continue
            channels[name] = MqttChannel(name, mqtt, topic_prefix=spec.topic_prefix, timeout_s=spec.timeout_s)
        elif isinstance(spec, config.EmailChannel):
            channels[name] = EmailChannel(
                name,
                host=spec.host,
                port=spec.port,
                security=spec.security,
                sender=spec.sender,
                clock=clock,
                username=spec.username,
                password=secret(name, "password_env", spec.password_env),
                to=spec.to,
                timeout_s=spec.timeout_s,
            )
        else:
            url = spec.url or secret(name, "url_env", spec.url_env) or ""
            if isinstance(spec, config.WebhookChannel):
                channels[name] = WebhookChannel(
                    name,
                    url,
                    clock=clock,
                    secret=secret(name, "secret_env", spec.secret_env, ours=True),
                    signature_header=spec.signature_header,
                    timeout_s=spec.timeout_s,
                )
            elif isinstance(spec, config.WeComChannel):
                channels[name] = WeComChannel(name, url, timeout_s=spec.timeout_s)
            else:
                signing = secret(name, "secret_env", spec.secret_env, ours=True)
                channels[name] = DingTalkChannel(name, url, clock=clock, secret=signing, timeout_s=spec.timeout_s)
    if problems:
        for channel in channels.values():
            channel.close()
        raise ConfigError(source, problems)
    return channels

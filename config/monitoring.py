"""The ``monitoring`` section: alert receivers, the platform's own receivers, retention and storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool

from config.base import Issue, Model, rule
from config.rules import (
    Bound,
    HttpsUrl,
    NonEmptyStr,
    Quantity,
    Rfc1123Label,
    Rule,
)
from domain.alerts import CHART_RECEIVERS, Receiver

# Alertmanager takes Go durations; Prometheus's retention the same units plus d, w, y.
RetentionDuration = Annotated[str, Field(strict=True), Rule(
    "is not a Prometheus duration such as '15d' or '12h' (a number and one of ms, s, m, h, d, w, y)",
    pattern=r"[1-9][0-9]{0,5}(?:ms|s|m|h|d|w|y)",
)]


EmailAddress = Annotated[str, Field(strict=True), Rule(
    "is not an e-mail address (local@domain.tld, no name or brackets)",
    pattern=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+",
)]


SmtpHost = Annotated[str, Field(strict=True), Rule(
    "is not an SMTP host with its port, e.g. smtp.company.com:587", pattern=r"[a-z0-9.-]+:[0-9]{1,5}",
)]


SlackChannel = Annotated[str, Field(strict=True), Rule(
    "is not a Slack channel or user ('#channel' or '@user')", pattern=r"[#@][^\s]+",
)]


ReceiverName = Annotated[Rfc1123Label, Rule(
    f"is a receiver name the chart defines itself ({', '.join(sorted(CHART_RECEIVERS))}); choose another",
    test=lambda value: value not in CHART_RECEIVERS,
)]


class EmailReceiver(Model):
    to: Annotated[list[EmailAddress], Field(min_length=1)]
    """addresses the alerts go to"""
    from_: EmailAddress = Field(alias="from")
    """sender address"""
    smarthost: SmtpHost
    """SMTP relay host:port"""
    auth_username: NonEmptyStr | None = None
    """SMTP user; its password is the receiver's entry in the secret alertReceiverSecrets"""
    require_tls: StrictBool = True
    """require STARTTLS"""


class SlackReceiver(Model):
    channel: SlackChannel
    """'#channel' or '@user' (the webhook URL is the receiver's entry in the secret alertReceiverSecrets)"""


class PagerDutyReceiver(Model):
    url: HttpsUrl | None = None
    """Events API v2 endpoint (default PagerDuty's own; the routing key is the receiver's entry in the secret
    alertReceiverSecrets)"""


class WebhookReceiver(Model):
    max_alerts: Annotated[int, Field(strict=True, ge=0), Bound(10000, "Alertmanager sends at most that many in "
                                                                "one message anyway")] = 0
    """most alerts in one message (0: all; at most 10000); the URL is the receiver's entry in the secret
    alertReceiverSecrets"""


class AlertReceiver(Model):
    """Where alerts go: exactly one of email, slack, pagerduty or webhook. Its credential (SMTP password,
    Slack or webhook URL, PagerDuty routing key) is never here: it is the receiver's entry in the secret
    alertReceiverSecrets."""

    email: EmailReceiver | None = None
    """e-mail through an SMTP relay"""
    slack: SlackReceiver | None = None
    """a Slack channel through an incoming webhook"""
    pagerduty: PagerDutyReceiver | None = None
    """a PagerDuty service (Events API v2)"""
    webhook: WebhookReceiver | None = None
    """an HTTP endpoint that takes Alertmanager's webhook payload"""
    send_resolved: StrictBool = True
    """also notify when an alert resolves"""

    @rule
    def _exactly_one(self) -> Iterator[Issue]:
        if len(self.kinds) != 1:
            yield Issue("", "set exactly one of 'email', 'slack', 'pagerduty' or 'webhook'")

    @property
    def kinds(self) -> list[Literal["email", "slack", "pagerduty", "webhook"]]:
        kinds: list[Literal["email", "slack", "pagerduty", "webhook"]] = []
        for kind in ("email", "slack", "pagerduty", "webhook"):
            if getattr(self, kind) is not None:
                kinds.append(kind)
        return kinds

    @property
    def needs_secret(self) -> bool:
        return self.email is None or self.email.auth_username is not None

    def spec(self, name: str) -> Receiver:
        """The receiver as Alertmanager settings (its credential comes from a file)."""
        settings: dict[str, Any] = {"send_resolved": self.send_resolved}
        if self.email is not None:
            email = self.email
            settings |= {"to": ", ".join(email.to), "from": email.from_, "smarthost": email.smarthost,
                         "require_tls": email.require_tls}
            if email.auth_username is not None:
                settings["auth_username"] = email.auth_username
        elif self.slack is not None:
            settings["channel"] = self.slack.channel
        elif self.pagerduty is not None and self.pagerduty.url is not None:
            settings["url"] = self.pagerduty.url
        elif self.webhook is not None and self.webhook.max_alerts:
            settings["max_alerts"] = self.webhook.max_alerts
        return Receiver(name, self.kinds[0], settings, self.needs_secret)


class PrometheusStorage(Model):
    size: Quantity
    """size of Prometheus's volume, e.g. 200Gi"""
    storage_class_name: Rfc1123Label | None = None
    """storage class of the volume (default: the cluster's default class)"""


class MonitoringConfig(Model):
    """Alert routing and Prometheus retention (docs/monitoring.md)."""

    receivers: Annotated[dict[ReceiverName, AlertReceiver], Field(min_length=1)]
    """receivers by name; tenants and the platform name them"""
    platform_receiver: Rfc1123Label
    """receiver of the platform's alerts (tier platform)"""
    platform_critical_receiver: Rfc1123Label | None = None
    """receiver that also gets the platform's critical alerts, e.g. a pager"""
    default_tenant_receiver: Rfc1123Label | None = None
    """receiver of the alerts of tenants without alerts.receiver (unset: every tenant must name one)"""
    retention: RetentionDuration = "15d"
    """how long Prometheus keeps metrics"""
    storage: PrometheusStorage | None = None
    """Prometheus's volume (default: the chart's, 100Gi)"""

    @rule
    def _known_receivers(self) -> Iterator[Issue]:
        for key, attribute in (("platformReceiver", "platform_receiver"),
                               ("platformCriticalReceiver", "platform_critical_receiver"),
                               ("defaultTenantReceiver", "default_tenant_receiver")):
            name = getattr(self, attribute, None)
            if name is not None and name not in self.receivers:
                yield Issue(key, f"{name!r} is not defined under monitoring.receivers "
                            f"(defined: {', '.join(sorted(self.receivers))})")

"""Catalogue part "plugins": the words of ``mailtls check`` (Nagios/Icinga),
``mailtls exporter`` (Prometheus) and ``mailtls zabbix``, gettext domain mailtls-plugins.

The plugin states (OK, WARNING, CRITICAL, UNKNOWN) and metric names are conventions that
monitoring systems read, and are never translated; the sentences around them are.
"""

from __future__ import annotations

from ..entry import Part

UI_STRINGS: tuple[str, ...] = (
    # mailtls check (mailtls.export.nagios)
    "{target} ({address})",
    "{target}: {what}",
    "; ",
    "certificate verified",
    "expires {date} ({left})",
    "expired {date} ({ago})",
    "not reachable: {title}",
    "not checked: {title}",
    # mailtls check --domain (mailtls.export.domain_nagios)
    "DNS look-up failed",
    "{passed} of {total} MX hosts pass",
    # mailtls exporter (mailtls.cli.exporter)
    "mailtls exporter listening on http://{address}/ (metrics: /metrics, probes: /probe)",
    "no target: give /probe?target=SCHEME://HOST[:PORT]",
    "too many targets in one probe: {count} (at most {limit})",
    "target {target} is not allowed: add it to the inventory or to --allow",
    "bad target {target}: {error}",
    "too many probes at once (at most {limit}); try again later",
    "not found: the exporter serves /metrics and /probe",
    "--listen {listen}: expected ADDRESS:PORT",
    "nothing to probe: give --allow PATTERN, --targets FILE or --inventory FILE",
    "pass over {count} targets done in {seconds} s",
    "stopping",
    # mailtls zabbix (mailtls.cli.zabbix)
    "{server}: expected HOST[:PORT]",
    "Zabbix {server}: {processed} of {total} values accepted for host {host}",
    "values refused: {failed}. Link the template \"mailtls TLS\" to host {host}; items "
    "discovered now accept values after the server's next configuration update",
    "Zabbix {server}: nothing sent ({error})",
)

PLURALS: tuple[tuple[str, str], ...] = (
    ("{count} day left", "{count} days left"),
    ("{count} day ago", "{count} days ago"),
    ("threshold {count} day", "threshold {count} days"),
)

PART = Part("mailtls-plugins", (), UI_STRINGS, plurals=PLURALS)

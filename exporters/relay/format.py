"""Russian notification text (HTML, which both Max and Telegram accept) and its split into messages.

One message carries a header (counts and region), one block per alert and a footer (dashboard link). A
webhook's alerts share messages while they fit the platform's limit; blocks are never split across
messages. A block that alone exceeds the limit is shortened: its description first, then its summary,
each cut at a character and ended with "…", so the tags around them stay intact.

Lengths are counted in UTF-16 code units (what Telegram counts; an emoji is two), never less than
Python's `len`, so a message within the budget is within the limit on either platform.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from collector.regions import Regions
from exporters.relay.payloads import Alert, Link

MSK = timezone(timedelta(hours=3), "МСК")  # Moscow has kept UTC+3 all year since 2014
ELLIPSIS = "…"
BLOCK_SEPARATOR = "\n\n"
FIRING, RESOLVED = "🔴", "✅"
SEVERITIES = {"critical": "критично", "warning": "предупреждение", "info": "информация"}
PLATFORMS = {"max": "Max", "vk": "ВКонтакте", "telegram": "Telegram"}
ANNOTATION_LINKS = (("dashboard_url", "Дашборд"), ("runbook_url", "Инструкция"))
_WORST_PART = "\n(часть 99999 из 99999)"


def text_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def link(item: Link) -> str:
    return f'<a href="{html.escape(item.url, quote=True)}">{esc(item.title)}</a>'


@dataclass(frozen=True, slots=True)
class Formatter:
    regions: Regions
    dashboard_url: str = ""

    def messages(self, alerts: Sequence[Alert], limit: int, truncated: int = 0) -> list[str]:
        """The alerts as messages of at most `limit` characters each, every alert in exactly one."""
        header = self._header(alerts)
        footer = self._footer(truncated)
        budget = limit - text_length(header + _WORST_PART) - text_length(footer) - 2 * len(BLOCK_SEPARATOR)
        if budget < 200:
            raise ValueError(f"a limit of {limit} characters leaves no room for an alert")
        groups = _pack([self.block(alert, budget) for alert in alerts], budget)
        total = len(groups)
        parts = []
        for number, blocks in enumerate(groups, start=1):
            title = header + (f"\n(часть {number} из {total})" if total > 1 else "")
            parts.append(BLOCK_SEPARATOR.join([title, *blocks, *([footer] if footer else [])]))
        return parts

    def block(self, alert: Alert, budget: int) -> str:
        """One alert's text, shortened to `budget` characters if it is longer."""
        summary = alert.annotations.get("summary") or alert.name or "Оповещение"
        description = alert.annotations.get("description", "")
        full = self._block(alert, summary, description)
        if text_length(full) <= budget:
            return full
        shorter = _shorten(lambda d: self._block(alert, summary, d), description, budget)
        if shorter is not None:
            return shorter
        shortest = _shorten(lambda s: self._block(alert, s, ""), summary, budget)
        if shortest is not None:
            return shortest
        return _hard_cut(esc(summary), budget)

    def _block(self, alert: Alert, summary: str, description: str) -> str:
        icon, verb = (FIRING, "Сработало") if alert.status == "firing" else (RESOLVED, "Решено")
        lines = [f"{icon} <b>{verb}:</b> <b>{esc(summary)}</b>"]
        if description:
            lines.append(esc(description))
        lines.append(self._facts(alert))
        if alert.values:
            lines.append("Значения: " + "; ".join(f"{esc(k)} = {_number(v)}" for k, v in alert.values))
        lines.append(_timing(alert))
        links = _links(alert)
        if links:
            lines.append(" · ".join(link(item) for item in links))
        return "\n".join(lines)

    def _facts(self, alert: Alert) -> str:
        labels = alert.labels
        facts = []
        severity = labels.get("severity")
        if severity:
            facts.append(f"Важность: {esc(SEVERITIES.get(severity, severity))}")
        region = labels.get("region")
        if region:
            facts.append(f"Регион: {esc(self.region_name(region))}")
        channel = labels.get("channel")
        if channel:
            platform = labels.get("platform", "")
            facts.append(f"Канал: {esc(PLATFORMS.get(platform, platform))} {esc(channel)}".replace("  ", " "))
        elif labels.get("platform"):
            facts.append(f"Платформа: {esc(PLATFORMS.get(labels['platform'], labels['platform']))}")
        if not facts or alert.name:
            facts.append(f"Правило: {esc(alert.name or 'без имени')}")
        return " · ".join(facts)

    def region_name(self, code: str) -> str:
        region = self.regions.get(code)
        return f"{region.name_ru} ({region.code})" if region is not None else code

    def _header(self, alerts: Sequence[Alert]) -> str:
        firing = sum(1 for a in alerts if a.status == "firing")
        resolved = len(alerts) - firing
        counts = [f"{FIRING} Сработало: {firing}"] if firing else []
        counts += [f"{RESOLVED} Решено: {resolved}"] if resolved else []
        header = "<b>govpulse</b> · " + " · ".join(counts)
        regions = {a.labels.get("region", "") for a in alerts}
        if len(regions) == 1 and "" not in regions:
            header += f"\n{esc(self.region_name(regions.pop()))}"
        return header

    def _footer(self, truncated: int) -> str:
        lines = []
        if truncated:
            lines.append(f"Ещё {truncated} оповещ. не вошли в уведомление (ограничение max_alerts).")
        if self.dashboard_url.startswith(("http://", "https://")):
            lines.append(link(Link("Дашборды govpulse", self.dashboard_url)))
        return "\n".join(lines)


def _links(alert: Alert) -> list[Link]:
    links = list(alert.links)
    for key, title in ANNOTATION_LINKS:
        url = alert.annotations.get(key, "")
        if url.startswith(("http://", "https://")) and all(item.url != url for item in links):
            links.append(Link(title, url))
    return links


def _timing(alert: Alert) -> str:
    started = _moment(alert.starts_at)
    if alert.status == "firing" or alert.ends_at is None:
        return f"Начало: {started}"
    lasted = _duration(alert.ends_at - alert.starts_at)
    return f"Начало: {started} · завершено: {_moment(alert.ends_at)} · длительность: {lasted}"


def _moment(moment: datetime) -> str:
    return moment.astimezone(MSK).strftime("%d.%m.%Y %H:%M МСК")


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "дн"), (hours, "ч"), (minutes, "мин")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) if shown else f"{seconds} с"


def _number(value: float | None) -> str:
    if value is None:
        return "нет данных"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:.6g}".replace(".", ",")


def _pack(blocks: Sequence[str], budget: int) -> list[list[str]]:
    """Greedy: keep adding blocks to the current message while it stays within the budget."""
    groups: list[list[str]] = []
    used = 0
    for block in blocks:
        size = text_length(block) + len(BLOCK_SEPARATOR)
        if groups and used + size <= budget:
            groups[-1].append(block)
            used += size
        else:
            groups.append([block])
            used = size
    return groups


def _shorten(render: Callable[[str], str], text: str, budget: int) -> str | None:
    """The longest `text[:n] + "…"` whose rendering fits the budget (binary search), or None."""
    if text_length(render("")) > budget:
        return None
    low, high = 0, len(text)  # text[:low] fits; text[:high + 1] does not
    while low < high:
        middle = (low + high + 1) // 2
        if text_length(render(text[:middle].rstrip() + ELLIPSIS)) <= budget:
            low = middle
        else:
            high = middle - 1
    return render(text[:low].rstrip() + ELLIPSIS if low else "")


def _hard_cut(escaped: str, budget: int) -> str:
    """Last resort for a block whose fixed parts alone are too long: plain text, cut at a safe point."""
    cut = escaped
    while text_length(cut) > budget - 1:
        cut = cut[: max(0, len(cut) - max(1, text_length(cut) - budget + 1))]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # do not leave half an entity such as "&am"
    return cut + ELLIPSIS

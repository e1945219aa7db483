"""When static roles rotate: a fixed period or a 5-field cron schedule, plus retry backoff.

Due times are absolute unix timestamps kept in storage, so a store that was sealed or stopped
finds every overdue rotation on its first tick after unseal and runs it (catch-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MIN_ROTATION_PERIOD = 5
BACKOFF_BASE_SECONDS = 1
BACKOFF_MAX_SECONDS = 300

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 6))  # fmt: skip
_SEARCH_LIMIT = timedelta(days=366 * 5)


class CronError(ValueError):
    """A rotation_schedule that is not a valid 5-field cron expression."""


@dataclass(frozen=True)
class CronSchedule:
    """A parsed 5-field cron expression (minute hour day-of-month month day-of-week), UTC.

    As in classic cron, when both day fields are restricted a day matches either of them.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        """Parse `* * * * *` style text; raise CronError naming the bad field."""
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"rotation_schedule {text!r} must have 5 fields")
        sets = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
        # Sunday may be written 7 as well as 0.
        weekdays = frozenset(d % 7 for d in _parse_field(parts[4], "day of week", 0, 7))
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays,
                   parts[2] != "*", parts[4] != "*")  # fmt: skip

    def matches_day(self, moment: datetime) -> bool:
        """True when the date (not the time) of `moment` is a scheduled day."""
        in_days = moment.day in self.days
        in_weekdays = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, ts: float) -> float:
        """The first scheduled minute strictly after unix time `ts`."""
        moment = datetime.fromtimestamp(ts, UTC).replace(second=0, microsecond=0)
        moment += timedelta(minutes=1)
        limit = moment + _SEARCH_LIMIT
        while moment < limit:
            if moment.month not in self.months:
                moment = _first_of_next_month(moment)
            elif not self.matches_day(moment):
                moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
            elif moment.hour not in self.hours:
                moment = (moment + timedelta(hours=1)).replace(minute=0)
            elif moment.minute not in self.minutes:
                moment += timedelta(minutes=1)
            else:
                return moment.timestamp()
        raise CronError("rotation_schedule never fires")


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0)


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, name, low, high))
    return frozenset(values)


def _parse_item(item: str, name: str, low: int, high: int) -> range:
    base, _, step_text = item.partition("/")
    try:
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(base)
            end = high if step_text else start
    except ValueError:
        raise CronError(f"invalid {name} field {item!r} in rotation_schedule") from None
    if step < 1 or start < low or end > high or start > end:
        raise CronError(f"{name} field {item!r} is out of range {low}-{high}")
    return range(start, end + 1, step)


def next_rotation(last_rotation: float, period: int, schedule: str) -> float:
    """When a static role is next due: last rotation + period, or the next cron minute."""
    if schedule:
        return CronSchedule.parse(schedule).next_after(last_rotation)
    return last_rotation + period


def retry_delay(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failed rotations (1, 2, 4 ... 300)."""
    exponent = max(failures - 1, 0)
    return min(BACKOFF_BASE_SECONDS * (2 ** min(exponent, 16)), BACKOFF_MAX_SECONDS)

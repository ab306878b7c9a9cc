"""Errors raised where a schedule is declared wrong, with a message that names the job."""

import schedule

from equipment.Errors import EquipmentError


class SchedulerError(EquipmentError, schedule.ScheduleError):
    """The scheduler was used wrong (registration order, duplicate IDs, run() misuse)."""


class ScheduleValueError(SchedulerError, schedule.ScheduleValueError):
    """A job's schedule is invalid: interval, time, zone, range or deadline."""


class IntervalError(ScheduleValueError, schedule.IntervalError):
    """An interval that cannot be scheduled (zero, negative, wrong unit)."""

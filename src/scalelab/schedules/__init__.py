"""Schedules: when a job fires (cron in a timezone), and what late or overlapping fires do."""

"""Pure business rules of arcadence: schedules, conditions, recipients, templates, money."""

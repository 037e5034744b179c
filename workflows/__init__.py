"""Temporal workflow classes and their input/state types: deterministic code only."""

"""Side effects a workflow asks for: database reads and writes, rendering, sending."""

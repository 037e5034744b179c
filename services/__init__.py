"""The application layer: one function per use case, called by the API, the CLI and the bulk
activity alike; services write through the unit of work and never commit (`unit_of_work.py`)."""

"""The pydantic models the services take and return: the API's request and response bodies."""

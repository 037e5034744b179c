"""The processes of arcadence: the Temporal worker, the API server and the `arcadence` CLI."""

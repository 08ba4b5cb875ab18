"""The stack file as a file: reading it outside a Pulumi run (for the offline tools and the checks),
checking it (``python -m stackfile.check``), and generating its JSON schema and reference from the
config models."""

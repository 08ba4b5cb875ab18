"""The platform's rules as plain data and functions, with no Pulumi in them: what the config, the
components and the tools all agree on."""

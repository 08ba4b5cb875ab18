"""Test doubles, each said to be one: Pulumi's mock engine as the offline tools run it, stand-ins for
Houston, the Delinea vault, a Kerberos realm and the Kubernetes API, and synthetic tenants. None of them
proves anything about the real system it stands in for."""

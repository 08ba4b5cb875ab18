"""The Kerberos ticket manager: keeps every tenant's credential cache Secret fresh (the image
contract: docs/kerberos.md)."""

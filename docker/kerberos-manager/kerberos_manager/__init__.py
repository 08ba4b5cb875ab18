"""The Kerberos ticket manager: keeps every tenant's credential cache Secret fresh (README, "Kerberos
ticket manager: the image contract")."""

"""The ticket manager's world outside a cluster: a throwaway MIT realm (real Kerberos), a Delinea Secret
Server stand-in, a Kubernetes API stand-in, and the service process run against them."""

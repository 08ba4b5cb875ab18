"""The ticket manager's local test harness: a throwaway MIT realm, a Delinea Secret Server stand-in,
a Kubernetes API stand-in and the benchmark. Not part of the image."""

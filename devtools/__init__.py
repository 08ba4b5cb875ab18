"""What development needs on a machine, below everything else: the Go tools built from pinned modules,
the Debian packages the tests run, and the project's cache root."""

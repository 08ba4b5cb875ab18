"""Benchmarks that need no cluster: the program under the mock engine against floors measured in the
same run (``python -m benchmarks.program``), and the ticket manager against a local realm
(``python -m benchmarks.ticket_manager``). Not tests: they print figures."""

"""astronomer-platform: Apache Airflow for many lines of business on Kubernetes with Astronomer.
The program is ``composition.program``: validated stack config onto the components."""

from composition.program import main

main()

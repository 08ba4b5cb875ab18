module astronomer-platform/tests/data/vetting/trivy-db

go 1.26.8

require go.etcd.io/bbolt v1.4.0

require golang.org/x/sys v0.29.0 // indirect

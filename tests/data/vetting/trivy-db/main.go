// Writes a tiny trivy vulnerability database (trivy.db and metadata.json, schema version 2) into the
// directory given as the only argument: two made-up advisories for Debian 12 packages that the
// vetting tests put into their test image. Real databases cannot be downloaded where the tests run.
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

type advisory struct {
	FixedVersion string `json:"FixedVersion"`
}

type vulnerability struct {
	Title          string         `json:"Title"`
	Description    string         `json:"Description"`
	Severity       string         `json:"Severity"`
	VendorSeverity map[string]int `json:"VendorSeverity"`
}

// package name -> CVE -> (fixed version, severity name, trivy's severity number)
var findings = []struct {
	pkg, cve, fixed, severity string
	level                     int
}{
	{"demo-lib", "CVE-2099-0001", "1.0-2", "HIGH", 3},
	{"demo-tool", "CVE-2099-0002", "2.0-2", "LOW", 1},
}

func put(tx *bolt.Tx, path []string, key string, value any) error {
	bucket, err := tx.CreateBucketIfNotExists([]byte(path[0]))
	if err != nil {
		return err
	}
	for _, name := range path[1:] {
		if bucket, err = bucket.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	data, err := json.Marshal(value)
	if err != nil {
		return err
	}
	return bucket.Put([]byte(key), data)
}

func main() {
	dir := os.Args[1]
	db, err := bolt.Open(filepath.Join(dir, "trivy.db"), 0o644, nil)
	if err != nil {
		panic(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		source := map[string]string{"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"}
		if err := put(tx, []string{"data-source"}, "debian 12", source); err != nil {
			return err
		}
		for _, f := range findings {
			if err := put(tx, []string{"debian 12", f.pkg}, f.cve, advisory{f.fixed}); err != nil {
				return err
			}
			vuln := vulnerability{"made-up flaw in " + f.pkg, "test advisory", f.severity, map[string]int{"debian": f.level}}
			if err := put(tx, []string{"vulnerability"}, f.cve, vuln); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	if err := db.Close(); err != nil {
		panic(err)
	}
	// Far in the future, so trivy never considers it stale.
	now := time.Now().UTC()
	meta := map[string]any{"Version": 2, "NextUpdate": now.AddDate(10, 0, 0), "UpdatedAt": now, "DownloadedAt": now}
	data, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), data, 0o644); err != nil {
		panic(err)
	}
}

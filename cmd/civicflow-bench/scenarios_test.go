package main

import (
	"context"
	"maps"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// smallScenarios sets the options of each scenario of the scenarios map for a run of seconds. Every
// scenario needs a row: TestScenarios fails for one without, so that none is left out of CI.
var smallScenarios = map[string]func(*options){
	"cases":    func(o *options) { o.cases = 3 },
	"booking":  func(o *options) { o.clients = 150 },
	"campaign": func(o *options) { o.organisations = 200 },
	"import":   func(o *options) { o.organisations = 200 },
	"startup":  func(*options) {},
	"province": func(o *options) { o.cases = 400; o.organisations = 100; o.requests = 20 },
}

// TestScenarios runs every scenario of civicflow-bench at a small size against the real civicflow
// binary (serve --demo, as docs/benchmarks.md runs it), on SQLite and on PostgreSQL, and fails when a
// scenario does: a broken invariant, never a time.
func TestScenarios(t *testing.T) {
	bin := stacktest.CivicflowBinary(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		// The scenarios that run civicflow themselves (import, startup) give it this environment.
		redisURL := ""
		if s.Name == "postgres" {
			redisURL = stacktest.BrokerURL(s.Broker(t))
		}
		t.Setenv("CIVICFLOW_DATABASE_URL", s.DatabaseURL)
		t.Setenv("CIVICFLOW_REDIS_URL", redisURL)
		t.Setenv("CIVICFLOW_DATA_DIR", t.TempDir())
		t.Setenv("CIVICFLOW_RELAY_INTERVAL", "100ms")
		t.Setenv("CIVICFLOW_LOG_LEVEL", "warn")
		t.Setenv("CIVICFLOW_SHUTDOWN_TIMEOUT", "5s")
		addr := stacktest.FreeAddr(t)
		server := stacktest.Start(t, bin, os.Environ(), "serve", "--demo", "--listen", addr)
		stacktest.WaitReady(t, addr)
		base := options{url: "http://" + addr, admin: "demo-admin", adminPassword: demoAdminPassword(t, stacktest.Log(t, server)),
			jurisdiction: "210100", databaseURL: s.DatabaseURL, civicflow: bin, clients: 4, timeout: 2 * time.Minute}
		for _, name := range slices.Sorted(maps.Keys(scenarios)) {
			t.Run(name, func(t *testing.T) {
				small, ok := smallScenarios[name]
				if !ok {
					t.Fatalf("scenario %s has no row in smallScenarios", name)
				}
				o := base
				o.scenario = name
				small(&o)
				ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
				defer cancel()
				if err := scenarios[name](ctx, o); err != nil {
					t.Fatal(err)
				}
			})
		}
		stacktest.StopAll(t, server)
	})
}

// demoAdminPassword finds the demo admin's password in what serve --demo printed.
func demoAdminPassword(t *testing.T, log string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*demo-admin\s+(\S+)\s`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("serve --demo printed no password for demo-admin:\n%s", log)
	}
	return m[1]
}

// Command civicflow-bench drives concurrent API clients against a running CivicFlow server and
// reports throughput and latency. It creates its own users through an admin account. Each scenario
// checks what must hold afterwards and fails when it does not (never on a time):
//
//   - cases (default): prepares social-group cases untimed (uploads and start), then times the staff
//     actions that take each case through acceptance, review and decision;
//
//   - booking: a hot day (5-20) at one registration office with 100 seats, all clients racing for
//     them at once; it checks that exactly 100 bookings exist afterwards;
//
//   - province: loads cases and organisations straight into the server's database, then times the
//     inbox, the case search, the register search and the statistics as staff of a city;
//
//   - campaign: loads organisations with bound applicants straight into the server's database, opens
//     the annual-report campaign through the API and times it and the delivery of its notifications;
//
//   - import: imports a register file of as many organisations with civicflow register import;
//
//   - startup: starts civicflow serve on the database, times it until ready, reads its idle resident
//     memory and stops it with SIGTERM.
//
//     civicflow-bench -url http://127.0.0.1:8080 -admin demo-admin -admin-password … -clients 8 -cases 400 -pgbench postgres://…/pgbench
//     civicflow-bench -scenario booking -clients 2000 -admin demo-admin -admin-password …
//     civicflow-bench -scenario province -database-url postgres://… -cases 1000000 -organisations 100000 -admin-password …
//     civicflow-bench -scenario campaign -database-url postgres://… -organisations 30000 -admin-password …
//     civicflow-bench -scenario import -database-url postgres://… -civicflow ./civicflow -organisations 30000
//     civicflow-bench -scenario startup -database-url postgres://… -civicflow ./civicflow
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "address of the CivicFlow server")
	flag.StringVar(&o.admin, "admin", "demo-admin", "login of an admin holding role:grant in the jurisdiction")
	flag.StringVar(&o.adminPassword, "admin-password", os.Getenv("CIVICFLOW_BENCH_ADMIN_PASSWORD"), "its password (or CIVICFLOW_BENCH_ADMIN_PASSWORD)")
	flag.StringVar(&o.jurisdiction, "jurisdiction", "210100", "jurisdiction the cases are filed in")
	flag.StringVar(&o.scenario, "scenario", "cases", "what to measure: "+strings.Join(slices.Sorted(maps.Keys(scenarios)), ", "))
	flag.IntVar(&o.clients, "clients", 8, "concurrent API clients")
	flag.IntVar(&o.cases, "cases", 200, "cases to prepare and take through the actions (province: to load)")
	flag.IntVar(&o.organisations, "organisations", 30000, "campaign: organisations to load and open it for; import: register rows to import; province: organisations to load")
	flag.IntVar(&o.requests, "requests", 500, "province: requests of each read")
	flag.StringVar(&o.reads, "reads", "", "province: the reads to time, comma-separated (inbox, search-number, search-name, search-state, register, statistics); all by default")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("CIVICFLOW_DATABASE_URL"), "province, campaign, import, startup: the server's database (postgres://… or sqlite:path, as CIVICFLOW_DATABASE_URL)")
	flag.StringVar(&o.civicflow, "civicflow", "civicflow", "import, startup: the civicflow binary to run")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.StringVar(&o.pgbench, "pgbench", "", "cases: a PostgreSQL URL of a scratch database to run pgbench in right after the actions (scale 10, 15 s, the same clients), for the ratio actions/s ÷ TPS")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	scenario, ok := scenarios[o.scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "civicflow-bench: unknown scenario %q (one of %s)\n", o.scenario, strings.Join(slices.Sorted(maps.Keys(scenarios)), ", "))
		os.Exit(2)
	}
	if err := scenario(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "civicflow-bench:", err)
		os.Exit(1)
	}
}

// scenarios are what the tool measures, by the name -scenario takes; each lives in a file of its own.
var scenarios = map[string]func(context.Context, options) error{
	"cases":    runCases,
	"booking":  runBooking,
	"province": runProvince,
	"campaign": runCampaign,
	"import":   runImport,
	"startup":  runStartup,
}

type options struct {
	url, admin, adminPassword, jurisdiction, scenario, pgbench string
	databaseURL, reads, civicflow                              string
	clients, cases, organisations, requests                    int
	timeout                                                    time.Duration
}

// summary gives p50/p95/p99 and the maximum of latencies.
func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s max=%s", len(d), q(.50), q(.95), q(.99), d[len(d)-1].Round(10*time.Microsecond))
}

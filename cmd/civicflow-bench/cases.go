package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runCases prepares cases untimed and times the staff actions that take each through acceptance,
// review and decision.
func runCases(ctx context.Context, o options) error {
	b, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("preparing %d cases with %d clients…\n", o.cases, o.clients)
	start := time.Now()
	cases, startLat, err := b.prepare(ctx, o.cases, o.clients)
	if err != nil {
		return err
	}
	prep := time.Since(start)
	fmt.Printf("timing the staff actions on %d cases with %d clients…\n", len(cases), o.clients)
	lat := map[string][]time.Duration{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan int64)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < o.clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				got, err := b.decide(ctx, id)
				mu.Lock()
				for k, v := range got {
					lat[k] = append(lat[k], v...)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, c := range cases {
		work <- c.id
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return firstErr
	}
	var all []time.Duration
	for _, v := range lat {
		all = append(all, v...)
	}
	fmt.Printf("\nprepared %d cases in %s (start: %s)\n", len(cases), prep.Round(time.Millisecond), summary(startLat))
	rate := float64(len(all)) / elapsed.Seconds()
	fmt.Printf("actions: %d in %s = %.0f actions/s with %d clients\n", len(all), elapsed.Round(time.Millisecond), rate, o.clients)
	fmt.Printf("  all actions   %s\n", summary(all))
	names := make([]string, 0, len(lat))
	for k := range lat {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("  %-13s %s\n", k, summary(lat[k]))
	}
	if o.pgbench != "" {
		tps, err := pgbench(ctx, o.pgbench, o.clients)
		if err != nil {
			return err
		}
		fmt.Printf("pgbench -c %d -j 2 -T 15 (scale 10): %.0f TPS; actions/s ÷ TPS = %.3f\n", o.clients, tps, rate/tps)
	}
	return b.checkCases(ctx, cases)
}

// The state and version every case must end in, and the subjects of the messages its applicant must
// find in the inbox exactly once each (start, accept_prep, propose_prep, approve_preparation).
const finalState, finalVersion = "establishment_application", 4

var caseSubjects = []string{"申请已提交：", "您的申请已受理：", "办理进度更新：", "准予筹备："}

// checkCases checks the invariants of the run: every case in finalState at finalVersion; its events
// a chain as far as the API shows it (seq 1…version, each prev_hash the hash before, the last event
// leading to the state; the hashes themselves are recomputed only by `civicflow audit verify` on
// the database); and each applicant's inbox holding each expected message of each case exactly once,
// after waiting for delivery (up to -timeout).
func (b *bench) checkCases(ctx context.Context, cases []preparedCase) error {
	for _, c := range cases {
		var v struct {
			Case struct {
				State   string
				Version int64
			}
			Events []struct {
				Seq      int
				To       string
				PrevHash string `json:"prev_hash"`
				Hash     string
			}
		}
		if err := b.call(ctx, "GET", fmt.Sprintf("/api/v1/cases/%d", c.id), b.approver, nil, &v, http.StatusOK); err != nil {
			return err
		}
		if v.Case.State != finalState || v.Case.Version != finalVersion {
			return fmt.Errorf("invariant: case %s is in %s at version %d, want %s at %d", c.number, v.Case.State, v.Case.Version, finalState, finalVersion)
		}
		prev := ""
		for i, ev := range v.Events {
			if ev.Seq != i+1 || ev.PrevHash != prev || ev.Hash == "" {
				return fmt.Errorf("invariant: the chain of case %s breaks at event %d", c.number, ev.Seq)
			}
			prev = ev.Hash
		}
		if len(v.Events) != finalVersion || v.Events[len(v.Events)-1].To != finalState {
			return fmt.Errorf("invariant: case %s has %d events, want %d ending in %s", c.number, len(v.Events), finalVersion, finalState)
		}
	}
	fmt.Printf("invariants: %d cases in %s at version %d, their event chains linked (hashes: run civicflow audit verify)\n",
		len(cases), finalState, finalVersion)
	byApplicant := map[string][]string{}
	for _, c := range cases {
		byApplicant[c.applicant] = append(byApplicant[c.applicant], c.number)
	}
	for applicant, numbers := range byApplicant {
		for {
			missing, err := b.checkInbox(ctx, applicant, numbers)
			if err != nil {
				return err
			}
			if missing == "" {
				break
			}
			select {
			case <-ctx.Done(): // -timeout
				return fmt.Errorf("invariant: %s not delivered before the end of -timeout", missing)
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	fmt.Printf("invariants: every applicant's inbox holds the %d messages of each case exactly once\n", len(caseSubjects))
	return nil
}

// checkInbox reads an applicant's inbox and returns an error for a duplicate message, or the first
// expected message still missing ("" when none is).
func (b *bench) checkInbox(ctx context.Context, applicant string, numbers []string) (string, error) {
	var inbox struct{ Messages []struct{ Subject string } }
	if err := b.call(ctx, "GET", "/api/v1/me/messages", applicant, nil, &inbox, http.StatusOK); err != nil {
		return "", err
	}
	seen := map[string]int{}
	for _, m := range inbox.Messages {
		seen[m.Subject]++
		if seen[m.Subject] > 1 {
			return "", fmt.Errorf("invariant: the message %q was delivered twice", m.Subject)
		}
	}
	// Other messages (the grant of the applicant's role) are not the cases'.
	about := 0
	for _, m := range inbox.Messages {
		if slices.ContainsFunc(numbers, func(n string) bool { return strings.HasSuffix(m.Subject, n) }) {
			about++
		}
	}
	if about > len(numbers)*len(caseSubjects) {
		return "", fmt.Errorf("invariant: %d messages about %d cases in an inbox, want %d", about, len(numbers), len(numbers)*len(caseSubjects))
	}
	for _, n := range numbers {
		for _, s := range caseSubjects {
			if seen[s+n] == 0 {
				return fmt.Sprintf("the message %q", s+n), nil
			}
		}
	}
	return "", nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench initialises the TPC-B tables (scale 10) in the database at url and runs pgbench with the
// given clients for 15 s, for the ratio of actions to the machine's plain database throughput.
func pgbench(ctx context.Context, url string, clients int) (float64, error) {
	fmt.Println("pgbench: initialising scale 10…")
	if out, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", "10", url).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i: %w: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, "pgbench", "-c", strconv.Itoa(clients), "-j", "2", "-T", "15", url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no TPS in its output: %s", strings.TrimSpace(string(out)))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

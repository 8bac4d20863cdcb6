package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/civicflow/civicflow/calendar"
)

// runProvince loads a province's worth of cases and organisations straight into the server's
// database (-database-url, -cases, -organisations), then lets the clients send -requests of each of
// the four reads staff of a city make all day — the inbox, the case search, the register search and
// the statistics — and checks that every answer is complete and agrees with the database.
func runProvince(ctx context.Context, o options) error {
	if o.databaseURL == "" {
		return fmt.Errorf("-database-url (or CIVICFLOW_DATABASE_URL) is required: the database the server uses")
	}
	b, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("loading %d organisations and %d cases…\n", o.organisations, o.cases)
	t := time.Now()
	data, err := loadProvince(ctx, o, b.run)
	if err != nil {
		return err
	}
	fmt.Printf("loaded in %s\n", time.Since(t).Round(time.Millisecond))
	if len(data.numbers) == 0 || len(data.states) == 0 {
		return fmt.Errorf("no open case of %s was loaded to search for: load more cases", o.jurisdiction)
	}
	staff, err := b.newUser(ctx, "bench-"+b.run+"-staff", append(caseRoles, "auditor")...)
	if err != nil {
		return err
	}
	want, err := expectations(ctx, o, data)
	if err != nil {
		return err
	}
	var reads []read
	for _, r := range provinceReads(data, want) {
		if o.reads == "" || slices.Contains(strings.Split(o.reads, ","), r.name) {
			reads = append(reads, r)
		}
	}
	fmt.Printf("%d clients, %d requests of each read as staff of %s…\n", o.clients, o.requests, o.jurisdiction)
	lat, elapsed, err := b.readAll(ctx, staff, reads, o.requests)
	if err != nil {
		return err
	}
	n := len(reads) * o.requests
	fmt.Printf("\n%d requests in %s = %.0f requests/s with %d clients\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), o.clients)
	for _, r := range reads {
		fmt.Printf("  %-13s %s\n", r.name, summary(lat[r.name]))
	}
	return nil
}

// read is one of the four reads: the address of its i-th request, and the check of its answer.
type read struct {
	name  string
	path  func(i int) string
	check func(path string, body []byte) error
}

// readAll sends n requests of each read from o.clients clients at once and returns the latencies by
// read; the first answer that is not 200 or fails its check ends the run with an error.
func (b *bench) readAll(ctx context.Context, token string, reads []read, n int) (map[string][]time.Duration, time.Duration, error) {
	type job struct {
		r *read
		i int
	}
	lat := map[string][]time.Duration{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan job)
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < b.o.clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				path := j.r.path(j.i)
				var body json.RawMessage
				t := time.Now()
				err := b.call(ctx, "GET", path, token, nil, &body, http.StatusOK)
				d := time.Since(t)
				if err == nil {
					err = j.r.check(path, body)
				}
				mu.Lock()
				lat[j.r.name] = append(lat[j.r.name], d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		for k := range reads {
			work <- job{&reads[k], i}
		}
	}
	close(work)
	wg.Wait()
	return lat, time.Since(t0), firstErr
}

// Fragments of names the register search and the case search look for: a field every city has, a
// field and form, a city and field.
var nameFragments = []string{"信鸽", "养老服务中心", "沈阳市摄影"}

// expected is what the database holds, counted plainly, for the answers to agree with.
type expected struct {
	register       map[string]int // organisations whose name contains the fragment
	caseNames      map[string]int // cases of the city about an organisation whose name contains it
	openInState    map[string]int // open cases of the city in the state
	received       int            // cases of the city
	finished       int            // of them closed
	receivedYear   int            // cases of the city received this year (in China)
	inboxCandidate int            // open cases of the city in a state where staff act (at least)
	loaded         int            // cases this run loaded
}

// yearStart is the first day of this year in China, as the statistics' filter takes it.
func yearStart() string { return fmt.Sprintf("%d-01-01", calendar.Today().Year()) }

// expectations counts in the database what the answers must say.
func expectations(ctx context.Context, o options, data *loaded) (*expected, error) {
	db, err := openBenchDB(ctx, o.databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	city := strings.TrimSuffix(o.jurisdiction, "00") + "%"
	w := &expected{register: map[string]int{}, caseNames: map[string]int{}, openInState: map[string]int{}, loaded: o.cases}
	count := func(dst *int, q string, args ...any) {
		if err == nil {
			err = db.NewRaw(q, args...).Scan(ctx, dst)
		}
	}
	for _, f := range nameFragments {
		var n, m int
		count(&n, "SELECT count(*) FROM organisations WHERE name LIKE ?", "%"+f+"%")
		count(&m, "SELECT count(*) FROM cases WHERE jurisdiction LIKE ? AND org_name LIKE ?", city, "%"+f+"%")
		w.register[f], w.caseNames[f] = n, m
	}
	for _, s := range data.states {
		var n int
		count(&n, "SELECT count(*) FROM cases WHERE jurisdiction LIKE ? AND closed_at IS NULL AND state = ?", city, s)
		w.openInState[s] = n
		w.inboxCandidate += n
	}
	count(&w.received, "SELECT count(*) FROM cases WHERE jurisdiction LIKE ?", city)
	count(&w.finished, "SELECT count(*) FROM cases WHERE jurisdiction LIKE ? AND closed_at IS NOT NULL", city)
	from, _ := calendar.ParseDate(yearStart())
	count(&w.receivedYear, "SELECT count(*) FROM cases WHERE jurisdiction LIKE ? AND created_at >= ?", city, from.Time().UTC())
	return w, err
}

// provinceReads are the four reads of a city's staff, each request a little different, with the
// checks of their answers against want.
func provinceReads(data *loaded, want *expected) []read {
	pick := func(list []string, i int) string { return list[i%len(list)] }
	city := strings.TrimSuffix(data.city, "00")
	inCity := func(j string) bool { return strings.HasPrefix(j, city) }
	return []read{
		{name: "inbox", path: func(i int) string {
			if i%2 == 1 && len(data.states) > 0 {
				return "/api/v1/inbox?state=" + url.QueryEscape(pick(data.states, i))
			}
			return "/api/v1/inbox"
		}, check: func(path string, body []byte) error {
			var a struct {
				Cases []struct {
					Jurisdiction string
					ClosedAt     *time.Time `json:"closed_at"`
				}
			}
			if err := decode(body, &a); err != nil {
				return err
			}
			if len(a.Cases) == 0 && want.inboxCandidate > 0 {
				return fmt.Errorf("GET %s: an empty inbox, with %d open cases waiting in the city", path, want.inboxCandidate)
			}
			for _, c := range a.Cases {
				if !inCity(c.Jurisdiction) || c.ClosedAt != nil {
					return fmt.Errorf("GET %s: a case of %s (closed %v) in the inbox of staff of %s", path, c.Jurisdiction, c.ClosedAt, data.city)
				}
			}
			return nil
		}},
		{name: "search-number", path: func(i int) string {
			return "/api/v1/desk/cases?number=" + url.QueryEscape(pick(data.numbers, i))
		}, check: searchCheck(func(q url.Values) int { return 1 })},
		{name: "search-name", path: func(i int) string {
			return "/api/v1/desk/cases?name=" + url.QueryEscape(pick(nameFragments, i))
		}, check: searchCheck(func(q url.Values) int { return want.caseNames[q.Get("name")] })},
		{name: "search-state", path: func(i int) string {
			return "/api/v1/desk/cases?status=open&state=" + url.QueryEscape(pick(data.states, i))
		}, check: searchCheck(func(q url.Values) int { return want.openInState[q.Get("state")] })},
		{name: "register", path: func(i int) string {
			return "/api/v1/register?q=" + url.QueryEscape(pick(nameFragments, i))
		}, check: func(path string, body []byte) error {
			var a struct {
				Organisations []struct{ Name string }
				Total         int
			}
			if err := decode(body, &a); err != nil {
				return err
			}
			q, _ := url.ParseQuery(path[strings.IndexByte(path, '?')+1:])
			for _, org := range a.Organisations {
				if !strings.Contains(org.Name, q.Get("q")) {
					return fmt.Errorf("GET %s: found %s", path, org.Name)
				}
			}
			return checkTotal(path, a.Total, false, want.register[q.Get("q")], len(a.Organisations))
		}},
		{name: "statistics", path: func(i int) string {
			if i%2 == 1 {
				return "/api/v1/statistics?from=" + yearStart()
			}
			return "/api/v1/statistics"
		}, check: func(path string, body []byte) error {
			var a struct {
				Total struct{ Received, Finished int }
			}
			if err := decode(body, &a); err != nil {
				return err
			}
			received, finished := want.received, want.finished
			if strings.Contains(path, "from=") {
				received, finished = want.receivedYear, a.Total.Finished
			}
			// The figures may be two minutes old (statistics.Cache): from before this run's load.
			within := func(got, now int) bool { return got <= now && got >= now-want.loaded }
			if !within(a.Total.Received, received) || !within(a.Total.Finished, finished) {
				return fmt.Errorf("GET %s: received %d, finished %d; the database holds %d and %d, %d of them loaded by this run",
					path, a.Total.Received, a.Total.Finished, received, finished, want.loaded)
			}
			return nil
		}},
	}
}

// searchCheck checks a page of the case search against the exact count of its matches, and that a
// search by a whole number finds that case.
func searchCheck(exact func(q url.Values) int) func(path string, body []byte) error {
	return func(path string, body []byte) error {
		var a struct {
			Cases  []struct{ Number string }
			Total  int
			Capped bool
		}
		if err := decode(body, &a); err != nil {
			return err
		}
		q, _ := url.ParseQuery(path[strings.IndexByte(path, '?')+1:])
		if n := q.Get("number"); n != "" && (len(a.Cases) != 1 || a.Cases[0].Number != n) {
			return fmt.Errorf("GET %s: want exactly that case, got %d cases", path, len(a.Cases))
		}
		return checkTotal(path, a.Total, a.Capped, exact(q), len(a.Cases))
	}
}

// checkTotal checks an answer's total against the exact count: equal, or, when the answer says it
// stopped counting, no more than it; and a page as full as the total allows.
func checkTotal(path string, total int, capped bool, exact, page int) error {
	if total != exact && !(capped && total < exact) {
		return fmt.Errorf("GET %s: total %d (capped: %v), the database holds %d", path, total, capped, exact)
	}
	if page == 0 && exact > 0 {
		return fmt.Errorf("GET %s: an empty page of %d matches", path, exact)
	}
	return nil
}

func decode(body []byte, v any) error { return json.Unmarshal(body, v) }

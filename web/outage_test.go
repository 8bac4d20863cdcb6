package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/stacktest"
)

// retriesAfter checks that an answer is a 503 with Retry-After.
func retriesAfter(t *testing.T, what string, status int, header http.Header, body string) {
	t.Helper()
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" {
		t.Fatalf("%s: %d, Retry-After %q, want 503 with Retry-After 5: %s", what, status, header.Get("Retry-After"), body)
	}
}

// A database that refuses writes (read-only PostgreSQL, a read-only SQLite file) answers 503
// unavailable with Retry-After on the API and on pages, as documented, never 500; /readyz says
// read-only; reads go on, except staff reads of personal data, which cannot be audited and so are
// refused with a 503 that says why. Once the database takes writes again, so does the site.
func TestReadOnlyDatabaseAnswers503(t *testing.T) {
	doc := loadOpenAPI(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		k := newContract(t, st, doc)
		st.user("li.applicant", "org_applicant")
		st.user("wang.acceptor", "acceptor@2101*")
		applicant, acceptor := st.token("li.applicant"), st.token("wang.acceptor")
		c := st.startPreparation(applicant, "沈阳市青年创业协会")
		casePath := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
		staff := st.browser()
		staff.login("wang.acceptor")
		visitor := st.browser()
		_, _, csrf := visitor.get("/login")
		start := map[string]any{"item": sgItem, "jurisdiction": "210100",
			"data": preparationData(t, "沈阳市第二协会", st.uploadAll(applicant, sgItem, prepSlots...))}

		writable := s.ReadOnly(t)
		var header http.Header
		e := k.fails(call{method: "POST", path: "/api/v1/cases", token: applicant, body: start, valid: true, respHeader: &header}, 503, "unavailable")
		retriesAfter(t, "API start", 503, header, e.Error.Message)
		resp, body := visitor.post("/login", url.Values{"login": {"li.applicant"}, "password": {"li.applicant-password"}, "_csrf": {csrf}})
		retriesAfter(t, "login page", resp.StatusCode, resp.Header, body)
		if !strings.Contains(body, "数据库暂不可用") {
			t.Errorf("the page does not say the database is unavailable: %s", body)
		}
		var ready struct {
			Status string
			Checks map[string]string
		}
		if err := json.Unmarshal(k.do(call{method: "GET", path: "/readyz", valid: true}, 503), &ready); err != nil ||
			ready.Checks["database"] != "read-only" || ready.Checks["redis"] != "ok" {
			t.Fatalf("/readyz: %+v (%v), want database read-only", ready, err)
		}
		k.do(call{method: "GET", path: casePath, token: applicant, valid: true}, 200) // the applicant's own read: no audit entry
		e = k.fails(call{method: "GET", path: casePath, token: acceptor, valid: true, respHeader: &header}, 503, "audit_unavailable")
		retriesAfter(t, "staff read", 503, header, e.Error.Message)
		if !strings.Contains(e.Error.Message, "审计日志") {
			t.Errorf("the answer does not say the read could not be audited: %s", e.Error.Message)
		}
		resp, err := staff.c.Get(st.base + "/cases/" + strconv.FormatInt(c.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		retriesAfter(t, "staff case page", resp.StatusCode, resp.Header, string(page))
		if !strings.Contains(string(page), "审计日志") {
			t.Errorf("the page does not say the read could not be audited: %s", page)
		}

		writable()
		time.Sleep(time.Second) // /readyz answers what it found within the last second
		k.do(call{method: "GET", path: "/readyz", valid: true}, 200)
		k.do(call{method: "GET", path: casePath, token: acceptor, valid: true}, 200)
		st.startCase(applicant, sgItem, "210100", preparationData(t, "沈阳市第三协会", st.uploadAll(applicant, sgItem, prepSlots...)))
	})
}

// A staff read whose audit entry fails for a reason that is no outage (here, a missing table: a bug)
// is an internal error, 500, and is not shown; only an outage of the database makes it a 503.
func TestUnrecordedStaffReadIs500UnlessTheDatabaseIsOut(t *testing.T) {
	doc := loadOpenAPI(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		k := newContract(t, st, doc)
		st.user("li.applicant", "org_applicant")
		st.user("wang.acceptor", "acceptor@2101*")
		applicant, acceptor := st.token("li.applicant"), st.token("wang.acceptor")
		c := st.startPreparation(applicant, "沈阳市青年创业协会")
		casePath := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
		ctx := context.Background()
		if _, err := s.DB.ExecContext(ctx, "ALTER TABLE audit_log RENAME TO audit_log_away"); err != nil {
			t.Fatal(err)
		}
		restored := false
		restore := func() {
			if !restored {
				restored = true
				if _, err := s.DB.ExecContext(ctx, "ALTER TABLE audit_log_away RENAME TO audit_log"); err != nil {
					t.Fatal(err)
				}
			}
		}
		defer restore()
		k.fails(call{method: "GET", path: casePath, token: acceptor, valid: true}, 500, "internal")
		restore()
		k.do(call{method: "GET", path: casePath, token: acceptor, valid: true}, 200)
	})
}

// probeCounter counts the writes of /readyz's database check.
type probeCounter struct{ n atomic.Int32 }

func (h *probeCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *probeCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, "readiness_probe") {
		h.n.Add(1)
	}
}

// A burst of /readyz probes checks the database once or twice, not once each: concurrent probes share
// one check, and later ones within a second get its outcome.
func TestReadinessBurstChecksTheDatabaseOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		counted := *s
		probes := &probeCounter{}
		counted.DB = s.DB.WithQueryHook(probes)
		st := startSite(t, &counted)
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				resp, err := http.Get(st.base + "/readyz")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("/readyz: %d", resp.StatusCode)
				}
			})
		}
		wg.Wait()
		if n := probes.n.Load(); n < 1 || n > 2 {
			t.Fatalf("50 concurrent probes checked the database %d times, want once or twice", n)
		}
	})
}

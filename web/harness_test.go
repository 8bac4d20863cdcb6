package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/effects"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/web"
	"github.com/civicflow/civicflow/workflow"
)

// site is a CivicFlow web server listening on a real port of the loopback interface.
type site struct {
	t     testing.TB
	stack *stacktest.Stack
	base  string
	enf   *policies.Enforcer
	// engine is the site's workflow engine, for tests that prepare cases directly.
	engine *workflow.Engine
	// noticeEffects are the notices effects the engine runs, for tests that wrap one.
	noticeEffects notices.Effects
	// desk is the site's booking desk, for tests that prepare offices and bookings directly.
	desk *appointments.Desk
	// clock is the time of the desk and the engine, the real time until a test moves it (to check people
	// in on their day, or to let a time limit pass).
	clock *stacktest.Clock
	// broker is the site's Redis, for tests that run the worker beside the site.
	broker *queue.Broker
	// srv is the site's application, for tests that read its route table.
	srv *web.Server
}

// startSite serves CivicFlow on the stack with the demo jurisdictions and a throttle tight enough to test.
func startSite(t testing.TB, s *stacktest.Stack) *site {
	t.Helper()
	return startSiteWith(t, s, "")
}

// startSiteWith is startSite with catalogDir as CIVICFLOW_CATALOG_DIR: the service items and forms
// of its items/ and forms/ added to or laid over the built-in ones ("" for none). A file of the
// directory that the loader skips fails the test. Each of opts may change the site's dependencies,
// knowing the address it will serve at.
func startSiteWith(t testing.TB, s *stacktest.Stack, catalogDir string, opts ...func(base string, d *web.Deps)) *site {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.LoginMaxFailuresPerAccount, cfg.LoginMaxFailuresPerIP = 3, 50
	cfg.CatalogDir = catalogDir
	for _, j := range demo.Jurisdictions {
		if err := jurisdictions.Add(ctx, s.DB, j.Code, j.NameZH, j.NameEN); err != nil {
			t.Fatal(err)
		}
	}
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := web.LoadSecret(ctx, s.DB, "")
	if err != nil {
		t.Fatal(err)
	}
	cat, warnings, err := catalog.Load(catalog.Builtin, cfg.CatalogDir, workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Errorf("catalog directory %s: %s", catalogDir, w)
	}
	if err := cat.Store(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	store, err := materials.NewStore(t.TempDir(), 20<<20)
	if err != nil {
		t.Fatal(err)
	}
	clock := stacktest.NewClock(time.Now())
	engine := workflow.New(s.DB, enf, func(ctx context.Context, hash string) (*catalog.Item, error) {
		return catalog.Version(ctx, s.DB, hash)
	}, cat.Item, workflow.WithClock(clock.Now))
	seal, err := documents.LoadSeal(ctx, s.DB, "")
	if err != nil {
		t.Fatal(err)
	}
	issuer := documents.New(cat, cfg.PublicBase(), seal)
	fx := notices.Effects{Issuer: issuer, Catalog: cat} // for tests that wrap one of its effects
	effects.Wire(engine, issuer, cat)
	desk := appointments.New(s.DB, enf, engine, cat.Items, appointments.WithClock(clock.Now))
	broker := s.Broker(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deps := web.Deps{Config: cfg, DB: s.DB, Broker: broker, Enforcer: enf, Catalog: cat, Engine: engine, Documents: issuer, Desk: desk,
		Materials: store, Secret: secret, Metrics: promhttp.Handler(), Auth: accounts.NewCache(cfg.AuthCacheTTL, broker)}
	for _, opt := range opts {
		opt("http://"+ln.Addr().String(), &deps)
	}
	srv, err := web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	listening, stopListening := context.WithCancel(ctx)
	go srv.Auth.Listen(listening) //nolint:errcheck // returns nil once stopped
	t.Cleanup(stopListening)      // before the broker closes: cleanups run last first
	go srv.App().Listener(ln)     //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	return &site{t: t, stack: s, base: "http://" + ln.Addr().String(), enf: enf, engine: engine, noticeEffects: fx, desk: desk, clock: clock, broker: broker, srv: srv}
}

// user creates an account with grants ("role@pattern") and returns its id.
func (st *site) user(login string, grants ...string) int64 {
	st.t.Helper()
	ctx := context.Background()
	u, err := accounts.Create(ctx, st.stack.DB, audit.System, accounts.NewUser{Login: login, Password: login + "-password"})
	if err != nil {
		st.t.Fatal(err)
	}
	for _, g := range grants {
		role, pattern, _ := strings.Cut(g, "@")
		if err := policies.GrantSystem(ctx, st.stack.DB, u.ID, role, pattern); err != nil {
			st.t.Fatal(err)
		}
	}
	if err := st.enf.Reload(ctx); err != nil {
		st.t.Fatal(err)
	}
	return u.ID
}

// browser is an HTTP client with cookies, like a person's browser.
type browser struct {
	st *site
	c  *http.Client
	// session is the session cookie as the browser had it when it was remembered (auth_cache_test.go).
	session string
}

func (st *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{st: st, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// get fetches a page and returns the status, the body and the page's CSRF token.
func (b *browser) get(path string) (int, string, string) {
	b.st.t.Helper()
	resp, err := b.c.Get(b.st.base + path)
	if err != nil {
		b.st.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	token := ""
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		token = m[1]
	}
	return resp.StatusCode, string(body), token
}

// post submits a form and returns the response.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.st.t.Helper()
	resp, err := b.c.PostForm(b.st.base+path, form)
	if err != nil {
		b.st.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// login logs in through the login form and fails the test if that does not work.
func (b *browser) login(login string) {
	b.st.t.Helper()
	_, _, token := b.get("/login")
	resp, body := b.post("/login", url.Values{"login": {login}, "password": {login + "-password"}, "_csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		b.st.t.Fatalf("login %s: %d %s", login, resp.StatusCode, body)
	}
}

// api sends a JSON request with a bearer token (empty for none) and decodes the JSON answer into out.
func (st *site) api(method, path, token string, body any, out any) int {
	st.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, st.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil && err != io.EOF {
			st.t.Fatalf("%s %s: decoding answer: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// token logs in through the API and returns a bearer token.
func (st *site) token(login string) string {
	st.t.Helper()
	var out struct{ Token string }
	if code := st.api("POST", "/api/v1/tokens", "", map[string]string{"login": login, "password": login + "-password", "name": "test"}, &out); code != http.StatusCreated {
		st.t.Fatalf("token for %s: %d", login, code)
	}
	return out.Token
}

// apiErr is the error envelope of the API.
type apiErr struct {
	Error struct {
		Code    string
		Message string
		Fields  []struct{ Path, Code, Message string }
	}
}

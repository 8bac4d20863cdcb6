package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// proxy forwards TCP connections to a server until it is cut, which takes the server away from its
// clients as a network failure or a crashed server would: open connections break, new ones are
// refused. restore listens again on the same address. stall takes the server away without a word, as
// a network that drops packets does: connections stay open and are accepted, but nothing more goes
// through them either way.
type proxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
	stalled      bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target, addr: "127.0.0.1:0"}
	p.restore(t)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, client)
			stalled := p.stalled
			p.mu.Unlock()
			if stalled {
				continue // accepted, and never answered
			}
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, server)
			p.mu.Unlock()
			go p.pipe(server, client)
			go p.pipe(client, server)
		}
	}()
}

// pipe copies src to dst, dropping what arrives while the proxy is stalled.
func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		stalled := p.stalled
		p.mu.Unlock()
		if stalled {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *proxy) stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// readiness returns the status of /readyz and its checks.
func readiness(t *testing.T, addr string) (int, map[string]string) {
	t.Helper()
	code, _, body := send(t, addr, "GET", "/readyz", "", "", "application/json")
	var out struct{ Checks map[string]string }
	_ = json.Unmarshal([]byte(body), &out)
	return code, out.Checks
}

// A web process whose PostgreSQL goes away answers 503 unavailable with Retry-After on the API and on
// pages, /readyz says the database is unreachable, and the log has one line for the outage however
// many requests met it (and no internal error); when PostgreSQL is back, so is the site, and the log
// says so once.
func TestDatabaseOutageIsOne503PerRequestAndOneLogLine(t *testing.T) {
	pg, addr, web, token := webBehindProxy(t, policies.Citizen)

	pg.cut()
	for i := range 5 {
		code, header, body := send(t, addr, "GET", "/api/v1/me", token, "", "application/json")
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" || e.Error.Code != "unavailable" || e.Error.Message == "" {
			t.Fatalf("API request %d during the outage: %d, Retry-After %q: %s", i, code, header.Get("Retry-After"), body)
		}
	}
	code, header, body := send(t, addr, "GET", "/appointments", "", "", "text/html")
	if code != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" || !strings.Contains(body, "<html") {
		t.Fatalf("page during the outage: %d, Retry-After %q: %s", code, header.Get("Retry-After"), body)
	}
	stacktest.Eventually(t, "/readyz says the database is unreachable", func() bool { // it answers what it found within the last second
		code, checks := readiness(t, addr)
		return code == http.StatusServiceUnavailable && checks["database"] == "unreachable" && checks["redis"] == "ok"
	})
	log := stacktest.Log(t, web)
	if n := strings.Count(log, `msg="database unavailable"`); n != 1 || strings.Contains(log, "internal error") {
		t.Fatalf("%d outage lines for 7 failed requests (want 1, and no internal error):\n%s", n, log)
	}
	// The process was started without CIVICFLOW_PUBLIC_URL, and said so once at start.
	if n := strings.Count(log, "CIVICFLOW_PUBLIC_URL is not set"); n != 1 {
		t.Errorf("%d warnings that the public address is not set, want 1:\n%s", n, log)
	}

	pg.restore(t)
	stacktest.WaitReady(t, addr)
	if code, _, body := send(t, addr, "GET", "/api/v1/me", token, "", "application/json"); code != http.StatusOK {
		t.Fatalf("API request after the outage: %d %s", code, body)
	}
	log = stacktest.Log(t, web)
	if n, m := strings.Count(log, `msg="database unavailable"`), strings.Count(log, `msg="database available again"`); n != 1 || m != 1 {
		t.Fatalf("%d outage and %d end lines, want 1 and 1:\n%s", n, m, log)
	}
	stacktest.StopAll(t, web)
}

// A PostgreSQL that stops answering without closing its connections (a network dropping packets)
// makes logged-in requests answer 503 unavailable within CIVICFLOW_DATABASE_TIMEOUT, on a connection
// of the pool as on a new one, instead of hanging until TCP gives up; /readyz says unreachable as
// fast.
func TestStalledDatabaseAnswers503InTime(t *testing.T) {
	pg, addr, web, token := webBehindProxy(t, "", "CIVICFLOW_DATABASE_TIMEOUT=1s")

	pg.stall()
	for i := range 3 { // the first on a pooled connection, the later ones on new ones
		began := time.Now()
		code, header, body := send(t, addr, "GET", "/api/v1/me", token, "", "application/json")
		if took := time.Since(began); code != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" || took > 3*time.Second {
			t.Fatalf("API request %d to a stalled database: %d after %s, want 503 within 3s: %s", i, code, took, body)
		}
	}
	began := time.Now()
	if code, checks := readiness(t, addr); code != http.StatusServiceUnavailable || checks["database"] != "unreachable" || time.Since(began) > 3*time.Second {
		t.Fatalf("/readyz with a stalled database: %d %v after %s", code, checks, time.Since(began))
	}
	if log := stacktest.Log(t, web); strings.Contains(log, "internal error") {
		t.Fatalf("a stalled database is no internal error:\n%s", log)
	}
	pg.cut()
	stacktest.StopAll(t, web)
}

// A web process and a worker started while Redis is down run all the same: the web process serves,
// /readyz says Redis is unreachable, and a notification caused meanwhile waits in the outbox; once
// Redis answers on its address, /readyz is ready and the worker delivers the notification.
func TestProcessesStartWhileRedisIsDown(t *testing.T) {
	bin := stacktest.CivicflowBinary(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		seedAdminAndAuditor(t, s)
		redisAddr := stacktest.FreeAddr(t) // nothing listens there yet
		env := append(os.Environ(),
			"CIVICFLOW_DATABASE_URL="+s.DatabaseURL,
			"CIVICFLOW_REDIS_URL=redis://"+redisAddr+"/0",
			"CIVICFLOW_DATA_DIR="+t.TempDir(),
			"CIVICFLOW_RELAY_INTERVAL=100ms",
			"CIVICFLOW_SHUTDOWN_TIMEOUT=5s",
		)
		addr := stacktest.FreeAddr(t)
		procs := []*exec.Cmd{stacktest.Start(t, bin, env, "serve", "--role", "web", "--listen", addr), stacktest.Start(t, bin, env, "worker")}
		stacktest.Eventually(t, "the web process answers /readyz", func() bool {
			_, err := http.Get("http://" + addr + "/readyz")
			return err == nil
		})
		if code, checks := readiness(t, addr); code != http.StatusServiceUnavailable || checks["redis"] != "unreachable" || checks["database"] != "ok" {
			t.Fatalf("/readyz without Redis: %d %v", code, checks)
		}
		admin, auditor := apiToken(t, addr, "ops.admin"), apiToken(t, addr, "new.auditor")
		var me struct{ User struct{ ID int64 } }
		call(t, addr, "GET", "/api/v1/me", auditor, "", &me)
		grant := fmt.Sprintf("/api/v1/users/%d/grants", me.User.ID)
		if code := call(t, addr, "POST", grant, admin, `{"role":"auditor","jurisdiction":"210000","subtree":true}`, nil); code != http.StatusOK {
			t.Fatalf("grant without Redis: %d", code)
		}

		m := miniredis.NewMiniRedis()
		if err := m.StartAddr(redisAddr); err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		stacktest.WaitReady(t, addr)
		waitForMessage(t, addr, auditor)
		stacktest.StopAll(t, procs...)
	})
}

// webBehindProxy starts a web process on PostgreSQL reached through a proxy the test can cut or
// stall, with extra environment env, and returns the proxy, the process's address, the process and
// the API token of a citizen account li.citizen (granted role, when not empty).
func webBehindProxy(t *testing.T, role string, env ...string) (*proxy, string, *exec.Cmd, string) {
	t.Helper()
	bin := stacktest.CivicflowBinary(t)
	s := stacktest.PostgresOnly(t)
	broker := s.Broker(t)
	ctx := context.Background()
	u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "li.citizen", Password: "li.citizen-password"})
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		if err := policies.GrantSystem(ctx, s.DB, u.ID, role, "*"); err != nil {
			t.Fatal(err)
		}
	}
	dbURL, err := url.Parse(s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pg := startProxy(t, dbURL.Host)
	dbURL.Host = pg.addr
	addr := stacktest.FreeAddr(t)
	web := stacktest.Start(t, bin, append(append(os.Environ(),
		"CIVICFLOW_DATABASE_URL="+dbURL.String(),
		"CIVICFLOW_REDIS_URL="+stacktest.BrokerURL(broker),
		"CIVICFLOW_DATA_DIR="+t.TempDir(),
	), env...), "serve", "--role", "web", "--listen", addr)
	stacktest.WaitReady(t, addr)
	return pg, addr, web, apiToken(t, addr, "li.citizen")
}

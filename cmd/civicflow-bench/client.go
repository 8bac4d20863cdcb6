package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sync"
	"time"

	"github.com/civicflow/civicflow/forms"
)

// bench holds the tokens of the users it created and an HTTP client sized for the clients.
type bench struct {
	o                            options
	hc                           *http.Client
	run                          string // random tag of this run's logins
	admin                        string // the admin's token
	seq                          int    // the booking scenario's people: see citizens
	acceptor, reviewer, approver string
	// applicants hold the cases scenario's cases, casesPerApplicant each: few enough that one page of
	// an applicant's inbox shows every message the check after the run counts.
	applicants []string
}

// casesPerApplicant bounds the cases of one applicant: four messages each fit one page of the inbox.
const casesPerApplicant = 40

// statusError is an answer with another status than the one wanted.
type statusError struct {
	method, path string
	status, want int
	body         []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d, want %d: %s", e.method, e.path, e.status, e.want, e.body)
}

// call sends a JSON request with a bearer token and decodes the answer into out; any status other
// than want is an error carrying the body.
func (b *bench) call(ctx context.Context, method, path, token string, body, out any, want int) error {
	var r io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.o.url+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return b.do(req, out, want)
}

func (b *bench) do(req *http.Request, out any, want int) error {
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return &statusError{method: req.Method, path: req.URL.Path, status: resp.StatusCode, want: want, body: data}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (b *bench) token(ctx context.Context, login, password string) (string, error) {
	var out struct{ Token string }
	err := b.call(ctx, "POST", "/api/v1/tokens", "", map[string]string{"login": login, "password": password, "name": "civicflow-bench"}, &out, http.StatusCreated)
	return out.Token, err
}

// setUp logs the admin in; for the cases scenario it also creates one applicant and one user per
// staff role for this run, with grants in the jurisdiction, and logs them in.
func setUp(ctx context.Context, o options) (*bench, error) {
	if o.adminPassword == "" {
		return nil, errors.New("-admin-password (or CIVICFLOW_BENCH_ADMIN_PASSWORD) is required")
	}
	b := &bench{o: o, run: randomHex(4), hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2}, Timeout: time.Minute}}
	// Idle keep-alive connections left open would hold up a server's graceful shutdown after the run.
	context.AfterFunc(ctx, b.hc.CloseIdleConnections)
	var err error
	if b.admin, err = b.token(ctx, o.admin, o.adminPassword); err != nil {
		return nil, fmt.Errorf("logging in as %s: %w", o.admin, err)
	}
	if o.scenario != "cases" {
		return b, nil
	}
	for _, u := range []struct {
		role string
		dst  *string
	}{{"acceptor", &b.acceptor}, {"reviewer", &b.reviewer}, {"approver", &b.approver}} {
		if *u.dst, err = b.newUser(ctx, "bench-"+b.run+"-"+u.role, u.role); err != nil {
			return nil, err
		}
	}
	for i := 0; i < (o.cases+casesPerApplicant-1)/casesPerApplicant; i++ {
		token, err := b.newUser(ctx, fmt.Sprintf("bench-%s-applicant-%d", b.run, i), "org_applicant")
		if err != nil {
			return nil, err
		}
		b.applicants = append(b.applicants, token)
	}
	return b, nil
}

// newUser creates a user holding roles in the jurisdiction and its subtree and returns its token.
func (b *bench) newUser(ctx context.Context, login string, roles ...string) (string, error) {
	password := "bench-" + randomHex(12)
	var created struct{ ID int64 }
	if err := b.call(ctx, "POST", "/api/v1/users", b.admin, map[string]string{"login": login, "password": password}, &created, http.StatusCreated); err != nil {
		return "", err
	}
	for _, role := range roles {
		grant := map[string]any{"role": role, "jurisdiction": b.o.jurisdiction, "subtree": true}
		if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/users/%d/grants", created.ID), b.admin, grant, nil, http.StatusOK); err != nil {
			return "", err
		}
	}
	return b.token(ctx, login, password)
}

// materialSlots are the file fields of the 筹备 form and the material each uploads to.
var materialSlots = []string{"application_letter", "sponsor_approval", "capital_verification", "premises_proof", "founders_details", "draft_articles"}

// preparedCase is a case the cases scenario started: its ID, number and applicant's token.
type preparedCase struct {
	id        int64
	number    string
	applicant string
}

// prepare uploads materials and starts n cases with valid applications, untimed but measured.
func (b *bench) prepare(ctx context.Context, n, clients int) ([]preparedCase, []time.Duration, error) {
	var mu sync.Mutex
	var cases []preparedCase
	var lat []time.Duration
	var firstErr error
	work := make(chan int)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				applicant := b.applicants[i/casesPerApplicant]
				data, err := b.application(ctx, applicant, i)
				if err == nil {
					var cs struct {
						ID     int64
						Number string
					}
					t := time.Now()
					err = b.call(ctx, "POST", "/api/v1/cases", applicant, map[string]any{"item": "social-group-establishment", "jurisdiction": b.o.jurisdiction, "data": data}, &cs, http.StatusCreated)
					mu.Lock()
					lat = append(lat, time.Since(t))
					cases = append(cases, preparedCase{id: cs.ID, number: cs.Number, applicant: applicant})
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return cases, lat, firstErr
}

// application builds a valid 筹备 application: 50 founding members with real-looking resident ID
// numbers, the funds of a local group, and one small PDF per material.
func (b *bench) application(ctx context.Context, applicant string, i int) (map[string]any, error) {
	members := make([]any, 50)
	for m := range members {
		members[m] = map[string]any{"name": fmt.Sprintf("会员%d", m+1), "id_number": idNumber(i*50 + m), "phone": "13800000000"}
	}
	data := map[string]any{
		"name": fmt.Sprintf("沈阳市测试%d协会", i), "domicile": "沈阳市和平区测试路1号", "activity_area": "city", "level": "city",
		"business_scope": "测试", "funds": "50000", "individual_members": members,
		"legal_representative": map[string]any{"name": "张三", "id_number": idNumber(i*50 + 1), "phone": "13900000000"},
		"leaders":              []any{map[string]any{"name": "张三", "id_number": idNumber(i*50 + 1), "position": "会长"}},
		"sponsor_unit":         "沈阳市测试局",
	}
	for _, slot := range materialSlots {
		id, err := b.upload(ctx, applicant, slot)
		if err != nil {
			return nil, err
		}
		data[slot] = []int64{id}
	}
	return data, nil
}

func (b *bench) upload(ctx context.Context, applicant, slot string) (int64, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("item", "social-group-establishment")
	_ = w.WriteField("slot", slot)
	fw, err := w.CreateFormFile("file", slot+".pdf")
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(fw, "%%PDF-1.4\n%% civicflow-bench %s\n%%%%EOF\n", randomHex(8))
	if err := w.Close(); err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", b.o.url+"/api/v1/materials", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+applicant)
	var m struct{ ID int64 }
	return m.ID, b.do(req, &m, http.StatusCreated)
}

// decide takes one case through acceptance, review and the decision to approve preparation, and
// returns each action's latency by action.
func (b *bench) decide(ctx context.Context, id int64) (map[string][]time.Duration, error) {
	out := map[string][]time.Duration{}
	version := int64(1)
	for _, step := range []struct {
		action, token string
		fields        map[string]any
	}{
		{"accept_prep", b.acceptor, nil},
		{"propose_prep", b.reviewer, map[string]any{"opinion": "材料齐全，符合条件，建议准予筹备。"}},
		{"approve_preparation", b.approver, map[string]any{"decision_number": fmt.Sprintf("辽民社准〔2026〕%d号", id)}},
	} {
		var cs struct{ Version int64 }
		t := time.Now()
		err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), step.token,
			map[string]any{"action": step.action, "expected_version": version, "fields": step.fields}, &cs, http.StatusOK)
		out[step.action] = append(out[step.action], time.Since(t))
		if err != nil {
			return out, err
		}
		version = cs.Version
	}
	return out, nil
}

// idNumber makes the n-th valid resident ID number of people born in Shenyang's 和平区 on 1990-01-01.
func idNumber(n int) string { return checkedID(fmt.Sprintf("21010219900101%03d", n%1000)) }

// checkedID completes the first 17 characters of a resident ID number with its check character.
func checkedID(body string) string {
	for _, c := range "0123456789X" {
		if _, err := forms.ParseIDCard(body + string(c)); err == nil {
			return body + string(c)
		}
	}
	return body + "0"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

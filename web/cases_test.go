package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/worker"
	"github.com/civicflow/civicflow/workflow"
)

// sgItem is the built-in item 社会团体成立登记.
const sgItem = "social-group-establishment"

// prepSlots are the materials the 筹备 application form requires, one file field each, named like
// the material.
var prepSlots = []string{"application_letter", "sponsor_approval", "capital_verification", "premises_proof", "founders_details", "draft_articles"}

// residentID is the n-th valid resident identity number of people born in Shenyang's 和平区 on
// 1990-01-01: 17 digits and the check character that forms.ParseIDCard accepts.
func residentID(t testing.TB, n int) string {
	t.Helper()
	body := fmt.Sprintf("21010219900101%03d", n%1000)
	for _, c := range "0123456789X" {
		if _, err := forms.ParseIDCard(body + string(c)); err == nil {
			return body + string(c)
		}
	}
	t.Fatalf("no check character makes %s a valid identity number", body)
	return ""
}

// uploadPDF uploads a tiny PDF through POST /api/v1/materials for the item's material slot and returns
// the material's id.
func (st *site) uploadPDF(token, item, slot string) int64 {
	st.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("item", item)
	_ = w.WriteField("slot", slot)
	fw, _ := w.CreateFormFile("file", slot+".pdf")
	fmt.Fprintf(fw, "%%PDF-1.4\n%% %s %d\n%%%%EOF\n", slot, time.Now().UnixNano())
	_ = w.Close()
	req, _ := http.NewRequest("POST", st.base+"/api/v1/materials", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m struct {
		ID   int64
		Slot string
	}
	if resp.StatusCode != http.StatusCreated {
		st.t.Fatalf("uploading %s: %d %s", slot, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.ID <= 0 || m.Slot != slot {
		st.t.Fatalf("uploading %s: %s (%v)", slot, b, err)
	}
	return m.ID
}

// preparationData is a valid 筹备 application of a city-level group in Shenyang: 50 individual
// members with valid identity numbers, 50,000 yuan of funds, and the uploads by slot.
func preparationData(t testing.TB, name string, uploads map[string]int64) map[string]any {
	t.Helper()
	members := make([]any, 50)
	for i := range members {
		members[i] = map[string]any{"name": fmt.Sprintf("会员%02d", i+1), "id_number": residentID(t, i+1), "phone": "13800000000"}
	}
	data := map[string]any{
		"name": name, "domicile": "沈阳市和平区南京北街1号", "activity_area": "city", "level": "city",
		"business_scope": "开展青年创业培训、交流和咨询服务。", "funds": "50000", "individual_members": members,
		"legal_representative": map[string]any{"name": "张伟", "id_number": residentID(t, 901), "phone": "13912345678"},
		"leaders":              []any{map[string]any{"name": "张伟", "id_number": residentID(t, 901), "position": "会长"}},
		"sponsor_unit":         "沈阳市科学技术局",
	}
	for slot, id := range uploads {
		data[slot] = []int64{id}
	}
	return data
}

// uploadAll uploads one PDF per slot and returns their ids by slot.
func (st *site) uploadAll(token, item string, slots ...string) map[string]int64 {
	st.t.Helper()
	out := map[string]int64{}
	for _, slot := range slots {
		out[slot] = st.uploadPDF(token, item, slot)
	}
	return out
}

// caseView is the API's answer about one case.
type caseView struct {
	Case struct {
		ID           int64
		Number       string
		Jurisdiction string
		State        string
		Version      int64
		Outcome      string
		ClosedAt     *time.Time `json:"closed_at"`
		Fields       map[string]any
		Data         map[string]any
		Supplement   *struct {
			Items  []string
			Notice string
		}
	}
	Events []struct {
		Seq     int
		Action  string
		From    string
		To      string
		Comment string
	}
	AllowedActions []struct{ ID string } `json:"allowed_actions"`
	Documents      []struct {
		ID                   int64
		Kind, Number, Status string
		IssuedAt             time.Time `json:"issued_at"`
	}
}

func (v caseView) allowed() []string {
	out := []string{}
	for _, a := range v.AllowedActions {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

// caseState is what Apply and Start answer: the case after the change.
type caseState struct {
	ID      int64
	Number  string
	State   string
	Version int64
	Fields  map[string]any
}

// getCase reads a case through the API and fails the test unless the answer is 200.
func (st *site) getCase(token string, id int64) caseView {
	st.t.Helper()
	var v caseView
	if code := st.api("GET", "/api/v1/cases/"+strconv.FormatInt(id, 10), token, nil, &v); code != http.StatusOK {
		st.t.Fatalf("GET case %d: %d", id, code)
	}
	return v
}

// act takes an action through the API and returns the status with the answer decoded into out.
func (st *site) act(token string, id int64, req map[string]any, out any) int {
	st.t.Helper()
	return st.api("POST", "/api/v1/cases/"+strconv.FormatInt(id, 10)+"/actions", token, req, out)
}

// step takes an action that must succeed and must move the case to state; it returns the case after.
func (st *site) step(token string, c caseState, action, state string, extra map[string]any) caseState {
	st.t.Helper()
	req := map[string]any{"action": action, "expected_version": c.Version}
	maps.Copy(req, extra)
	var raw json.RawMessage
	if code := st.act(token, c.ID, req, &raw); code != http.StatusOK {
		st.t.Fatalf("%s on case %d (state %s, version %d): %d %s", action, c.ID, c.State, c.Version, code, raw)
	}
	var out caseState
	if err := json.Unmarshal(raw, &out); err != nil {
		st.t.Fatal(err)
	}
	if out.State != state || out.Version != c.Version+1 {
		st.t.Fatalf("%s: case in state %s at version %d, want %s at %d", action, out.State, out.Version, state, c.Version+1)
	}
	return out
}

// startCase starts a case through POST /api/v1/cases and fails the test unless the answer is 201.
func (st *site) startCase(token, item, jurisdiction string, data map[string]any) caseState {
	st.t.Helper()
	var raw json.RawMessage
	if code := st.api("POST", "/api/v1/cases", token, map[string]any{"item": item, "jurisdiction": jurisdiction, "data": data}, &raw); code != http.StatusCreated {
		st.t.Fatalf("starting a case of %s: %d %s", item, code, raw)
	}
	var c caseState
	if err := json.Unmarshal(raw, &c); err != nil {
		st.t.Fatal(err)
	}
	return c
}

// startPreparation uploads the six materials and starts a 筹备 case in Shenyang for the token's user.
func (st *site) startPreparation(token, name string) caseState {
	st.t.Helper()
	return st.startCase(token, sgItem, "210100", preparationData(st.t, name, st.uploadAll(token, sgItem, prepSlots...)))
}

// runWorker runs the notification worker on the site's database and Redis until the test ends.
func runWorker(t *testing.T, st *site) {
	t.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WorkerConcurrency, cfg.RelayInterval, cfg.ShutdownTimeout = 4, 20*time.Millisecond, 5*time.Second
	w := worker.New(st.stack.DB, st.broker, cfg, notify.Senders{},
		worker.WithPollInterval(20*time.Millisecond),
		worker.WithLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the worker did not stop within 20 s")
		}
	})
}

// waitUntil polls cond every 20 ms until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasFieldError(e apiErr, path, code string) bool {
	for _, f := range e.Error.Fields {
		if f.Path == path && f.Code == code {
			return true
		}
	}
	return false
}

// The whole establishment of a social group through the API: 筹备 with one round of 补正, approval of
// the preparation, the 成立登记 application and its approval, which enters the group in the register.
func TestEstablishmentFlowThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		applicantID := st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		st.user("sy.reviewer", "reviewer@2101*")
		st.user("sy.approver", "approver@2101*")
		app, acc, rev, apr := st.token("zhang.applicant"), st.token("sy.acceptor"), st.token("sy.reviewer"), st.token("sy.approver")
		var data map[string]any
		var draft struct{ Data map[string]any }
		var c caseState
		var final caseView
		notice := "名称不符合《社会组织名称管理办法》，请修改；章程草案缺少会员权利义务一章。"

		// Upload the six materials and keep the application as a draft, which only its author reads.
		stacktest.Step(&st.t, "draft", func(t *testing.T) {
			uploads := st.uploadAll(app, sgItem, prepSlots...)
			data = preparationData(t, "沈阳市青年创业促进会", uploads)
			if code := st.api("PUT", "/api/v1/drafts/"+sgItem, app, map[string]any{"data": data}, nil); code != http.StatusNoContent {
				t.Fatalf("saving the draft: %d", code)
			}
			if code := st.api("GET", "/api/v1/drafts/"+sgItem, app, nil, &draft); code != http.StatusOK {
				t.Fatalf("reading the draft: %d", code)
			}
			if draft.Data["name"] != "沈阳市青年创业促进会" || len(asAnySlice(draft.Data["individual_members"])) != 50 ||
				fmt.Sprint(draft.Data["draft_articles"]) != fmt.Sprintf("[%d]", uploads["draft_articles"]) {
				t.Fatalf("the draft read back differs: name %v, %d members, draft_articles %v",
					draft.Data["name"], len(asAnySlice(draft.Data["individual_members"])), draft.Data["draft_articles"])
			}
			st.user("li.other", "org_applicant@*")
			var otherDraft struct{ Data map[string]any }
			if code := st.api("GET", "/api/v1/drafts/"+sgItem, st.token("li.other"), nil, &otherDraft); code != http.StatusOK || len(otherDraft.Data) != 0 {
				t.Fatalf("another applicant reading the draft: %d %v", code, otherDraft.Data)
			}
		})

		// Start the case from the draft's data: numbered, draft gone, each side offered its actions.
		stacktest.Step(&st.t, "start", func(t *testing.T) {
			c = st.startCase(app, sgItem, "210100", draft.Data)
			year := time.Now().In(calendar.Zone).Year()
			if want := fmt.Sprintf("210100-%d-000001", year); c.Number != want || c.State != "prep_acceptance" || c.Version != 1 {
				t.Fatalf("started case: number %q state %s version %d, want %s in prep_acceptance at 1", c.Number, c.State, c.Version, want)
			}
			var after struct{ Data map[string]any }
			if code := st.api("GET", "/api/v1/drafts/"+sgItem, app, nil, &after); code != http.StatusOK || len(after.Data) != 0 {
				t.Errorf("the draft is still there after the start: %d %v", code, after.Data)
			}
			if got := st.getCase(app, c.ID).allowed(); !slices.Equal(got, []string{"withdraw"}) {
				t.Errorf("the applicant may take %v at prep_acceptance, want [withdraw]", got)
			}
			if got := st.getCase(acc, c.ID).allowed(); !slices.Equal(got, []string{"accept_prep", "reject", "supplement_prep"}) {
				t.Errorf("the acceptor may take %v at prep_acceptance", got)
			}
		})

		// 补正 of the name and the draft articles, with a notice the applicant reads.
		stacktest.Step(&st.t, "supplement", func(t *testing.T) {
			var e apiErr
			if code := st.act(acc, c.ID, map[string]any{"action": "supplement_prep", "expected_version": c.Version, "items": []string{"name"}}, &e); code != http.StatusUnprocessableEntity || !hasFieldError(e, "comment", "required") {
				t.Errorf("a supplement without a notice: %d %+v", code, e)
			}
			c = st.step(acc, c, "supplement_prep", "prep_supplement", map[string]any{"items": []string{"name", "draft_articles"}, "comment": notice})
			v := st.getCase(app, c.ID)
			if v.Case.Supplement == nil || v.Case.Supplement.Notice != notice || !slices.Equal(v.Case.Supplement.Items, []string{"name", "draft_articles"}) {
				t.Fatalf("the applicant's view of the supplement notice: %+v", v.Case.Supplement)
			}
			if got := v.allowed(); !slices.Equal(got, []string{"resubmit_prep", "withdraw"}) {
				t.Errorf("the applicant may take %v at prep_supplement", got)
			}
		})

		// Changing what the notice does not list is refused, and nothing moves.
		stacktest.Step(&st.t, "refused resubmission", func(t *testing.T) {
			wrong := maps.Clone(data)
			wrong["name"] = "沈阳市青年创新创业促进会"
			wrong["domicile"] = "沈阳市沈河区青年大街2号"
			var e apiErr
			if code := st.act(app, c.ID, map[string]any{"action": "resubmit_prep", "expected_version": c.Version, "data": wrong}, &e); code != http.StatusUnprocessableEntity ||
				!hasFieldError(e, "data.domicile", "not_requested") || hasFieldError(e, "data.name", "not_requested") {
				t.Fatalf("resubmitting a changed domicile: %d %+v", code, e)
			}
			if v := st.getCase(app, c.ID); v.Case.State != "prep_supplement" || v.Case.Version != c.Version {
				t.Fatalf("a refused resubmission moved the case to %s at %d", v.Case.State, v.Case.Version)
			}
		})

		// The name and a new draft of the articles close the notice.
		stacktest.Step(&st.t, "resubmission", func(t *testing.T) {
			fixed := maps.Clone(data)
			fixed["name"] = "沈阳市青年创新创业促进会"
			newArticles := st.uploadPDF(app, sgItem, "draft_articles")
			fixed["draft_articles"] = []int64{newArticles}
			c = st.step(app, c, "resubmit_prep", "prep_acceptance", map[string]any{"data": fixed})
			v := st.getCase(acc, c.ID)
			if v.Case.Supplement != nil {
				t.Error("the supplement notice is still open after the resubmission")
			}
			prep, _ := v.Case.Data["sg_preparation"].(map[string]any)
			if prep["name"] != "沈阳市青年创新创业促进会" || fmt.Sprint(prep["draft_articles"]) != fmt.Sprintf("[%d]", newArticles) {
				t.Errorf("the case's data after the resubmission: name %v, draft_articles %v", prep["name"], prep["draft_articles"])
			}
		})

		// Acceptance, review and the decision on the preparation, each refusing a wrong request first.
		stacktest.Step(&st.t, "preparation approved", func(t *testing.T) {
			c = st.step(acc, c, "accept_prep", "prep_review", nil)
			var e apiErr
			if code := st.act(rev, c.ID, map[string]any{"action": "propose_prep", "expected_version": c.Version}, &e); code != http.StatusUnprocessableEntity || !hasFieldError(e, "fields.opinion", "required") {
				t.Errorf("a proposal without an opinion: %d %+v", code, e)
			}
			c = st.step(rev, c, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "材料齐全，符合条件，建议准予筹备。"}})
			e = apiErr{}
			if code := st.act(acc, c.ID, map[string]any{"action": "approve_preparation", "expected_version": c.Version,
				"fields": map[string]any{"decision_number": "沈民社准〔2026〕1号"}}, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("the acceptor approving the preparation: %d %+v", code, e)
			}
			c = st.step(apr, c, "approve_preparation", "establishment_application", map[string]any{"fields": map[string]any{"decision_number": "沈民社准〔2026〕1号"}})
			if got := st.getCase(app, c.ID).allowed(); !slices.Equal(got, []string{"submit_establishment", "withdraw"}) {
				t.Errorf("the applicant may take %v once preparation is approved", got)
			}
		})

		// The 成立登记 application, on the form of the establishment_application state, through to registration.
		stacktest.Step(&st.t, "establishment", func(t *testing.T) {
			est := st.uploadAll(app, sgItem, "registration_form", "assembly_minutes", "adopted_articles", "leaders_list")
			estData := map[string]any{
				"assembly_date": time.Now().In(calendar.Zone).AddDate(0, 0, -3).Format(time.DateOnly), "members_present": 46,
				"articles_adopted":     true,
				"legal_representative": map[string]any{"name": "张伟", "id_number": residentID(t, 901), "phone": "13912345678"},
				"leaders": []any{
					map[string]any{"name": "张伟", "id_number": residentID(t, 901), "position": "会长"},
					map[string]any{"name": "王芳", "id_number": residentID(t, 902), "position": "秘书长"},
				},
				"leaders_confirmed": true,
				"registration_form": []int64{est["registration_form"]}, "assembly_minutes": []int64{est["assembly_minutes"]},
				"articles": []int64{est["adopted_articles"]}, "leaders_list": []int64{est["leaders_list"]},
			}
			var e apiErr
			if code := st.act(app, c.ID, map[string]any{"action": "submit_establishment", "expected_version": c.Version, "data": data}, &e); code != http.StatusUnprocessableEntity ||
				!hasFieldError(e, "data.assembly_date", "required") {
				t.Errorf("submitting the 筹备 form as the establishment application: %d %+v", code, e)
			}
			c = st.step(app, c, "submit_establishment", "est_acceptance", map[string]any{"data": estData})
			c = st.step(acc, c, "accept_est", "est_review", nil)
			c = st.step(rev, c, "propose_est", "est_decision", map[string]any{"fields": map[string]any{"opinion": "会议程序合法，建议准予登记。"}})
			c = st.step(apr, c, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕1号"}})
		})

		// The group is on the register with a new credit code.
		stacktest.Step(&st.t, "register", func(t *testing.T) {
			final = st.getCase(app, c.ID)
			if final.Case.Outcome != "approved" || final.Case.ClosedAt == nil {
				t.Errorf("the registered case: outcome %q, closed at %v", final.Case.Outcome, final.Case.ClosedAt)
			}
			if got := final.allowed(); len(got) != 0 {
				t.Errorf("the applicant may still take %v on the registered case", got)
			}
			uscc, _ := final.Case.Fields["uscc"].(string)
			if !strings.HasPrefix(uscc, "51210100") {
				t.Fatalf("the case's credit code is %q, want 51210100…", uscc)
			}
			if warning, err := forms.ValidateUSCC(uscc); err != nil || warning != "" {
				t.Errorf("the issued credit code %s: %v %s", uscc, err, warning)
			}
			org, err := register.ByUSCC(ctx, s.DB, uscc)
			if err != nil {
				t.Fatalf("the register has no %s: %v", uscc, err)
			}
			if org.Name != "沈阳市青年创新创业促进会" || org.Status != register.StatusActive || org.Kind != register.KindSocialGroup ||
				org.Jurisdiction != "210100" || org.LegalRepresentative != "张伟" || org.Domicile != "沈阳市和平区南京北街1号" ||
				org.CaseID == nil || *org.CaseID != c.ID {
				t.Errorf("the register's entry: %+v", org)
			}
			found, err := register.Search(ctx, s.DB, register.Query{Q: "青年创新创业"})
			if err != nil || found.Total != 1 || found.Organisations[0].USCC != uscc {
				t.Errorf("searching the register: %+v %v", found, err)
			}
		})

		// The public register finds the group by two characters of its name at once, without a login,
		// and shows its particulars but no personal data beyond the legal representative's name.
		stacktest.Step(&st.t, "public register", func(t *testing.T) {
			uscc, _ := final.Case.Fields["uscc"].(string)
			anon := st.browser()
			code, body, _ := anon.get("/register?q=" + url.QueryEscape("创新"))
			if code != http.StatusOK || !strings.Contains(body, "沈阳市青年创新创业促进会") || !strings.Contains(body, `href="/register/`+uscc+`"`) {
				t.Fatalf("searching the register for 创新: %d %s", code, body)
			}
			var found struct {
				Organisations []struct{ USCC, Name string }
				Total         int
			}
			if code := st.api("GET", "/api/v1/register?q="+url.QueryEscape("创新"), "", nil, &found); code != http.StatusOK ||
				found.Total != 1 || found.Organisations[0].USCC != uscc {
				t.Errorf("the API's search for 创新: %d %+v", code, found)
			}
			code, body, _ = anon.get("/register/" + uscc)
			for _, want := range []string{"沈阳市青年创新创业促进会", uscc, "沈阳市和平区南京北街1号", "张伟", "开展青年创业培训、交流和咨询服务。",
				"本市", "5万元", "沈阳市科学技术局", "沈阳市民政局", "成立登记", "沈民社登〔2026〕1号"} { // funds as the certificate prints them
				if !strings.Contains(body, want) {
					t.Errorf("the organisation's page lacks %q", want)
				}
			}
			for _, secret := range []string{residentID(t, 901), "13912345678", "王芳", final.Case.Number} {
				if strings.Contains(body, secret) {
					t.Errorf("the organisation's page shows %q", secret)
				}
			}
			if code != http.StatusOK {
				t.Errorf("the organisation's page: %d", code)
			}
			var org map[string]any
			if code := st.api("GET", "/api/v1/register/"+strings.ToLower(uscc), "", nil, &org); code != http.StatusOK ||
				org["name"] != "沈阳市青年创新创业促进会" || org["case_id"] != nil || org["data"] != nil ||
				!strings.Contains(fmt.Sprint(org["jurisdiction_name"]), "沈阳市") ||
				fmt.Sprint(org["particulars"]) != "map[activity_area:map[en:One city zh:本市] business_scope:map[en:开展青年创业培训、交流和咨询服务。 zh:开展青年创业培训、交流和咨询服务。] funds:map[en:50000 yuan zh:5万元] sponsor_unit:map[en:沈阳市科学技术局 zh:沈阳市科学技术局]]" {
				t.Errorf("the API's organisation: %d %v", code, org)
			}
		})

		// Every decision left its document; the events form an intact chain.
		stacktest.Step(&st.t, "documents and history", func(t *testing.T) {
			var kinds []string
			year := final.Documents[0].IssuedAt.In(calendar.Zone).Year()
			for _, d := range final.Documents {
				kinds = append(kinds, d.Kind+" "+d.Number+" "+d.Status)
			}
			want := []string{fmt.Sprintf("supplement_notice 沈民补字〔%d〕1号 valid", year), fmt.Sprintf("acceptance_notice 沈民受字〔%d〕1号 valid", year),
				"preparation_approval 沈民社准〔2026〕1号 valid", // the number the approver entered
				fmt.Sprintf("acceptance_notice 沈民受字〔%d〕2号 valid", year),
				fmt.Sprintf("registration_certificate 沈民社证〔%d〕1号 valid", year)}
			if !slices.Equal(kinds, want) {
				t.Errorf("documents:\n got %q\nwant %q", kinds, want)
			}
			checkCertificate(t, st, s, app, final.Documents[len(final.Documents)-1].ID)
			checkCasePage(t, st, final)
			var timeline []string
			for _, ev := range final.Events {
				timeline = append(timeline, ev.Action)
			}
			if want := []string{"start", "supplement_prep", "resubmit_prep", "accept_prep", "propose_prep", "approve_preparation",
				"submit_establishment", "accept_est", "propose_est", "approve_establishment"}; !slices.Equal(timeline, want) {
				t.Errorf("timeline %v, want %v", timeline, want)
			}

			r, err := workflow.CheckChains(ctx, s.DB)
			if err != nil || len(r.Broken) != 0 {
				t.Errorf("event chains: %+v %v", r.Broken, err)
			}
		})

		// The worker delivers the applicant's messages to the inbox: one per step that notifies.
		stacktest.Step(&st.t, "messages", func(t *testing.T) {
			runWorker(t, st)
			var pending int
			type messages struct {
				Messages []struct{ Subject, Body string }
			}
			var inbox messages
			wantMessages := 10 // start, 补正 requested and received, accepted, progress, preparation approved, submitted, accepted, progress, registered
			waitUntil(t, 20*time.Second, fmt.Sprintf("%d messages in the applicant's inbox", wantMessages), func() bool {
				inbox = messages{}
				st.api("GET", "/api/v1/me/messages", app, nil, &inbox)
				return len(inbox.Messages) >= wantMessages
			})
			if len(inbox.Messages) != wantMessages {
				t.Errorf("the applicant has %d messages, want %d", len(inbox.Messages), wantMessages)
			}
			subjects := ""
			for _, m := range inbox.Messages {
				if !strings.Contains(m.Subject, c.Number) {
					t.Errorf("message %q does not name the case %s", m.Subject, c.Number)
				}
				subjects += m.Subject + "\n"
			}
			for _, subject := range []string{"申请已提交", "请补正申请材料", "补正材料已收到", "您的申请已受理", "办理进度更新", "社会团体已成立登记"} {
				if !strings.Contains(subjects, subject) {
					t.Errorf("no message about %q among:\n%s", subject, subjects)
				}
			}
			if !strings.Contains(inboxBody(inbox.Messages, "请补正申请材料"), notice) {
				t.Errorf("the supplement message does not carry the notice")
			}
			err := s.DB.NewSelect().Model((*notify.Outbox)(nil)).ColumnExpr("count(*)").
				Where("user_id = ? AND status <> ?", applicantID, notify.StatusDelivered).Scan(ctx, &pending)
			if err != nil || pending != 0 {
				t.Errorf("%d of the applicant's outbox rows are not delivered (%v)", pending, err)
			}
		})
	})
}

func inboxBody(msgs []struct{ Subject, Body string }, subject string) string {
	for _, m := range msgs {
		if strings.Contains(m.Subject, subject) {
			return m.Body
		}
	}
	return ""
}

func asAnySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// Applicants see only their own cases and materials; staff see the cases of their jurisdictions and
// take only their roles' actions.
func TestCasesAreVisibleToTheirApplicantAndJurisdictionOnly(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("li.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		st.user("sy.reviewer", "reviewer@2101*")
		st.user("dl.acceptor", "acceptor@2102*")
		app, other := st.token("zhang.applicant"), st.token("li.applicant")
		acc, rev, dl := st.token("sy.acceptor"), st.token("sy.reviewer"), st.token("dl.acceptor")

		c := st.startPreparation(app, "沈阳市青年创业促进会")
		v := st.getCase(app, c.ID)
		var linked int64
		if err := st.stack.DB.NewSelect().TableExpr("materials").Column("id").Where("case_id = ?", c.ID).Limit(1).Scan(context.Background(), &linked); err != nil {
			t.Fatal(err)
		}
		unlinked := st.uploadPDF(app, sgItem, "application_letter")
		path := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)

		// Another applicant and staff of another jurisdiction neither read, act on, download nor list it.
		stacktest.Step(&st.t, "strangers", func(t *testing.T) {
			for _, who := range []struct{ name, token string }{{"another applicant", other}, {"a Dalian acceptor", dl}} {
				var e apiErr
				if code := st.api("GET", path, who.token, nil, &e); code != http.StatusNotFound || e.Error.Code != "not_found" {
					t.Errorf("%s reading the case: %d %+v", who.name, code, e)
				}
				e = apiErr{}
				if code := st.act(who.token, c.ID, map[string]any{"action": "accept_prep", "expected_version": v.Case.Version}, &e); code != http.StatusNotFound {
					t.Errorf("%s accepting the case: %d %+v", who.name, code, e)
				}
				for _, id := range []int64{linked, unlinked} {
					if code := st.api("GET", "/api/v1/materials/"+strconv.FormatInt(id, 10), who.token, nil, nil); code != http.StatusNotFound {
						t.Errorf("%s downloading material %d: %d", who.name, id, code)
					}
				}
				var list struct{ Cases []caseState }
				st.api("GET", "/api/v1/cases", who.token, nil, &list)
				if len(list.Cases) != 0 {
					t.Errorf("%s lists %d cases", who.name, len(list.Cases))
				}
			}
		})

		// Only the inbox of the case's jurisdiction lists it.
		stacktest.Step(&st.t, "inboxes", func(t *testing.T) {
			var inbox struct{ Cases []caseState }
			if code := st.api("GET", "/api/v1/inbox", dl, nil, &inbox); code != http.StatusOK || len(inbox.Cases) != 0 {
				t.Errorf("the Dalian acceptor's inbox: %d %+v", code, inbox.Cases)
			}
			if code := st.api("GET", "/api/v1/inbox", acc, nil, &inbox); code != http.StatusOK || len(inbox.Cases) != 1 || inbox.Cases[0].ID != c.ID {
				t.Errorf("the Shenyang acceptor's inbox: %d %+v", code, inbox.Cases)
			}
		})

		// The applicant and Shenyang's staff may download; the applicant's own unlinked upload too.
		stacktest.Step(&st.t, "downloads", func(t *testing.T) {
			for _, d := range []struct {
				token string
				id    int64
			}{{app, linked}, {app, unlinked}, {acc, linked}} {
				req, _ := http.NewRequest("GET", st.base+"/api/v1/materials/"+strconv.FormatInt(d.id, 10), nil)
				req.Header.Set("Authorization", "Bearer "+d.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("downloading material %d: %v", d.id, err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("%PDF-")) || resp.Header.Get("Content-Type") != "application/pdf" {
					t.Errorf("downloading material %d: %d %s %q", d.id, resp.StatusCode, resp.Header.Get("Content-Type"), b)
				}
			}
		})

		// Staff in the case's jurisdiction see it but take only their roles' actions.
		stacktest.Step(&st.t, "roles", func(t *testing.T) {
			var e apiErr
			if code := st.act(rev, c.ID, map[string]any{"action": "accept_prep", "expected_version": c.Version}, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("a reviewer accepting: %d %+v", code, e)
			}
			if code := st.act(acc, c.ID, map[string]any{"action": "withdraw", "expected_version": c.Version}, &e); code != http.StatusForbidden {
				t.Errorf("the acceptor withdrawing the applicant's case: %d %+v", code, e)
			}
			c = st.step(acc, c, "accept_prep", "prep_review", nil)
			c = st.step(rev, c, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "同意"}})
			e = apiErr{}
			if code := st.act(acc, c.ID, map[string]any{"action": "approve_preparation", "expected_version": c.Version,
				"fields": map[string]any{"decision_number": "沈民社准〔2026〕9号"}}, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("the acceptor approving: %d %+v", code, e)
			}
			e = apiErr{}
			if code := st.act(acc, c.ID, map[string]any{"action": "accept_prep", "expected_version": c.Version}, &e); code != http.StatusConflict || e.Error.Code != "action_not_available" {
				t.Errorf("accepting a case in prep_decision: %d %+v", code, e)
			}
			if v := st.getCase(acc, c.ID); v.Case.State != "prep_decision" || v.Case.Version != c.Version {
				t.Errorf("refused actions moved the case to %s at %d", v.Case.State, v.Case.Version)
			}
		})
	})
}

// Of 50 people taking an action on the same version of a case at once, one succeeds and the others
// are told that the case has changed.
func TestConcurrentActionsOnACaseOneWins(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		c := st.startPreparation(st.token("zhang.applicant"), "沈阳市青年创业促进会")
		acc := st.token("sy.acceptor")

		const n = 50
		body := fmt.Sprintf(`{"action":"accept_prep","expected_version":%d,"comment":"材料齐全"}`, c.Version)
		target := st.base + "/api/v1/cases/" + strconv.FormatInt(c.ID, 10) + "/actions"
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 30 * time.Second}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		var others []string
		for range n {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", target, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+acc)
				<-start
				resp, err := client.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					others = append(others, err.Error())
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				statuses[resp.StatusCode]++
				var e apiErr
				if resp.StatusCode == http.StatusConflict {
					if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != "stale_version" {
						others = append(others, string(b))
					}
				} else if resp.StatusCode != http.StatusOK {
					others = append(others, fmt.Sprintf("%d %s", resp.StatusCode, b))
				}
			})
		}
		close(start)
		wg.Wait()
		if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != n-1 || len(others) > 0 {
			t.Fatalf("statuses %v, other answers %q", statuses, others)
		}
		v := st.getCase(acc, c.ID)
		if v.Case.State != "prep_review" || v.Case.Version != 2 || len(v.Events) != 2 || len(v.Documents) != 1 {
			t.Errorf("after the race: state %s, version %d, %d events, %d documents", v.Case.State, v.Case.Version, len(v.Events), len(v.Documents))
		}
		var accepted int
		err := s.DB.NewSelect().Model((*notify.Outbox)(nil)).ColumnExpr("count(*)").Where("template = ?", "case_accepted").Scan(ctx, &accepted)
		if err != nil || accepted != 1 {
			t.Errorf("%d case_accepted messages (%v)", accepted, err)
		}
		if r, err := workflow.CheckChains(ctx, s.DB); err != nil || len(r.Broken) != 0 {
			t.Errorf("event chains: %+v %v", r.Broken, err)
		}
	})
}

// copyExampleCatalog lays the documented example item and its form out as CIVICFLOW_CATALOG_DIR
// expects them (items/ and forms/) in a new directory.
func copyExampleCatalog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"items/name-preapproval.yaml", "forms/name-preapproval.yaml", "documents/name_approval_notice.yaml"} {
		src := filepath.Join("..", "catalog", "testdata", "example", f)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// postMultipart submits a form as a browser does when it has a file input (enctype multipart/form-data),
// with a small PDF named as given for each file input.
func (b *browser) postMultipart(path string, form url.Values, files map[string]string) (*http.Response, string) {
	b.st.t.Helper()
	pdfs := map[string]upload{}
	for k, name := range files {
		pdfs[k] = upload{name: name, content: fmt.Sprintf("%%PDF-1.4\n%% %s\n%%%%EOF\n", name)}
	}
	return b.postFiles(path, form, pdfs)
}

var expectedVersionField = regexp.MustCompile(`name="expected_version" value="(\d+)"`)

// An administrator adds a service item by putting its files into CIVICFLOW_CATALOG_DIR, and a case
// runs through it by the API and by the pages with no change to the program.
func TestCatalogDirItemRunsThroughAPIAndPages(t *testing.T) {
	const code = "sg-name-preapproval"
	builtin, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := builtin.Item(code); ok {
		t.Fatalf("%s is built in; this test is about an item that comes only from the catalog directory", code)
	}
	dir := copyExampleCatalog(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSiteWith(t, s, dir)
		st.user("chen.citizen", "citizen@*")
		st.user("sy.acceptor", "acceptor@2101*")
		st.user("sy.reviewer", "reviewer@2101*")
		st.user("sy.approver", "approver@2101*")
		app, acc, rev, apr := st.token("chen.citizen"), st.token("sy.acceptor"), st.token("sy.reviewer"), st.token("sy.approver")
		b := st.browser()
		var token, casePath string
		var upload []string

		// The catalogue lists the new item beside the built-in ones, with its form's schema.
		stacktest.Step(&st.t, "catalogue", func(t *testing.T) {
			var list struct{ Items []struct{ Code string } }
			st.api("GET", "/api/v1/catalog", "", nil, &list)
			if !slices.ContainsFunc(list.Items, func(i struct{ Code string }) bool { return i.Code == code }) ||
				!slices.ContainsFunc(list.Items, func(i struct{ Code string }) bool { return i.Code == sgItem }) {
				t.Fatalf("the catalogue lists %+v", list.Items)
			}
			var schema map[string]any
			if c := st.api("GET", "/api/v1/catalog/"+code+"/form-schema", "", nil, &schema); c != http.StatusOK || schema["properties"] == nil {
				t.Errorf("the new item's form schema: %d %v", c, schema)
			}
		})

		// By the API: start, 补正, resubmission, acceptance, review, decision.
		stacktest.Step(&st.t, "API", func(t *testing.T) {
			letter := st.uploadPDF(app, code, "application")
			data := map[string]any{"proposed_name": "沈阳市青年创业协会", "level": "city", "application": []int64{letter}}
			c := st.startCase(app, code, "210100", data)
			if c.State != "acceptance" || !strings.HasPrefix(c.Number, "210100-") {
				t.Fatalf("the new case: %+v", c)
			}
			c = st.step(acc, c, "request_supplement", "supplement", map[string]any{"items": []string{"proposed_name"}, "comment": "名称须含组织形式。"})
			data["proposed_name"] = "沈阳市青年创业促进会"
			c = st.step(app, c, "resubmit", "acceptance", map[string]any{"data": data})
			c = st.step(acc, c, "accept", "review", nil)
			c = st.step(rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "名称规范，建议核准。"}})
			c = st.step(apr, c, "approve", "approved", map[string]any{"fields": map[string]any{"decision_number": "沈民名核〔2026〕1号"}})
			v := st.getCase(app, c.ID)
			if v.Case.Fields["approved_name"] != "沈阳市青年创业促进会" || len(v.Documents) != 1 || v.Documents[0].Kind != "name_approval_notice" ||
				v.Case.Outcome != "approved" || len(v.allowed()) != 0 {
				t.Errorf("the approved case: fields %v, documents %+v, outcome %q, allowed %v", v.Case.Fields, v.Documents, v.Case.Outcome, v.allowed())
			}
		})

		// By the pages: the guide with its flowchart…
		stacktest.Step(&st.t, "guide page", func(t *testing.T) {
			visitor := st.browser()
			status, body, _ := visitor.get("/catalog")
			if status != http.StatusOK || !strings.Contains(body, `href="/catalog/`+code+`"`) {
				t.Errorf("the catalogue page does not link the new item: %d", status)
			}
			status, body, _ = visitor.get("/catalog/" + code)
			if status != http.StatusOK || !strings.Contains(body, "社会团体名称预先核准") || !strings.Contains(body, "<svg") ||
				!strings.Contains(body, "待补正") || !strings.Contains(body, "准予核准") || !strings.Contains(body, "名称预先核准申请书") {
				t.Fatalf("the guide page of the new item: %d\n%s", status, body)
			}
		})

		// …the application page renders the form…
		stacktest.Step(&st.t, "application page", func(t *testing.T) {
			b.login("chen.citizen")
			status, body, tok := b.get("/catalog/" + code + "/apply")
			token = tok
			for _, want := range []string{`name="proposed_name"`, `name="level"`, `name="alternative_names[0].name"`, `name="upload:application"`,
				`<option value="210100"`, `value="city"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the application page lacks %s", want)
				}
			}
			if status != http.StatusOK || token == "" {
				t.Fatalf("the application page: %d, token %q", status, token)
			}
		})

		// …a missing required field comes back on the page, with everything typed kept…
		stacktest.Step(&st.t, "refused application", func(t *testing.T) {
			form := url.Values{"_csrf": {token}, "jurisdiction": {"210100"}, "proposed_name": {""}, "level": {"city"},
				"alternative_names[0].name": {"沈阳市青年创业者协会"}, "intent": {"submit"}}
			resp, body := b.postMultipart("/catalog/"+code+"/apply", form, map[string]string{"upload:application": "申请书.pdf"})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("submitting without a name: %d", resp.StatusCode)
			}
			if !strings.Contains(body, `id="f-proposed_name-error"`) || !strings.Contains(body, `aria-invalid="true" aria-describedby="f-proposed_name-error"`) {
				t.Errorf("no error at the name field:\n%s", body)
			}
			for _, kept := range []string{`value="沈阳市青年创业者协会"`, `<option value="city" selected>`, `<option value="210100" selected>`, `申请书.pdf`} {
				if !strings.Contains(body, kept) {
					t.Errorf("the page lost %s", kept)
				}
			}
			upload = regexp.MustCompile(`type="checkbox" checked name="application" value="(\d+)"`).FindStringSubmatch(body)
			if upload == nil {
				t.Fatalf("the page does not keep the uploaded letter:\n%s", body)
			}
		})

		// …and a valid one leads to the case page. The page shows an empty row to add an alternative
		// name, which a browser posts as it is.
		stacktest.Step(&st.t, "application", func(t *testing.T) {
			form := url.Values{"_csrf": {token}, "jurisdiction": {"210100"}, "proposed_name": {"沈阳市青年创业促进会"}, "level": {"city"},
				"alternative_names[0].name": {"沈阳市青年创业者协会"}, "alternative_names[1].name": {""}, "application": {upload[1]},
				"intent": {"submit"}}
			resp, body := b.postMultipart("/catalog/"+code+"/apply", form, nil)
			loc := resp.Header.Get("Location")
			m := regexp.MustCompile(`^/cases/(\d+)\?started=1$`).FindStringSubmatch(loc)
			if resp.StatusCode != http.StatusSeeOther || m == nil {
				t.Fatalf("a valid application: %d, Location %q\n%s", resp.StatusCode, loc, body)
			}
			casePath = "/cases/" + m[1]
			status, body, _ := b.get(loc)
			if status != http.StatusOK || !strings.Contains(body, "210100-") || !strings.Contains(body, `<strong class="state">受理</strong>`) {
				t.Fatalf("the applicant's case page: %d\n%s", status, body)
			}
			if strings.Contains(body, casePath+`/actions/accept"`) || !strings.Contains(body, casePath+`/actions/withdraw"`) {
				t.Errorf("the applicant's case page offers the wrong actions")
			}
		})

		// The acceptor's page offers the acceptor's actions only, and accepting works from it.
		stacktest.Step(&st.t, "accept from the page", func(t *testing.T) {
			clerk := st.browser()
			clerk.login("sy.acceptor")
			status, body, token := clerk.get(casePath)
			if status != http.StatusOK {
				t.Fatalf("the acceptor's case page: %d", status)
			}
			offered := regexp.MustCompile(`action="`+regexp.QuoteMeta(casePath)+`/actions/([a-z_]+)"`).FindAllStringSubmatch(body, -1)
			var actions []string
			for _, o := range offered {
				actions = append(actions, o[1])
			}
			slices.Sort(actions)
			if !slices.Equal(actions, []string{"accept", "refuse", "request_supplement"}) {
				t.Errorf("the acceptor's case page offers %v", actions)
			}
			version := expectedVersionField.FindStringSubmatch(body)
			if version == nil || token == "" {
				t.Fatalf("the case page's action forms lack the version or the CSRF token")
			}
			if resp, _ := clerk.post(casePath+"/actions/accept", url.Values{"expected_version": {version[1]}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("accepting without the CSRF token: %d", resp.StatusCode)
			}
			resp, _ := clerk.post(casePath+"/actions/accept", url.Values{"_csrf": {token}, "expected_version": {version[1]}, "comment": {"材料齐全"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != casePath {
				t.Fatalf("accepting from the page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			status, body, _ = clerk.get(casePath)
			if status != http.StatusOK || !strings.Contains(body, `<strong class="state">审查</strong>`) || strings.Contains(body, casePath+`/actions/accept"`) {
				t.Errorf("the case page after accepting: %d", status)
			}
			id, _ := strconv.ParseInt(strings.TrimPrefix(casePath, "/cases/"), 10, 64)
			if v := st.getCase(app, id); v.Case.State != "review" || len(v.Events) != 2 || v.Events[1].Comment != "材料齐全" {
				t.Errorf("after accepting from the page: %s, events %+v", v.Case.State, v.Events)
			}
			pageData, _ := st.getCase(app, id).Case.Data["name_preapproval"].(map[string]any)
			if pageData["proposed_name"] != "沈阳市青年创业促进会" || len(asAnySlice(pageData["alternative_names"])) != 1 {
				t.Errorf("the case's data from the page: %v", pageData)
			}
		})
	})
}

// checkCasePage reads the registered case's page as its applicant: the query code leads to the
// progress lookup, the credit code to the register, every document has its verification link, and
// the two acceptance notices say which stage each is for.
func checkCasePage(t *testing.T, st *site, final caseView) {
	t.Helper()
	b := st.browser()
	b.login("zhang.applicant")
	body, _ := b.page("/cases/"+strconv.FormatInt(final.Case.ID, 10), http.StatusOK)
	uscc, _ := final.Case.Fields["uscc"].(string)
	for _, want := range []string{
		"查询码：<strong", `<a href="/progress?number=` + final.Case.Number + `&amp;code=`,
		`<a href="/register/` + uscc + `">`,
		`受理通知书 <span class="document-stage">（筹备申请受理）</span>`, `受理通知书 <span class="document-stage">（成立登记受理）</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page lacks %s", want)
		}
	}
	if n := strings.Count(body, `<a href="/verify/`); n != len(final.Documents) {
		t.Errorf("the case page has %d verification links, want %d", n, len(final.Documents))
	}
	if !strings.Contains(body, "<dt>活动资金</dt>\n<dd>\n50000 元") || strings.Contains(body, "（元）</dt>") {
		t.Error("the case page does not show the funds once with their unit")
	}
	if strings.Contains(body, `<span class="document-stage">（准予`) {
		t.Error("the case page names the stage of a document of a kind it holds once")
	}
}

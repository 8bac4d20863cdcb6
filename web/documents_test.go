package web_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// getBytes asks for path with the bearer token and returns the status and the body.
func (st *site) getBytes(path, token string) (int, []byte) {
	st.t.Helper()
	resp, body := st.send(st.request("GET", path, "", nil, "Authorization", "Bearer "+token))
	return resp.StatusCode, []byte(body)
}

// verifyUploadAPI posts content to the verification API of code and returns the status and answer.
func (st *site) verifyUploadAPI(code string, content []byte) (int, string) {
	st.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "document.pdf")
	_, _ = fw.Write(content)
	_ = w.Close()
	resp, answer := st.send(st.request("POST", "/api/v1/verify/"+code, w.FormDataContentType(), body.Bytes()))
	return resp.StatusCode, answer
}

var flateStream = regexp.MustCompile(`(?s)/Filter /FlateDecode[^>]*>>\s*stream\r?\n(.*?)endstream`)

// pdfText inflates every compressed stream of the PDF and returns the strings of their text
// operators joined, escapes undone: what the pages say as fpdf writes it, UTF-16BE, lines run
// together (a wrapped paragraph reads as one).
func pdfText(pdf []byte) []byte {
	var out []byte
	for _, m := range flateStream.FindAllSubmatch(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(r)
		out = append(out, pdfStrings(b)...)
	}
	return out
}

// pdfStrings returns the literal strings (…) of a content stream, concatenated and unescaped: fpdf
// escapes \\, ( and ) with a backslash and a carriage return as \r (the bytes of 局, U+5C40, start
// with a backslash; those of 不, U+4E0D, end with a carriage return).
func pdfStrings(b []byte) []byte {
	var out []byte
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !in:
			in = c == '('
		case c == '\\' && i+1 < len(b):
			i++
			if c = b[i]; c == 'r' {
				c = '\r'
			}
			out = append(out, c)
		case c == ')':
			in = false
		default:
			out = append(out, c)
		}
	}
	return out
}

// pdfSays reports whether the text of pdfText has s: its runs in the embedded CJK font in UTF-16BE,
// its runs in Helvetica as cp1252 (WinAnsi): ASCII and the other characters of cp1252, which the CJK
// font lacks (“ ” · — … é). s says what is printed: a character neither font has is given as its
// stand-in (〓 for 𠮷).
func pdfSays(text []byte, s string) bool {
	latin := func(c rune) bool { _, ok := charmap.Windows1252.EncodeRune(c); return c < 0x80 || ok }
	var run []rune
	flush := func() bool {
		if len(run) == 0 {
			return true
		}
		want := utf16be(string(run))
		if latin(run[0]) {
			want, _ = charmap.Windows1252.NewEncoder().Bytes([]byte(string(run)))
		}
		run = run[:0]
		return bytes.Contains(text, want)
	}
	for _, c := range s {
		if len(run) > 0 && latin(c) != latin(run[0]) && !flush() {
			return false
		}
		run = append(run, c)
	}
	return flush()
}

func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// checkCertificate checks the registration certificate issued at the end of the establishment flow:
// its PDF as the applicant downloads it, its signature, its verification page and API, the upload
// check, and who may download it.
func checkCertificate(t *testing.T, st *site, s *stacktest.Stack, app string, id int64) {
	ctx := context.Background()
	var d workflow.Document
	if err := s.DB.NewSelect().Model(&d).Where("id = ?", id).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	code, pdf := st.getBytes("/api/v1/documents/"+strconv.FormatInt(id, 10), app)
	if code != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("downloading the certificate: %d %.40q", code, pdf)
	}
	if sum := sha256.Sum256(pdf); hex.EncodeToString(sum[:]) != d.SHA256 {
		t.Errorf("the downloaded PDF hashes to %x, the document says %s", sum, d.SHA256)
	}
	if !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Error("the certificate embeds no TrueType font")
	}
	text := pdfText(pdf)
	for _, want := range []string{"社会团体法人登记证书", "沈阳市青年创新创业促进会", "沈阳市科学技术局", "沈阳市民政局", d.Number, "5万元"} {
		if !pdfSays(text, want) {
			t.Errorf("the certificate does not say %q", want)
		}
	}
	verifyURL := "http://127.0.0.1:8080/verify/" + *d.VerifyCode
	if !bytes.Contains(pdf, []byte("/URI ("+verifyURL+")")) {
		t.Errorf("the certificate has no link to %s", verifyURL)
	}

	var key struct {
		PublicKey string `json:"public_key"`
	}
	if code := st.api("GET", "/api/v1/verify-key", "", nil, &key); code != http.StatusOK {
		t.Fatalf("the public key: %d", code)
	}
	pub, _ := base64.StdEncoding.DecodeString(key.PublicKey)
	var v struct {
		Number, Holder, Status, SHA256, Particulars, Signature string
		SignatureValid                                         bool `json:"signature_valid"`
	}
	if code := st.api("GET", "/api/v1/verify/"+strings.ToLower(*d.VerifyCode), "", nil, &v); code != http.StatusOK ||
		v.Number != d.Number || v.Status != "valid" || v.SHA256 != d.SHA256 || !v.SignatureValid || v.Holder != "沈阳市青年创新创业促进会" {
		t.Fatalf("verifying the certificate: %d %+v", code, v)
	}
	sig, _ := base64.StdEncoding.DecodeString(v.Signature)
	if !ed25519.Verify(pub, []byte(v.Particulars), sig) || !strings.Contains(v.Particulars, d.SHA256) {
		t.Errorf("the signature does not verify with the public key over %s", v.Particulars)
	}
	tampered := strings.Replace(v.Particulars, d.SHA256, strings.Repeat("0", 64), 1)
	if ed25519.Verify(pub, []byte(tampered), sig) {
		t.Error("the signature verifies over a tampered hash")
	}

	anon := st.browser()
	if code, body, _ := anon.get("/verify/" + *d.VerifyCode); code != http.StatusOK || !strings.Contains(body, "有效") || !strings.Contains(body, d.Number) {
		t.Errorf("the verification page: %d", code)
	}
	_, _, token := anon.get("/verify/" + *d.VerifyCode)
	// The answer to the upload comes first, above the document's status: a mismatch as an alert.
	resultFirst := func(body, result string) bool {
		i := strings.Index(body, result)
		return i >= 0 && i < strings.Index(body, `class="verify-status`)
	}
	if resp, body := anon.postFiles("/verify/"+*d.VerifyCode, url.Values{"_csrf": {token}}, map[string]upload{"file": {"c.pdf", string(pdf)}}); resp.StatusCode != http.StatusOK ||
		!resultFirst(body, `<div class="check-result check-match" role="status"><p><strong>核验通过：上传的文件与签发的文书完全一致`) {
		t.Errorf("checking the PDF on the page: %d", resp.StatusCode)
	}
	if resp, body := anon.postFiles("/verify/"+*d.VerifyCode, url.Values{"_csrf": {token}}, map[string]upload{"file": {"c.pdf", "%PDF-1.4 other"}}); resp.StatusCode != http.StatusOK ||
		!resultFirst(body, `<div class="check-result check-mismatch" role="alert"><p><strong>上传的文件与签发的文书不一致：文件可能被修改过，请以本页所列信息为准，或联系签发机关核实`) ||
		strings.Contains(body, "核验通过") {
		t.Errorf("checking another PDF on the page: %d", resp.StatusCode)
	}
	if resp, _ := anon.postFiles("/verify/"+*d.VerifyCode, nil, map[string]upload{"file": {"c.pdf", string(pdf)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("checking a PDF on the page without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if code, _, _ := anon.get("/verify/AAAAAAAAAAAAAAAA"); code != http.StatusNotFound {
		t.Errorf("an unknown code's page: %d, want 404", code)
	}
	if code, answer := st.verifyUploadAPI(*d.VerifyCode, pdf); code != http.StatusOK || !strings.Contains(answer, `"matches":true`) {
		t.Errorf("checking the issued PDF: %d %s", code, answer)
	}
	changed := append(bytes.Clone(pdf), '\n') // a reader shows the same; the hash differs
	if code, answer := st.verifyUploadAPI(*d.VerifyCode, changed); code != http.StatusOK || !strings.Contains(answer, `"matches":false`) {
		t.Errorf("checking a changed PDF: %d %s", code, answer)
	}

	// The register shows the certificate with its validity and verification link.
	var uscc string
	if d.OrganisationID == nil {
		t.Fatal("the certificate names no organisation")
	}
	if err := s.DB.NewSelect().TableExpr("organisations").Column("uscc").Where("id = ?", *d.OrganisationID).Scan(ctx, &uscc); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := anon.get("/register/" + uscc); code != http.StatusOK || !strings.Contains(body, d.Number) ||
		!strings.Contains(body, `href="`+verifyURL+`"`) || !strings.Contains(body, "有效期至") {
		t.Errorf("the register's page of %s does not show the certificate: %d", uscc, code)
	}

	// The acceptance notice prints the case's query code, for the progress lookup without login.
	var notice workflow.Document
	var queryCode string
	if err := s.DB.NewSelect().Model(&notice).Where("case_id = ? AND action = 'accept_est'", d.CaseID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.NewSelect().TableExpr("cases").Column("query_code").Where("id = ?", d.CaseID).Scan(ctx, &queryCode); err != nil {
		t.Fatal(err)
	}
	if _, notePDF := st.getBytes("/api/v1/documents/"+strconv.FormatInt(notice.ID, 10), app); queryCode == "" || !pdfSays(pdfText(notePDF), queryCode) {
		t.Errorf("the acceptance notice does not print the query code %q", queryCode)
	}
	// The notices of the two stages say which stage the acceptance opens.
	var prepNotice workflow.Document
	if err := s.DB.NewSelect().Model(&prepNotice).Where("case_id = ? AND action = 'accept_prep'", d.CaseID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		id   int64
		says string
	}{{prepNotice.ID, "决定予以受理，进入筹备审查阶段。"}, {notice.ID, "决定予以受理，进入成立登记审查阶段。"}} {
		if _, notePDF := st.getBytes("/api/v1/documents/"+strconv.FormatInt(n.id, 10), app); !pdfSays(pdfText(notePDF), n.says) {
			t.Errorf("acceptance notice %d does not say %q", n.id, n.says)
		}
	}

	// Who may download: another applicant and staff of another city get 404; staff of the city get
	// the file, and the download is audited.
	st.user("li.applicant", "org_applicant@*")
	st.user("dl.reviewer", "reviewer@2102*")
	path := "/api/v1/documents/" + strconv.FormatInt(id, 10)
	for _, login := range []string{"li.applicant", "dl.reviewer"} {
		if code, _ := st.getBytes(path, st.token(login)); code != http.StatusNotFound {
			t.Errorf("%s downloads the certificate: %d, want 404", login, code)
		}
	}
	if code, got := st.getBytes(path, st.token("sy.reviewer")); code != http.StatusOK || !bytes.Equal(got, pdf) {
		t.Errorf("the city's reviewer downloads the certificate: %d", code)
	}
	if n := countRows(t, s, "audit_log", "action = 'document.download' AND object_id = '"+strconv.FormatInt(id, 10)+"' AND actor = 'sy.reviewer'"); n != 1 {
		t.Errorf("%d audit rows of the reviewer's download, want 1", n)
	}
}

// refused files a preparation application of name by a new applicant (login <prefix>.applicant) that
// a new acceptor of 沈阳市 refuses to accept for reason, which issues a 不予受理决定书. It returns the
// applicant's token and the case.
func (st *site) refused(prefix, name, reason string) (string, caseState) {
	st.t.Helper()
	st.user(prefix+".applicant", "org_applicant@*")
	st.user(prefix+".acceptor", "acceptor@2101*")
	app := st.token(prefix + ".applicant")
	c := st.startPreparation(app, name)
	return app, st.step(st.token(prefix+".acceptor"), c, "reject", "refused", map[string]any{"fields": map[string]any{"reason": reason}})
}

// A refusal not to accept produces a 不予受理决定书 with the reason and the remedies before the bodies
// configured for the jurisdiction, which the applicant downloads.
func TestRejectionNoticeStatesReasonAndRemedies(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		reason := "发起人不足五十名，不符合《社会团体登记管理条例》第十条。"
		app, c := st.refused("rj", "沈阳市青年围棋协会", reason)
		view := st.getCase(app, c.ID)
		if len(view.Documents) != 1 || view.Documents[0].Kind != "rejection_notice" {
			t.Fatalf("documents of the refused case: %+v", view.Documents)
		}
		code, pdf := st.getBytes("/api/v1/documents/"+strconv.FormatInt(view.Documents[0].ID, 10), app)
		if code != http.StatusOK {
			t.Fatalf("downloading the notice: %d", code)
		}
		text := pdfText(pdf)
		for _, want := range []string{"不予受理决定书", reason, "六十日内向沈阳市人民政府申请行政复议", "六个月内向沈阳市和平区人民法院提起行政诉讼"} {
			if !pdfSays(text, want) {
				t.Errorf("the notice does not say %q", want)
			}
		}
	})
}

// A second 补正 notice in the same stage supersedes the first: its verification says so and names the
// new one, which is valid.
func TestSecondSupplementNoticeSupersedesTheFirst(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("sn.applicant", "org_applicant@*")
		st.user("sn.acceptor", "acceptor@2101*")
		app, acc := st.token("sn.applicant"), st.token("sn.acceptor")
		c := st.startPreparation(app, "沈阳市青年象棋协会")
		ask := map[string]any{"items": []string{"name"}, "comment": "名称不规范，请修改。"}
		c = st.step(acc, c, "supplement_prep", "prep_supplement", ask)
		data := st.getCase(app, c.ID).Case.Data["sg_preparation"]
		c = st.step(app, c, "resubmit_prep", "prep_acceptance", map[string]any{"data": data})
		st.step(acc, c, "supplement_prep", "prep_supplement", ask)
		docs := st.getCase(app, c.ID).Documents
		if len(docs) != 2 || docs[0].Status != "superseded" || docs[1].Status != "valid" {
			t.Fatalf("documents after two notices: %+v", docs)
		}
		var codes []string
		if err := s.DB.NewSelect().TableExpr("documents").Column("verify_code").OrderExpr("id").Scan(context.Background(), &codes); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Status       string
			SupersededBy string `json:"superseded_by"`
		}
		if code := st.api("GET", "/api/v1/verify/"+codes[0], "", nil, &v); code != http.StatusOK || v.Status != "superseded" || v.SupersededBy != docs[1].Number {
			t.Errorf("verifying the first notice: %d %+v", code, v)
		}
		if code, body, _ := st.browser().get("/verify/" + codes[0]); code != http.StatusOK || !strings.Contains(body, "已被替换") || !strings.Contains(body, docs[1].Number) {
			t.Errorf("the first notice's verification page: %d", code)
		}
		if code := st.api("GET", "/api/v1/verify/"+codes[1], "", nil, &v); code != http.StatusOK || v.Status != "valid" {
			t.Errorf("verifying the second notice: %d %+v", code, v)
		}
	})
}

// checkReceipt checks the 离婚登记申请受理回执单 of a divorce case of 王芳 and 李强: both parties
// download it, and its verification names them masked.
func checkReceipt(t *testing.T, st *site, s *stacktest.Stack, caseID int64) {
	var d workflow.Document
	if err := s.DB.NewSelect().Model(&d).Where("case_id = ? AND kind = 'divorce_acceptance_receipt'", caseID).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"dv.wife", "dv.husband"} {
		if code, _ := st.getBytes("/api/v1/documents/"+strconv.FormatInt(d.ID, 10), st.token(login)); code != http.StatusOK {
			t.Errorf("%s downloads the receipt: %d", login, code)
		}
	}
	var v struct{ Holder string }
	if code := st.api("GET", "/api/v1/verify/"+*d.VerifyCode, "", nil, &v); code != http.StatusOK || v.Holder != "王*、李*" {
		t.Errorf("verifying the receipt: %d, holder %q, want 王*、李*", code, v.Holder)
	}
}

// A number the approver enters from the department's document system is the document's number; one
// another document has already is a field error, and the decision is not taken.
func TestEnteredDocumentNumberIsUniqueOrRefused(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("dn.applicant", "org_applicant@*")
		st.user("dn.acceptor", "acceptor@2101*")
		st.user("dn.reviewer", "reviewer@2101*")
		st.user("dn.approver", "approver@2101*")
		app, acc, rev, apr := st.token("dn.applicant"), st.token("dn.acceptor"), st.token("dn.reviewer"), st.token("dn.approver")
		toDecision := func(name string) caseState {
			c := st.startPreparation(app, name)
			c = st.step(acc, c, "accept_prep", "prep_review", nil)
			return st.step(rev, c, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "建议准予筹备。"}})
		}
		const number = "沈民社准〔2026〕88号"
		first := toDecision("沈阳市第一围棋协会")
		st.step(apr, first, "approve_preparation", "establishment_application", map[string]any{"fields": map[string]any{"decision_number": number}})
		if docs := st.getCase(app, first.ID).Documents; len(docs) < 2 || docs[len(docs)-1].Number != number {
			t.Fatalf("the approval's documents: %+v", docs)
		}
		second := toDecision("沈阳市第二围棋协会")
		var e apiErr
		if code := st.act(apr, second.ID, map[string]any{"action": "approve_preparation", "expected_version": second.Version,
			"fields": map[string]any{"decision_number": " " + number + " "}}, &e); code != http.StatusUnprocessableEntity || !hasFieldError(e, "fields.decision_number", "taken") {
			t.Fatalf("a number already taken: %d %+v", code, e)
		}
		if v := st.getCase(app, second.ID); v.Case.State != "prep_decision" || v.Case.Version != second.Version {
			t.Fatalf("a refused decision moved the case to %s at %d", v.Case.State, v.Case.Version)
		}

		// A number entered ahead of the system's counter, in its own pattern, is passed over by it.
		year := time.Now().In(calendar.Zone).Year()
		ahead := fmt.Sprintf("沈民社筹〔%d〕2号", year)
		st.step(apr, second, "approve_preparation", "establishment_application", map[string]any{"fields": map[string]any{"decision_number": ahead}})
		numbered := func(c caseState) string {
			docs := st.getCase(app, c.ID).Documents
			return docs[len(docs)-1].Number
		}
		third, fourth := toDecision("沈阳市第三围棋协会"), toDecision("沈阳市第四围棋协会")
		st.step(apr, third, "approve_preparation", "establishment_application", nil)
		st.step(apr, fourth, "approve_preparation", "establishment_application", nil)
		if got := []string{numbered(third), numbered(fourth)}; got[0] != fmt.Sprintf("沈民社筹〔%d〕1号", year) || got[1] != fmt.Sprintf("沈民社筹〔%d〕3号", year) {
			t.Errorf("the system's numbers around an entered 2号: %v", got)
		}

		// Two approvers entering one number at the same moment: one decision is taken, the other
		// is told the number is taken; neither is a server error.
		racers := []caseState{toDecision("沈阳市第五围棋协会"), toDecision("沈阳市第六围棋协会")}
		codes := make(chan int, len(racers))
		var wg sync.WaitGroup
		for _, c := range racers {
			wg.Go(func() {
				codes <- st.act(apr, c.ID, map[string]any{"action": "approve_preparation", "expected_version": c.Version,
					"fields": map[string]any{"decision_number": "沈民社准〔2026〕99号"}}, nil)
			})
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[http.StatusOK] != 1 || count[http.StatusUnprocessableEntity] != 1 {
			t.Errorf("two approvals entering one number at once: %v, want one 200 and one 422", count)
		}
	})
}

// Characters the CJK font lacks print all the same: Western punctuation in Helvetica, a character
// outside the Basic Multilingual Plane (𠮷, common in names) as 〓, others in a compatible form; every
// page has a footer with its number, the document number and the verification code.
func TestDocumentsPrintCharactersTheFontLacks(t *testing.T) {
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	items := make([]string, 67)
	for i := range items {
		items[i] = "请补正“发起人名单”第" + strconv.Itoa(i+1) + "项：买买提·艾力——身份证明……"
	}
	f := map[string]any{"applicant": "沈阳市𠮷祥“科技周”促进会", "date": "2026年12月7日", "valid_until": "2031年12月6日",
		"case":      map[string]any{"number": "210100-2026-000001", "item": "社会团体成立登记", "submitted": "2026年12月1日"},
		"authority": map[string]any{"name": "沈阳市民政局", "review_body": "沈阳市人民政府", "court": "沈阳市和平区人民法院"},
		"organisation": map[string]any{"name": "沈阳市𠮷祥“科技周”促进会", "legal_representative": "买买提·艾力",
			"business_scope": "举办①“科技周”——科普讲座……②℃温控培训", "funds": "3万元"},
		"supplement": map[string]any{"items": items}}
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	const code = "AAAABBBBCCCCDDDD"
	for kind, want := range map[string][]string{
		"registration_certificate": {"沈阳市〓祥“科技周”促进会", "买买提·艾力", "举办(1)“科技周”——科普讲座……(2)°C温控培训",
			"第 1 页 共 1 页 · 沈民社证〔2026〕1号 · 验证码 AAAA-BBBB-CCCC-DDDD"},
		"supplement_notice": {"沈阳市〓祥“科技周”促进会：", "67. 请补正“发起人名单”第67项：买买提·艾力——身份证明……",
			"第 1 页 共 4 页 · 沈民社证〔2026〕1号", "第 4 页 共 4 页 · 沈民社证〔2026〕1号 · 验证码 AAAA-BBBB-CCCC-DDDD"},
	} {
		tpl, _ := cat.Document(kind)
		pdf, err := documents.Render(tpl, f, "https://example.gov.cn/verify/"+code, "沈民社证〔2026〕1号", code, at)
		if err != nil {
			t.Fatalf("rendering %s: %v", kind, err)
		}
		text := pdfText(pdf)
		for _, w := range want {
			if !pdfSays(text, w) {
				t.Errorf("the %s does not say %q", kind, w)
			}
		}
	}
}

// An application whose name has a character beyond the Basic Multilingual Plane can be refused: the
// notice prints it as 〓 and the verification keeps the real name.
func TestNoticeForANameBeyondTheBMP(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		app, c := st.refused("bmp", "沈阳市𠮷祥围棋协会", "名称“𠮷祥”不规范。")
		view := st.getCase(app, c.ID)
		if len(view.Documents) != 1 {
			t.Fatalf("documents of the refused case: %+v", view.Documents)
		}
		_, pdf := st.getBytes("/api/v1/documents/"+strconv.FormatInt(view.Documents[0].ID, 10), app)
		if text := pdfText(pdf); !pdfSays(text, "沈阳市〓祥围棋协会：") || !pdfSays(text, "理由：名称“〓祥”不规范。") {
			t.Error("the notice does not print the name and the reason with 〓")
		}
		var code string
		if err := s.DB.NewSelect().TableExpr("documents").Column("verify_code").Where("case_id = ?", c.ID).Scan(context.Background(), &code); err != nil {
			t.Fatal(err)
		}
		var v struct{ Holder string }
		if status := st.api("GET", "/api/v1/verify/"+code, "", nil, &v); status != http.StatusOK || v.Holder != "沈阳市𠮷祥围棋协会" {
			t.Errorf("verifying the notice: %d, holder %q", status, v.Holder)
		}
	})
}

// A code read from paper is typed into /verify, with spaces or in lower case, and leads to its page;
// an empty upload is a field error (422), not an answer; a file over 2 MiB is refused with 413.
func TestVerifyLookupAndUploadLimits(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		_, c := st.refused("vl", "沈阳市青年桥牌协会", "材料不全。")
		var code string
		if err := s.DB.NewSelect().TableExpr("documents").Column("verify_code").Where("case_id = ?", c.ID).Scan(context.Background(), &code); err != nil {
			t.Fatal(err)
		}
		anon := st.browser()
		if _, home, _ := anon.get("/"); !strings.Contains(home, `href="/verify"`) {
			t.Error("the home page does not link to the verification form")
		}
		if status, body, _ := anon.get("/verify"); status != http.StatusOK || !strings.Contains(body, `action="/verify"`) || !strings.Contains(body, `name="code"`) {
			t.Errorf("the lookup form: %d", status)
		}
		typed := strings.ToLower(strings.ReplaceAll(documents.GroupCode(code), "-", " "))
		resp, err := anon.c.Get(st.base + "/verify?code=" + url.QueryEscape(typed))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/verify/"+code {
			t.Errorf("looking up %q: %d to %q", typed, resp.StatusCode, resp.Header.Get("Location"))
		}
		if status, body, _ := anon.get("/verify?code=12345"); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="code-error"`) {
			t.Errorf("looking up a malformed code: %d, want 422 with the field error", status)
		}
		// A well-formed code no document has stays in the box, with what to do next.
		if status, body, _ := anon.get("/verify?code=abcd-efgh-jkmn-pqrs"); status != http.StatusNotFound || !strings.Contains(body, `action="/verify"`) ||
			!strings.Contains(body, `value="abcd-efgh-jkmn-pqrs"`) || !strings.Contains(body, `id="code-error"`) ||
			!strings.Contains(body, "未找到验证码为 ABCD-EFGH-JKMN-PQRS 的文书，请核对后重新输入") {
			t.Errorf("looking up an unknown code: %d, want 404 on the form with the code kept and the field error", status)
		}
		// So does a mistyped address of a verification page.
		if status, body, _ := anon.get("/verify/ABCDEFGHJKMNPQRS"); status != http.StatusNotFound || !strings.Contains(body, `action="/verify"`) ||
			!strings.Contains(body, `value="ABCDEFGHJKMNPQRS"`) || !strings.Contains(body, "未找到验证码为 ABCD-EFGH-JKMN-PQRS 的文书") {
			t.Errorf("the page of an unknown code: %d, want 404 on the lookup form with the code kept", status)
		}

		if status, answer := st.verifyUploadAPI(code, nil); status != http.StatusUnprocessableEntity || !strings.Contains(answer, `"file"`) {
			t.Errorf("checking an empty file: %d %s, want 422 on file", status, answer)
		}
		_, _, token := anon.get("/verify/" + code)
		if resp, body := anon.postFiles("/verify/"+code, url.Values{"_csrf": {token}}, map[string]upload{"file": {"c.pdf", ""}}); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `id="file-error"`) {
			t.Errorf("checking an empty file on the page: %d, want 422 with the field error", resp.StatusCode)
		}
		const limit = 2 << 20
		if status, answer := st.verifyUploadAPI(code, make([]byte, limit)); status != http.StatusOK || !strings.Contains(answer, `"matches":false`) {
			t.Errorf("checking a file of 2 MiB: %d %.80s", status, answer)
		}
		for _, n := range []int{limit + 1, limit + 1<<20} {
			if status, _ := st.verifyUploadAPI(code, make([]byte, n)); status != http.StatusRequestEntityTooLarge {
				t.Errorf("checking a file of %d bytes: %d, want 413", n, status)
			}
		}
	})
}

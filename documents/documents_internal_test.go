package documents

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

func loadCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestNumbersPerJurisdictionPrefixAndYear(t *testing.T) {
	cat := loadCatalog(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}, {"210102", "和平区"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		cert, _ := cat.Document("registration_certificate")
		notice, _ := cat.Document("acceptance_notice")
		number := func(code string, tpl *catalog.DocumentTemplate, at time.Time) string {
			a, err := AuthorityFor(ctx, s.DB, cat, code)
			if err != nil {
				t.Fatal(err)
			}
			n, err := nextNumber(ctx, s.DB, a, tpl, code, at)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		dec := time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC) // 23:59 in China
		jan := time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)  // 00:00 on 1 January 2027 in China
		for _, c := range []struct{ got, want string }{
			{number("210100", cert, dec), "沈民社证〔2026〕1号"},
			{number("210100", cert, dec), "沈民社证〔2026〕2号"},
			{number("210100", notice, dec), "沈民受字〔2026〕1号"},
			{number("210000", cert, dec), "辽民社证〔2026〕1号"},
			{number("210102", cert, dec), "和民社证〔2026〕1号"},
			{number("210100", cert, jan), "沈民社证〔2027〕1号"},
		} {
			if c.got != c.want {
				t.Errorf("number %s, want %s", c.got, c.want)
			}
		}
		a, err := AuthorityFor(ctx, s.DB, cat, "210102")
		if err != nil || a.Name != "和平区民政局" || a.ReviewBody != "和平区人民政府" || a.Court != "和平区有管辖权的人民法院" {
			t.Errorf("the default authority of 和平区: %+v %v", a, err)
		}
		if a, _ := AuthorityFor(ctx, s.DB, cat, "210000"); a.Name != "辽宁省民政厅" || a.ReviewBody != "辽宁省人民政府" {
			t.Errorf("the configured authority of 辽宁省: %+v", a)
		}
	})
}

// refusalFill is the fill data of a refusal decision.
func refusalFill() map[string]any {
	return map[string]any{"applicant": "沈阳市围棋协会", "date": "2026年12月7日", "fields": map[string]any{"reason": "发起人不足五十人。"},
		"case":      map[string]any{"number": "210100-2026-000001", "item": "社会团体成立登记", "submitted": "2026年12月1日"},
		"authority": map[string]any{"name": "沈阳市民政局", "review_body": "沈阳市人民政府", "court": "沈阳市和平区人民法院"}}
}

// certificateFill is the fill data of a registration certificate.
func certificateFill() map[string]any {
	return map[string]any{"date": "2026年12月7日", "valid_until": "2031年12月6日",
		"organisation": map[string]any{"name": "沈阳市青年创新创业促进会", "uscc": "51210100MJ0000010N", "domicile": "沈阳市和平区南京北街1号",
			"legal_representative": "张伟", "business_scope": "开展青年创业培训、交流和咨询服务。", "activity_area": "本市", "funds": "5万元", "sponsor_unit": "沈阳市科学技术局"},
		"authority": map[string]any{"name": "沈阳市民政局"}}
}

func TestRenderIsDeterministic(t *testing.T) {
	cat := loadCatalog(t)
	tpl, _ := cat.Document("refusal_decision")
	f := refusalFill()
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	a, err := Render(tpl, f, "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民不批字〔2026〕1号", "AAAABBBBCCCCDDDD", at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(tpl, f, "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民不批字〔2026〕1号", "AAAABBBBCCCCDDDD", at)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs rendered different bytes")
	}
	c, _ := Render(tpl, f, "https://example.gov.cn/verify/AAAABBBBCCCCEEEE", "沈民不批字〔2026〕1号", "AAAABBBBCCCCEEEE", at)
	if bytes.Equal(a, c) {
		t.Fatal("another verification code rendered the same bytes")
	}
}

func TestSealFromPEMSignsAndVerifies(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	seal, err := parseSeal(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	fromSeed, err := parseSeal(key.Seed())
	if err != nil || fromSeed.PublicKey() != seal.PublicKey() {
		t.Fatalf("the raw seed gives another key: %v", err)
	}
	code := "AAAABBBBCCCCDDDD"
	d := &workflow.Document{Kind: "registration_certificate", Number: "沈民社证〔2026〕1号", SHA256: "ab", VerifyCode: &code}
	sig := seal.Sign(Particulars(d))
	if !seal.Verify(Particulars(d), sig) {
		t.Fatal("the signature does not verify")
	}
	d.SHA256 = "cd"
	if seal.Verify(Particulars(d), sig) {
		t.Fatal("the signature verifies over another hash")
	}
	if _, err := parseSeal([]byte("not a key")); err == nil {
		t.Fatal("a key file of nonsense was accepted")
	}
}

func TestCodesAndNames(t *testing.T) {
	code, err := newCode()
	if err != nil || len(code) != 16 {
		t.Fatalf("code %q %v", code, err)
	}
	if got, ok := NormaliseCode(" " + toLowerDashed(code)); !ok || got != code {
		t.Errorf("NormaliseCode(%q) = %q %v", toLowerDashed(code), got, ok)
	}
	if got, ok := NormaliseCode("aaaa bbbb\u3000cccc  dddd"); !ok || got != "AAAABBBBCCCCDDDD" {
		t.Errorf("a code typed with spaces: %q %v", got, ok)
	}
	if _, ok := NormaliseCode("AAAA"); ok {
		t.Error("a short code was accepted")
	}
	if got := MaskNames("张三、欧阳小明"); got != "张*、欧***" {
		t.Errorf("MaskNames = %q", got)
	}
}

func toLowerDashed(code string) string {
	return string(bytes.ToLower([]byte(GroupCode(code))))
}

func BenchmarkRender(b *testing.B) {
	cat := loadCatalog(b)
	tpl, _ := cat.Document("registration_certificate")
	f := certificateFill()
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(tpl, f, "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民社证〔2026〕1号", "AAAABBBBCCCCDDDD", at); err != nil {
			b.Fatal(err)
		}
	}
}

// A character neither font has prints as its substitute or 〓; the warning, once per character
// and document, names the document kind and the code point, not the text (personal data).
func TestTypesetSubstitutesAndLogsNoText(t *testing.T) {
	var missing []rune
	got := typeset("𠮷祥“科技周”〈论语〉①℃№·…", func(c rune) { missing = append(missing, c) })
	if want := "〓祥“科技周”‹论语›(1)°CNo·…"; got != want || string(missing) != "𠮷" {
		t.Errorf("typeset = %q, want %q; missing %q", got, want, string(missing))
	}
	var logged bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	tpl, _ := loadCatalog(t).Document("refusal_decision")
	f := refusalFill()
	f["applicant"] = "沈阳市𠮷祥围棋协会"
	f["fields"] = map[string]any{"reason": "名称“𠮷祥”不规范。"}
	if _, err := Render(tpl, f, "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民不批字〔2026〕1号", "AAAABBBBCCCCDDDD", time.Now()); err != nil {
		t.Fatal(err)
	}
	s := logged.String()
	if strings.Count(s, "U+20BB7") != 1 || !strings.Contains(s, "kind=refusal_decision") || strings.Contains(s, "祥") {
		t.Errorf("the warning: %s", s)
	}
}

// Without CIVICFLOW_SEAL_KEY_FILE the key is generated once and kept in the database, so that every
// process (and every restart) signs with the same key; with the file, the file's key signs.
func TestSealIsGeneratedOnceOrReadFromItsFile(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		first, err := LoadSeal(ctx, s.DB, "")
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadSeal(ctx, s.DB, "")
		if err != nil || again.PublicKey() != first.PublicKey() {
			t.Fatalf("a second process loads another key: %v", err)
		}
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		file := t.TempDir() + "/seal.pem"
		if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		fromFile, err := LoadSeal(ctx, s.DB, file)
		if err != nil || fromFile.PublicKey() == first.PublicKey() || !fromFile.Verify([]byte("x"), fromFile.Sign([]byte("x"))) {
			t.Fatalf("the key file's seal: %v", err)
		}
		if _, err := LoadSeal(ctx, s.DB, file+".missing"); err == nil {
			t.Error("a missing key file is accepted")
		}
	})
}

// Issue drafts a document with a stand-in number before it takes the real one (see drawing): the PDF
// rendered from that draft with the real number is the one rendered with it from the start, so the
// number printed is the one stored and the stand-in leaves no trace.
func TestDraftWithAStandInNumberRendersTheRealOne(t *testing.T) {
	tpl, _ := loadCatalog(t).Document("acceptance_notice")
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	const url, code, standIn, number = "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "AAAABBBBCCCCDDDD", "沈民受字〔2026〕0号", "沈民受字〔2026〕1234号"
	f := refusalFill()
	f["number"] = standIn
	d, err := draft(tpl, f, url, standIn, code)
	if err != nil {
		t.Fatal(err)
	}
	f["number"] = number
	got, err := d.render(number, at)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(tpl, f, url, number, code, at)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the draft with a stand-in number rendered other bytes than the real number does")
	}
}

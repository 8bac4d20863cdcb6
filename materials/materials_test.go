package materials_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

const item = "SO-REG-01"

func samplePDF(extra string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n" + extra + "%%EOF\n")
}

func sampleImage(t *testing.T, format string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type fixture struct {
	s     *stacktest.Stack
	store *materials.Store
	dir   string
}

func setup(t *testing.T, s *stacktest.Stack, defaultMax int64) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "uploads")
	store, err := materials.NewStore(dir, defaultMax)
	if err != nil {
		t.Fatal(err)
	}
	if err := jurisdictions.Add(context.Background(), s.DB, "210000", "辽宁省", "Liaoning"); err != nil {
		t.Fatal(err)
	}
	if err := jurisdictions.Add(context.Background(), s.DB, "210100", "沈阳市", "Shenyang"); err != nil {
		t.Fatal(err)
	}
	return &fixture{s: s, store: store, dir: dir}
}

var userSeq int

func (f *fixture) user(t *testing.T) int64 {
	t.Helper()
	userSeq++
	now := time.Now().UTC()
	var id int64
	if err := f.s.DB.NewRaw(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES (?, 'x', ?, ?) RETURNING id`,
		fmt.Sprintf("user%d-%d", userSeq, now.UnixNano()), now, now).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) newCase(t *testing.T, applicant int64, jurisdiction string) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := f.s.DB.NewRaw(`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('h1', ?, 'test', '{}', ?) ON CONFLICT DO NOTHING`, item, now).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := f.s.DB.NewRaw(`INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id, state, version, data, fields,
		created_at, updated_at, state_entered_at) VALUES (?, ?, 'h1', ?, ?, 'submitted', 1, '{}', '{}', ?, ?, ?) RETURNING id`,
		fmt.Sprintf("C-%d", now.UnixNano()), item, jurisdiction, applicant, now, now, now).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) upload(t *testing.T, owner int64, itemCode, name string, content []byte) *materials.Material {
	t.Helper()
	m, err := f.store.Upload(context.Background(), f.s.DB, owner, itemCode, "application", name, bytes.NewReader(content), materials.Limits{})
	if err != nil {
		t.Fatalf("uploading %q: %v", name, err)
	}
	return m
}

// files lists the regular files under the store's directory.
func (f *fixture) files(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("materials").Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadAcceptsByContent(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		f := setup(t, s, 1<<20)
		owner := f.user(t)
		for _, tc := range []struct {
			name, contentType, filename, want string
			content                           []byte
		}{
			{"pdf", "application/pdf", "申请书.PDF", "申请书.pdf", samplePDF("")},
			{"png", "image/png", "证件照.png", "证件照.png", sampleImage(t, "png")},
			{"jpeg", "image/jpeg", "scan.jpeg", "scan.jpeg", sampleImage(t, "jpeg")},
			{"jpeg named png", "image/jpeg", "照片.png", "照片.jpg", sampleImage(t, "jpeg")},
			{"pdf named exe", "application/pdf", "report.exe", "report.pdf", samplePDF("% other\n")},
		} {
			m := f.upload(t, owner, item, tc.filename, tc.content)
			sum := sha256.Sum256(tc.content)
			if m.ContentType != tc.contentType || m.Size != int64(len(tc.content)) || m.SHA256 != hex.EncodeToString(sum[:]) ||
				m.Filename != tc.want || m.CaseID != nil || m.OwnerID != owner || m.ItemCode != item || m.Slot != "application" {
				t.Errorf("%s: %+v", tc.name, m)
			}
			if _, err := os.Stat(filepath.Join(f.dir, m.SHA256[:2], m.SHA256)); err != nil {
				t.Errorf("%s: blob: %v", tc.name, err)
			}
			got, err := materials.Get(ctx, s.DB, m.ID)
			if err != nil || got.SHA256 != m.SHA256 || got.Filename != m.Filename || !got.CreatedAt.Equal(m.CreatedAt) {
				t.Errorf("%s: get %+v %v", tc.name, got, err)
			}
			rc, err := f.store.Open(got)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(b, tc.content) {
				t.Errorf("%s: read back %d bytes, %v", tc.name, len(b), err)
			}
		}
		if _, err := materials.Get(ctx, s.DB, 424242); !problem.Is(err, problem.NotFound) {
			t.Errorf("missing material: %v", err)
		}
	})
}

func TestUploadRefusesOtherContent(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		f := setup(t, s, 1<<20)
		owner := f.user(t)
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)
		for name, content := range map[string][]byte{
			"html":           []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
			"html with BOM":  []byte("\xef\xbb\xbf<html><body>%PDF-1.4</body></html>"),
			"pdf after junk": []byte("   %PDF-1.4\n"),
			"exe":            exe,
			"fake jpeg":      append([]byte("\xff\xd8\xff"), []byte("<html><script>alert(1)</script></html>")...),
			"fake png":       append([]byte("\x89PNG\r\n\x1a\n"), []byte("<html></html>")...),
			"gif":            []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
			"zip":            []byte("PK\x03\x04\x14\x00\x00\x00"),
		} {
			_, err := f.store.Upload(ctx, s.DB, owner, item, "application", "file.pdf", bytes.NewReader(content), materials.Limits{})
			if p, ok := problem.As(err); !ok || p.Kind != problem.Unsupported || p.Message.ZH == "" || p.Message.EN == "" {
				t.Errorf("%s: want Unsupported, got %v", name, err)
			}
		}
		// A real PNG where only PDF is allowed.
		_, err := f.store.Upload(ctx, s.DB, owner, item, "application", "a.pdf", bytes.NewReader(sampleImage(t, "png")), materials.Limits{Types: []string{materials.TypePDF}})
		if p, ok := problem.As(err); !ok || p.Kind != problem.Unsupported || !strings.Contains(p.Message.EN, "PDF") || strings.Contains(p.Message.EN, "PNG") {
			t.Errorf("png where pdf only: %v", err)
		}
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "a.pdf", bytes.NewReader(nil), materials.Limits{}); !problem.Is(err, problem.Invalid) {
			t.Errorf("empty file: %v", err)
		}
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "a.pdf", bytes.NewReader(samplePDF("")), materials.Limits{Types: []string{"docx"}}); err == nil {
			t.Error("unknown allowed type accepted")
		}
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "a.pdf", iotestErr{}, materials.Limits{}); err == nil || problem.Is(err, problem.Unsupported) {
			t.Errorf("read error: %v", err)
		}
		if files := f.files(t); len(files) != 0 {
			t.Errorf("refused uploads left files: %v", files)
		}
		if n := f.rows(t); n != 0 {
			t.Errorf("refused uploads left %d rows", n)
		}
	})
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestUploadTooLarge(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		f := setup(t, s, 2<<20)
		owner := f.user(t)
		big := samplePDF(strings.Repeat("% padding\n", 300_000)) // about 3 MB
		// Over the store's default.
		_, err := f.store.Upload(ctx, s.DB, owner, item, "application", "big.pdf", bytes.NewReader(big), materials.Limits{})
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.TooLarge || !strings.Contains(p.Message.ZH, "2 MB") || !strings.Contains(p.Message.EN, "2 MB") {
			t.Fatalf("over the default: %v", err)
		}
		// Over the item's own limit, including one smaller than the sniffed head.
		for _, limit := range []int64{1 << 20, 100} {
			_, err := f.store.Upload(ctx, s.DB, owner, item, "application", "big.pdf", bytes.NewReader(big), materials.Limits{MaxBytes: limit})
			if !problem.Is(err, problem.TooLarge) {
				t.Errorf("limit %d: %v", limit, err)
			}
		}
		if files := f.files(t); len(files) != 0 {
			t.Errorf("refused uploads left files: %v", files)
		}
		if n := f.rows(t); n != 0 {
			t.Errorf("refused uploads left %d rows", n)
		}
		// Exactly at the limit is fine; one byte more is not.
		exact := samplePDF("")
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "ok.pdf", bytes.NewReader(exact), materials.Limits{MaxBytes: int64(len(exact))}); err != nil {
			t.Errorf("at the limit: %v", err)
		}
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "ok.pdf", bytes.NewReader(exact), materials.Limits{MaxBytes: int64(len(exact) - 1)}); !problem.Is(err, problem.TooLarge) {
			t.Errorf("a byte over: %v", err)
		}
	})
}

// claimingSize is a real one-pixel image of format whose header claims width × height pixels: what
// a decompression bomb shows before it is decoded.
func claimingSize(t *testing.T, format string, width, height int) []byte {
	t.Helper()
	b := sampleImage(t, format)
	if format == "png" { // IHDR is the first chunk: width and height, then its CRC
		binary.BigEndian.PutUint32(b[16:], uint32(width))
		binary.BigEndian.PutUint32(b[20:], uint32(height))
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	}
	sof := bytes.Index(b, []byte{0xff, 0xc0}) // baseline frame: length, precision, height, width
	binary.BigEndian.PutUint16(b[sof+5:], uint16(height))
	binary.BigEndian.PutUint16(b[sof+7:], uint16(width))
	return b
}

func TestUploadRefusesImagesOfTooManyPixels(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := setup(t, s, 1<<20)
		ctx := context.Background()
		owner := f.user(t)
		for _, tc := range []struct {
			name    string
			content []byte
			limits  materials.Limits
		}{
			{"png of 100000×100000", claimingSize(t, "png", 100000, 100000), materials.Limits{}},
			{"jpeg of 60000×60000", claimingSize(t, "jpeg", 60000, 60000), materials.Limits{}},
			{"png over a configured limit", claimingSize(t, "png", 2000, 1001), materials.Limits{MaxPixels: 2_000_000}},
		} {
			_, err := f.store.Upload(ctx, s.DB, owner, item, "application", "scan.png", bytes.NewReader(tc.content), tc.limits)
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Invalid || p.Code != "image_too_large" || !strings.Contains(p.Message.EN, "megapixels") || p.Message.ZH == "" {
				t.Errorf("%s: want image_too_large, got %v", tc.name, err)
			}
		}
		if files, n := f.files(t), f.rows(t); len(files) != 0 || n != 0 {
			t.Errorf("refused images left %d files and %d rows", len(files), n)
		}
		if _, err := f.store.Upload(ctx, s.DB, owner, item, "application", "scan.png", bytes.NewReader(claimingSize(t, "png", 2000, 1000)),
			materials.Limits{MaxPixels: 2_000_000}); err != nil {
			t.Errorf("an image of exactly the limit: %v", err)
		}
	})
}

func TestSameContentOneBlob(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := setup(t, s, 1<<20)
		a, b := f.user(t), f.user(t)
		content := samplePDF("")
		m1 := f.upload(t, a, item, "one.pdf", content)
		m2 := f.upload(t, b, item, "two.pdf", content)
		if m1.ID == m2.ID || m1.SHA256 != m2.SHA256 {
			t.Fatalf("rows %+v %+v", m1, m2)
		}
		if files := f.files(t); len(files) != 1 {
			t.Fatalf("files %v", files)
		}
		if n := f.rows(t); n != 2 {
			t.Fatalf("%d rows", n)
		}
	})
}

// The owner's file attached again for the same slot (a refused submit posted again) is the same
// upload while it is in no case; another name, or once it is in a case, is a new upload.
func TestSameFileAttachedAgain(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := setup(t, s, 1<<20)
		owner := f.user(t)
		content := samplePDF("% letter\n")
		m1 := f.upload(t, owner, item, "letter.pdf", content)
		if again := f.upload(t, owner, item, "letter.pdf", content); again.ID != m1.ID {
			t.Fatalf("the same file attached again is upload %d, not %d", again.ID, m1.ID)
		}
		if renamed := f.upload(t, owner, item, "other.pdf", content); renamed.ID == m1.ID {
			t.Fatal("the same content under another name is the same upload")
		}
		if err := materials.Link(context.Background(), s.DB, owner, f.newCase(t, owner, "210100"), item, []int64{m1.ID}); err != nil {
			t.Fatal(err)
		}
		if later := f.upload(t, owner, item, "letter.pdf", content); later.ID == m1.ID {
			t.Fatal("an upload in a case was returned for a new attachment")
		}
		if n := f.rows(t); n != 3 {
			t.Fatalf("%d rows, want 3", n)
		}
	})
}

func TestLink(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		f := setup(t, s, 1<<20)
		alice, bob := f.user(t), f.user(t)
		a1 := f.upload(t, alice, item, "a1.pdf", samplePDF("% a1\n"))
		a2 := f.upload(t, alice, item, "a2.pdf", samplePDF("% a2\n"))
		a3 := f.upload(t, alice, item, "a3.pdf", samplePDF("% a3\n"))
		other := f.upload(t, alice, "OTHER-ITEM", "o.pdf", samplePDF("% o\n"))
		bobs := f.upload(t, bob, item, "b.pdf", samplePDF("% b\n"))
		case1 := f.newCase(t, alice, "210100")
		case2 := f.newCase(t, alice, "210100")

		unlinked, err := materials.Unlinked(ctx, s.DB, alice, item)
		if err != nil || len(unlinked) != 3 {
			t.Fatalf("unlinked before: %v %v", unlinked, err)
		}
		refused := func(name string, caseID int64, ids ...int64) {
			t.Helper()
			err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				return materials.Link(ctx, tx, alice, caseID, item, ids)
			})
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Path != "materials" || p.Fields[0].Code != "unknown_material" {
				t.Errorf("%s: want unknown_material, got %v", name, err)
			}
		}
		refused("another owner's", case1, a3.ID, bobs.ID)
		refused("another item's", case1, a3.ID, other.ID)
		refused("absent", case1, a3.ID, 987654)
		if m, _ := materials.Get(ctx, s.DB, a3.ID); m.CaseID != nil {
			t.Fatalf("a refused link linked a3 to %d", *m.CaseID)
		}

		if err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return materials.Link(ctx, tx, alice, case1, item, []int64{a1.ID, a2.ID, a1.ID})
		}); err != nil {
			t.Fatal(err)
		}
		// Again, as on a resubmission that keeps them and adds a3.
		if err := materials.Link(ctx, s.DB, alice, case1, item, []int64{a2.ID, a1.ID, a3.ID}); err != nil {
			t.Fatalf("relinking: %v", err)
		}
		refused("in another case", case2, a1.ID)
		if err := materials.Link(ctx, s.DB, alice, case2, item, nil); err != nil {
			t.Fatalf("nothing to link: %v", err)
		}

		got, err := materials.ForCase(ctx, s.DB, case1)
		if err != nil || len(got) != 3 || got[0].ID != a1.ID || got[1].ID != a2.ID || got[2].ID != a3.ID || *got[0].CaseID != case1 {
			t.Fatalf("for case: %+v %v", got, err)
		}
		if got, err := materials.ForCase(ctx, s.DB, case2); err != nil || len(got) != 0 || got == nil {
			t.Fatalf("empty case: %v %v", got, err)
		}
		if unlinked, err := materials.Unlinked(ctx, s.DB, alice, item); err != nil || len(unlinked) != 0 {
			t.Fatalf("unlinked after: %v %v", unlinked, err)
		}
		if unlinked, err := materials.Unlinked(ctx, s.DB, alice, "OTHER-ITEM"); err != nil || len(unlinked) != 1 || unlinked[0].ID != other.ID {
			t.Fatalf("other item: %v %v", unlinked, err)
		}
	})
}

func TestRecordDownload(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		f := setup(t, s, 1<<20)
		applicant, clerk := f.user(t), f.user(t)
		m := f.upload(t, applicant, item, "a.pdf", samplePDF(""))
		caseID := f.newCase(t, applicant, "210100")
		if err := materials.Link(ctx, s.DB, applicant, caseID, item, []int64{m.ID}); err != nil {
			t.Fatal(err)
		}
		m, _ = materials.Get(ctx, s.DB, m.ID)
		actor := audit.Actor{UserID: clerk, Label: "clerk", RequestID: "req-1", IP: "10.0.0.1"}
		if err := materials.RecordDownload(ctx, s.DB, actor, m); err != nil {
			t.Fatal(err)
		}
		entries, err := audit.List(ctx, s.DB, "material", 10, "1 = 1")
		if err != nil || len(entries) != 1 {
			t.Fatalf("entries %v %v", entries, err)
		}
		e := entries[0]
		if e.Action != "material.download" || e.ObjectID != fmt.Sprint(m.ID) || e.Jurisdiction != "210100" ||
			e.ActorUserID == nil || *e.ActorUserID != clerk || e.Detail["slot"] != "application" ||
			fmt.Sprint(e.Detail["case_id"]) != fmt.Sprint(caseID) {
			t.Fatalf("entry %+v", e)
		}
	})
}

func TestFilenames(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := setup(t, s, 1<<20)
		owner := f.user(t)
		pdf := samplePDF("")
		long := strings.Repeat("社会团体登记申请书", 40) + ".pdf"
		for in, want := range map[string]string{
			"../../etc/passwd":      "passwd.pdf",
			`..\..\windows\win.ini`: "win.pdf",
			"a\x00b.pdf":            "ab.pdf",
			"\u202egpj.exe":         "gpj.pdf",
			"bad\xff\xfename.pdf":   "badname.pdf",
			"  .hidden.pdf  ":       "hidden.pdf",
			"":                      "material.pdf",
			"..":                    "material.pdf",
			"/":                     "material.pdf",
			"章程(草案)第2版.pdf":         "章程(草案)第2版.pdf",
			"line\nbreak\ttab.pdf":  "linebreaktab.pdf",
			"a<b>c:d\"e|f?g*h.pdf":  "abcdefgh.pdf",
			"验资报告.2026.docx":        "验资报告.2026.pdf",
			"名单.final version":      "名单.final version.pdf",
			"x.html":                "x.pdf",
		} {
			m := f.upload(t, owner, item, in, pdf)
			if m.Filename != want {
				t.Errorf("%q: got %q, want %q", in, m.Filename, want)
			}
		}
		m := f.upload(t, owner, item, long, pdf)
		if n := utf8.RuneCountInString(m.Filename); n > 100 || !strings.HasSuffix(m.Filename, ".pdf") || !strings.HasPrefix(m.Filename, "社会团体登记申请书") {
			t.Errorf("long name: %q (%d characters)", m.Filename, n)
		}
		h := m.DownloadHeaders()
		if h["X-Content-Type-Options"] != "nosniff" || h["Content-Type"] != "application/pdf" ||
			!strings.HasPrefix(h["Content-Disposition"], `attachment; filename="`) || !strings.Contains(h["Content-Disposition"], "filename*=UTF-8''%E7%A4%BE") {
			t.Errorf("headers %v", h)
		}
		// A row that points outside the store is never opened.
		evil := *m
		evil.SHA256 = "../../../../etc/passwd"
		if _, err := f.store.Open(&evil); err == nil {
			t.Error("opened a path outside the store")
		}
	})
}

func TestNewStore(t *testing.T) {
	if _, err := materials.NewStore("", 1); err == nil {
		t.Error("empty directory accepted")
	}
	if _, err := materials.NewStore(t.TempDir(), 0); err == nil {
		t.Error("zero limit accepted")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	if _, err := materials.NewStore(dir, 1); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
}

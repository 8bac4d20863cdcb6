package documents

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// wholeFont draws with the whole embedded CJK font, as documents were drawn before the subsets.
func wholeFont(t *testing.T, title string, at time.Time, draw func(r *renderer) error) []byte {
	t.Helper()
	r := newRenderer(title, at, cjkFont)
	if err := draw(r); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// normalised is a PDF's objects with their streams inflated, without the streams' lengths, the
// cross-reference table and the names of fonts, which fpdf derives from a hash of all the widths
// the font has, so that two PDFs that show the same compare equal.
func normalised(t *testing.T, pdf []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		dict := rest[:i]
		lengths := regexp.MustCompile(`/Length (\d+)`).FindAllSubmatch(dict, -1)
		if len(lengths) == 0 {
			t.Fatal("a stream without a length")
		}
		n, _ := strconv.Atoi(string(lengths[len(lengths)-1][1]))
		data := rest[i+7 : i+7+n]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			z, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(z); err != nil {
				t.Fatal(err)
			}
		}
		out.Write(regexp.MustCompile(`/Length \d+`).ReplaceAll(dict, nil))
		out.Write(data)
		rest = rest[i+7+n:]
		rest = rest[bytes.Index(rest, []byte("endstream"))+len("endstream"):]
	}
	out.Write(rest[:bytes.Index(rest, []byte("\nxref\n"))])
	return regexp.MustCompile(`/F[0-9a-f]{40}\b`).ReplaceAll(out.Bytes(), []byte("/F"))
}

// A document drawn over the subset of its characters is the same as one drawn with the whole font,
// but for the font's name (see normalised): the same glyphs, widths, layout and font descriptor
// (fpdf cuts its own subset of the font it is given and renumbers the glyphs in their order, which
// the subset keeps).
func TestRenderIsTheSameAsWithTheWholeFont(t *testing.T) {
	cat := loadCatalog(t)
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	items := make([]string, 40)
	for i := range items {
		items[i] = "请补正“发起人名单”第" + strconv.Itoa(i+1) + "项：买买提·艾力——身份证明……呂"
	}
	supplement := refusalFill()
	supplement["supplement"] = map[string]any{"items": items}
	supplement["applicant"] = "沈阳市𠮷祥“科技周”促进会①℃"
	for kind, f := range map[string]map[string]any{
		"registration_certificate": certificateFill(), "refusal_decision": refusalFill(), "supplement_notice": supplement,
	} {
		tpl, _ := cat.Document(kind)
		const url, number, code = "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民社证〔2026〕1号", "AAAABBBBCCCCDDDD"
		got, err := Render(tpl, f, url, number, code, at)
		if err != nil {
			t.Fatal(err)
		}
		qr, err := qrBits(url)
		if err != nil {
			t.Fatal(err)
		}
		want := wholeFont(t, tpl.Title.ZH+" "+number, at, func(r *renderer) error { return r.document(tpl, f, qr, url, number, code) })
		if !bytes.Equal(normalised(t, got), normalised(t, want)) {
			t.Errorf("the %s differs from the one drawn with the whole font (%d bytes, not %d)", kind, len(got), len(want))
		}
	}
	s := NewSheet("2026年度社会组织年度报告", at)
	s.Title("2026年度社会组织年度报告")
	s.Heading("一、基本情况")
	s.Table([][]string{{"类别", "数量"}, {"社会团体", "1,024"}, {"民办非企业单位（社会服务机构）", "73"}}, 1, []float64{3, 1})
	s.Paragraph("沈阳市民政局  2026年12月7日")
	got, err := s.PDF()
	if err != nil {
		t.Fatal(err)
	}
	if want := wholeFont(t, s.title, at, s.draw); !bytes.Equal(normalised(t, got), normalised(t, want)) {
		t.Errorf("the sheet differs from the one drawn with the whole font (%d bytes, not %d)", len(got), len(want))
	}
}

// The first draw, which only notes the characters, notes exactly those that drawing with the font
// prints, so that compose draws with fpdf once (a character it missed would cost a third draw, one
// it added would be embedded for nothing), a document of many pages and a sheet alike.
func TestNotingFindsTheCharactersPrinted(t *testing.T) {
	cat := loadCatalog(t)
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	items := make([]string, 40)
	for i := range items {
		items[i] = "请补正“发起人名单”第" + strconv.Itoa(i+1) + "项：买买提·艾力——身份证明……呂"
	}
	f := refusalFill()
	f["supplement"] = map[string]any{"items": items}
	f["applicant"] = "沈阳市𠮷祥“科技周”促进会①℃"
	tpl, _ := cat.Document("supplement_notice")
	const url, number, code = "https://example.gov.cn/verify/AAAABBBBCCCCDDDD", "沈民补字〔2026〕1号", "AAAABBBBCCCCDDDD"
	qr, err := qrBits(url)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSheet("2026年度社会组织年度报告", at)
	s.Title("2026年度社会组织年度报告")
	s.Table([][]string{{"类别", "数量"}, {"民办非企业单位（社会服务机构）", "73"}}, 1, []float64{3, 1})
	for name, draw := range map[string]func(r *renderer) error{
		"notice": func(r *renderer) error { return r.document(tpl, f, qr, url, number, code) },
		"sheet":  s.draw,
	} {
		noted, drawn := newRenderer("", at, nil), newRenderer("", at, cjkFont)
		if err := draw(noted); err != nil {
			t.Fatal(err)
		}
		if err := draw(drawn); err != nil {
			t.Fatal(err)
		}
		if drawn.pdf.PageCount() < 2 && name == "notice" {
			t.Fatalf("the notice has %d page", drawn.pdf.PageCount())
		}
		if noted.printed != drawn.printed {
			t.Errorf("the %s: the characters noted differ from those printed", name)
		}
	}
}

// A subset maps each character asked for to a glyph of the same outline and advance as in the
// whole font, composite glyphs with their parts, and holds nothing else but .notdef and the
// characters below 256.
func TestSubsetKeepsTheGlyphsOfItsCharacters(t *testing.T) {
	whole, err := sfnt.Parse(cjkFont)
	if err != nil {
		t.Fatal(err)
	}
	var chars charSet
	const text = "社会团体法人登记证书〓呂呂、。（）〔〕"
	composite := false
	for _, c := range text {
		chars.add(c)
		out := cjkFace().outline(cjkFace().glyph[c])
		composite = composite || len(out) > 2 && out[0]&0x80 != 0
	}
	if !composite {
		t.Fatal("the test text has no composite glyph")
	}
	b, err := cjkFace().subset(&chars)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 32<<10 {
		t.Errorf("the subset of %d characters is %d bytes", len([]rune(text)), len(b))
	}
	sub, err := sfnt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var wb, sb sfnt.Buffer
	glyph := func(f *sfnt.Font, buf *sfnt.Buffer, c rune) (sfnt.Segments, fixed.Int26_6) {
		t.Helper()
		g, err := f.GlyphIndex(buf, c)
		if err != nil || g == 0 {
			t.Fatalf("%q has no glyph: %v", c, err)
		}
		segs, err := f.LoadGlyph(buf, g, fixed.I(1000), nil)
		if err != nil {
			t.Fatalf("loading the glyph of %q: %v", c, err)
		}
		adv, err := f.GlyphAdvance(buf, g, fixed.I(1000), font.HintingNone)
		if err != nil {
			t.Fatal(err)
		}
		return append(sfnt.Segments(nil), segs...), adv
	}
	for _, c := range text {
		ws, wa := glyph(whole, &wb, c)
		ss, sa := glyph(sub, &sb, c)
		if wa != sa || len(ws) != len(ss) {
			t.Errorf("%q: advance %v, %d segments in the subset; %v, %d in the whole font", c, sa, len(ss), wa, len(ws))
			continue
		}
		for i := range ws {
			if ws[i] != ss[i] {
				t.Errorf("%q: segment %d differs", c, i)
				break
			}
		}
	}
	if g, _ := sub.GlyphIndex(&sb, '的'); g != 0 {
		t.Error("the subset maps a character not asked for")
	}
}

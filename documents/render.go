package documents

import (
	"bytes"
	_ "embed"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/civicflow/civicflow/catalog"
)

// cjkFont is Droid Sans Fallback (Debian's fonts-droid-fallback, Apache-2.0, see font/COPYRIGHT),
// embedded so that Chinese renders on a machine without fonts; fpdf embeds only the glyphs used.
//
//go:embed font/DroidSansFallbackFull.ttf
var cjkFont []byte

// fontFamily names the embedded CJK font; latinFamily the standard font used for the characters the
// CJK font lacks (Latin letters, digits and Western punctuation, see typeset).
const (
	fontFamily  = "droid"
	latinFamily = "helvetica"
)

// Page geometry in millimetres (A4).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 25.0
	qrSize       = 28.0
)

// Render draws the document: the template's blocks over the fill data, its number, and at the foot
// the verification code and a QR code of verifyURL (also a link). The output depends only on its
// inputs: the PDF's dates are the issue time, so that the same inputs give the same bytes. Every page
// has a footer with its page number, the document number and the verification code. A character that
// no font has prints as a stand-in (see typeset); should fpdf panic all the same, the panic is an
// error, so that an action fails cleanly instead of answering 500.
func Render(tpl *catalog.DocumentTemplate, f map[string]any, verifyURL, number, code string, issued time.Time) ([]byte, error) {
	d, err := draft(tpl, f, verifyURL, number, code)
	if err != nil {
		return nil, err
	}
	return d.render(number, issued)
}

// drawing is a document drawn once, by draft, and the CJK font cut for what it printed: the part of
// Render that its number's value does not change, since the number's digits print in Helvetica. Issue
// drafts with a stand-in number before it takes the real one, which locks the counter until commit.
type drawing struct {
	tpl             *catalog.DocumentTemplate
	f               map[string]any // read again by render: the number in it may change meanwhile
	qr              [][]bool
	verifyURL, code string
	cut             fontCut
}

// draft draws the document with number (a stand-in: see drawing) for compose's first pass.
func draft(tpl *catalog.DocumentTemplate, f map[string]any, verifyURL, number, code string) (*drawing, error) {
	qr, err := qrBits(verifyURL) // once, for compose may draw more than once
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", tpl.Kind, err)
	}
	d := &drawing{tpl: tpl, f: f, qr: qr, verifyURL: verifyURL, code: code}
	if _, err := d.cut.pass(tpl.Kind, "", time.Time{}, d.draw(number)); err != nil {
		return nil, err
	}
	return d, nil
}

// render draws the document numbered number and returns its PDF (see Render).
func (d *drawing) render(number string, issued time.Time) ([]byte, error) {
	return d.cut.compose(d.tpl.Kind, d.tpl.Title.ZH+" "+number, issued, d.draw(number))
}

func (d *drawing) draw(number string) func(r *renderer) error {
	return func(r *renderer) error { return r.document(d.tpl, d.f, d.qr, d.verifyURL, number, d.code) }
}

// qrBits is the QR code of url, without its quiet zone: a row of modules per line, true for dark.
func qrBits(url string) ([][]bool, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encoding the QR code: %w", err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// compose draws a PDF of a kind, titled title and dated created, with draw and returns its bytes.
// The CJK font it embeds is a subset of the glyphs the document prints, which are known once it is
// drawn: draw runs first without fonts, only noting the characters it would print (which do not
// depend on the layout but for the page numbers, which are digits), then with the subset of those,
// and once more only should that print a character the first did not. A panic of fpdf is an error.
func compose(kind, title string, created time.Time, draw func(r *renderer) error) ([]byte, error) {
	var cut fontCut
	return cut.compose(kind, title, created, draw)
}

// fontCut is what compose carries from one pass to the next: the characters printed so far and the
// font cut for them (nil before the first pass, which only notes the characters).
type fontCut struct {
	chars charSet
	font  []byte
}

// compose is compose going on from the passes cut has seen.
func (cut *fontCut) compose(kind, title string, created time.Time, draw func(r *renderer) error) (out []byte, err error) {
	defer failed(kind, &err)
	var r *renderer
	for r == nil {
		if r, err = cut.pass(kind, title, created, draw); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := r.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", kind, err)
	}
	return buf.Bytes(), nil
}

// pass draws once with the font cut so far and returns the renderer when that font had every
// character printed; else it cuts the font again for them all and returns nil.
func (cut *fontCut) pass(kind, title string, created time.Time, draw func(r *renderer) error) (done *renderer, err error) {
	defer failed(kind, &err)
	r := newRenderer(title, created, cut.font)
	if err := draw(r); err != nil {
		return nil, err
	}
	if !cut.chars.addAll(&r.printed) && cut.font != nil {
		r.warn(kind)
		return r, nil
	}
	if cut.font, err = cjkFace().subset(&cut.chars); err != nil {
		return nil, fmt.Errorf("rendering %s: cutting the font: %w", kind, err)
	}
	return nil, nil
}

// failed turns a panic of fpdf into the error *err.
func failed(kind string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("rendering %s: fpdf failed: %v", kind, p)
	}
}

// newRenderer starts an A4 PDF titled title and dated created (its only dates, so that the same
// inputs give the same bytes), with cjk, a TrueType font, as the CJK font. Without it the renderer
// draws no text: it only notes the characters the text would print in the CJK font (see noting).
func newRenderer(title string, created time.Time, cjk []byte) *renderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(title, true)
	pdf.SetProducer("CivicFlow", true)
	if cjk != nil {
		pdf.AddUTF8FontFromBytes(fontFamily, "", cjk)
	}
	pdf.SetMargins(margin, margin, margin)
	return &renderer{pdf: pdf, noting: cjk == nil}
}

// document draws an issued document (see Render).
func (r *renderer) document(tpl *catalog.DocumentTemplate, f map[string]any, qr [][]bool, verifyURL, number, code string) error {
	r.tpl, r.f = tpl, f
	pdf := r.pdf
	pdf.SetAutoPageBreak(true, margin+qrSize)
	pdf.AddPage()
	if tpl.Layout == catalog.LayoutCertificate {
		pdf.SetLineWidth(0.8)
		pdf.Rect(12, 12, pageW-24, pageH-24, "D")
		pdf.SetLineWidth(0.3)
		pdf.Rect(14, 14, pageW-28, pageH-28, "D")
	}
	for i, b := range tpl.Blocks {
		if err := r.block(b, number, i == 0); err != nil {
			return err
		}
	}
	r.signature()
	r.foot(qr, verifyURL, code)
	for n := range pdf.PageCount() {
		r.setPage(n + 1)
		r.footer(n+1, pdf.PageCount(), number, code)
	}
	return nil
}

// footer writes at the foot of page n of all its number, the document number and the verification
// code, so that a page separated from the first still says which document it is of. Footers are
// drawn once every page is, when the number of pages is known (fpdf's page-count alias would be
// measured as "{nb}" and leave a gap).
func (r *renderer) footer(n, all int, number, code string) {
	r.size = 8
	r.pdf.SetY(pageH - 18)
	r.lines(margin, 0, 4, fmt.Sprintf("第 %d 页 共 %d 页 · %s · 验证码 %s", n, all, number, GroupCode(code)), "C")
}

// renderer draws one document.
type renderer struct {
	pdf         *fpdf.Fpdf
	noting      bool // no text is drawn or measured, its characters only noted in printed
	tpl         *catalog.DocumentTemplate
	f           map[string]any
	size        float64 // the font size of the text being drawn, in points
	family      string  // the font family selected (at familySize), "" for none
	familySize  float64
	printed     charSet       // the characters printed in the CJK font
	unprintable map[rune]bool // the characters no font has, printed as the missing mark
}

func (r *renderer) text(src string) (string, error) { return text(src, r.f) }

// block draws one block; the first heading is followed by the document number.
func (r *renderer) block(b catalog.DocumentBlock, number string, first bool) error {
	p := r.pdf
	switch {
	case b.Heading != "":
		s, err := r.text(b.Heading)
		if err != nil {
			return err
		}
		r.size = 18
		if r.tpl.Layout == catalog.LayoutCertificate {
			r.size = 24
		}
		r.lines(margin, 0, r.size*0.5, s, "C")
		if first {
			r.size = 11
			r.lines(margin, 0, 8, number, "C")
		}
		p.Ln(4)
	case b.Paragraph != "":
		s, err := r.text(b.Paragraph)
		if err != nil || s == "" {
			return err
		}
		r.paragraph(s)
	case len(b.Rows) > 0:
		r.size = 12
		const labelW = 40.0
		for _, row := range b.Rows {
			v, err := r.text(row.Value)
			if err != nil {
				return err
			}
			y := p.GetY()
			r.lines(margin, labelW, 8, row.Label, "L")
			p.SetY(y)
			r.lines(margin+labelW, 0, 8, v, "L")
		}
		p.Ln(2)
	case b.SupplementItems:
		items, _ := r.f["supplement"].(map[string]any)["items"].([]string)
		for i, it := range items {
			r.paragraph(strconv.Itoa(i+1) + ". " + it)
		}
	case b.Remedies:
		auth, _ := r.f["authority"].(map[string]any)
		r.paragraph(fmt.Sprintf("如不服本决定，可以自收到本决定书之日起六十日内向%s申请行政复议，"+
			"也可以自收到本决定书之日起六个月内向%s提起行政诉讼。", auth["review_body"], auth["court"]))
	}
	return nil
}

// paragraph draws one paragraph of body text.
func (r *renderer) paragraph(s string) {
	r.size = 12
	r.lines(margin, 0, 7.5, s, "L")
	r.pdf.Ln(1.5)
}

// lines writes s from x over the width w (0: to the right margin) in lines of height h, aligned by
// align (L, C or R), and leaves the position at the left margin below. The lines are cut here, at any
// character that does not fit: fpdf's MultiCell drops the Chinese character at which it breaks a line
// (it takes it for a space) and draws a text in one font only.
func (r *renderer) lines(x, w, h float64, s, align string) {
	p := r.pdf
	s = r.typeset(s)
	if w == 0 {
		w = pageW - margin - x
	}
	for _, line := range r.wrap(s, w) {
		p.SetX(x)
		r.line(x, w, h, line, align)
		p.Ln(h)
	}
}

// line draws one line of text that fits within w at the current position: runs of the characters the
// embedded CJK font has in it, the others (it has no Latin letters, digits, “”, ·, — …) in Helvetica,
// one of the PDF's standard fonts, which every reader has.
func (r *renderer) line(x, w, h float64, s, align string) {
	if r.noting {
		for _, c := range s {
			if !isLatin(c) {
				r.printed.add(c)
			}
		}
		return
	}
	p := r.pdf
	width := r.width(s)
	switch align {
	case "C":
		x += (w - width) / 2
	case "R":
		x += w - width
	}
	p.SetX(x)
	for _, run := range runs(s) {
		run = r.font(run)
		p.CellFormat(p.GetStringWidth(run), h, run, "", 0, "L", false, 0, "")
	}
}

// font sets the font of a run at the current size and returns the run as that font takes it.
func (r *renderer) font(run string) string {
	if isLatin([]rune(run)[0]) {
		r.setFont(latinFamily)
		return latinBytes(run)
	}
	r.setFont(fontFamily)
	for _, c := range run {
		r.printed.add(c)
	}
	return run
}

// setFont selects family at the current size when that is not the font selected: fpdf writes the
// selection into the page each time, and measuring text selects fonts character by character.
func (r *renderer) setFont(family string) {
	if r.family != family || r.familySize != r.size {
		r.pdf.SetFont(family, "", r.size)
		r.family, r.familySize = family, r.size
	}
}

// setPage goes back to page n, whose text state is not the current one: the next text selects its
// font again.
func (r *renderer) setPage(n int) {
	r.pdf.SetPage(n)
	r.family = ""
}

// width measures s as line draws it.
func (r *renderer) width(s string) float64 {
	var w float64
	for _, run := range runs(s) {
		w += r.pdf.GetStringWidth(r.font(run))
	}
	return w
}

// wrap cuts s into lines no wider than w at the current size (but for closing punctuation, see
// noLineStart), keeping explicit line breaks; a noting renderer (which measures nothing) cuts only at
// those.
func (r *renderer) wrap(s string, w float64) []string {
	if r.noting {
		return strings.Split(s, "\n")
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var line []rune
		var lw float64
		for _, c := range para {
			cw := r.width(string(c))
			if len(line) > 0 && lw+cw > w && !strings.ContainsRune(noLineStart, c) {
				lines = append(lines, string(line))
				line, lw = line[:0], 0
			}
			line, lw = append(line, c), lw+cw
		}
		lines = append(lines, string(line))
	}
	return lines
}

// noLineStart are the punctuation marks that never begin a line in Chinese typesetting (避头点): they
// stay at the end of the line before, a little beyond the margin.
const noLineStart = "，。、；：？！）》」』〕”’"

// typeset is typeset (which see), noting for warn the characters printed as the missing mark.
func (r *renderer) typeset(s string) string {
	return typeset(s, func(c rune) {
		if r.unprintable == nil {
			r.unprintable = map[rune]bool{}
		}
		r.unprintable[c] = true
	})
}

// warn logs each character printed as the missing mark once, with the kind of document and the code
// point, not the text, which is personal data.
func (r *renderer) warn(kind string) {
	for _, c := range slices.Sorted(maps.Keys(r.unprintable)) {
		slog.Warn("a character of a document is in none of its fonts; printed as 〓", "kind", kind,
			"code_point", fmt.Sprintf("%U", c))
	}
}

// runs cuts s where it changes between the fonts (s is typeset).
func runs(s string) []string {
	var out []string
	start := 0
	var prev rune = -1
	for i, c := range s {
		if prev >= 0 && isLatin(c) != isLatin(prev) {
			out = append(out, s[start:i])
			start = i
		}
		prev = c
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// isLatin reports whether c of a typeset text prints in Helvetica rather than the CJK font: ASCII
// (the CJK font has a space but no letters or digits; a Latin run stays whole) and what the CJK font
// lacks.
func isLatin(c rune) bool { return c < 0x80 || !inCJK(c) }

// signature writes the issuing authority and the date at the right, as a signed letter ends.
func (r *renderer) signature() {
	auth, _ := r.f["authority"].(map[string]any)
	r.pdf.Ln(8)
	r.size = 12
	r.lines(margin, 0, 8, fmt.Sprint(auth["name"]), "R")
	r.lines(margin, 0, 8, fmt.Sprint(r.f["date"]), "R")
}

// foot draws the QR code of the verification page, qr (a link as well; not when noting, as it has no
// text), and the code in words.
func (r *renderer) foot(qr [][]bool, verifyURL, code string) {
	p := r.pdf
	p.SetAutoPageBreak(false, 0)
	x, y := margin, pageH-margin-qrSize+3
	if !r.noting {
		cell := qrSize / float64(len(qr))
		p.SetFillColor(0, 0, 0)
		for i, row := range qr {
			for j := 0; j < len(row); j++ { // a rectangle per run of dark modules
				if !row[j] {
					continue
				}
				k := j
				for k < len(row) && row[k] {
					k++
				}
				p.Rect(x+float64(j)*cell, y+float64(i)*cell, float64(k-j)*cell, cell, "F")
				j = k
			}
		}
		p.LinkString(x, y, qrSize, qrSize, verifyURL)
	}
	p.SetY(y + 4)
	r.size = 10
	tx := x + qrSize + 4
	r.lines(tx, 0, 6, "验证码 "+GroupCode(code), "L")
	r.lines(tx, 0, 6, "扫描二维码或访问以下地址核验本文书：", "L")
	r.lines(tx, 0, 6, verifyURL, "L")
}

package documents

import (
	"bytes"
	_ "embed"
	"fmt"
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

const fontFamily = "droid"

// Page geometry in millimetres (A4).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 25.0
	qrSize       = 28.0
)

// Render draws the document: the template's blocks over the fill data, its number, and at the foot
// the verification code and a QR code of verifyURL (also a link). The output depends only on its
// inputs: the PDF's dates are the issue time, so that the same inputs give the same bytes.
func Render(tpl *catalog.DocumentTemplate, f map[string]any, verifyURL, number, code string, issued time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(tpl.Title.ZH+" "+number, true)
	pdf.SetProducer("CivicFlow", true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", cjkFont)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+qrSize)
	pdf.AddPage()
	r := &renderer{pdf: pdf, tpl: tpl, f: f}
	if tpl.Layout == catalog.LayoutCertificate {
		pdf.SetLineWidth(0.8)
		pdf.Rect(12, 12, pageW-24, pageH-24, "D")
		pdf.SetLineWidth(0.3)
		pdf.Rect(14, 14, pageW-28, pageH-28, "D")
	}
	for i, b := range tpl.Blocks {
		if err := r.block(b, number, i == 0); err != nil {
			return nil, err
		}
	}
	r.signature()
	if err := r.foot(verifyURL, code); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// renderer draws one document.
type renderer struct {
	pdf *fpdf.Fpdf
	tpl *catalog.DocumentTemplate
	f   map[string]any
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
		size := 18.0
		if r.tpl.Layout == catalog.LayoutCertificate {
			size = 24
		}
		p.SetFont(fontFamily, "", size)
		r.multiCell(0, size*0.5, s, "C")
		if first {
			p.SetFont(fontFamily, "", 11)
			p.CellFormat(0, 8, number, "", 1, "C", false, 0, "")
		}
		p.Ln(4)
	case b.Paragraph != "":
		s, err := r.text(b.Paragraph)
		if err != nil || s == "" {
			return err
		}
		r.paragraph(s)
	case len(b.Rows) > 0:
		p.SetFont(fontFamily, "", 12)
		labelW := 38.0
		for _, row := range b.Rows {
			v, err := r.text(row.Value)
			if err != nil {
				return err
			}
			y := p.GetY()
			p.CellFormat(labelW, 8, row.Label, "", 0, "L", false, 0, "")
			p.SetXY(margin+labelW, y)
			r.multiCell(0, 8, v, "L")
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
	r.pdf.SetFont(fontFamily, "", 12)
	r.multiCell(0, 7.5, s, "L")
	r.pdf.Ln(1.5)
}

// multiCell writes s in lines of height h from the current position to the right margin (w 0) or
// over w, aligned by align. fpdf's own MultiCell drops the Chinese character at which it breaks a
// line (it takes it for a space), so the lines are cut here, at any character that does not fit.
func (r *renderer) multiCell(w, h float64, s, align string) {
	p := r.pdf
	x := p.GetX()
	if w == 0 {
		_, _, right, _ := p.GetMargins()
		pw, _ := p.GetPageSize()
		w = pw - right - x
	}
	for _, line := range r.wrap(s, w-2*p.GetCellMargin()) {
		p.SetX(x)
		p.CellFormat(w, h, line, "", 2, align, false, 0, "")
	}
}

// wrap cuts s into lines no wider than w at the current font, keeping explicit line breaks.
func (r *renderer) wrap(s string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := []rune{}
		for _, c := range para {
			if len(line) > 0 && r.pdf.GetStringWidth(string(append(line, c))) > w {
				lines = append(lines, string(line))
				line = line[:0]
			}
			line = append(line, c)
		}
		lines = append(lines, string(line))
	}
	return lines
}

// signature writes the issuing authority and the date at the right, as a signed letter ends.
func (r *renderer) signature() {
	auth, _ := r.f["authority"].(map[string]any)
	p := r.pdf
	p.Ln(8)
	p.SetFont(fontFamily, "", 12)
	p.CellFormat(0, 8, fmt.Sprint(auth["name"]), "", 1, "R", false, 0, "")
	p.CellFormat(0, 8, fmt.Sprint(r.f["date"]), "", 1, "R", false, 0, "")
}

// foot draws the QR code of the verification page (a link as well) and the code in words.
func (r *renderer) foot(verifyURL, code string) error {
	q, err := qrcode.New(verifyURL, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("encoding the QR code: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	p := r.pdf
	p.SetAutoPageBreak(false, 0)
	x, y := margin, pageH-margin-qrSize+6
	cell := qrSize / float64(len(bits))
	p.SetFillColor(0, 0, 0)
	for i, row := range bits {
		for j, on := range row {
			if on {
				p.Rect(x+float64(j)*cell, y+float64(i)*cell, cell, cell, "F")
			}
		}
	}
	p.LinkString(x, y, qrSize, qrSize, verifyURL)
	p.SetXY(x+qrSize+4, y+4)
	p.SetFont(fontFamily, "", 10)
	p.CellFormat(0, 6, "验证码 "+GroupCode(code), "", 2, "L", false, 0, "")
	p.CellFormat(0, 6, "扫描二维码或访问以下地址核验本文书：", "", 2, "L", false, 0, "")
	p.CellFormat(0, 6, verifyURL, "", 2, "L", false, 0, verifyURL)
	return nil
}

package documents

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/civicflow/civicflow/catalog"
)

// Sheet draws a plain PDF of a title, headings, paragraphs and ruled tables in the documents' fonts
// (the embedded CJK font, Helvetica for what it lacks, the same stand-ins for characters neither
// has), for reports that are not issued documents: no number, no verification code, no seal. Every
// page has a footer with its number and the sheet's title. Like Render, the output depends only on
// the inputs.
type Sheet struct {
	r     *renderer
	title string
	err   error
}

// NewSheet starts a sheet titled title (the PDF's title and every page's footer), dated created.
func NewSheet(title string, created time.Time) *Sheet {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(title, true)
	pdf.SetProducer("CivicFlow", true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", cjkFont)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AddPage()
	return &Sheet{r: &renderer{pdf: pdf, tpl: &catalog.DocumentTemplate{Kind: "sheet"}}, title: title}
}

// guard runs fn, turning a panic of fpdf into the sheet's error (see Render).
func (s *Sheet) guard(fn func()) {
	if s.err != nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			s.err = fmt.Errorf("drawing %s: fpdf failed: %v", s.title, p)
		}
	}()
	fn()
}

// Title writes the sheet's main heading, centred.
func (s *Sheet) Title(text string) {
	s.guard(func() {
		s.r.size = 16
		s.r.lines(margin, 0, 9, text, "C")
		s.r.pdf.Ln(4)
	})
}

// Heading writes a section heading.
func (s *Sheet) Heading(text string) {
	s.guard(func() {
		s.r.pdf.Ln(2)
		s.r.size = 13
		s.r.lines(margin, 0, 7.5, text, "L")
		s.r.pdf.Ln(1)
	})
}

// Paragraph writes body text; line breaks in text start new lines.
func (s *Sheet) Paragraph(text string) {
	s.guard(func() { s.r.paragraph(text) })
}

// Table draws rows as a ruled table over the width of the page, the columns as wide as the relative
// widths say (equal when widths is short). The first column is aligned left, the others centred, as
// are the first head rows. A row that does not fit on the page starts a new one.
func (s *Sheet) Table(rows [][]string, head int, widths []float64) {
	s.guard(func() {
		r, p := s.r, s.r.pdf
		n := 0
		for _, row := range rows {
			n = max(n, len(row))
		}
		if n == 0 {
			return
		}
		ws := make([]float64, n)
		var sum float64
		for j := range ws {
			ws[j] = 1
			if j < len(widths) && widths[j] > 0 {
				ws[j] = widths[j]
			}
			sum += ws[j]
		}
		for j := range ws {
			ws[j] *= (pageW - 2*margin) / sum
		}
		const pad, lh = 1.2, 4.4
		r.size = 8.5
		for i, row := range rows {
			cells := make([][]string, n)
			lines := 1
			for j := range n {
				text := ""
				if j < len(row) {
					text = typeset(r.tpl.Kind, row[j])
				}
				cells[j] = r.wrap(text, ws[j]-2*pad)
				lines = max(lines, len(cells[j]))
			}
			h := float64(lines)*lh + 2*pad
			if p.GetY()+h > pageH-margin {
				p.AddPage()
			}
			y, x := p.GetY(), margin
			for j := range n {
				p.Rect(x, y, ws[j], h, "D")
				align := "C"
				if j == 0 && i >= head {
					align = "L"
				}
				for k, line := range cells[j] {
					p.SetXY(x+pad, y+pad+float64(k)*lh)
					r.line(x+pad, ws[j]-2*pad, lh, line, align)
				}
				x += ws[j]
			}
			p.SetXY(margin, y+h)
		}
		p.Ln(3)
	})
}

// PDF finishes the sheet: the footers, then the bytes.
func (s *Sheet) PDF() ([]byte, error) {
	var out []byte
	s.guard(func() {
		p := s.r.pdf
		p.SetAutoPageBreak(false, 0)
		for n := range p.PageCount() {
			p.SetPage(n + 1)
			s.r.size = 8
			p.SetY(pageH - 18)
			s.r.lines(margin, 0, 4, fmt.Sprintf("第 %d 页 共 %d 页 · %s", n+1, p.PageCount(), s.title), "C")
		}
		var buf bytes.Buffer
		if err := p.Output(&buf); err != nil {
			s.err = fmt.Errorf("writing %s: %w", s.title, err)
			return
		}
		out = buf.Bytes()
	})
	if s.err != nil {
		return nil, s.err
	}
	return out, nil
}

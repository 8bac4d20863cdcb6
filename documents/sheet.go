package documents

import (
	"fmt"
	"time"
)

// Sheet draws a plain PDF of a title, headings, paragraphs and ruled tables in the documents' fonts
// (the embedded CJK font, Helvetica for what it lacks, the same stand-ins for characters neither
// has), for reports that are not issued documents: no number, no verification code, no seal. Every
// page has a footer with its number and the sheet's title. Like Render, the output depends only on
// the inputs. The parts are drawn when PDF is called (compose may draw them more than once).
type Sheet struct {
	title   string
	created time.Time
	parts   []func(r *renderer)
}

// NewSheet starts a sheet titled title (the PDF's title and every page's footer), dated created.
func NewSheet(title string, created time.Time) *Sheet {
	return &Sheet{title: title, created: created}
}

// add appends a part to draw.
func (s *Sheet) add(part func(r *renderer)) { s.parts = append(s.parts, part) }

// Title writes the sheet's main heading, centred.
func (s *Sheet) Title(text string) {
	s.add(func(r *renderer) {
		r.size = 16
		r.lines(margin, 0, 9, text, "C")
		r.pdf.Ln(4)
	})
}

// Heading writes a section heading.
func (s *Sheet) Heading(text string) {
	s.add(func(r *renderer) {
		r.pdf.Ln(2)
		r.size = 13
		r.lines(margin, 0, 7.5, text, "L")
		r.pdf.Ln(1)
	})
}

// Paragraph writes body text; line breaks in text start new lines.
func (s *Sheet) Paragraph(text string) {
	s.add(func(r *renderer) { r.paragraph(text) })
}

// Table draws rows as a ruled table over the width of the page, the columns as wide as the relative
// widths say (equal when widths is short). The first column is aligned left, the others centred, as
// are the first head rows. A row that does not fit on the page starts a new one.
func (s *Sheet) Table(rows [][]string, head int, widths []float64) {
	s.add(func(r *renderer) {
		p := r.pdf
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
					text = r.typeset(row[j])
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

// PDF draws the sheet.
func (s *Sheet) PDF() ([]byte, error) { return compose(sheetKind, s.title, s.created, s.draw) }

// draw draws the sheet's parts, then the footers.
func (s *Sheet) draw(r *renderer) error {
	p := r.pdf
	p.SetAutoPageBreak(true, margin)
	p.AddPage()
	for _, part := range s.parts {
		part(r)
	}
	p.SetAutoPageBreak(false, 0)
	for n := range p.PageCount() {
		r.setPage(n + 1)
		r.size = 8
		p.SetY(pageH - 18)
		r.lines(margin, 0, 4, fmt.Sprintf("第 %d 页 共 %d 页 · %s", n+1, p.PageCount(), s.title), "C")
	}
	return nil
}

// sheetKind is the kind of document a sheet is, in errors and warnings.
const sheetKind = "sheet"

// Package tables reads and writes the spreadsheets people keep lists in: CSV (UTF-8 or the GB18030
// that Excel on Chinese Windows saves), XLSX, and text pasted from a spreadsheet (tab-separated).
// The register's import reads its files with it; forms' repeating groups are filled from a pasted or
// uploaded member list (Import) and offer a template to fill in (WriteCSV, WriteXLSX).
package tables

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"
)

// Rows yields the rows of a spreadsheet one at a time, so that a file of any size is read in bounded
// memory. Next returns io.EOF after the last row; line is the row's line in the file (CSV: the line
// its record starts on; XLSX: the row number), as a person finds it in an editor or Excel.
type Rows interface {
	Next() (cells []string, line int, err error)
	Close() error
}

// xlsxMagic starts every XLSX file (a ZIP archive).
var xlsxMagic = []byte("PK\x03\x04")

// Open recognises a file by its content: an XLSX workbook (its first sheet), or else CSV in UTF-8 (a
// byte order mark is dropped) or, when its start is not UTF-8, in GB18030 (which includes GBK, the
// encoding Excel on Chinese Windows saves CSV in). Text whose first line holds a tab and no comma is
// read as tab-separated, as a spreadsheet copies cells. An XLSX workbook is unzipped within bounds
// (excelize's limits), so that a small hostile file cannot fill the memory.
func Open(r io.Reader) (Rows, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("reading the file: %w", err)
	}
	if bytes.HasPrefix(head, xlsxMagic) {
		return openXLSX(br)
	}
	var in io.Reader = br
	if !utf8Start(head, len(head) == br.Size()) {
		in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1 // rows may be shorter than the header; missing cells are empty
	if first, _, _ := bytes.Cut(head, []byte("\n")); bytes.ContainsRune(first, '\t') && !bytes.ContainsRune(first, ',') {
		cr.Comma = '\t'
		cr.LazyQuotes = true // a pasted cell may hold a lone quote mark
	}
	return &csvRows{r: cr}, nil
}

// utf8Start reports whether head is UTF-8; when head is only the start of the file, a character cut
// at its end does not count against it.
func utf8Start(head []byte, cut bool) bool {
	for i := 0; cut && i < utf8.UTFMax-1 && !utf8.Valid(head) && len(head) > 0; i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

type csvRows struct {
	r     *csv.Reader
	first bool
}

func (c *csvRows) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	if !c.first {
		c.first = true
		rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
	}
	return rec, line, nil
}

func (c *csvRows) Close() error { return nil }

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	line int
}

// xlsxLimit bounds what a workbook may unzip to, in all and per XML part.
const xlsxLimit = 64 << 20

// openXLSX streams the first sheet with excelize's row iterator (a large sheet is unzipped to a
// temporary file rather than into memory). Cells are read raw, unformatted: a date cell is its serial
// number rather than whatever display format the sheet gave it.
func openXLSX(r io.Reader) (Rows, error) {
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true, UnzipSizeLimit: xlsxLimit, UnzipXMLSizeLimit: xlsxLimit / 4})
	if err != nil {
		return nil, fmt.Errorf("reading the XLSX workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, errors.New("the XLSX workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("reading sheet %s: %w", sheets[0], err)
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) Next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.line, fmt.Errorf("row %d: %w", x.line+1, err)
		}
		return nil, x.line, io.EOF
	}
	x.line++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, x.line, fmt.Errorf("row %d: %w", x.line, err)
	}
	return cells, x.line, nil
}

func (x *xlsxRows) Close() error {
	err := x.rows.Close()
	return errors.Join(err, x.f.Close())
}

// HeaderKey is how a header cell is compared with the names of a column: full-width letters folded
// to half-width, trimmed, in lower case, spaces and hyphens as underscores ("Legal representative"
// is legal_representative).
func HeaderKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(width.Fold.String(s), "\uFEFF")))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// blank reports whether every cell of a row is empty or spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

package tables

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Guard keeps a spreadsheet from reading a cell as a formula (CSV injection): a text starting with =,
// +, -, @, a tab or a carriage return is written with a leading apostrophe, which spreadsheets show
// as text and the register's import drops again.
func Guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes rows as CSV in UTF-8 with a byte order mark, which Excel needs to read Chinese
// text as UTF-8, every cell guarded (Guard).
func WriteCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	for _, row := range rows {
		guarded := make([]string, len(row))
		for i, c := range row {
			guarded[i] = Guard(c)
		}
		if err := w.Write(guarded); err != nil {
			return nil, fmt.Errorf("writing a CSV row: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing CSV: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteXLSX writes rows as a one-sheet workbook named sheet: the first row bold, every cell guarded
// (Guard) and stored as text, the columns formatted as text so that an ID number typed into them
// keeps its 18 digits rather than becoming 1.1E+17, and wide enough for their header.
func WriteXLSX(sheet string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("naming the sheet %q: %w", sheet, err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, fmt.Errorf("making the text style: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("making the header style: %w", err)
	}
	width := 0
	for _, row := range rows {
		width = max(width, len(row))
	}
	for c := 1; c <= width; c++ {
		col, _ := excelize.ColumnNumberToName(c)
		if err := f.SetColStyle(sheet, col, text); err != nil {
			return nil, fmt.Errorf("styling column %s: %w", col, err)
		}
		if err := f.SetColWidth(sheet, col, col, 24); err != nil {
			return nil, fmt.Errorf("sizing column %s: %w", col, err)
		}
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr(sheet, cell, Guard(v)); err != nil {
				return nil, fmt.Errorf("writing cell %s: %w", cell, err)
			}
			if r == 0 {
				if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
					return nil, fmt.Errorf("styling cell %s: %w", cell, err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("writing the workbook: %w", err)
	}
	return buf.Bytes(), nil
}

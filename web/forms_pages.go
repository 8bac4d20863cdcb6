package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/tables"
)

// Forms that respect people's time: a repeat's rows are added and removed in the page by
// static/repeat.js, or by its buttons posting the form without it; a member list is pasted or
// uploaded into a repeat (tables.Import) from a template the page offers.

// repeatView is what the page draws beside a repeat's rows.
type repeatView struct {
	Min, Max int // the rows the script keeps; Max 0 for no maximum
	// Next is the index of the row the script adds next; Blank is that row, its index written "#".
	Next  int
	Blank []formField
	// Post is where the repeat's buttons post: the form's address with the repeat's anchor.
	Post string
	// Import is set when a list can be pasted or uploaded into the repeat.
	Import *importView
	// Remove is the label of a row's remove button.
	Remove string
}

// importView is the list import of one repeat: its inputs, its templates, and the outcome of the
// import the page answers.
type importView struct {
	CSV, XLSX string // the templates to download
	Text      string // the pasted text, kept when it had errors
	Open      bool
	Errors    []importError
	// The texts of the import, in the page's language: its title and hint, its inputs' labels, its
	// button, the heading of its errors, and what the last import added.
	Title, Help, TextLabel, FileLabel, Submit, Download, ErrorsTitle, Imported string
}

// importError is a problem of an imported list as the page lists it: where ("第 3 行 居民身份证号码")
// and what.
type importError struct {
	Where, Message string
}

// tableImport is the outcome of a post that imported a list, kept for the page drawn in answer.
type tableImport struct {
	Path     string
	Text     string
	Imported int
	Errors   []tables.Error
}

// tableImportKey is where the post's tableImport waits for the page (c.Locals).
const tableImportKey = "forms.tableImport"

// tableImportOf is the list import of the post the page answers, nil if there was none.
func tableImportOf(c *fiber.Ctx) *tableImport {
	ti, _ := c.Locals(tableImportKey).(*tableImport)
	return ti
}

// repeat builds what the page draws beside the repeat f at path with n rows.
func (b formBuilder) repeat(f *forms.Field, path string, n int) *repeatView {
	rv := &repeatView{Next: n, Remove: b.view.T("table_remove_row")}
	if f.MinItems != nil {
		rv.Min = *f.MinItems
	}
	if f.MaxItems != nil {
		rv.Max = *f.MaxItems
	}
	if b.opts.action == "" {
		return rv
	}
	rv.Post = b.opts.action + "#" + htmlID(b.opts.idPrefix+path)
	blank := b
	blank.opts.quiet, blank.errs = true, nil
	rv.Blank = blank.fields(f.Fields, path+"[#].", nil)
	if _, ok := tables.Repeat(b.form, path); !ok || b.it == nil {
		return rv
	}
	locale := b.view.Locale
	base := "/catalog/" + b.it.Code + "/tables/" + path
	query := "?form=" + b.form.ID + "&lang=" + locale
	v := b.view
	var cols []string
	for _, c := range tables.Columns(f) {
		cols = append(cols, c.Label.In(locale))
	}
	iv := &importView{CSV: base + ".csv" + query, XLSX: base + ".xlsx" + query,
		Title: v.T("table_import"), Help: v.Tf("table_help", "Columns", strings.Join(cols, v.T("list_sep")), "Max", tables.MaxRows),
		TextLabel: v.T("table_text"), FileLabel: v.T("table_file"), Submit: v.T("table_submit"), Download: v.T("table_download"),
		ErrorsTitle: v.T("table_errors")}
	if ti := b.opts.table; ti != nil && ti.Path == path {
		iv.Text, iv.Open = ti.Text, len(ti.Errors) > 0
		if ti.Imported > 0 {
			iv.Imported = v.Tf("table_imported", "N", ti.Imported)
		}
		for _, e := range ti.Errors {
			where := v.T("table_whole_list")
			if e.Row > 0 {
				where = v.Tf("table_row", "Row", e.Row) + " " + e.Label.In(locale)
			}
			iv.Errors = append(iv.Errors, importError{Where: strings.TrimSpace(where), Message: e.Message.In(locale)})
		}
	}
	rv.Import = iv
	return rv
}

// formIntent does what a form's button other than submit or save asks of the posted values: remove a
// row ("remove_row:members[3]"), or import a pasted or uploaded list into a repeat ("import:members").
// An import's problems are returned as one error on the repeat (under errPrefix), the detail kept for
// the page (tableImportOf); the rows already entered stay as posted either way.
func (s *Server) formIntent(c *fiber.Ctx, f *forms.Form, values map[string][]string, files map[string][]*multipart.FileHeader, errPrefix string) (problem.Fields, error) {
	intent := ""
	if vs := values["intent"]; len(vs) > 0 {
		intent = vs[0]
	}
	if row, ok := strings.CutPrefix(intent, "remove_row:"); ok {
		forms.RemoveRow(f, values, row)
		return nil, nil
	}
	at, ok := strings.CutPrefix(intent, "import:")
	if !ok {
		return nil, nil
	}
	if _, ok := tables.Repeat(f, at); !ok {
		return nil, errNotFound
	}
	ti := &tableImport{Path: at}
	c.Locals(tableImportKey, ti)
	if vs := values["table_text:"+at]; len(vs) > 0 {
		ti.Text = vs[0]
	}
	list, err := postedList(ti.Text, files["table_file:"+at])
	if err != nil {
		return nil, err
	}
	var fe problem.Fields
	if list == nil {
		fe.Add(errPrefix+at, "list_missing", "请粘贴名单，或选择要上传的 CSV、XLSX 文件。", "Paste a list, or choose a CSV or XLSX file to upload.")
		return fe, nil
	}
	existing := rowsOf(rowsAt(forms.FromFormValues(f, values), at))
	res, err := tables.Import(f, at, existing, list, s.Engine.FormOptions(c.UserContext()))
	if p, ok := problem.As(err); ok {
		fe.Add(errPrefix+at, p.Code, p.Message.ZH, p.Message.EN)
		return fe, nil
	}
	if err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		ti.Errors = res.Errors
		n := strconv.Itoa(len(res.Errors))
		fe.Add(errPrefix+at, "list_invalid", "名单中有 "+n+" 处错误，没有导入。请按下方所列改正后重新导入；已填写的内容不受影响。",
			"The list has "+n+" errors and was not imported. Correct them as listed below and import it again; what you entered is kept.")
		return fe, nil
	}
	forms.AppendRows(f, values, at, res.Rows)
	ti.Text, ti.Imported = "", len(res.Rows)
	return nil, nil
}

// postedList is the list a post imports: the uploaded file if one was chosen, else the pasted text;
// nil when neither was given.
func postedList(text string, fhs []*multipart.FileHeader) (io.Reader, error) {
	for _, fh := range fhs {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		r, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, tables.MaxBytes+1))
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(b), nil
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	return strings.NewReader(text), nil
}

// rowsAt is the value at a dotted path of data ("members", "group.members").
func rowsAt(data map[string]any, at string) any {
	var v any = data
	for name := range strings.SplitSeq(at, ".") {
		m, _ := v.(map[string]any)
		v = m[name]
	}
	return v
}

// itemForm is the item of the address and its application form, or another of its forms named by
// ?form=.
func (s *Server) itemForm(c *fiber.Ctx) (*catalog.Item, *forms.Form, error) {
	it, err := s.item(c)
	if err != nil {
		return nil, nil, err
	}
	f, ok := it.Forms[c.Query("form", it.Form)]
	if !ok {
		return nil, nil, errNotFound
	}
	return it, f, nil
}

// tableTemplate sends the template of a repeat's list, /catalog/{code}/tables/{repeat}.csv or .xlsx,
// of the item's application form or of another of its forms (?form=): a header row of the columns'
// labels in the page's language.
func (s *Server) tableTemplate(c *fiber.Ctx) error {
	it, f, err := s.itemForm(c)
	if err != nil {
		return err
	}
	file := c.Params("file")
	ext := path.Ext(file)
	fd, ok := tables.Repeat(f, strings.TrimSuffix(file, ext))
	if !ok || ext != ".csv" && ext != ".xlsx" {
		return errNotFound
	}
	locale := s.fileLocale(c)
	rows := tables.Template(fd, locale)
	var body []byte
	if ext == ".csv" {
		body, err = tables.WriteCSV(rows)
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		body, err = tables.WriteXLSX(sheetName(fd.Label.In(locale)), rows)
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, attachment(it.Code+"-"+fd.Name+ext, fd.Label.In(locale)+ext))
	return c.Send(body)
}

// sheetName is a label made fit to name a worksheet: at most 31 characters, none of []:*?/\.
func sheetName(label string) string {
	label = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return -1
		}
		return r
	}, label)
	if r := []rune(label); len(r) > 31 {
		label = string(r[:31])
	}
	if label == "" {
		return "Sheet1"
	}
	return label
}

// apiTableImport reads a list for a repeat of the item's application form (or ?form=) from a
// multipart form, pasted rows in `text` or a CSV or XLSX file in `file`, and answers its rows and
// errors by row and column without saving anything: the client adds the rows to its draft.
func (s *Server) apiTableImport(c *fiber.Ctx) error {
	_, f, err := s.itemForm(c)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return problem.New(problem.Unsupported, "multipart_required", "请求内容类型须为 multipart/form-data。", "The request body must be multipart/form-data.")
	}
	mf, err := c.MultipartForm()
	if err != nil {
		return errBadForm
	}
	var text string
	if vs := mf.Value["text"]; len(vs) > 0 {
		text = vs[0]
	}
	list, err := postedList(text, mf.File["file"])
	if err != nil {
		return err
	}
	if list == nil {
		var fe problem.Fields
		fe.Add("text", "required", "请在 text 中粘贴名单，或在 file 中上传 CSV、XLSX 文件。", "Send the rows in text, or a CSV or XLSX file in file.")
		return fe.Err()
	}
	res, err := tables.Import(f, c.Params("repeat"), nil, list, s.Engine.FormOptions(c.UserContext()))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// attachment is a Content-Disposition that saves a download as name, with ascii (letters, digits,
// dots, dashes and underscores only) for clients that cannot read a UTF-8 file name.
func attachment(ascii, name string) string {
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// guideTemplate sends a file the item's guide offers (catalog.Template), from memory, as a download
// under its name on the guide.
func (s *Server) guideTemplate(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	for _, t := range it.Templates {
		if t.File != c.Params("file") {
			continue
		}
		ext := path.Ext(t.File)
		c.Set(fiber.HeaderContentType, catalog.TemplateTypes[ext])
		c.Set(fiber.HeaderContentDisposition, attachment(t.File, strings.TrimSuffix(t.Name.In(s.fileLocale(c)), ext)+ext))
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		c.Set(fiber.HeaderETag, `"`+t.SHA256+`"`)
		if c.Fresh() { // the browser's copy (If-None-Match) is this file
			return c.SendStatus(fiber.StatusNotModified)
		}
		return c.Send(t.Content)
	}
	return errNotFound
}

// rowRef is a row of a repeat for its remove button: the repeat, and the row's path ("members[3]",
// "members[#]" for the blank row the script adds).
type rowRef struct {
	Field formField
	Row   string
}

// rowButton is the row i of the repeat f; -1 is the blank row.
func rowButton(f formField, i int) rowRef {
	n := "#"
	if i >= 0 {
		n = strconv.Itoa(i)
	}
	return rowRef{Field: f, Row: f.Path + "[" + n + "]"}
}

// importRef is a repeat with its list import, for the table_import template.
type importRef struct {
	Field  formField
	Import *importView
}

// importOf is the list import of the repeat f.
func importOf(f formField) importRef { return importRef{Field: f, Import: f.Repeat.Import} }

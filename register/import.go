package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/tables"
)

// EventImported is the registered event of an entry written by an import of the existing register:
// when it entered the register, and each later import that changed it.
const EventImported = "imported"

// ImportOptions say how Import treats a file.
type ImportOptions struct {
	// SkipErrors imports the good rows of a file that has bad ones; without it a file with any
	// error writes nothing.
	SkipErrors bool
	// DryRun checks the file, and says what it would insert and update, without writing anything.
	DryRun bool
	// Source names the file in the history and the audit log.
	Source string
	// Actor is who imports, for the audit log.
	Actor audit.Actor
}

// ImportIssue is an error or a warning about one row of an import file.
type ImportIssue struct {
	Line    int       `json:"line"`             // the row's line in the file (XLSX: its row number)
	Column  string    `json:"column,omitempty"` // the header of the column, as the file writes it
	Code    string    `json:"code"`
	Message lang.Text `json:"message"`
}

// ImportReport is what an import read and did.
type ImportReport struct {
	Read      int `json:"read"`      // rows read, blank rows and the header not counted
	Inserted  int `json:"inserted"`  // new organisations (in a dry run: that would be)
	Updated   int `json:"updated"`   // existing organisations whose particulars the file changes
	Unchanged int `json:"unchanged"` // existing organisations the file repeats as they are
	Skipped   int `json:"skipped"`   // rows with errors, left out (under SkipErrors; otherwise nothing is written)
	// Errors and Warnings list every bad row, each error and warning with its line, in line order.
	Errors   []ImportIssue `json:"errors"`
	Warnings []ImportIssue `json:"warnings"`
	// IgnoredColumns are the headers of columns that give no particular.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	DryRun         bool     `json:"dry_run"`
	// Written says whether the import was committed: false in a dry run and for a file with errors
	// imported without SkipErrors.
	Written bool `json:"written"`
}

// importBatch is how many rows are looked up and written together. Each batch costs a handful of
// statements whatever its size; a thousand rows keeps a statement well under a megabyte.
const importBatch = 1000

// maxParticularLength is the longest further particular (a business scope), in characters.
const maxParticularLength = 2000

// Import reads the existing register of a department from a CSV or XLSX file (ImportColumns) and
// enters it, by credit code: a new code is inserted, a known one with other particulars updated
// (only the columns the file has), a known one with the same particulars left as it is, so that
// importing a file again changes nothing. An organisation registered through a case in this
// installation is never changed by an import: its changes go through change registration.
//
// Every row is checked and every error reported with its line: the credit code (characters and check
// character strictly; an organisation code failing only its GB 11714 check is a warning, as some real
// old codes do, domain.md §6), the kind against the code, the required particulars, the jurisdiction
// (a division code or the name of one in the jurisdictions table), the dates, and a code given twice.
// The whole import is one transaction: a file with an error writes nothing unless SkipErrors is set.
// The file is read row by row, a batch of rows at a time is looked up and written (bulk insert, name
// index included), so memory stays bounded whatever its length.
//
// A file that cannot be read as a whole — not CSV or XLSX, broken quoting, a header without a
// required column — is an Invalid problem and writes nothing; bad rows are not an error of Import
// but the report's Errors.
func Import(ctx context.Context, db bun.IDB, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	rows, err := tables.Open(r)
	if err != nil {
		return nil, badFile(err)
	}
	defer rows.Close()
	cells, _, err := rows.Next()
	if errors.Is(err, io.EOF) {
		return nil, problem.New(problem.Invalid, "empty_import_file", "文件为空。", "The file is empty.")
	}
	if err != nil {
		return nil, badFile(err)
	}
	header, err := readHeader(cells)
	if err != nil {
		return nil, err
	}
	im := &importer{opts: opts, header: header, seen: map[string]int{}, now: time.Now().UTC().Truncate(time.Microsecond),
		report: &ImportReport{DryRun: opts.DryRun, IgnoredColumns: header.ignored, Errors: []ImportIssue{}, Warnings: []ImportIssue{}}}
	errRollback := errors.New("roll back")
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		im.tx = tx
		places, err := placeIndex(ctx, tx)
		if err != nil {
			return err
		}
		im.places = places
		if err := im.readAll(ctx, rows); err != nil {
			return err
		}
		if opts.DryRun || !im.writing() {
			return errRollback
		}
		im.report.Written = true
		return audit.Record(ctx, tx, opts.Actor, "register.import", "register", opts.Source, "", map[string]any{
			"read": im.report.Read, "inserted": im.report.Inserted, "updated": im.report.Updated,
			"unchanged": im.report.Unchanged, "skipped": im.report.Skipped, "warnings": len(im.report.Warnings)})
	})
	if err != nil && !errors.Is(err, errRollback) {
		if p, ok := problem.As(err); ok {
			return nil, p
		}
		return nil, fmt.Errorf("importing the register from %s: %w", opts.Source, err)
	}
	byLine := func(a, b ImportIssue) int { return a.Line - b.Line }
	slices.SortStableFunc(im.report.Errors, byLine)
	slices.SortStableFunc(im.report.Warnings, byLine)
	return im.report, nil
}

// badFile is the problem of a file that cannot be imported at all.
func badFile(err error) error {
	return problem.New(problem.Invalid, "bad_import_file", "无法导入该文件："+err.Error(),
		"The file cannot be imported: "+err.Error()).Because(err)
}

// ambiguousPlace marks in a placeIndex a name that several jurisdictions have (和平区 of Shenyang and
// of Tianjin): such a file must give the code.
const ambiguousPlace = "?"

// placeIndex maps what a file may write in the jurisdiction column to a division code: the code, the
// jurisdiction's Chinese name (沈阳市) and the name of its civil-affairs authority (沈阳市民政局).
func placeIndex(ctx context.Context, db bun.IDB) (map[string]string, error) {
	all, err := jurisdictions.List(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("reading the jurisdictions: %w", err)
	}
	places := map[string]string{}
	for _, j := range all {
		places[j.Code] = j.Code
		if j.NameZH == "" {
			continue
		}
		for _, name := range []string{j.NameZH, j.NameZH + "民政局", j.NameZH + "民政厅"} {
			if other, ok := places[name]; ok && other != j.Code {
				places[name] = ambiguousPlace
			} else {
				places[name] = j.Code
			}
		}
	}
	return places, nil
}

// importer is one run of Import.
type importer struct {
	tx     bun.IDB
	opts   ImportOptions
	header *importHeader
	places map[string]string
	seen   map[string]int // credit code → the line that gave it first
	now    time.Time
	report *ImportReport
	batch  []*importRow
}

// importRow is a checked row of the file.
type importRow struct {
	line        int
	org         Organisation
	particulars map[string]string // the further particulars the file has columns for
}

// writing reports whether the import still writes: not once a row failed without SkipErrors (all
// will be rolled back; the rest of the file is still checked, so that every error is reported).
func (im *importer) writing() bool {
	return !im.opts.DryRun && (im.opts.SkipErrors || len(im.report.Errors) == 0)
}

func (im *importer) readAll(ctx context.Context, rows tables.Rows) error {
	for {
		cells, line, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return im.flush(ctx)
		}
		if err != nil {
			return badFile(err)
		}
		if blank(cells) {
			continue
		}
		im.report.Read++
		if row := im.check(cells, line); row != nil {
			im.batch = append(im.batch, row)
		}
		if len(im.batch) >= importBatch {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
	}
}

func blank(cells []string) bool { return countBlank(cells) == len(cells) }

// issue records an error (or a warning) of the row on line about field.
func (im *importer) issue(warning bool, line int, field string, f problem.Field) {
	is := ImportIssue{Line: line, Column: im.header.names[field], Code: f.Code, Message: f.Message}
	if warning {
		im.report.Warnings = append(im.report.Warnings, is)
		return
	}
	im.report.Errors = append(im.report.Errors, is)
}

// rowFailed records every error of a row and counts it as skipped.
func (im *importer) rowFailed(line int, fe problem.Fields) {
	for _, f := range fe {
		im.issue(false, line, f.Path, f)
	}
	im.report.Skipped++
}

// check reads and checks one row; nil when it has errors, which it records. An empty cell gives
// nothing: the row's Status and particulars are left empty for the defaults (a new organisation) or
// the register's value (an existing one) to apply.
func (im *importer) check(cells []string, line int) *importRow {
	h := im.header
	var fe problem.Fields
	code := strings.ToUpper(h.code(cells, "uscc"))
	kindDigit := im.checkUSCC(&fe, line, code)
	o := Organisation{USCC: code, Name: h.cell(cells, "name"), Domicile: h.cell(cells, "domicile"),
		LegalRepresentative: h.cell(cells, "legal_representative")}
	checkLine(&fe, "name", o.Name, true, maxNameLength)
	checkLine(&fe, "domicile", o.Domicile, false, maxDomicileLength)
	checkLine(&fe, "legal_representative", o.LegalRepresentative, false, maxPersonLength)
	o.Kind = importKind(&fe, h.code(cells, "kind"), kindDigit)
	if place := h.code(cells, "jurisdiction"); place == "" {
		fe.Add("jurisdiction", "required", "必填。", "Required.")
	} else if o.Jurisdiction = im.places[place]; o.Jurisdiction == ambiguousPlace {
		fe.Add("jurisdiction", "ambiguous", "多个行政区划同名，请填写行政区划代码。",
			"Several jurisdictions have this name: give the division code.")
	} else if o.Jurisdiction == "" {
		fe.Add("jurisdiction", "unknown", "没有该登记管理机关（须为已设置的行政区划代码或名称）。",
			"There is no such registration authority (a division code or name of a configured jurisdiction).")
	}
	if on, ok := importDate(&fe, h.code(cells, "registered_on")); ok {
		o.RegisteredAt = on.Time().UTC()
	}
	if s := h.code(cells, "status"); s != "" {
		if o.Status = importStatuses[tables.HeaderKey(s)]; o.Status == "" {
			fe.Add("status", "invalid", "登记状态须为正常、注销或撤销。", "The status must be active, deregistered or revoked.")
		}
	}
	particulars := map[string]string{}
	for _, p := range particularFields {
		if v := h.cell(cells, p); v != "" {
			particulars[p] = v
			if multiLine[p] {
				checkText(&fe, p, strings.ReplaceAll(v, "\n", ""), false, maxParticularLength)
			} else {
				checkLine(&fe, p, v, false, maxParticularLength)
			}
		}
	}
	if first, ok := im.seen[code]; ok && code != "" {
		fe.Add("uscc", "duplicate", fmt.Sprintf("与第%d行的统一社会信用代码重复。", first),
			fmt.Sprintf("The same credit code as on line %d.", first))
	} else if code != "" {
		im.seen[code] = line
	}
	if len(fe) > 0 {
		im.rowFailed(line, fe)
		return nil
	}
	return &importRow{line: line, org: o, particulars: particulars}
}

// multiLine are the particulars that may run over several lines, as a long business scope is
// written (a line break in a quoted CSV field, Alt+Enter in an Excel cell); the register page keeps
// its lines. Every other column is one line.
var multiLine = map[string]bool{"business_scope": true, "activity_area": true}

// checkLine is checkText for a value that must be one line, with a message that says so when it
// is not (a line break is the likeliest character not allowed in a cell).
func checkLine(fe *problem.Fields, path, s string, required bool, max int) {
	if !forms.OneLine(s) {
		fe.Add(path, "line_break", "此列不允许换行，请写在一行内。", "Line breaks are not allowed in this column: write it on one line.")
		return
	}
	checkText(fe, path, s, required, max)
}

// checkUSCC checks the credit code of the row on line: the characters and the check character
// strictly, a civil-affairs code (5…); an organisation code failing its own check is a warning. It
// returns the code's type digit, or 0.
func (im *importer) checkUSCC(fe *problem.Fields, line int, code string) byte {
	if code == "" {
		fe.Add("uscc", "required", "必填。", "Required.")
		return 0
	}
	warning, err := forms.ValidateUSCC(code)
	switch {
	case errors.Is(err, forms.ErrUSCCCheck):
		fe.Add("uscc", "check_character", "统一社会信用代码的校验码不正确。", "The credit code's check character is wrong.")
		return 0
	case err != nil:
		fe.Add("uscc", "invalid", "统一社会信用代码须为18位数字或大写字母（不含I、O、S、V、Z）。",
			"The credit code must be 18 digits or capital letters without I, O, S, V, Z.")
		return 0
	case code[0] != '5':
		fe.Add("uscc", "not_civil_affairs", "不是民政部门登记的社会组织的代码（须以5开头）。",
			"Not the code of a social organisation registered by civil affairs (it starts with 5).")
		return 0
	}
	if warning != "" {
		im.issue(true, line, "uscc", problem.Field{Code: "org_code_check", Message: lang.Text{
			ZH: "组织机构代码部分（第9至17位）未通过GB 11714校验；部分旧代码如此，仍予导入。",
			EN: "The organisation code (characters 9–17) fails its GB 11714 check, as some old codes do; imported all the same."}})
	}
	return code[1]
}

// importKinds reads the kind column: the register's codes or the Chinese names.
var importKinds = map[string]string{
	KindSocialGroup: KindSocialGroup, "社会团体": KindSocialGroup, "社团": KindSocialGroup,
	KindPrivateNonEnterprise: KindPrivateNonEnterprise, "民办非企业单位": KindPrivateNonEnterprise,
	"社会服务机构": KindPrivateNonEnterprise, "民非": KindPrivateNonEnterprise,
	KindFoundation: KindFoundation, "基金会": KindFoundation,
	// As the register's export writes it in English (Private non-enterprise unit).
	"private_non_enterprise_unit": KindPrivateNonEnterprise,
}

// importStatuses reads the status column: the register's codes or the words of registers on paper.
var importStatuses = map[string]string{
	StatusActive: StatusActive, "正常": StatusActive, "存续": StatusActive, "登记": StatusActive,
	StatusDeregistered: StatusDeregistered, "注销": StatusDeregistered, "已注销": StatusDeregistered,
	StatusRevoked: StatusRevoked, "撤销": StatusRevoked, "已撤销": StatusRevoked, "撤销登记": StatusRevoked,
	"已撤销登记": StatusRevoked, "registration_revoked": StatusRevoked, // as the register's export writes it
}

// importKind reads the kind column, or takes the kind from the credit code's type digit when it is
// empty; a kind the code contradicts is an error.
func importKind(fe *problem.Fields, s string, digit byte) string {
	fromCode := ""
	for k, d := range kindDigits {
		if d == digit {
			fromCode = k
		}
	}
	kind := fromCode
	if s != "" {
		if kind = importKinds[tables.HeaderKey(s)]; kind == "" {
			fe.Add("kind", "invalid", "组织类型须为社会团体、民办非企业单位（社会服务机构）或基金会。",
				"The kind must be social_group, private_non_enterprise or foundation.")
			return ""
		}
	}
	if digit != 0 && fromCode == "" {
		fe.Add("uscc", "unsupported_kind", "统一社会信用代码第2位须为1（社会团体）、2（民办非企业单位）或3（基金会）。",
			"The credit code's second character must be 1 (social group), 2 (private non-enterprise unit) or 3 (foundation).")
		return ""
	}
	if digit != 0 && kind != fromCode {
		fe.Add("kind", "kind_mismatch", "组织类型与统一社会信用代码第2位（51社会团体、52民办非企业单位、53基金会）不符。",
			"The kind does not match the credit code's second character (51 social group, 52 private non-enterprise unit, 53 foundation).")
	}
	return kind
}

// dateLayouts are the ways registers on paper and old systems write a date.
var dateLayouts = []string{"2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102"}

// timeLayouts are the times of day a date may carry: Excel on Chinese Windows writes a date-time
// cell as 2015/3/20 0:00, other systems 2015-03-20T00:00:00 or 2015-03-20 00:00:00.
var timeLayouts = []string{"15:04", "15:04:05", "15:04:05.999999999", "15:04:05Z07:00", "15:04:05.999999999Z07:00"}

// firstRegistration is the earliest date of registration the import takes.
var firstRegistration = calendar.NewDate(1949, time.October, 1)

// importDate reads the date of registration: one of dateLayouts, or the serial number of an Excel
// date cell. It must lie between 1949-10-01 and today. A time of day is taken only when it is
// midnight, which is how a date is stored as a date-time; any other time is an error rather than
// dropped silently, since it suggests the column holds something else (a time of entry).
func importDate(fe *problem.Fields, s string) (calendar.Date, bool) {
	if s == "" {
		fe.Add("registered_on", "required", "必填。", "Required.")
		return calendar.Date{}, false
	}
	day, clock, _ := strings.Cut(strings.Replace(s, "T", " ", 1), " ")
	midnight := true
	if clock = strings.TrimSpace(clock); clock != "" {
		midnight = false
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, clock); err == nil {
				midnight = t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
				break
			}
		}
	}
	var d calendar.Date
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, day); err == nil {
			d = calendar.NewDate(t.Year(), t.Month(), t.Day())
			break
		}
	}
	if serial, err := strconv.ParseFloat(s, 64); d.IsZero() && err == nil && serial >= 1 && serial < 100000 {
		if t, err := excelize.ExcelDateToTime(serial, false); err == nil {
			d = calendar.NewDate(t.Year(), t.Month(), t.Day())
			midnight = serial == float64(int64(serial))
		}
	}
	switch {
	case d.IsZero():
		fe.Add("registered_on", "invalid", "不是有效日期（如2015-03-20）。", "Not a valid date (such as 2015-03-20).")
	case !midnight:
		fe.Add("registered_on", "time_of_day", "日期带有零点以外的时间，请只填写日期（如2015-03-20）。",
			"The date has a time of day other than midnight: give the date only (such as 2015-03-20).")
	case d.Before(firstRegistration) || d.After(calendar.Today()):
		fe.Add("registered_on", "out_of_range", "成立日期须在1949年10月1日至今天之间。",
			"The date of registration must lie between 1949-10-01 and today.")
	default:
		return d, true
	}
	return calendar.Date{}, false
}

// flush looks the batch up by credit code and inserts, updates or leaves each row as the register
// has it; it writes only while the import is writing, but checks always, so that a dry run and a
// failing file report everything.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	batch := im.batch
	im.batch = nil
	codes := make([]string, len(batch))
	for i, r := range batch {
		codes[i] = r.org.USCC
	}
	var existing []Organisation
	if err := im.tx.NewSelect().Model(&existing).Where("uscc IN (?)", bun.List(codes)).Scan(ctx); err != nil {
		return fmt.Errorf("looking up %d credit codes from line %d: %w", len(codes), batch[0].line, err)
	}
	byCode := map[string]*Organisation{}
	for i := range existing {
		byCode[existing[i].USCC] = &existing[i]
	}
	var inserts []Organisation
	var updates []*Organisation
	var renamed []*Organisation
	for _, r := range batch {
		o, ok := byCode[r.org.USCC]
		if !ok {
			inserts = append(inserts, r.newOrganisation(im.imported()))
			continue
		}
		changed := r.apply(o)
		switch {
		case len(changed) == 0:
			im.report.Unchanged++
		case o.CaseID != nil:
			im.rowFailed(r.line, problem.Fields{{Path: "uscc", Code: "registered_here", Message: lang.Text{
				ZH: "该组织经本系统登记，导入不得更改（" + strings.Join(changed, "、") + "）；请办理变更登记。",
				EN: "This organisation was registered through this system; an import does not change it (" +
					strings.Join(changed, ", ") + "): apply for a change registration."}}})
		default:
			o.Data["imports"] = append(importsOf(o.Data), im.imported())
			updates = append(updates, o)
			if slices.Contains(changed, "name") {
				renamed = append(renamed, o)
			}
		}
	}
	im.report.Inserted += len(inserts)
	im.report.Updated += len(updates)
	if !im.writing() {
		return nil
	}
	return im.write(ctx, inserts, updates, renamed)
}

// write stores a batch: the new organisations in one statement and their names in the index in
// another, the changed ones one by one (an import of a register already imported changes few).
func (im *importer) write(ctx context.Context, inserts []Organisation, updates, renamed []*Organisation) error {
	if len(inserts) > 0 {
		if _, err := im.tx.NewInsert().Model(&inserts).Exec(ctx); database.IsUniqueViolation(err) {
			return problem.New(problem.Conflict, "import_conflict", "导入期间另有导入或登记写入了相同的统一社会信用代码，本次未导入任何内容；请重新导入。",
				"Another import or registration wrote one of the same credit codes meanwhile; nothing was imported: import again.").Because(err)
		} else if err != nil {
			return fmt.Errorf("inserting %d organisations from %s: %w", len(inserts), inserts[0].USCC, err)
		}
		named := make([]nameindex.Named, len(inserts))
		for i, o := range inserts {
			named[i] = nameindex.Named{ID: o.ID, Name: o.Name}
		}
		if err := nameindex.Organisations.Add(ctx, im.tx, named); err != nil {
			return err
		}
	}
	for _, o := range updates {
		if _, err := im.tx.NewUpdate().Model(o).Column("name", "kind", "jurisdiction", "domicile", "legal_representative",
			"status", "registered_at", "data").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("updating organisation %s: %w", o.USCC, err)
		}
	}
	for _, o := range renamed {
		if err := nameindex.Index(ctx, im.tx, o.ID, o.Name); err != nil {
			return err
		}
	}
	return nil
}

// imported is the record of this import that an entry's history shows (EventImported).
func (im *importer) imported() map[string]any {
	return map[string]any{"at": im.now.Format(time.RFC3339Nano), "source": im.opts.Source}
}

// importsOf returns the imports recorded in an entry's data.
func importsOf(data map[string]any) []any {
	imports, _ := data["imports"].([]any)
	return imports
}

// newOrganisation is the entry of a row whose code the register does not have.
func (r *importRow) newOrganisation(imported map[string]any) Organisation {
	o := r.org
	if o.Status == "" {
		o.Status = StatusActive
	}
	particulars := map[string]any{}
	for k, v := range r.particulars {
		particulars[k] = lang.Text{ZH: v}
	}
	o.Data = map[string]any{"particulars": particulars, "imports": []any{imported}}
	return o
}

// apply puts the row's particulars on the existing entry o and returns the names of those that
// change: only those the row gives, so that a file without, say, the domicile, or a row with the
// domicile's cell empty, leaves the domicile on record as it is. An import never clears a
// particular: an empty cell is more often a gap in an old register than a decision.
func (r *importRow) apply(o *Organisation) []string {
	var changed []string
	set := func(name string, dst *string, v string) {
		if v != "" && *dst != v {
			*dst = v
			changed = append(changed, name)
		}
	}
	set("name", &o.Name, r.org.Name)
	set("kind", &o.Kind, r.org.Kind) // from the code when the file has no kind
	set("jurisdiction", &o.Jurisdiction, r.org.Jurisdiction)
	set("domicile", &o.Domicile, r.org.Domicile)
	set("legal_representative", &o.LegalRepresentative, r.org.LegalRepresentative)
	set("status", &o.Status, r.org.Status)
	if calendar.DateOf(o.RegisteredAt) != calendar.DateOf(r.org.RegisteredAt) {
		o.RegisteredAt = r.org.RegisteredAt
		changed = append(changed, "registered_on")
	}
	if o.Data == nil {
		o.Data = map[string]any{}
	}
	current := o.Particulars()
	was := map[string]lang.Text{"business_scope": current.BusinessScope, "activity_area": current.ActivityArea,
		"funds": current.Funds, "sponsor_unit": current.SponsorUnit}
	stored, _ := o.Data["particulars"].(map[string]any)
	stored = maps.Clone(stored)
	if stored == nil {
		stored = map[string]any{}
	}
	for _, p := range particularFields {
		if v, ok := r.particulars[p]; ok && was[p] != (lang.Text{ZH: v}) {
			stored[p] = lang.Text{ZH: v}
			changed = append(changed, p)
		}
	}
	o.Data["particulars"] = stored
	return changed
}

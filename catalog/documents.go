package catalog

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
)

// The layouts a document template may have.
const (
	LayoutLetter      = "letter"      // a notice or decision: heading, addressee, text, authority and date
	LayoutCertificate = "certificate" // a certificate: framed, heading, a table of particulars
)

// divisionCode is the form of a GB/T 2260 code.
var divisionCode = regexp.MustCompile(`^[1-9][0-9]{5}$`)

// Layouts lists the layouts, for the linter and the documentation.
var Layouts = []string{LayoutLetter, LayoutCertificate}

// DocumentTemplate describes one kind of document that `issue:` effects produce: how it is titled,
// numbered and laid out. It is data beside the items (documents/<kind>.yaml), so that a department
// changes the wording of a notice without a release; the documents package fills and renders it.
type DocumentTemplate struct {
	Kind  string    `yaml:"kind" json:"kind"`
	Title lang.Text `yaml:"title" json:"title"`
	// Layout is LayoutLetter or LayoutCertificate.
	Layout string `yaml:"layout" json:"layout"`
	// Registration marks an organisation's registration certificate (登记证书): the register shows the
	// latest valid one as the organisation's certificate, not another certificate issued to it (an
	// evaluation level's).
	Registration bool `yaml:"registration" json:"registration,omitempty"`
	// NumberPrefix is the part of the document number (文号) between the authority's abbreviation and
	// the year: 民社登 gives 辽民社登〔2026〕12号. Kinds with the same prefix share the sequence.
	NumberPrefix string `yaml:"number_prefix" json:"number_prefix"`
	// NumberField names a field of the issuing action whose value, when the person taking the action
	// enters one, is the document's number: a decision numbered in the department's own document
	// system. Left empty, the number is NumberPrefix's next.
	NumberField string `yaml:"number_field" json:"number_field,omitempty"`
	// Holder is a text template naming to whom the document is issued (the organisation, the
	// applicant), shown on the verification page.
	Holder string `yaml:"holder" json:"holder"`
	// HolderIsPerson marks a holder who is a private person, whose name the verification page masks.
	HolderIsPerson bool `yaml:"holder_is_person" json:"holder_is_person"`
	// PrintedAtWindow marks documents printed on their national form at the window (marriage and
	// divorce certificates): the issue records the number and nothing is rendered.
	PrintedAtWindow bool            `yaml:"printed_at_window" json:"printed_at_window"`
	Blocks          []DocumentBlock `yaml:"blocks" json:"blocks"`
	Line            int             `yaml:"-" json:"-"`
}

// DocumentBlock is one block of a document's body; exactly one of its keys is set. Texts are Go
// text/template over the fill data (docs/catalog.md lists it).
type DocumentBlock struct {
	Heading   string `yaml:"heading" json:"heading,omitempty"`
	Paragraph string `yaml:"paragraph" json:"paragraph,omitempty"`
	// Rows are label/value lines: a certificate's particulars, a receipt's facts.
	Rows []DocumentRow `yaml:"rows" json:"rows,omitempty"`
	// SupplementItems lists every item of the case's 补正 notice, numbered.
	SupplementItems bool `yaml:"supplement_items" json:"supplement_items,omitempty"`
	// Remedies is the paragraph on 行政复议 and 行政诉讼 with the bodies configured for the jurisdiction.
	Remedies bool `yaml:"remedies" json:"remedies,omitempty"`
	Line     int  `yaml:"-" json:"-"`
}

// DocumentRow is a label and a value template.
type DocumentRow struct {
	Label string `yaml:"label" json:"label"`
	Value string `yaml:"value" json:"value"`
	Line  int    `yaml:"-" json:"-"`
}

// Authorities are the per-jurisdiction settings documents name (authorities.yaml).
type Authorities struct {
	Authorities []Authority `yaml:"authorities" json:"authorities"`
}

// Authority is what documents of one jurisdiction print: the abbreviation that starts document
// numbers, the issuing authority, and the bodies a decision may be challenged before. Empty values
// take defaults from the jurisdiction's name (see documents.AuthorityFor).
type Authority struct {
	Jurisdiction string `yaml:"jurisdiction" json:"jurisdiction"`
	Abbreviation string `yaml:"abbreviation" json:"abbreviation"` // 辽, 沈
	Name         string `yaml:"name" json:"name"`                 // 辽宁省民政厅
	ReviewBody   string `yaml:"review_body" json:"review_body"`   // 行政复议机关: 辽宁省人民政府
	Court        string `yaml:"court" json:"court"`               // 行政诉讼: 沈阳市和平区人民法院
	Line         int    `yaml:"-" json:"-"`
}

// docDef is one parsed document template file.
type docDef struct {
	file  string
	doc   *DocumentTemplate
	lines map[string]int
	diags []Diagnostic
	fatal bool
}

// ParseDocumentText parses one text of a document template, as the linter and the renderer do.
func ParseDocumentText(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=zero").Parse(text)
}

// lintDocument checks one document template on its own.
func lintDocument(dd *docDef) []Diagnostic {
	l := &lintCtx{file: dd.file, lines: dd.lines, diags: append([]Diagnostic(nil), dd.diags...)}
	if dd.fatal {
		return l.diags
	}
	d := dd.doc
	base := strings.TrimSuffix(strings.TrimSuffix(path.Base(dd.file), ".yaml"), ".yml")
	switch {
	case d.Kind == "":
		l.at(l.line("kind"), "missing kind (the name issue: effects use)")
	case !identifier.MatchString(d.Kind):
		l.at(l.line("kind"), "document kind %q must be lower case letters, digits and _", d.Kind)
	case d.Kind != base:
		l.at(l.line("kind"), "kind %q must match the file name %s.yaml", d.Kind, base)
	}
	if d.Title.ZH == "" {
		l.at(l.line("title"), "missing title.zh")
	}
	if !slices.Contains(Layouts, d.Layout) {
		l.at(l.line("layout"), "layout must be one of %s, not %q", strings.Join(Layouts, ", "), d.Layout)
	}
	l.docText("holder", d.Holder)
	if d.PrintedAtWindow {
		if len(d.Blocks) > 0 {
			l.at(l.line("blocks"), "a document printed at the window is not rendered: remove blocks")
		}
		return l.diags
	}
	if len(d.Blocks) == 0 {
		l.at(l.line("blocks"), "missing blocks (what the document says)")
	}
	for i, b := range d.Blocks {
		p := fmt.Sprintf("blocks[%d]", i)
		set := 0
		for _, on := range []bool{b.Heading != "", b.Paragraph != "", len(b.Rows) > 0, b.SupplementItems, b.Remedies} {
			if on {
				set++
			}
		}
		if set != 1 {
			l.at(l.line(p), "a block has exactly one of heading, paragraph, rows, supplement_items, remedies")
		}
		l.docText(p+".heading", b.Heading)
		l.docText(p+".paragraph", b.Paragraph)
		for j, r := range b.Rows {
			rp := fmt.Sprintf("%s.rows[%d]", p, j)
			if r.Label == "" {
				l.at(l.line(rp), "missing label")
			}
			l.docText(rp+".value", r.Value)
		}
	}
	return l.diags
}

// docText reports a template text at path that does not parse.
func (l *lintCtx) docText(path, text string) {
	if text == "" {
		return
	}
	if _, err := ParseDocumentText(path, text); err != nil {
		l.at(l.line(path), "%s does not parse as a template: %s", keyName(path), firstLine(err))
	}
}

// lintDocuments lints a set of document templates and returns the valid ones by kind, with the
// problems of the others; an override set is laid over base (nil for the built-in set).
func lintDocuments(defs []*docDef, base map[string]*docDef) (map[string]*docDef, []Diagnostic) {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]*docDef{}
	}
	var diags []Diagnostic
	seen := map[string]string{}
	for _, dd := range defs {
		ds := lintDocument(dd)
		if other, dup := seen[dd.doc.Kind]; dup && dd.doc.Kind != "" {
			ds = append(ds, Diagnostic{dd.file, dd.lines["kind"], fmt.Sprintf("duplicate document kind %q (also in %s)", dd.doc.Kind, other)})
		}
		if len(ds) > 0 {
			if base != nil {
				ds = skipped(dd.file, ds)
			}
			diags = append(diags, ds...)
			continue
		}
		seen[dd.doc.Kind] = dd.file
		out[dd.doc.Kind] = dd
	}
	return out, diags
}

// lintAuthorities checks authorities.yaml.
func lintAuthorities(file string, a *Authorities, lines map[string]int, diags []Diagnostic) []Diagnostic {
	l := &lintCtx{file: file, lines: lines, diags: diags}
	seen := map[string]bool{}
	for i, au := range a.Authorities {
		p := fmt.Sprintf("authorities[%d]", i)
		if !divisionCode.MatchString(au.Jurisdiction) {
			l.at(l.line(p+".jurisdiction"), "jurisdiction must be a six-digit division code, not %q", au.Jurisdiction)
		} else if seen[au.Jurisdiction] {
			l.at(l.line(p+".jurisdiction"), "duplicate jurisdiction %s", au.Jurisdiction)
		}
		seen[au.Jurisdiction] = true
		if n := len([]rune(au.Abbreviation)); n > 4 {
			l.at(l.line(p+".abbreviation"), "abbreviation %q is longer than 4 characters", au.Abbreviation)
		}
	}
	return l.diags
}

// checkIssues reports the issue: effects of an item whose kind has no document template.
func (l *lintCtx) checkIssues(it *Item, docs map[string]*docDef) {
	for i, a := range it.Workflow.Actions {
		for j, e := range a.Effects {
			if e.Issue == "" || !identifier.MatchString(e.Issue) {
				continue
			}
			dd, ok := docs[e.Issue]
			if !ok {
				l.at(l.line(fmt.Sprintf("workflow.actions[%d].effects[%d].issue", i, j)),
					"action %s: no document template for kind %q (add documents/%s.yaml)", a.ID, e.Issue, e.Issue)
				continue
			}
			if nf := dd.doc.NumberField; nf != "" && !slices.ContainsFunc(a.Fields, func(f forms.Field) bool { return f.Name == nf && f.Type == forms.TypeText }) {
				l.at(l.line(fmt.Sprintf("workflow.actions[%d].effects[%d].issue", i, j)),
					"action %s: document %s takes its number from the text field %q, which the action does not have", a.ID, e.Issue, nf)
			}
		}
	}
}

// Package documents turns the issue: effects of the workflow into real documents: a PDF rendered from
// the kind's template (catalog/documents), numbered per jurisdiction and year (文号), stored once by
// its SHA-256, signed with the installation's Ed25519 key and verifiable by anyone through its
// verification code. It is a verifiable electronic copy, not a legal electronic seal (SM2, GB/T 38540).
package documents

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/sequences"
	"github.com/civicflow/civicflow/workflow"
)

// Issuer issues documents for one process: it holds the catalogue's templates, the public address
// that verification links point to and the seal key.
type Issuer struct {
	cat       *catalog.Catalog
	publicURL string
	seal      *Seal
}

// New returns an issuer over the catalogue's templates; publicURL is CIVICFLOW_PUBLIC_URL.
func New(cat *catalog.Catalog, publicURL string, seal *Seal) *Issuer {
	return &Issuer{cat: cat, publicURL: strings.TrimRight(publicURL, "/"), seal: seal}
}

// Seal returns the issuer's signing key, whose public half verification shows.
func (is *Issuer) Seal() *Seal { return is.seal }

// VerifyURL is the public verification address of a code.
func (is *Issuer) VerifyURL(code string) string { return is.publicURL + "/verify/" + code }

// Issue is the engine's workflow.IssueFunc. It prepares, in tx, what the document's number does not
// change: its template filled from the case, its verification code and the first pass of rendering
// it (see drawing). What it returns numbers the document, renders and stores the PDF (unless the
// template says it is printed at the window), signs it, inserts its row and supersedes the valid
// documents it replaces: a generated number locks its counter's row until the commit, so that part
// is kept to what needs the number.
func (is *Issuer) Issue(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item, a *catalog.Action, kind string,
	now time.Time) (workflow.CompleteIssue, error) {
	tpl, ok := is.cat.Document(kind)
	if !ok { // the linter makes this impossible for loaded items
		return nil, fmt.Errorf("no document template for kind %q", kind)
	}
	auth, err := AuthorityFor(ctx, tx, is.cat, c.Jurisdiction)
	if err != nil {
		return nil, err
	}
	entered, err := enteredNumber(ctx, tx, c, tpl)
	if err != nil {
		return nil, err
	}
	standIn := entered
	if entered == "" { // a generated number of the same characters but its digits, which print in Helvetica
		_, numbered := series(auth, tpl, c.Jurisdiction, now)
		standIn = numbered(0)
	}
	f, org, err := fill(ctx, tx, c, item, auth, standIn, now)
	if err != nil {
		return nil, err
	}
	var code string
	var drawn *drawing
	if !tpl.PrintedAtWindow {
		if code, err = newCode(); err != nil {
			return nil, err
		}
		if drawn, err = draft(tpl, f, is.VerifyURL(code), standIn, code); err != nil {
			return nil, fmt.Errorf("rendering %s for case %d: %w", kind, c.ID, err)
		}
	}
	return func(ctx context.Context, tx bun.Tx) (*workflow.Document, error) {
		number := entered
		if number == "" {
			var err error
			if number, err = nextNumber(ctx, tx, auth, tpl, c.Jurisdiction, now); err != nil {
				return nil, err
			}
		}
		f["number"] = number
		holder, err := text(tpl.Holder, f)
		if err != nil {
			return nil, fmt.Errorf("document %s: holder: %w", kind, err)
		}
		d := &workflow.Document{CaseID: c.ID, Kind: kind, Action: a.ID, Number: number, Title: tpl.Title.ZH, Holder: holder,
			HolderIsPerson: tpl.HolderIsPerson, IssuedAt: now, Status: workflow.DocumentValid,
			Data: map[string]any{"case_number": c.Number, "item_code": c.ItemCode, "fields": f["fields"]}}
		if org != nil {
			d.OrganisationID = &org.ID
		}
		if drawn != nil {
			d.VerifyCode = &code
			pdf, err := drawn.render(number, now)
			if err != nil {
				return nil, fmt.Errorf("rendering %s %s: %w", kind, number, err)
			}
			if d.SHA256, err = storeFile(ctx, tx, pdf, now); err != nil {
				return nil, err
			}
			d.Signature = is.seal.Sign(Particulars(d))
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			if database.IsUniqueViolation(err) {
				// Another action took the number meanwhile: an entered one is the person's to check, a
				// generated one (met by a number entered at the same moment) is free on a retry.
				if entered != "" {
					return nil, numberTaken(tpl.NumberField)
				}
				return nil, errNumberRace
			}
			return nil, fmt.Errorf("issuing %s for case %d: %w", number, c.ID, err)
		}
		return d, supersede(ctx, tx, d)
	}, nil
}

// supersede marks the valid documents that d replaces as superseded by it: those of the same kind
// that the same action issued on the same case (a second 补正 notice in one stage; not the acceptance
// notice of the 筹备 stage when the 成立 stage is accepted), and, for an organisation's document,
// those of the same kind for the same organisation (a new certificate after a change or a loss).
func supersede(ctx context.Context, tx bun.Tx, d *workflow.Document) error {
	q := tx.NewUpdate().Model((*workflow.Document)(nil)).
		Set("status = ?", workflow.DocumentSuperseded).Set("superseded_by = ?", d.ID).
		Where("kind = ? AND status = ? AND id <> ?", d.Kind, workflow.DocumentValid, d.ID)
	if d.OrganisationID != nil {
		q = q.WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Where("case_id = ? AND action = ?", d.CaseID, d.Action).WhereOr("organisation_id = ?", *d.OrganisationID)
		})
	} else {
		q = q.Where("case_id = ? AND action = ?", d.CaseID, d.Action)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("superseding the documents replaced by %s: %w", d.Number, err)
	}
	return nil
}

// enteredNumber is the number of a new document of tpl for case c entered in the action's field
// tpl.NumberField, which no other document may have; "" when the template takes none or it is empty,
// for the next of its prefix.
func enteredNumber(ctx context.Context, tx bun.Tx, c *workflow.Case, tpl *catalog.DocumentTemplate) (string, error) {
	typed, _ := c.Fields[tpl.NumberField].(string)
	if typed = strings.TrimSpace(typed); tpl.NumberField == "" || typed == "" {
		return "", nil
	}
	taken, err := numberTakenBy(ctx, tx, typed)
	if err != nil {
		return "", err
	}
	if taken {
		return "", numberTaken(tpl.NumberField)
	}
	return typed, nil
}

// numberTaken is the field error of an entered number that another document has.
func numberTaken(field string) error {
	var fe problem.Fields
	fe.Add("fields."+field, "taken", "该文号已被另一份文书使用，请核对。", "Another document has this number already: check it.")
	return fe.Err()
}

// errNumberRace answers the rare action whose generated number a number entered at the same moment took.
var errNumberRace = problem.New(problem.Conflict, "number_race",
	"文号分配冲突，请重试。", "The document number was taken at the same moment: try again.")

// numberTakenBy reports whether a document has number already.
func numberTakenBy(ctx context.Context, tx bun.IDB, number string) (bool, error) {
	taken, err := tx.NewSelect().Model((*workflow.Document)(nil)).Where("number = ?", number).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("looking up document number %s: %w", number, err)
	}
	return taken, nil
}

// nextNumber takes the next document number of the template's prefix in the jurisdiction and the
// year (China's) of now (see series). A number someone entered ahead of the counter (number_field)
// is passed over, so that it does not stop the series.
func nextNumber(ctx context.Context, tx bun.IDB, auth Authority, tpl *catalog.DocumentTemplate, jurisdiction string, now time.Time) (string, error) {
	counter, numbered := series(auth, tpl, jurisdiction, now)
	for {
		n, err := sequences.Next(ctx, tx, counter)
		if err != nil {
			return "", err
		}
		number := numbered(n)
		if taken, err := numberTakenBy(ctx, tx, number); err != nil || !taken {
			return number, err
		}
	}
}

// series is the counter of the template's numbers in the jurisdiction and the year (China's) of
// now, and how its n-th number reads: <abbreviation><prefix>〔<year>〕<n>号.
func series(auth Authority, tpl *catalog.DocumentTemplate, jurisdiction string, now time.Time) (string, func(n int64) string) {
	prefix := tpl.NumberPrefix
	if prefix == "" {
		prefix = defaultPrefix
	}
	year := now.In(calendar.Zone).Year()
	return fmt.Sprintf("document:%s:%s:%d", jurisdiction, prefix, year), func(n int64) string {
		return fmt.Sprintf("%s%s〔%d〕%d号", auth.Abbreviation, prefix, year, n)
	}
}

// defaultPrefix is the number prefix of a template that sets none: 民 for 民政.
const defaultPrefix = "民"

// codeEncoding spells verification codes: RFC 4648 base32 (A–Z, 2–7) without padding.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newCode returns a fresh verification code: 80 random bits as 16 base32 characters, unguessable
// and short enough to type from paper (shown in groups of four).
func newCode() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("drawing a verification code: %w", err)
	}
	return codeEncoding.EncodeToString(b), nil
}

// NormaliseCode reads a code as people type it from paper (lower case, in groups with dashes or any
// spaces, a Chinese input method's full-width ones too) and reports whether it has the form of one.
func NormaliseCode(s string) (string, bool) {
	s = strings.ToUpper(strings.Map(func(c rune) rune {
		if c == '-' || c == '－' || unicode.IsSpace(c) {
			return -1
		}
		return c
	}, s))
	if len(s) != 16 {
		return "", false
	}
	if _, err := codeEncoding.DecodeString(s); err != nil {
		return "", false
	}
	return s, true
}

// GroupCode shows a code in groups of four: ABCD-EFGH-IJKL-MNOP.
func GroupCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErrNoFile means the document has no stored file (it is printed at the window).
var ErrNoFile = errors.New("the document has no file")

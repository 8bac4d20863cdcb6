package workflow

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/sequences"
)

// Progress lookup: anyone holding a case's number and its query code learns how far the case has
// got, without logging in. Case numbers follow a pattern and can be guessed; the query code, random
// and given only to the case's people (their case page, the acceptance notice), is what makes an
// answer possible, so that a number alone reveals nothing.

// QueryCodeLength is the length of a query code: 31⁶ ≈ 887 million codes (sequences.Code), against
// a handful of wrong guesses per address and window (accounts.GuessLimit).
const QueryCodeLength = 6

// NewQueryCode is a random query code for a new case.
func NewQueryCode() string { return sequences.Code(QueryCodeLength) }

// queryCodeSeparators are what people type between the characters of a query code.
var queryCodeSeparators = strings.NewReplacer(" ", "", "-", "", "\u3000", "")

// normalQueryCode is a query code as typed, in capitals without spaces or dashes.
func normalQueryCode(s string) string {
	return strings.ToUpper(queryCodeSeparators.Replace(strings.TrimSpace(s)))
}

// ProgressQuery is one public progress lookup: what was typed in, from which client address, and
// how many wrong lookups an address may make.
type ProgressQuery struct {
	Number, Code, Address string
	Limit                 accounts.GuessLimit
}

// Progress is what a progress lookup answers: the item, the stage in words and the dates of the
// case, nothing personal (no names, no field values, no comments).
type Progress struct {
	Number   string    `json:"number"`
	ItemCode string    `json:"item_code"`
	Item     lang.Text `json:"item"`
	State    string    `json:"state"`
	Stage    lang.Text `json:"stage"`
	// Outcome is approved, refused or withdrawn once the case is closed, else empty.
	Outcome string `json:"outcome"`
	// Dates in China's time (YYYY-MM-DD); empty when the step has not happened.
	Received string `json:"received"`
	Accepted string `json:"accepted"`
	Decided  string `json:"decided"`
	// Due is the case's running or paused time limit, if it has one.
	Due *CaseDue `json:"due,omitempty"`
}

// caseNumberShape is the shape of a case number as insertCase makes it: the jurisdiction's division
// code, the year and the case's place in that year (210100-2026-000001).
var caseNumberShape = regexp.MustCompile(`^\d{6}-\d{4}-\d{6,}$`)

// LooksLikeCaseNumber reports whether s, trimmed, has the shape of a case number, so that a search
// for one can point to the progress lookup, where case numbers are looked up (with the query code).
func LooksLikeCaseNumber(s string) bool { return caseNumberShape.MatchString(strings.TrimSpace(s)) }

// ErrProgressNotFound is the one answer to an unknown case number and to a wrong query code, so that
// the answer does not tell which of the two was wrong.
var ErrProgressNotFound = problem.New(problem.NotFound, "not_found",
	"没有找到该办件，请核对办件编号和查询码。", "No case found: check the case number and the query code.")

// Progress answers a public progress lookup. Missing or overlong input is Invalid; otherwise each
// lookup counts as a guess of the address (accounts.Guess), taken back when it was right, so that an
// address that made Limit.Max wrong lookups is refused (TooManyRequests) until the window has
// passed. An unknown number and a wrong code answer ErrProgressNotFound alike, after the same work:
// a code is compared in constant time, against a stand-in when the number is unknown.
func (e *Engine) Progress(ctx context.Context, q ProgressQuery) (*Progress, error) {
	number, code := strings.TrimSpace(q.Number), normalQueryCode(q.Code)
	var fe problem.Fields
	switch {
	case number == "":
		fe.Add("number", "invalid_number", "请输入办件编号。", "Enter the case number.")
	case utf8.RuneCountInString(number) > 40:
		fe.Add("number", "invalid_number", "办件编号过长，请核对后重新输入。", "That is too long for a case number: check it and enter it again.")
	}
	switch {
	case code == "":
		fe.Add("code", "invalid_code", "请输入查询码。", "Enter the query code.")
	case utf8.RuneCountInString(code) > 20:
		fe.Add("code", "invalid_code", "查询码过长，请核对后重新输入。", "That is too long for a query code: check it and enter it again.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	right, err := accounts.Guess(ctx, e.db, "progress:"+q.Address, q.Limit)
	if err != nil {
		return nil, err
	}
	c := new(Case)
	err = e.db.NewSelect().Model(c).ExcludeColumn("data", "fields").Where("c.number = ?", number).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("looking up case %s: %w", number, err)
	}
	stored := c.QueryCode
	if err != nil || stored == "" {
		stored = strings.Repeat("-", QueryCodeLength) // no code matches it; compared all the same
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(code)) != 1 || err != nil {
		return nil, ErrProgressNotFound
	}
	if err := right(ctx); err != nil {
		return nil, err
	}
	return e.progressOf(ctx, c)
}

// progressOf is the public progress of the case c.
func (e *Engine) progressOf(ctx context.Context, c *Case) (*Progress, error) {
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	p := &Progress{Number: c.Number, ItemCode: c.ItemCode, Item: item.Name, State: c.State,
		Stage: lang.Text{ZH: item.StateName(c.State, "zh"), EN: item.StateName(c.State, "en")}, Outcome: c.Outcome,
		Received: calendar.DateOf(c.CreatedAt).String()}
	if c.ClosedAt != nil && c.Outcome != "withdrawn" /* a withdrawal decides nothing */ {
		p.Decided = calendar.DateOf(*c.ClosedAt).String()
	}
	var events []Event
	if accepting := acceptingActions(item); len(accepting) > 0 {
		if err := e.db.NewSelect().Model(&events).Column("at", "action", "changes").Where("case_id = ?", c.ID).
			Where("action IN (?)", bun.List(accepting)).OrderExpr("seq DESC").Limit(1).Scan(ctx); err != nil {
			return nil, fmt.Errorf("reading when case %d was accepted: %w", c.ID, err)
		}
	}
	if len(events) > 0 {
		p.Accepted = calendar.DateOf(events[0].At).String()
		if on, ok := events[0].Changes[AcceptedOnChange].(string); ok {
			p.Accepted = on // deemed accepted
		}
	}
	cases := []Case{*c}
	if err := e.fillDue(ctx, cases); err != nil {
		return nil, err
	}
	p.Due = cases[0].Due
	return p, nil
}

// AcceptedOnChange is the key under which the event of a deemed acceptance (行政许可法 art. 32,
// catalog.Item.DeemsAccepted) records the day the case counts as accepted from: the day it entered
// the acceptance state, when its materials arrived.
const AcceptedOnChange = "accepted_on"

// acceptingActions are the IDs of the item's actions that accept a case (受理): those that issue an
// acceptance notice or receipt (catalog.Action.Accepts), and those by which a case counts as accepted
// when the office let the period of 行政许可法 art. 32 pass.
func acceptingActions(item *catalog.Item) []string {
	var ids []string
	for i := range item.Workflow.Actions {
		if a := &item.Workflow.Actions[i]; a.Accepts() || item.DeemsAccepted(a) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

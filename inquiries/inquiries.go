// Package inquiries keeps the public's consultations, complaints and suggestions (咨询 / 投诉 / 建议,
// domain.md §10): anyone submits one to the jurisdiction that handles it, with or without an account
// (a complaint needs a contact); it is due within a time limit per kind on the legal clock, of which
// the worker reminds the handlers and, once overdue, tells the approvers of the jurisdiction and then
// of the jurisdiction above (Tick); staff of the jurisdiction reply, which closes it and tells the
// asker; a reply the asker consented to publish goes to the publisher, who publishes it on the public
// Q&A list (title, body and reply only) or declines; the asker rates the reply once. Counts gives the
// figures of the annual report.
package inquiries

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/sequences"
)

// The kinds of an inquiry.
const (
	KindQuestion   = "question"   // 咨询
	KindComplaint  = "complaint"  // 投诉
	KindSuggestion = "suggestion" // 建议
)

// Kinds are the kinds in the order forms and statistics show them.
var Kinds = []string{KindQuestion, KindComplaint, KindSuggestion}

// DefaultLimits are the time limits in working days by kind (domain.md §10; the suggestion's is a
// local choice, marked ⚠ there).
var DefaultLimits = map[string]int{KindQuestion: 5, KindComplaint: 15, KindSuggestion: 15}

// numberPrefix starts the tracking number of each kind: ZX-2026-000001.
var numberPrefix = map[string]string{KindQuestion: "ZX", KindComplaint: "TS", KindSuggestion: "JY"}

// Status of an inquiry.
const (
	StatusOpen     = "open"
	StatusAnswered = "answered"
)

// Publication of a reply on the public Q&A list.
const (
	PublicationNone      = ""          // the asker did not consent, or no reply yet
	PublicationPending   = "pending"   // replied with consent: waiting for the publisher
	PublicationPublished = "published" // on /qa
	PublicationDeclined  = "declined"  // the publisher's review kept it off
)

// Bounds of the texts, in characters.
const (
	MaxTitle      = 100
	MaxBody       = 2000
	MaxName       = 50
	MaxContact    = 254
	MaxCaseNumber = 50
	MaxReply      = 4000
	MaxComment    = 500
	MaxNote       = 500
)

// The rating levels (好差评's five): 5 非常满意 … 1 非常不满意.
const (
	MinLevel = 1
	MaxLevel = 5
)

// The permissions of policies/policy.csv, held in the inquiry's jurisdiction.
const (
	object     = "inquiry"
	actRead    = "read"    // see the inquiries with the asker's particulars
	actReply   = "reply"   // answer them
	actPublish = "publish" // publish replies on the Q&A list (保密审查)
)

// Authorizer decides who may do what where, and lists every grant for the worker's notices: the
// casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	Scopes(userID int64, obj, act string) []string
	AllGrants(ctx context.Context) ([]policies.UserGrant, error)
}

// Inquiry is one consultation, complaint or suggestion.
type Inquiry struct {
	bun.BaseModel `bun:"table:inquiries,alias:iq"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Number       string `json:"number"`
	Kind         string `json:"kind"`
	Jurisdiction string `json:"jurisdiction"`
	ItemCode     string `json:"item,omitempty"`
	CaseNumber   string `json:"case_number,omitempty"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	// Name and Contact are the asker's: shown to the asker and to staff, never published.
	Name           string     `json:"name,omitempty"`
	Contact        string     `json:"contact,omitempty"`
	PublishConsent bool       `json:"publish_consent"`
	UserID         *int64     `json:"-"`
	SecretHash     string     `json:"-"`
	ReceivedAt     time.Time  `json:"received_at"`
	DueOn          string     `json:"due_on"`
	Status         string     `json:"status"`
	Reply          string     `json:"reply,omitempty"`
	RepliedAt      *time.Time `json:"replied_at,omitempty"`
	RepliedOn      string     `json:"replied_on,omitempty"`
	RepliedBy      *int64     `json:"-"`
	Publication    string     `json:"publication,omitempty"`
	// PublicationNote is the publisher's reason for declining: staff's text, not the asker's.
	PublicationNote string     `json:"publication_note,omitempty"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	DecidedBy       *int64     `json:"-"`
	Rating          *int       `json:"rating,omitempty"`
	RatingComment   string     `json:"rating_comment,omitempty"`
	RatedAt         *time.Time `json:"rated_at,omitempty"`
}

// Overdue reports whether the inquiry is still open after its due date at today.
func (q *Inquiry) Overdue(today calendar.Date) bool {
	d, err := calendar.ParseDate(q.DueOn)
	return q.Status == StatusOpen && err == nil && today.After(d)
}

// OnTime reports whether the inquiry was answered by its due date.
func (q *Inquiry) OnTime() bool { return q.Status == StatusAnswered && q.RepliedOn <= q.DueOn }

// ForAsker is the inquiry as its asker sees it: without staff's notes.
func (q Inquiry) ForAsker() Inquiry {
	q.PublicationNote = ""
	return q
}

// Options are what an Office needs from the installation's configuration.
type Options struct {
	// Limits are the time limits in working days by kind; a kind missing takes DefaultLimits'.
	Limits map[string]int
	// Item reports whether a service item of the catalogue has the code.
	Item func(code string) bool
	// PerIP and PerAccount bound the submissions from one address and by one account within Window
	// (0: unbounded, for the worker and tests).
	PerIP, PerAccount int
	Window            time.Duration
	// Lookups bounds the wrong tracking number and secret pairs from one address; 10 in 15 minutes
	// when unset.
	Lookups accounts.GuessLimit
	// Now is the time, time.Now when nil (tests move it).
	Now func() time.Time
}

// Office handles the inquiries of an installation.
type Office struct {
	db   bun.IDB
	auth Authorizer
	opt  Options
	cal  *calendar.Calendar
}

// New returns the office over db.
func New(db bun.IDB, auth Authorizer, opt Options) *Office {
	limits := make(map[string]int, len(DefaultLimits))
	for k, d := range DefaultLimits {
		limits[k] = d
		if n, ok := opt.Limits[k]; ok && n > 0 {
			limits[k] = n
		}
	}
	opt.Limits = limits
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Lookups.Max <= 0 {
		opt.Lookups = accounts.GuessLimit{Max: 10, Window: 15 * time.Minute}
	}
	if opt.Item == nil {
		opt.Item = func(string) bool { return false }
	}
	return &Office{db: db, auth: auth, opt: opt, cal: calendar.New(db)}
}

// Limit is the time limit of kind in working days.
func (o *Office) Limit(kind string) int { return o.opt.Limits[kind] }

func (o *Office) now() time.Time { return o.opt.Now().UTC().Truncate(time.Microsecond) }

// DueDate is the last day to answer an inquiry received on the day received: the limit's working
// day after it on the schedule of the handling jurisdiction (the day of receipt is not counted).
func DueDate(s *calendar.Schedule, received calendar.Date, workingDays int) (calendar.Date, error) {
	return s.AddWorkingDays(received, workingDays)
}

// Submission is what the asker sends.
type Submission struct {
	Kind         string `json:"kind"`
	Jurisdiction string `json:"jurisdiction"`
	Item         string `json:"item"`
	CaseNumber   string `json:"case_number"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Name         string `json:"name"`
	Contact      string `json:"contact"`
	Publish      bool   `json:"publish"`
}

// Problems worded once.
var (
	ErrTooMany = problem.New(problem.TooManyRequests, "too_many_inquiries",
		"提交过于频繁，请稍后再试。", "Too many submissions. Please try again later.")
	errAnswered = problem.New(problem.Conflict, "already_answered",
		"该事项已答复。", "This has been answered already.")
	errNotAnswered = problem.New(problem.Conflict, "not_answered",
		"尚未答复，答复后才能评价。", "There is no reply to rate yet.")
	errRated = problem.New(problem.Conflict, "already_rated",
		"您已评价过该答复，每条答复只能评价一次。", "You have rated this reply already; a reply is rated once.")
	errNotPending = problem.New(problem.Conflict, "not_pending",
		"该答复没有待审查的公开申请。", "This reply is not waiting for publication review.")
)

// checkText trims s and records on path what is wrong with it: missing though required, control
// characters (line breaks and tabs allowed in a multi-line text), invisible format characters
// (forms.InvisibleFormat), or more than max characters.
func checkText(fe *problem.Fields, path, s string, required bool, max int, multiline bool) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	forms.CheckText(fe, path, s, required, max, multiline)
	return s
}

// contactForm checks a contact as a mobile number or, with an @, an e-mail address, by the forms
// package's rules.
var (
	phoneForm = &forms.Form{ID: "inquiry_contact", Fields: []forms.Field{{Name: "contact", Type: forms.TypePhone}}}
	emailForm = &forms.Form{ID: "inquiry_contact", Fields: []forms.Field{{Name: "contact", Type: forms.TypeEmail}}}
)

// checkContact records on contact what is wrong with it as a mobile number or e-mail address.
func checkContact(fe *problem.Fields, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	f := phoneForm
	if strings.Contains(s, "@") {
		f = emailForm
	}
	out, _, err := forms.Validate(f, map[string]any{"contact": s}, forms.Options{})
	v, ok := out["contact"].(string)
	if err != nil || !ok {
		fe.Add("contact", "invalid", "请填写11位手机号码或有效的电子邮箱地址。", "Enter an 11-digit mobile number or a valid e-mail address.")
		return s
	}
	return v
}

// Receipt is a new inquiry with the secret that reads it, shown once to an asker without an account.
type Receipt struct {
	Inquiry *Inquiry `json:"inquiry"`
	Secret  string   `json:"secret,omitempty"`
}

// SubmitOption changes how Submit records an inquiry.
type SubmitOption func(*submitOptions)

type submitOptions struct {
	secret func(q *Inquiry) string
	within func(ctx context.Context, tx bun.Tx, q *Inquiry) error
}

// WithSecret gives an asker without an account the secret secret(q) of the inquiry, once numbered,
// instead of a random one: a secret that can be worked out again (see Receipt), for a form posted
// twice to show the same receipt. secret must be as unpredictable as sequences.Code(SecretLength),
// such as sequences.DerivedCode with a server key.
func WithSecret(secret func(q *Inquiry) string) SubmitOption {
	return func(o *submitOptions) { o.secret = secret }
}

// Within calls f in the transaction that inserts the inquiry, after the insert (to claim an
// idempotency key with it): an error from f rolls the submission back.
func Within(f func(ctx context.Context, tx bun.Tx, q *Inquiry) error) SubmitOption {
	return func(o *submitOptions) { o.within = f }
}

// SecretLength is the length of an asker's secret.
const SecretLength = 12

// Submit records the submission of the actor (an account or nobody) from the address ip, due within
// its kind's limit from today on the jurisdiction's calendar. Every invalid field is reported at
// once; a burst from one address or account is refused (ErrTooMany). An asker without an account
// gets a secret for reading the reply.
func (o *Office) Submit(ctx context.Context, actor audit.Actor, sub Submission, opts ...SubmitOption) (*Receipt, error) {
	var so submitOptions
	for _, opt := range opts {
		opt(&so)
	}
	var fe problem.Fields
	kind := strings.TrimSpace(sub.Kind)
	if _, ok := DefaultLimits[kind]; !ok {
		fe.Add("kind", "invalid", "请选择咨询、投诉或建议。", "Choose question, complaint or suggestion.")
	}
	j := strings.TrimSpace(sub.Jurisdiction)
	if j == "" {
		fe.Add("jurisdiction", "required", "请选择受理单位所在的行政区划。", "Choose the jurisdiction that handles it.")
	} else if !jurisdictions.ValidCode(j) {
		fe.Add("jurisdiction", "invalid", "行政区划代码须为六位数字。", "The jurisdiction must be a six-digit division code.")
	} else if _, err := jurisdictions.Get(ctx, o.db, j); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "No such jurisdiction.")
	} else if err != nil {
		return nil, err
	}
	item := strings.TrimSpace(sub.Item)
	if item != "" && !o.opt.Item(item) {
		fe.Add("item", "unknown", "服务目录中没有该事项。", "The catalogue has no such service item.")
	}
	q := &Inquiry{Kind: kind, Jurisdiction: j, ItemCode: item, PublishConsent: sub.Publish, Status: StatusOpen}
	q.CaseNumber = checkText(&fe, "case_number", sub.CaseNumber, false, MaxCaseNumber, false)
	q.Title = checkText(&fe, "title", sub.Title, true, MaxTitle, false)
	q.Body = checkText(&fe, "body", sub.Body, true, MaxBody, true)
	q.Name = checkText(&fe, "name", sub.Name, false, MaxName, false)
	before := len(fe)
	if q.Contact = checkText(&fe, "contact", sub.Contact, false, MaxContact, false); len(fe) == before {
		q.Contact = checkContact(&fe, q.Contact)
	}
	if kind == KindComplaint && q.Contact == "" && len(fe) == before {
		fe.Add("contact", "required", "投诉须留下联系方式（手机号码或电子邮箱），以便告知处理结果。",
			"A complaint needs a contact (mobile number or e-mail) to be told the outcome.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := o.count(ctx, actor); err != nil {
		return nil, err
	}
	s, err := o.cal.For(ctx, j)
	if err != nil {
		return nil, err
	}
	q.ReceivedAt = o.now()
	due, err := DueDate(s, calendar.DateOf(q.ReceivedAt), o.Limit(kind))
	if err != nil {
		return nil, fmt.Errorf("reckoning the due date of a %s in %s: %w", kind, j, err)
	}
	q.DueOn = due.String()
	r := &Receipt{Inquiry: q}
	if actor.UserID != 0 {
		uid := actor.UserID
		q.UserID = &uid
	} else if so.secret == nil {
		r.Secret = sequences.Code(SecretLength)
		q.SecretHash = hashSecret(r.Secret)
	}
	err = o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		year := calendar.DateOf(q.ReceivedAt).Year()
		n, err := sequences.Next(ctx, tx, fmt.Sprintf("inquiry:%s:%d", kind, year))
		if err != nil {
			return err
		}
		q.Number = fmt.Sprintf("%s-%d-%06d", numberPrefix[kind], year, n)
		if q.UserID == nil && so.secret != nil {
			r.Secret = so.secret(q)
			q.SecretHash = hashSecret(r.Secret)
		}
		if _, err := tx.NewInsert().Model(q).Exec(ctx); err != nil {
			return fmt.Errorf("recording inquiry %s: %w", q.Number, err)
		}
		if so.within != nil {
			if err := so.within(ctx, tx, q); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "inquiry.submit", "inquiry", strconv.FormatInt(q.ID, 10), j,
			map[string]any{"number": q.Number, "kind": kind})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Receipt shows again the receipt of inquiry id, which the actor submitted with the secret
// secret(q) (see WithSecret) or, for an account, as that account: for a form posted twice, which
// files once. Any other inquiry is problem.ErrNotFound.
func (o *Office) Receipt(ctx context.Context, actor audit.Actor, id int64, secret func(q *Inquiry) string) (*Receipt, error) {
	q, err := o.load(ctx, o.db, "id = ?", id)
	if err != nil {
		return nil, err
	}
	r := &Receipt{Inquiry: q}
	switch {
	case q.UserID != nil:
		if actor.UserID == 0 || *q.UserID != actor.UserID {
			return nil, problem.ErrNotFound
		}
	case actor.UserID != 0 || q.SecretHash == "":
		return nil, problem.ErrNotFound
	default:
		r.Secret = secret(q)
		if subtle.ConstantTimeCompare([]byte(q.SecretHash), []byte(hashSecret(r.Secret))) != 1 {
			return nil, problem.ErrNotFound
		}
	}
	return r, nil
}

// count counts one submission against the limits per address and per account (accounts.Guess, the
// limiter of sign-up codes), refusing with ErrTooMany once either is used up.
func (o *Office) count(ctx context.Context, actor audit.Actor) error {
	keys := []struct {
		key string
		max int
	}{{"inquiry-ip:" + actor.IP, o.opt.PerIP}}
	if actor.UserID != 0 {
		keys = append(keys, struct {
			key string
			max int
		}{"inquiry-user:" + strconv.FormatInt(actor.UserID, 10), o.opt.PerAccount})
	}
	for _, k := range keys {
		if k.max <= 0 {
			continue
		}
		if _, err := accounts.Guess(ctx, o.db, k.key, accounts.GuessLimit{Max: k.max, Window: o.opt.Window}); err != nil {
			if errors.Is(err, accounts.ErrTooManyGuesses) {
				return ErrTooMany
			}
			return err
		}
	}
	return nil
}

// hashSecret is the stored form of a secret.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte("inquiry\x00" + strings.ToUpper(strings.TrimSpace(secret))))
	return hex.EncodeToString(sum[:])
}

// Access names an inquiry for its asker: the tracking number with the secret for an asker without
// an account, or the number alone for the account that submitted it.
type Access struct {
	Number string `json:"number"`
	Secret string `json:"secret"`
}

// errNoSuchInquiry is the one answer to a wrong number or secret, which does not say which.
func errNoSuchInquiry() error {
	var fe problem.Fields
	fe.Add("secret", "no_match", "查询编号或查询密码不正确。", "The tracking number or the secret is not right.")
	return fe.Err()
}

// ForAsker returns the inquiry a the caller asked: by its number and secret, each wrong pair counted
// against the address (Options.Lookups), or by its number for the account that submitted it.
func (o *Office) ForAsker(ctx context.Context, actor audit.Actor, a Access) (*Inquiry, error) {
	var fe problem.Fields
	a.Number = strings.ToUpper(strings.TrimSpace(a.Number))
	a.Secret = strings.TrimSpace(a.Secret)
	if a.Number == "" {
		fe.Add("number", "required", "请填写查询编号。", "Enter the tracking number.")
	} else if len(a.Number) > 30 {
		fe.Add("number", "invalid", "查询编号不正确。", "Not a tracking number.")
	}
	if a.Secret == "" && actor.UserID == 0 {
		fe.Add("secret", "required", "请填写查询密码。", "Enter the secret.")
	} else if len(a.Secret) > 30 {
		fe.Add("secret", "invalid", "查询密码不正确。", "Not a secret.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if a.Secret == "" {
		q, err := o.load(ctx, o.db, "number = ?", a.Number)
		if err != nil || q.UserID == nil || *q.UserID != actor.UserID {
			return nil, problem.ErrNotFound
		}
		return q, nil
	}
	right, err := accounts.Guess(ctx, o.db, "inquiry-secret:"+actor.IP, o.opt.Lookups)
	if err != nil {
		return nil, err
	}
	q, err := o.load(ctx, o.db, "number = ?", a.Number)
	if problem.Is(err, problem.NotFound) || (err == nil && subtle.ConstantTimeCompare([]byte(q.SecretHash), []byte(hashSecret(a.Secret))) != 1) {
		return nil, errNoSuchInquiry()
	}
	if err != nil {
		return nil, err
	}
	return q, right(ctx)
}

// Mine lists the inquiries the account submitted, the newest first.
func (o *Office) Mine(ctx context.Context, userID int64) ([]Inquiry, error) {
	out := []Inquiry{}
	if err := o.db.NewSelect().Model(&out).Where("user_id = ?", userID).OrderExpr("received_at DESC, id DESC").Limit(200).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the inquiries of user %d: %w", userID, err)
	}
	for i := range out {
		out[i] = out[i].ForAsker()
	}
	return out, nil
}

// Own returns inquiry id if the account submitted it, else problem.ErrNotFound.
func (o *Office) Own(ctx context.Context, userID, id int64) (*Inquiry, error) {
	q, err := o.load(ctx, o.db, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if userID == 0 || q.UserID == nil || *q.UserID != userID {
		return nil, problem.ErrNotFound
	}
	out := q.ForAsker()
	return &out, nil
}

// Rating is the asker's rating of a reply.
type Rating struct {
	Access
	Level   int    `json:"level"`
	Comment string `json:"comment"`
}

// Rate records the asker's rating of the reply, once: level 5 (非常满意) to 1 (非常不满意) and an
// optional comment. A second rating is a conflict.
func (o *Office) Rate(ctx context.Context, actor audit.Actor, r Rating) (*Inquiry, error) {
	var fe problem.Fields
	if r.Level < MinLevel || r.Level > MaxLevel {
		fe.Add("level", "invalid", "请选择一个满意程度。", "Choose how satisfied you are.")
	}
	comment := checkText(&fe, "comment", r.Comment, false, MaxComment, true)
	q, err := o.ForAsker(ctx, actor, r.Access)
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if q.Status != StatusAnswered {
		return nil, errNotAnswered
	}
	at := o.now()
	level := r.Level
	err = o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Inquiry)(nil)).Set("rating = ?, rating_comment = ?, rated_at = ?", level, comment, at).
			Where("id = ? AND rating IS NULL", q.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("rating inquiry %s: %w", q.Number, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, errRated)
		}
		return audit.Record(ctx, tx, actor, "inquiry.rate", "inquiry", strconv.FormatInt(q.ID, 10), q.Jurisdiction,
			map[string]any{"number": q.Number, "level": level})
	})
	if err != nil {
		return nil, err
	}
	q.Rating, q.RatingComment, q.RatedAt = &level, comment, &at
	out := q.ForAsker()
	return &out, nil
}

// load reads the inquiry matching where, or problem.ErrNotFound.
func (o *Office) load(ctx context.Context, db bun.IDB, where string, args ...any) (*Inquiry, error) {
	q := new(Inquiry)
	err := db.NewSelect().Model(q).Where(where, args...).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading an inquiry: %w", err)
	}
	return q, nil
}

// kindNames name the kinds in notifications, in Chinese and English.
var kindNames = map[string][2]string{KindQuestion: {"咨询", "question"}, KindComplaint: {"投诉", "complaint"},
	KindSuggestion: {"建议", "suggestion"}}

// noticeData is what every notification about q says.
func (q *Inquiry) noticeData() map[string]any {
	return map[string]any{"number": q.Number, "title": q.Title, "kind": q.Kind, "kind_zh": kindNames[q.Kind][0],
		"kind_en": kindNames[q.Kind][1]}
}

// tellAsker notifies the asker with template: the account, else the contact by SMS or e-mail.
func tellAsker(ctx context.Context, tx bun.IDB, q *Inquiry, template string) error {
	data := q.noticeData()
	switch {
	case q.UserID != nil:
		data["path"] = "/inquiries/mine/" + strconv.FormatInt(q.ID, 10)
		return notify.Send(ctx, tx, notify.Message{UserID: *q.UserID, Template: template, Data: data})
	case q.Contact == "":
		return nil
	case strings.Contains(q.Contact, "@"):
		return notify.SendEmail(ctx, tx, q.Contact, "zh-CN", template+"_contact", data)
	default:
		return notify.SendSMS(ctx, tx, q.Contact, "zh-CN", template+"_contact", data)
	}
}

// Package problem is the error type that operations return when the caller, not the system, is at
// fault: it carries a kind (which becomes the HTTP status at the web boundary), a machine-readable
// code, a message safe to show in Chinese and English, and per-field errors. Any other error is an
// internal one: logged once, never shown.
package problem

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/civicflow/civicflow/lang"
)

// Kind classifies a problem; the web layer maps each kind to one HTTP status.
type Kind int

// The kinds of problem an operation can report.
const (
	Invalid          Kind = iota + 1 // 422: the input breaks a rule; Fields says where
	BadRequest                       // 400: the request itself is malformed
	Unauthenticated                  // 401: not logged in
	Forbidden                        // 403: logged in, not allowed
	NotFound                         // 404: absent, or not visible to this caller
	Conflict                         // 409: the state changed underneath, or a duplicate
	TooLarge                         // 413
	Unsupported                      // 415: wrong content type
	TooManyRequests                  // 429: throttled
	MethodNotAllowed                 // 405: the path exists, the method does not
	Timeout                          // 408: the request did not arrive in time
	URITooLong                       // 414: the request line is longer than the server reads
	HeadersTooLarge                  // 431: the request's headers are larger than the server reads
	Unavailable                      // 503: the database (or another service) is out for now; retry later
)

// Text is a message in both languages of the service.
type Text = lang.Text

// Field is an error attached to one input field, by its path (e.g. "members[12].id_number").
type Field struct {
	Path    string
	Code    string
	Message Text
}

// Error is a problem the caller can fix or must be told about.
type Error struct {
	Kind    Kind
	Code    string
	Message Text
	Fields  []Field
	// Detail is optional data for the client, such as the current state on a conflict.
	Detail any
	// Err is the failure behind the problem, if any: logged, never shown.
	Err error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Code, e.Message.EN)
	if len(e.Fields) > 0 {
		s += fmt.Sprintf(" (%d field errors, first %s: %s)", len(e.Fields), e.Fields[0].Path, e.Fields[0].Message.EN)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the failure behind the problem.
func (e *Error) Unwrap() error { return e.Err }

// Because returns a copy of the problem with err as the failure behind it.
func (e *Error) Because(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// New returns a problem of kind with a code and a message in Chinese and English.
func New(kind Kind, code, zh, en string) *Error {
	return &Error{Kind: kind, Code: code, Message: Text{ZH: zh, EN: en}}
}

// Fields collects field errors and turns them into one Invalid problem, so that every error in an
// input is reported at once.
type Fields []Field

// Add records an error on path.
func (f *Fields) Add(path, code, zh, en string) {
	*f = append(*f, Field{Path: path, Code: code, Message: Text{ZH: zh, EN: en}})
}

// Paging is the page of a listing and its size. Zero means the first page and the listing's
// default size; CheckPaging gives them those values.
type Paging struct {
	Page, PerPage, DefaultPerPage, MaxPerPage, MaxPage int
}

// CheckPaging completes p's defaults and records a page or a page size out of range on "page" and
// "per_page", for every listing alike. It returns the page and the page size.
func (f *Fields) CheckPaging(p Paging) (page, perPage int) {
	page, perPage = p.Page, p.PerPage
	if page == 0 {
		page = 1
	}
	if page < 1 || page > p.MaxPage {
		f.Add("page", "invalid", fmt.Sprintf("页码须在1到%d之间。", p.MaxPage), fmt.Sprintf("The page must be from 1 to %d.", p.MaxPage))
	}
	if perPage == 0 {
		perPage = p.DefaultPerPage
	}
	if perPage < 1 || perPage > p.MaxPerPage {
		f.Add("per_page", "invalid", fmt.Sprintf("每页条数须在1到%d之间。", p.MaxPerPage),
			fmt.Sprintf("Results per page must be from 1 to %d.", p.MaxPerPage))
	}
	return page, perPage
}

// CheckQuery records on path a search text that is not UTF-8 or longer than maxChars characters.
func (f *Fields) CheckQuery(path, q string, maxChars int) {
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxChars {
		f.Add(path, "too_long", fmt.Sprintf("查询内容最多%d个字符。", maxChars),
			fmt.Sprintf("The query may have at most %d characters.", maxChars))
	}
}

// Err returns nil when nothing was recorded, else one Invalid problem listing every field.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "invalid_input", Message: Text{ZH: "提交的内容有误，请按提示修改。", EN: "Some fields need correcting."}, Fields: f}
}

// As returns the problem inside err, if there is one.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// Is reports whether err is a problem of kind.
func Is(err error, kind Kind) bool {
	p, ok := As(err)
	return ok && p.Kind == kind
}

// Common problems, shared so that every operation words them alike.
var (
	ErrForbidden     = New(Forbidden, "forbidden", "您没有执行此操作的权限。", "You are not allowed to do this.")
	ErrLoginRequired = New(Unauthenticated, "login_required", "请先登录。", "Please log in first.")
	ErrNotFound      = New(NotFound, "not_found", "未找到该内容，或您无权查看。", "Not found, or not yours to see.")
	ErrUnavailable   = New(Unavailable, "unavailable", "系统暂时无法处理请求（数据库暂不可用），请稍后再试。",
		"The service cannot handle requests right now (its database is unavailable). Please try again in a few moments.")
)

package web

import (
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/valyala/fasthttp"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
)

var (
	errLoginRequired = problem.ErrLoginRequired
	errForbidden     = problem.ErrForbidden
	errNotFound      = problem.ErrNotFound
	errCSRF          = problem.New(problem.Forbidden, "csrf_failed",
		"页面已过期或请求来源无法确认，请返回刷新页面后重试。", "This page expired or the request could not be verified. Go back, reload the page and try again.")
	errBadJSON = problem.New(problem.BadRequest, "bad_json", "请求内容不是有效的 JSON。", "The request body is not valid JSON.")
)

// statusByKind maps each kind of problem to its HTTP status.
var statusByKind = map[problem.Kind]int{
	problem.Invalid:          fiber.StatusUnprocessableEntity,
	problem.BadRequest:       fiber.StatusBadRequest,
	problem.Unauthenticated:  fiber.StatusUnauthorized,
	problem.Forbidden:        fiber.StatusForbidden,
	problem.NotFound:         fiber.StatusNotFound,
	problem.Conflict:         fiber.StatusConflict,
	problem.TooLarge:         fiber.StatusRequestEntityTooLarge,
	problem.Unsupported:      fiber.StatusUnsupportedMediaType,
	problem.TooManyRequests:  fiber.StatusTooManyRequests,
	problem.MethodNotAllowed: fiber.StatusMethodNotAllowed,
	problem.Timeout:          fiber.StatusRequestTimeout,
	problem.URITooLong:       fiber.StatusRequestURITooLong,
	problem.HeadersTooLarge:  fiber.StatusRequestHeaderFieldsTooLarge,
	problem.Unavailable:      fiber.StatusServiceUnavailable,
}

// retryAfter is the Retry-After of a 503, in seconds: long enough not to hammer a database that is
// coming back, short enough for a restart or a failover.
const retryAfter = "5"

// fiberProblems words Fiber's own errors (unknown route, wrong method, body too large, a request not
// read within the read timeout, a request line or headers beyond the read buffer) as problems.
var fiberProblems = map[int]*problem.Error{
	fiber.StatusRequestTimeout:        problem.New(problem.Timeout, "request_timeout", "请求超时，请重试。", "The request took too long to arrive; try again."),
	fiber.StatusNotFound:              problem.ErrNotFound,
	fiber.StatusMethodNotAllowed:      problem.New(problem.MethodNotAllowed, "method_not_allowed", "不支持该请求方法。", "This method is not allowed here."),
	fiber.StatusRequestEntityTooLarge: problem.New(problem.TooLarge, "too_large", "提交的内容过大。", "The request is too large."),
	fiber.StatusBadRequest:            problem.New(problem.BadRequest, "bad_request", "请求格式不正确。", "The request is malformed."),
	fiber.StatusUnsupportedMediaType:  problem.New(problem.Unsupported, "unsupported_media_type", "不支持的内容类型。", "Unsupported content type."),
	fiber.StatusRequestURITooLong: problem.New(problem.URITooLong, "uri_too_long",
		"网址过长，请缩短网址或减少筛选条件后重试。", "The address (URL) is too long; shorten it or use fewer filters and try again."),
	fiber.StatusRequestHeaderFieldsTooLarge: problem.New(problem.HeadersTooLarge, "headers_too_large",
		"请求头过大，通常是本站的 Cookie 过多：请清除本站 Cookie 后重试。", "The request headers are too large, usually because of too many cookies: clear this site's cookies and try again."),
}

var errInternal = problem.Text{ZH: "系统内部错误，我们已记录。请稍后再试。", EN: "Something went wrong on our side and has been logged. Please try again later."}

func statusOf(err error) int {
	if p, ok := problemOf(err); ok {
		return statusByKind[p.Kind]
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return fiber.StatusInternalServerError
}

// problemOf is the problem err stands for: a problem itself, one of Fiber's errors, or an outage of
// the database (database.Unavailable), which is no bug but 503 until it is over. Anything else is an
// internal error.
func problemOf(err error) (*problem.Error, bool) {
	if p, ok := problem.As(err); ok {
		return p, true
	}
	var fe *fiber.Error
	if errors.As(err, &fe) && fiberProblems[fe.Code] != nil {
		return fiberProblems[fe.Code], true
	}
	if database.Unavailable(err) {
		return problem.ErrUnavailable.Because(err), true
	}
	return nil, false
}

// apiError is the JSON shape of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Fields  []apiFieldError `json:"fields"`
	Detail  any             `json:"detail,omitempty"`
}

type apiFieldError struct {
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleError is the one error boundary: problems become their status with a message in the
// caller's language; anything else is logged once with the request id and shown as a generic 500.
// An outage of the database answers 503 with Retry-After and is not logged per request: the
// database's OutageLog says when it starts and ends.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	p, ok := problemOf(err)
	switch {
	case ok && p.Kind == problem.Unavailable:
		c.Set(fiber.HeaderRetryAfter, retryAfter)
	case ok && p.Kind == problem.TooManyRequests:
		// The throttles count within a sliding window: after a whole window the caller is sure to
		// be let in again.
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(s.Config.LoginThrottleWindow.Seconds())))
	}
	status := fiber.StatusInternalServerError
	body := apiErrorBody{Code: "internal", Fields: []apiFieldError{}}
	locale := s.locale(c)
	if ok {
		status = statusByKind[p.Kind]
		body.Code, body.Message, body.Detail = p.Code, p.Message.In(locale), p.Detail
		for _, f := range p.Fields {
			body.Fields = append(body.Fields, apiFieldError{Path: f.Path, Code: f.Code, Message: f.Message.In(locale)})
		}
	} else {
		slog.ErrorContext(c.UserContext(), "internal error", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "error", err)
		body.Message = errInternal.In(locale)
	}
	readsPage := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
	if status == fiber.StatusUnauthorized && !isAPI(c) && readsPage && acceptsHTML(c) && c.Get(fiber.HeaderAuthorization) == "" {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	c.Status(status)
	if isAPI(c) || !acceptsHTML(c) {
		return c.JSON(apiError{Error: body})
	}
	v := s.view(c, "error_title")
	v.Data = map[string]any{"Message": body.Message}
	return s.renderStatus(c, status, "error", v)
}

func acceptsHTML(c *fiber.Ctx) bool {
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMETextHTML
}

// answerUnreadable wraps Fiber's handler of the requests that fasthttp could not read (a request line
// or headers beyond the read buffer, headers it cannot parse, a body over the limit, a read timeout):
// they never reach routing or middleware, so it gives them the request id that the requestid
// middleware would have, and logs them at warn, as the caller's doing. Headers that could not be read
// are forgotten by fasthttp; their method and path are put back from the request line when it can be
// recovered (restoreRequestLine), so that the API answers JSON, and are logged as "unknown" otherwise.
// Fiber answers them through handleError, but takes a request line that did not fit for oversized
// headers (431); that one is answered here as a URI too long (414). The log names only the kind and
// the sizes: fasthttp's error quotes the raw headers, cookies and bearer tokens included.
func (s *Server) answerUnreadable(fiberHandler func(*fasthttp.RequestCtx, error)) func(*fasthttp.RequestCtx, error) {
	return func(fctx *fasthttp.RequestCtx, err error) {
		id := requestid.ConfigDefault.Generator()
		fctx.SetUserValue(requestid.ConfigDefault.ContextKey, id)
		fctx.Response.Header.Set(requestid.ConfigDefault.Header, id)
		headersRead := !strings.HasPrefix(err.Error(), "error when reading request headers")
		// A body that could not be read (a broken chunk, a client gone quiet) resets the request, its
		// raw headers included: its method and path are lost, not GET /.
		known, lineTooLong := headersRead && len(fctx.Request.Header.RawHeaders()) > 0, false
		if !headersRead {
			known, lineTooLong = restoreRequestLine(fctx, err)
		}
		if lineTooLong {
			c := s.app.AcquireCtx(fctx)
			if herr := s.handleError(c, fiber.ErrRequestURITooLong); herr != nil {
				fctx.Error(fiber.ErrRequestURITooLong.Message, fiber.StatusRequestURITooLong)
			}
			s.app.ReleaseCtx(c)
		} else {
			fiberHandler(fctx, err)
		}
		method, path := "unknown", "unknown"
		if known {
			method, path = string(fctx.Method()), string(fctx.Path())
		}
		attrs := []any{"status", fctx.Response.StatusCode(), "request_id", id, "kind", unreadableKind(err, lineTooLong),
			"method", method, "path", path, "ip", fctx.RemoteIP().String()}
		if headersRead {
			attrs = append(attrs, "content_length", fctx.Request.Header.ContentLength())
		} else if _, size, ok := strings.Cut(err.Error(), "Buffer size="); ok {
			size, _, _ = strings.Cut(size, ",")
			attrs = append(attrs, "header_bytes", size)
		}
		slog.Warn("unreadable request", attrs...)
	}
}

// unreadableKind classifies why a request could not be read, for the log, which must not quote the
// error itself.
func unreadableKind(err error, lineTooLong bool) string {
	switch {
	case lineTooLong:
		return "request_line_too_long"
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return "headers_too_large"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "body_too_large"
	case strings.Contains(err.Error(), "timeout"):
		return "timeout"
	case strings.HasPrefix(err.Error(), "error when reading request headers"):
		return "malformed_headers"
	}
	return "malformed_body"
}

// restoreRequestLine recovers what it can of a request whose headers could not be read, and reports
// whether it recovered the method and path, and whether the request line itself was what did not fit
// the read buffer. fasthttp forgets such a request
// entirely, but its error quotes the first and the last 200 bytes of the buffer: the method and the
// start of the URI are put back from them, so that the answer (JSON on the API) and the log know the
// path; a request line that did not fit has no line break in either. (Nor has a request line over
// 200 bytes followed by one header line that fills the rest of the buffer; that rare request is
// answered 414 too.)
func restoreRequestLine(fctx *fasthttp.RequestCtx, err error) (known, lineTooLong bool) {
	_, contents, _ := strings.Cut(err.Error(), "contents: ")
	head, tail, ok := quotedEnds(contents)
	if !ok {
		return false, false
	}
	line, _, complete := strings.Cut(head, "\n")
	method, uri, _ := strings.Cut(strings.TrimSuffix(line, "\r"), " ")
	if complete {
		uri, _, _ = strings.Cut(uri, " ") // drop the protocol
	}
	known = strings.HasPrefix(uri, "/") && validMethod(method)
	if known {
		fctx.Request.Header.SetMethod(method)
		fctx.Request.SetRequestURI(uri)
	}
	return known, !complete && !strings.Contains(tail, "\n") && errors.As(err, new(*fasthttp.ErrSmallBuffer))
}

// validMethod reports whether m is a method token of letters, the only kind worth logging.
func validMethod(m string) bool {
	return m != "" && len(m) <= 16 && !strings.ContainsFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' })
}

// quotedEnds reads the two ends of a buffer as fasthttp's errors quote it: "first"..."last", or
// "whole" when it is short.
func quotedEnds(s string) (head, tail string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", false
	}
	head, _ = strconv.Unquote(q)
	if rest, found := strings.CutPrefix(s[len(q):], "..."); found {
		if q, err = strconv.QuotedPrefix(rest); err == nil {
			tail, _ = strconv.Unquote(q)
		}
	}
	return head, tail, true
}

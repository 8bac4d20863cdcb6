package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/problem"
)

// Bounds of request bodies. JSON and url-encoded bodies are form data, never files: the largest, an
// application, is a draft of at most 1 MiB (workflow.MaxDraftBytes), nested five levels deep (a group
// in a repeat in the data) with tens of thousands of values. Decoding costs far more than the bytes
// (some 100 bytes per JSON value, a map entry per form field), so the counts are bounded as well as
// the size. Multipart bodies carry uploads, which the body limit bounds; their text values are
// form data and bounded like a url-encoded form: 4 MiB in all, 1 MiB each (a whole draft), 1,000
// parts (checkMultipart). Compressed bodies are refused: no browser sends one, and a few megabytes
// of gzip can inflate to gigabytes.
const (
	maxTextBody   = 4 << 20
	maxTextValue  = 1 << 20
	maxFormFields = 1000
	maxJSONDepth  = 32
	maxJSONValues = 200_000
)

var (
	errCompressedBody = problem.New(problem.Unsupported, "compressed_body",
		"请求体不能压缩（Content-Encoding）。", "The request body must not be compressed (Content-Encoding).")
	errTextBodyTooLarge = problem.New(problem.TooLarge, "too_large",
		"提交的内容过大：不含上传文件的请求体不能超过 4 MB。", "The request is too large: a body without files may be at most 4 MiB.")
	errValueTooLarge = problem.New(problem.TooLarge, "value_too_large",
		"表单中的某一项内容过大：每项不能超过 1 MB。", "A value of the form is too large: each may be at most 1 MiB.")
	errTooManyFields = problem.New(problem.BadRequest, "too_many_fields",
		fmt.Sprintf("表单的字段过多：最多 %d 个。", maxFormFields), fmt.Sprintf("The form has too many fields: at most %d.", maxFormFields))
	errJSONTooDeep = problem.New(problem.BadRequest, "json_too_deep",
		fmt.Sprintf("JSON 嵌套过深：最多 %d 层。", maxJSONDepth), fmt.Sprintf("The JSON is nested too deeply: at most %d levels.", maxJSONDepth))
	errJSONTooManyValues = problem.New(problem.BadRequest, "json_too_many_values",
		fmt.Sprintf("JSON 中的数据项过多：最多 %d 项。", maxJSONValues), fmt.Sprintf("The JSON holds too many values: at most %d.", maxJSONValues))
)

// maxNonUploadBody bounds the body of a request that cannot be an upload: maxTextBody of text, with
// room for the framing of a multipart form without files.
const maxNonUploadBody = maxTextBody + 256<<10

// bodyLimit is fasthttp's HeaderReceived hook: it sets how large a body may be once its headers are
// read, before the body is. Only an upload (a POST to a route that takes files, from a caller whose
// session cookie or bearer token is good) may use CIVICFLOW_BODY_LIMIT; any other body is refused
// (413) past maxNonUploadBody, before the rest of it is read into memory. The credentials are
// checked here only when the body may be larger than that, so that a made-up token cannot make the
// server read a large body from a stranger; authenticate checks them again for the request itself.
func (s *Server) bodyLimit(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	if n := h.ContentLength(); mayUpload(h, path) && (n >= 0 && n <= maxNonUploadBody || s.credentialsHold(h)) {
		return fasthttp.RequestConfig{} // the server's BodyLimit
	}
	if h.IsPost() && verifyUploadPath(path) {
		return fasthttp.RequestConfig{MaxRequestBodySize: maxVerifyUpload + 64<<10}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: maxNonUploadBody}
}

// credentialsHold reports whether the bearer token, else the session cookie, of h belongs to an
// account. When the database cannot say (an outage), they do not: a stranger's made-up token must not
// lift the limit then either, and the upload could not be stored anyway.
func (s *Server) credentialsHold(h *fasthttp.RequestHeader) bool {
	ctx, cancel := context.WithTimeout(context.Background(), s.Config.DatabaseTimeout)
	defer cancel()
	var err error
	if a := string(h.Peek(fiber.HeaderAuthorization)); a != "" {
		token, ok := bearerToken(a)
		if !ok {
			return false
		}
		_, err = accounts.TokenUser(ctx, s.DB, s.Auth, token)
	} else {
		_, err = accounts.SessionUser(ctx, s.DB, s.Auth, string(h.Cookie(sessionCookie)), s.Config.SessionTTL)
	}
	return err == nil
}

// verifyUploadPath reports whether path is where anyone, without logging in, may upload a PDF to
// check it against an issued document (bounded by maxVerifyUpload).
func verifyUploadPath(path string) bool {
	return strings.HasPrefix(path, "/verify/") || strings.HasPrefix(path, "/api/v1/verify/")
}

// mayUpload reports whether h is a POST with credentials to path, a route that takes files.
func mayUpload(h *fasthttp.RequestHeader, path string) bool {
	if !h.IsPost() || len(h.Cookie(sessionCookie)) == 0 && len(h.Peek(fiber.HeaderAuthorization)) == 0 {
		return false
	}
	switch {
	case path == "/api/v1/materials":
		return true
	case strings.HasPrefix(path, "/catalog/"):
		return strings.HasSuffix(path, "/apply")
	case strings.HasPrefix(path, "/cases/"):
		return strings.HasSuffix(path, "/edit") || strings.Contains(path, "/actions/")
	case strings.HasPrefix(path, "/notices/"):
		return strings.HasSuffix(path, "/edit") // a notice's attachments
	}
	return false
}

// errBadHeaders answers headers that cannot be trusted: see checkHeaders.
var errBadHeaders = problem.New(problem.BadRequest, "bad_headers", "请求头格式不正确。", "The request headers are malformed.")

// checkHeaders refuses a request with more than one Content-Length header or a NUL byte in its
// headers, and closes its connection. Two lengths frame the body ambiguously: a proxy in front that
// went by the other one would take part of this body for a request of its own, or the other way
// round (request smuggling); what follows on such a connection cannot be trusted.
func checkHeaders(c *fiber.Ctx) error {
	raw := c.Request().Header.RawHeaders()
	lengths := 0
	for line := range bytes.SplitSeq(raw, []byte("\n")) {
		if name, _, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(name), []byte(fiber.HeaderContentLength)) {
			lengths++
		}
	}
	if lengths > 1 || bytes.IndexByte(raw, 0) >= 0 {
		c.Context().SetConnectionClose()
		return errBadHeaders
	}
	return c.Next()
}

// boundBodies refuses, before anything parses them, compressed bodies, JSON and url-encoded bodies
// larger than maxTextBody, and url-encoded forms of more than maxFormFields fields. It reads the
// body where fasthttp keeps it: Fiber's Body would copy it.
func boundBodies(c *fiber.Ctx) error {
	if ce := c.Get(fiber.HeaderContentEncoding); ce != "" && !strings.EqualFold(ce, "identity") {
		return errCompressedBody
	}
	ct := c.Get(fiber.HeaderContentType)
	if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) && !strings.HasPrefix(ct, fiber.MIMEApplicationForm) {
		return c.Next()
	}
	body := c.Request().Body()
	if len(body) > maxTextBody {
		return errTextBodyTooLarge
	}
	if strings.HasPrefix(ct, fiber.MIMEApplicationForm) && bytes.Count(body, []byte("&")) >= maxFormFields {
		return errTooManyFields
	}
	return c.Next()
}

// checkJSONShape refuses, before anything is decoded, a JSON body nested deeper than maxJSONDepth or
// holding more than maxJSONValues values (member names count too). It reads the bytes once and
// allocates nothing; whether they are well-formed JSON is the decoder's to say.
func checkJSONShape(body []byte) error {
	depth, values := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case ' ', '\t', '\n', '\r', ',', ':':
			continue
		case '{', '[':
			if depth++; depth > maxJSONDepth {
				return errJSONTooDeep
			}
		case '}', ']':
			depth--
			continue
		case '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
		default: // a number, true, false or null
			for i+1 < len(body) && strings.IndexByte(" \t\n\r,:]}", body[i+1]) < 0 {
				i++
			}
		}
		if values++; values > maxJSONValues {
			return errJSONTooManyValues
		}
	}
	return nil
}

// checkMultipart reads a multipart body part by part, keeping nothing, before any handler parses it:
// it refuses more than maxFormFields parts, a text value over maxTextValue or text values over
// maxTextBody in all (413, naming the field but not echoing it), text values with invalid UTF-8 or
// NUL characters, file names that are not UTF-8 (422 on the field), and a body that is no valid
// multipart (400). It runs after authentication and the CSRF check, and refuses multipart bodies of
// callers not logged in (only uploads, by logged-in users, need them), so that a request nobody may
// send is refused before its body is read. The verification of documents is the one upload open to
// anyone (verifyUploadPath).
func checkMultipart(c *fiber.Ctx) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return c.Next()
	}
	if currentUser(c) == nil && !verifyUploadPath(c.Path()) {
		return errLoginRequired
	}
	r, err := multipartReader(c)
	if err != nil {
		return err
	}
	total := 0
	for parts := 0; ; parts++ {
		part, err := r.NextRawPart()
		if err == io.EOF { // only a bare io.EOF is the final boundary; a wrapped one is a body cut short
			break
		}
		if err != nil {
			return errBadForm
		}
		if parts >= maxFormFields {
			return errTooManyFields
		}
		if err := checkPart(part, &total); err != nil {
			return err
		}
	}
	return c.Next()
}

// multipartReader reads the multipart body of c where fasthttp keeps it.
func multipartReader(c *fiber.Ctx) (*multipart.Reader, error) {
	_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || params["boundary"] == "" {
		return nil, errBadForm
	}
	return multipart.NewReader(bytes.NewReader(c.Request().Body()), params["boundary"]), nil
}

// checkPart checks one part of a multipart body for checkMultipart, adding the size of a text value
// to total. A part with a Content-Transfer-Encoding is refused: no browser sends one, and the form
// parser would decode what this check reads raw (quoted-printable hides NUL and invalid UTF-8).
func checkPart(part *multipart.Part, total *int) error {
	_, disposition, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil || part.Header.Get("Content-Transfer-Encoding") != "" {
		return errBadForm
	}
	name := disposition["name"]
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return errUnreadableText
	}
	if filename, ok := disposition["filename"]; ok {
		if !utf8.ValidString(filename) || strings.ContainsRune(filename, 0) {
			var f problem.Fields
			f.Add(name, "invalid_filename", "文件名不是有效的 UTF-8 文本，请重命名文件后重新上传。",
				"The file name is not valid UTF-8 text; rename the file and upload it again.")
			return f.Err()
		}
		return nil
	}
	value, err := io.ReadAll(io.LimitReader(part, maxTextValue+1))
	switch {
	case err != nil:
		return errBadForm
	case len(value) > maxTextValue:
		return fieldTooLarge(errValueTooLarge, name)
	}
	if *total += len(value); *total > maxTextBody {
		return fieldTooLarge(errTextBodyTooLarge, name)
	}
	if !utf8.Valid(value) || bytes.IndexByte(value, 0) >= 0 {
		return errUnreadableText
	}
	return nil
}

// fieldTooLarge is p naming the field that made the body too large.
func fieldTooLarge(p *problem.Error, field string) *problem.Error {
	e := *p
	e.Fields = []problem.Field{{Path: field, Code: "too_large", Message: p.Message}}
	return &e
}

// multipartCSRF is the value of the multipart body's _csrf field, read without parsing the rest of
// the body: the CSRF check runs before checkMultipart has bounded it.
func multipartCSRF(c *fiber.Ctx) string {
	r, err := multipartReader(c)
	if err != nil {
		return ""
	}
	for parts := 0; parts < maxFormFields; parts++ {
		part, err := r.NextRawPart()
		if err != nil {
			return ""
		}
		if part.FormName() == "_csrf" {
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			return string(b)
		}
	}
	return ""
}

var errLoneSurrogate = problem.New(problem.Invalid, "invalid_text",
	"请求中含有无效的字符（不成对的 UTF-16 代理项，如 \\ud800）。", "The request contains an invalid character (an unpaired UTF-16 surrogate such as \\ud800).")

// loneSurrogate reports whether a JSON body escapes half of a UTF-16 surrogate pair (\ud800 without
// its low half, or a low half alone), which Go's decoder would silently replace with U+FFFD.
func loneSurrogate(body []byte) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		i++
		r, ok := escapedRune(body, i)
		if !ok {
			continue
		}
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xdc00 { // a low half with no high half before it
			return true
		}
		low, ok := escapedRune(body, i+2)
		if !ok || i+1 >= len(body) || body[i+1] != '\\' || low < 0xdc00 || low > 0xdfff {
			return true
		}
		i += 6
	}
	return false
}

// escapedRune reads the rune of a \uXXXX escape whose "u" is at body[i].
func escapedRune(body []byte, i int) (rune, bool) {
	if i+4 >= len(body) || body[i] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[i+1:i+5]), 16, 32)
	return rune(n), err == nil
}

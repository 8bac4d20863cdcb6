package web

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/problem"
)

// Bounds of request bodies. JSON and url-encoded bodies are form data, never files: the largest, an
// application, is a draft of at most 1 MiB (workflow.MaxDraftBytes), nested five levels deep (a group
// in a repeat in the data) with tens of thousands of values. Decoding costs far more than the bytes
// (some 100 bytes per JSON value, a map entry per form field), so the counts are bounded as well as
// the size. Multipart bodies, which carry uploads, are read by Go's multipart reader, which bounds
// them itself: at most 1,000 parts and 10 MB of values beside the files; a url-encoded form is
// allowed as many fields. Compressed bodies are refused: no browser sends one, and a few megabytes
// of gzip can inflate to gigabytes.
const (
	maxTextBody   = 4 << 20
	maxFormFields = 1000
	maxJSONDepth  = 32
	maxJSONValues = 200_000
)

var (
	errCompressedBody = problem.New(problem.Unsupported, "compressed_body",
		"请求体不能压缩（Content-Encoding）。", "The request body must not be compressed (Content-Encoding).")
	errTextBodyTooLarge = problem.New(problem.TooLarge, "too_large",
		"提交的内容过大：不含上传文件的请求体不能超过 4 MB。", "The request is too large: a body without files may be at most 4 MiB.")
	errTooManyFields = problem.New(problem.BadRequest, "too_many_fields",
		fmt.Sprintf("表单的字段过多：最多 %d 个。", maxFormFields), fmt.Sprintf("The form has too many fields: at most %d.", maxFormFields))
	errJSONTooDeep = problem.New(problem.BadRequest, "json_too_deep",
		fmt.Sprintf("JSON 嵌套过深：最多 %d 层。", maxJSONDepth), fmt.Sprintf("The JSON is nested too deeply: at most %d levels.", maxJSONDepth))
	errJSONTooManyValues = problem.New(problem.BadRequest, "json_too_many_values",
		fmt.Sprintf("JSON 中的数据项过多：最多 %d 项。", maxJSONValues), fmt.Sprintf("The JSON holds too many values: at most %d.", maxJSONValues))
)

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

package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/problem"
)

// maxVerifyUpload bounds a PDF uploaded to the verification page, the one upload open to anyone:
// issued documents are 20–100 KB, so 2 MiB is ample and keeps strangers' bodies small.
const maxVerifyUpload = 2 << 20

// downloadDocument sends an issued document's PDF to those who may read its case (the engine's rule);
// anyone else, and a certificate printed at the window, gets 404. Staff downloads are audited.
func (s *Server) downloadDocument(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d, cs, err := s.Engine.Document(ctx, actor(c), id)
	if err != nil {
		return err
	}
	if d.Printed() {
		return errNotFound
	}
	content, err := documents.File(ctx, s.DB, d.SHA256)
	if err != nil {
		return err
	}
	if !cs.ReadsAsParty(actor(c)) {
		if err := documents.RecordDownload(ctx, s.DB, actor(c), d, cs.Jurisdiction); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="document.pdf"; filename*=UTF-8''`+
		url.PathEscape(d.Title+"-"+d.Number+".pdf"))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(content)
}

// verifyLookupPage is the form to type in a verification code read from paper. A code given goes to
// its page, however it is typed (spaces, dashes, lower case: documents.NormaliseCode); one that
// cannot be a code is a field error, and one no document has stays in the box with a 404 field error,
// so that a mistyped character is corrected rather than the code typed again from the start.
func (s *Server) verifyLookupPage(c *fiber.Ctx) error {
	return s.lookupForm(c, c.Query("code"))
}

// lookupForm renders the lookup form with raw in its box: redirected to the code's page when a
// document has it, else with the field error that says why not.
func (s *Server) lookupForm(c *fiber.Ctx, raw string) error {
	v := s.view(c, "verify_title")
	v.Labels = map[string]string{"code": v.T("verify_code")}
	v.Form["code"] = raw
	status := fiber.StatusOK
	if raw != "" {
		var err error
		code, ok := documents.NormaliseCode(raw)
		switch {
		case !ok:
			err = fieldProblem("code", "invalid_code", "验证码为 16 位字母和数字，可含空格或短横线。",
				"A verification code has 16 letters and digits, spaces or dashes allowed.")
		default:
			var known bool
			if known, err = documents.Known(c.UserContext(), s.DB, code); err == nil {
				if known {
					return c.Redirect("/verify/"+code, fiber.StatusSeeOther)
				}
				grouped := documents.GroupCode(code)
				msg := problem.Text{ZH: "未找到验证码为 " + grouped + " 的文书，请核对后重新输入。",
					EN: "No document has the verification code " + grouped + "; check it and type it again."}
				err = &problem.Error{Kind: problem.NotFound, Code: "unknown_code", Message: msg,
					Fields: []problem.Field{{Path: "code", Code: "unknown_code", Message: msg}}}
			}
		}
		if status, err = v.showProblem(err, status); err != nil {
			return err
		}
	}
	return s.renderStatus(c, status, "verify_lookup", v)
}

// verifyPage shows anyone what a verification code stands for, with a form to check a PDF against it.
func (s *Server) verifyPage(c *fiber.Ctx) error {
	return s.renderVerify(c, false)
}

// verifyUploadPage checks an uploaded PDF against the code and shows the answer on the same page.
func (s *Server) verifyUploadPage(c *fiber.Ctx) error {
	return s.renderVerify(c, true)
}

// renderVerify shows the verification page of the code; with check, the answer for the uploaded file.
func (s *Server) renderVerify(c *fiber.Ctx, check bool) error {
	v, err := s.Documents.Verify(c.UserContext(), s.DB, c.Params("code"))
	if problem.Is(err, problem.NotFound) {
		return s.lookupForm(c, c.Params("code")) // a mistyped address: the code in the box to correct
	}
	if err != nil {
		return err
	}
	page := s.view(c, "verify_title")
	page.Labels = map[string]string{"file": page.T("verify_file")}
	data := map[string]any{"V": v, "Code": documents.GroupCode(v.Code)}
	status := fiber.StatusOK
	if check {
		matches, err := checkUpload(c, v)
		if status, err = page.showProblem(err, status); err != nil {
			return err
		}
		data["Checked"], data["Matches"] = status == fiber.StatusOK, matches
	}
	page.Data = data
	return s.renderStatus(c, status, "verify", page)
}

// apiVerify answers the verification of a code.
func (s *Server) apiVerify(c *fiber.Ctx) error {
	v, err := s.Documents.Verify(c.UserContext(), s.DB, c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// apiVerifyUpload answers whether the uploaded PDF is exactly the document of the code.
func (s *Server) apiVerifyUpload(c *fiber.Ctx) error {
	v, err := s.Documents.Verify(c.UserContext(), s.DB, c.Params("code"))
	if err != nil {
		return err
	}
	matches, err := checkUpload(c, v)
	if err != nil {
		return err
	}
	return c.JSON(map[string]any{"matches": matches, "document": v})
}

// apiVerifyKey answers the public key that signs documents, for checking signatures offline.
func (s *Server) apiVerifyKey(c *fiber.Ctx) error {
	seal := s.Documents.Seal()
	return c.JSON(map[string]string{"algorithm": "Ed25519", "public_key": seal.PublicKey(), "pem": seal.PublicKeyPEM()})
}

// errVerifyTooLarge refuses a file to check larger than maxVerifyUpload.
var errVerifyTooLarge = problem.New(problem.TooLarge, "too_large", "文件过大：核验的文件不超过 2 MB，签发的文书远小于此。",
	"The file is too large: a file to check may have 2 MB at most; issued documents are far smaller.")

// checkUpload reports whether the uploaded file (field file) is the document verified, refusing a
// missing or empty one (422) and one over maxVerifyUpload (413, as a body over the limit is).
func checkUpload(c *fiber.Ctx, v *documents.Verification) (bool, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return false, fieldProblem("file", "required", "请选择要核验的文件。", "Choose the file to check.")
	}
	if fh.Size == 0 {
		return false, fieldProblem("file", "empty", "文件是空的，请选择收到的 PDF 文件。", "The file is empty; choose the PDF you received.")
	}
	if fh.Size > maxVerifyUpload {
		return false, fieldTooLarge(errVerifyTooLarge, "file")
	}
	f, err := fh.Open()
	if err != nil {
		return false, err
	}
	defer f.Close()
	return v.Matches(f)
}

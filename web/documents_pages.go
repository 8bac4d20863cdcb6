package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/documents"
)

// maxVerifyUpload bounds a PDF uploaded to the verification page: issued documents are far smaller.
const maxVerifyUpload = 10 << 20

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
	if err != nil {
		return err
	}
	page := s.view(c, "verify_title")
	data := map[string]any{"V": v, "Code": documents.GroupCode(v.Code)}
	if check {
		matches, err := checkUpload(c, v)
		if err != nil {
			return err
		}
		data["Checked"], data["Matches"] = true, matches
	}
	page.Data = data
	return s.render(c, "verify", page)
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

// checkUpload reports whether the uploaded file (field file) is the document verified, refusing a
// missing or large one.
func checkUpload(c *fiber.Ctx, v *documents.Verification) (bool, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return false, fieldProblem("file", "required", "请选择要核验的文件。", "Choose the file to check.")
	}
	if fh.Size > maxVerifyUpload {
		return false, fieldProblem("file", "too_large", "文件过大，签发的文书不超过 10 MB。", "The file is too large; issued documents are under 10 MB.")
	}
	f, err := fh.Open()
	if err != nil {
		return false, err
	}
	defer f.Close()
	return v.Matches(f)
}

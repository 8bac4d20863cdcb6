package materials

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder that checks uploads
	_ "image/png"  // registers the PNG decoder that checks uploads
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// The upload types a service item's material can allow, as the catalogue names them.
const (
	TypePDF  = "pdf"
	TypeJPEG = "jpeg"
	TypePNG  = "png"
)

// Types lists every upload type; an item that names none allows all of them.
var Types = []string{TypePDF, TypeJPEG, TypePNG}

// contentTypes maps each upload type to the media type it is stored and served as.
var contentTypes = map[string]string{TypePDF: "application/pdf", TypeJPEG: "image/jpeg", TypePNG: "image/png"}

// extensions are the file name endings accepted for each type; the first is used when one is missing.
var extensions = map[string][]string{TypePDF: {".pdf"}, TypeJPEG: {".jpg", ".jpeg"}, TypePNG: {".png"}}

// typeNames are the types as people know them, for messages.
var typeNames = map[string]string{TypePDF: "PDF", TypeJPEG: "JPEG", TypePNG: "PNG"}

// sniffLength is how many leading bytes the type is judged from (all http.DetectContentType reads).
const sniffLength = 512

// maxFilenameLength bounds a stored file name, in characters, extension included.
const maxFilenameLength = 100

// staleUpload is how old an abandoned temporary file must be for NewStore to remove it.
const staleUpload = time.Hour

// Store keeps the bytes of uploads in a directory, one file per distinct content, named by its
// SHA-256 in hex under a subdirectory of its first two characters.
type Store struct {
	dir             string
	defaultMaxBytes int64
}

// NewStore opens the store in dir, creating the directory if needed and removing temporary files
// that uploads interrupted by a crash left behind. defaultMaxBytes limits uploads whose item sets no
// limit of its own.
func NewStore(dir string, defaultMaxBytes int64) (*Store, error) {
	if dir == "" {
		return nil, errors.New("materials: no directory for uploads")
	}
	if defaultMaxBytes <= 0 {
		return nil, fmt.Errorf("materials: the default upload limit must be positive, not %d", defaultMaxBytes)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the upload directory %s: %w", dir, err)
	}
	if stale, err := filepath.Glob(filepath.Join(dir, ".upload-*")); err == nil {
		for _, name := range stale {
			if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > staleUpload {
				_ = os.Remove(name)
			}
		}
	}
	return &Store{dir: dir, defaultMaxBytes: defaultMaxBytes}, nil
}

// Limits are what an upload may be.
type Limits struct {
	// Types are the upload types allowed; empty allows all of Types.
	Types []string
	// MaxBytes bounds the size; 0 is the store's default.
	MaxBytes int64
	// MaxPixels bounds the width × height of an image; 0 is DefaultMaxPixels.
	MaxPixels int64
}

// DefaultMaxPixels is the largest image accepted unless Limits say otherwise: 50 megapixels, well
// above a page scanned at 600 dpi (35 million), far below an image that would exhaust the memory of
// whoever opens it.
const DefaultMaxPixels = 50_000_000

// Upload stores what r yields as ownerID's material for slot of itemCode, not yet in any case. The
// type is judged from the content alone (the file name and the client's media type are ignored) and
// must be one of the allowed types, else the answer is an Unsupported problem; a file over the size
// limit is a TooLarge problem, an empty file an Invalid one, and so is an image of more pixels than
// allowed, judged from its header. Nothing is kept of a refused upload. The file name is only kept for
// display, cleaned and given an extension that matches the content. Identical contents share one
// stored file, and the owner's upload of the same file (content and name) for the same slot, not yet
// in a case, is returned again rather than recorded twice (a file attached again after a refused submit).
func (s *Store) Upload(ctx context.Context, db bun.IDB, ownerID int64, itemCode, slot, filename string, r io.Reader, limits Limits,
	opts ...UploadOption) (*Material, error) {
	if ownerID <= 0 || itemCode == "" || slot == "" {
		return nil, fmt.Errorf("materials: upload needs an owner, an item and a slot (got %d, %q, %q)", ownerID, itemCode, slot)
	}
	limits, err := s.complete(limits)
	if err != nil {
		return nil, fmt.Errorf("materials: %s/%s: %w", itemCode, slot, err)
	}
	lr := &ctxReader{ctx: ctx, r: io.LimitReader(r, limits.MaxBytes+1)}
	head, typ, err := sniffUpload(lr, limits)
	if err != nil {
		return nil, err
	}
	sum, size, err := s.write(head, lr, limits.MaxBytes, func(f io.Reader) error { return checkImage(f, typ, limits) })
	if err != nil {
		return nil, err
	}
	m := &Material{
		OwnerID: ownerID, ItemCode: itemCode, Slot: slot, SHA256: sum, Size: size,
		ContentType: contentTypes[typ], Filename: cleanFilename(filename, typ),
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
	}
	var o uploadOptions
	for _, opt := range opts {
		opt(&o)
	}
	// A blob whose row fails to insert stays on disk: another upload may already share it.
	if err := record(ctx, db, m, o.within); err != nil {
		return nil, err
	}
	return m, nil
}

// complete fills in the defaults of limits (every type, the store's size limit, DefaultMaxPixels)
// and refuses a type the store does not know.
func (s *Store) complete(limits Limits) (Limits, error) {
	if len(limits.Types) == 0 {
		limits.Types = Types
	}
	for _, t := range limits.Types {
		if _, ok := contentTypes[t]; !ok {
			return limits, fmt.Errorf("unknown upload type %q", t)
		}
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = s.defaultMaxBytes
	}
	limits.MaxPixels = cmp.Or(limits.MaxPixels, DefaultMaxPixels)
	return limits, nil
}

// sniffUpload reads the head of an upload and judges its type from it: an empty file, one over the
// size limit already, or one of a type not allowed is refused.
func sniffUpload(r io.Reader, limits Limits) (head []byte, typ string, err error) {
	head = make([]byte, sniffLength)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, "", fmt.Errorf("reading the upload: %w", err)
	}
	head = head[:n]
	switch typ = sniff(head); {
	case n == 0:
		return nil, "", problem.New(problem.Invalid, "empty_file", "文件是空的。", "The file is empty.")
	case int64(n) > limits.MaxBytes:
		return nil, "", tooLarge(limits.MaxBytes)
	case typ == "" || !slices.Contains(limits.Types, typ):
		return nil, "", unsupported(limits.Types)
	}
	return head, typ, nil
}

// checkImage checks that an upload of type typ, an image, parses as one: its signature alone could
// front anything. Its header says its size, which must not be more than anyone can open. A PDF passes.
func checkImage(f io.Reader, typ string, limits Limits) error {
	if typ == TypePDF {
		return nil
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || format != typ || cfg.Width <= 0 || cfg.Height <= 0 {
		return unsupported(limits.Types)
	}
	if int64(cfg.Width)*int64(cfg.Height) > limits.MaxPixels {
		return tooManyPixels(cfg.Width, cfg.Height, limits.MaxPixels)
	}
	return nil
}

// record inserts m, or fills it with the owner's upload of the same file (content and name) for the
// same item and slot that is in no case yet, and runs within (if not nil) in the same transaction.
func record(ctx context.Context, db bun.IDB, m *Material, within func(ctx context.Context, tx bun.Tx, m *Material) error) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(m).Where("owner_id = ? AND item_code = ? AND slot = ? AND sha256 = ? AND filename = ? AND case_id IS NULL",
			m.OwnerID, m.ItemCode, m.Slot, m.SHA256, m.Filename).OrderExpr("id").Limit(1).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
				return fmt.Errorf("recording upload %s of user %d: %w", m.SHA256, m.OwnerID, err)
			}
		case err != nil:
			return fmt.Errorf("looking for upload %s of user %d: %w", m.SHA256, m.OwnerID, err)
		}
		if within != nil {
			return within(ctx, tx, m)
		}
		return nil
	})
}

// UploadOption changes how Upload records an upload.
type UploadOption func(*uploadOptions)

type uploadOptions struct {
	within func(ctx context.Context, tx bun.Tx, m *Material) error
}

// WithinUpload runs fn in the transaction that records the upload, once its row exists, so that what
// the caller records about it (an idempotency key) commits or rolls back with it; an error from fn is
// returned as it is.
func WithinUpload(fn func(ctx context.Context, tx bun.Tx, m *Material) error) UploadOption {
	return func(o *uploadOptions) { o.within = fn }
}

// write copies head and the rest of r into the store and returns the content's SHA-256 and size.
// The bytes go to a temporary file, which check reads from the start, that is synced and then
// renamed into place, so that a stored file is always complete; a content already stored is kept as
// it is.
func (s *Store) write(head []byte, r io.Reader, maxBytes int64, check func(io.Reader) error) (sum string, size int64, err error) {
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	rest, err := io.Copy(w, r)
	if err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	size = int64(len(head)) + rest
	if size > maxBytes {
		return "", 0, tooLarge(maxBytes)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	if err := check(bufio.NewReader(tmp)); err != nil {
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	final := s.path(sum)
	if fi, err := os.Stat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		return sum, size, nil // stored already; the deferred cleanup drops the copy
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	committed = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return "", 0, fmt.Errorf("storing an upload: %w", err)
	}
	return sum, size, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Store) path(sum string) string { return filepath.Join(s.dir, sum[:2], sum) }

// Open returns the stored bytes of m. It checks that the stored file has the recorded size, and never
// leaves the store's directory whatever the row says.
func (s *Store) Open(m *Material) (io.ReadSeekCloser, error) {
	if m == nil || !sha256Hex.MatchString(m.SHA256) {
		return nil, errors.New("materials: the material has no valid content hash")
	}
	f, err := os.Open(s.path(m.SHA256))
	if err != nil {
		return nil, fmt.Errorf("opening material %d: %w", m.ID, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening material %d: %w", m.ID, err)
	}
	if fi.Size() != m.Size {
		f.Close()
		return nil, fmt.Errorf("opening material %d: stored file has %d bytes, recorded %d", m.ID, fi.Size(), m.Size)
	}
	return f, nil
}

// DownloadHeaders are the response headers to serve m with: its own media type, always as an
// attachment under its file name, never sniffed, sandboxed and kept out of shared caches.
func (m *Material) DownloadHeaders() map[string]string {
	ct := "application/octet-stream"
	for _, known := range contentTypes {
		if m.ContentType == known {
			ct = known
		}
	}
	return map[string]string{
		"Content-Type":            ct,
		"Content-Disposition":     contentDisposition(m.Filename, m.ID),
		"Content-Length":          strconv.FormatInt(m.Size, 10),
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
		"Cache-Control":           "private, no-store",
	}
}

// contentDisposition names the attachment in plain ASCII for old clients and in UTF-8 (RFC 6266,
// RFC 5987) for the rest.
func contentDisposition(name string, id int64) string {
	fallback := name
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			ext := strings.ToLower(filepath.Ext(name))
			if !plainExtension(strings.TrimPrefix(ext, ".")) {
				ext = ""
			}
			fallback = "material-" + strconv.FormatInt(id, 10) + ext
			break
		}
	}
	if fallback == "" {
		fallback = "material-" + strconv.FormatInt(id, 10)
	}
	var enc strings.Builder
	const attrChars = "!#$&+-.^_`|~"
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(attrChars, b) >= 0) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, enc.String())
}

// sniff returns the upload type of content starting with head, or "" for anything else.
func sniff(head []byte) string {
	switch http.DetectContentType(head) {
	case "application/pdf":
		if strings.HasPrefix(string(head), "%PDF-") {
			return TypePDF
		}
	case "image/png":
		return TypePNG
	case "image/jpeg":
		return TypeJPEG
	}
	return ""
}

func tooLarge(maxBytes int64) error {
	mb := formatMB(maxBytes)
	p := problem.New(problem.TooLarge, "file_too_large",
		fmt.Sprintf("文件不能超过 %s MB。", mb), fmt.Sprintf("The file must not be larger than %s MB.", mb))
	p.Detail = map[string]any{"max_bytes": maxBytes}
	return p
}

func tooManyPixels(width, height int, maxPixels int64) error {
	mp := strconv.FormatFloat(math.Floor(float64(maxPixels)/1e5)/10, 'f', -1, 64)
	p := problem.New(problem.Invalid, "image_too_large",
		fmt.Sprintf("图片像素过多（%d×%d）：不能超过 %s 百万像素，请缩小后重新上传。", width, height, mp),
		fmt.Sprintf("The image has too many pixels (%d×%d): at most %s megapixels. Make it smaller and upload it again.", width, height, mp))
	p.Detail = map[string]any{"max_pixels": maxPixels, "width": width, "height": height}
	return p
}

// formatMB writes a byte count in megabytes (MiB) with at most two decimals, never as zero.
func formatMB(n int64) string {
	mb := math.Round(float64(n)/(1<<20)*100) / 100
	if mb == 0 {
		mb = 0.01
	}
	return strconv.FormatFloat(mb, 'f', -1, 64)
}

// TypeNames names the allowed upload types as people know them ("PDF", "JPEG"), in the order of
// Types; none allowed by name means all of them.
func TypeNames(allowed []string) []string {
	names := make([]string, 0, len(Types))
	for _, t := range Types {
		if len(allowed) == 0 || slices.Contains(allowed, t) {
			names = append(names, typeNames[t])
		}
	}
	return names
}

// Accept is the accept attribute of a file input for the allowed upload types (all when none): each
// one's media type and file name endings, so that the browser's file picker offers only files that
// the upload takes.
func Accept(allowed []string) string {
	var parts []string
	for _, t := range Types {
		if len(allowed) == 0 || slices.Contains(allowed, t) {
			parts = append(parts, contentTypes[t])
			parts = append(parts, extensions[t]...)
		}
	}
	return strings.Join(parts, ",")
}

func unsupported(allowed []string) error {
	names := TypeNames(allowed)
	p := problem.New(problem.Unsupported, "unsupported_file_type",
		fmt.Sprintf("只接受以下格式的文件：%s（按文件内容判断，与文件名无关）。", strings.Join(names, "、")),
		fmt.Sprintf("Accepted file types: %s (judged by the content, not the name).", strings.Join(names, ", ")))
	p.Detail = map[string]any{"allowed": names}
	return p
}

// cleanFilename makes an uploaded file name safe to keep and show: the last path element only,
// without control, formatting or path characters, trimmed, at most maxFilenameLength characters,
// and ending in an extension of typ so that a saved download opens as what it is. Chinese and other
// letters stay.
func cleanFilename(name, typ string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`/\:*?"<>|`, r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")

	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 && plainExtension(name[i+1:]) {
		stem, ext = name[:i], strings.ToLower(name[i:])
	}
	if !slices.Contains(extensions[typ], ext) {
		ext = extensions[typ][0]
	}
	stem = strings.TrimRight(stem, " .")
	if limit := maxFilenameLength - len(ext); utf8.RuneCountInString(stem) > limit {
		stem = strings.TrimRight(string([]rune(stem)[:limit]), " .")
	}
	if stem == "" {
		stem = "material"
	}
	return stem + ext
}

// plainExtension reports whether s looks like a file extension (1–5 ASCII letters or digits) rather
// than part of the name.
func plainExtension(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ctxReader stops reading once ctx is done, so that an abandoned request does not keep filling the
// disk.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

package documents

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/workflow"
)

// Seal is the installation's Ed25519 signing key. Every process on a database must use the same one,
// so that any of them verifies what another signed.
type Seal struct {
	key ed25519.PrivateKey
}

// sealSetting names the key generated once and kept in the settings table when no file is configured.
const sealSetting = "document_seal_key"

// LoadSeal reads the key from file (CIVICFLOW_SEAL_KEY_FILE: a PKCS #8 PEM "PRIVATE KEY" as
// `openssl genpkey -algorithm ed25519` writes it, or the 32-byte seed, raw or base64), or, when file
// is empty, the key generated once and kept in the settings table.
func LoadSeal(ctx context.Context, db bun.IDB, file string) (*Seal, error) {
	if file == "" {
		secret, err := accounts.Secret(ctx, db, sealSetting)
		if err != nil {
			return nil, err
		}
		seed, err := base64.RawStdEncoding.DecodeString(string(secret))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("the stored seal key is not a base64 Ed25519 seed")
		}
		return &Seal{key: ed25519.NewKeyFromSeed(seed)}, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the seal key: %w", err)
	}
	return parseSeal(b)
}

// parseSeal reads a key as LoadSeal describes.
func parseSeal(b []byte) (*Seal, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the seal key file: %w", err)
		}
		pk, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, errors.New("the seal key file holds a key that is not Ed25519")
		}
		return &Seal{key: pk}, nil
	}
	if len(b) == ed25519.SeedSize {
		return &Seal{key: ed25519.NewKeyFromSeed(b)}, nil
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("the seal key file is neither a PEM Ed25519 key nor a 32-byte seed (raw or base64)")
	}
	return &Seal{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// PublicKey is the public half, base64 (standard encoding) of its 32 bytes.
func (s *Seal) PublicKey() string {
	return base64.StdEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey))
}

// PublicKeyPEM is the public half as a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), what openssl reads.
func (s *Seal) PublicKeyPEM() string {
	der, _ := x509.MarshalPKIXPublicKey(s.key.Public()) // cannot fail for an Ed25519 key
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Sign signs the particulars and returns the signature in base64.
func (s *Seal) Sign(particulars []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, particulars))
}

// Verify reports whether signature (base64) is the seal's over the particulars.
func (s *Seal) Verify(particulars []byte, signature string) bool {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	return ed25519.Verify(s.key.Public().(ed25519.PublicKey), particulars, sig)
}

// Particulars is what a document's signature covers, as canonical JSON (keys sorted, no spaces): its
// kind, number, title, holder, issue time, verification code and the SHA-256 of its PDF. Anyone
// with the public key can rebuild it from the verification API and check the signature.
func Particulars(d *workflow.Document) []byte {
	code := ""
	if d.VerifyCode != nil {
		code = *d.VerifyCode
	}
	b, _ := json.Marshal(map[string]string{ // a map of strings always marshals, keys sorted
		"kind": d.Kind, "number": d.Number, "title": d.Title, "holder": d.Holder,
		"issued_at": d.IssuedAt.UTC().Format(time.RFC3339Nano), "verify_code": code, "sha256": d.SHA256,
	})
	return b
}

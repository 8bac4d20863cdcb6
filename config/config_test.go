package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/config"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsAreTheEmbeddedStack(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsPostgres() || c.RedisURL != "" || c.ListenAddr != "127.0.0.1:8080" || c.SQLitePath() != "./data/civicflow.db" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SessionTTL != 12*time.Hour || c.DeliveryMaxAttempts != 8 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestBadValuesAreAllReportedByName(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"CIVICFLOW_DATABASE_URL":       "mysql://x",
		"CIVICFLOW_LISTEN":             "8080",
		"CIVICFLOW_SESSION_TTL":        "forever",
		"CIVICFLOW_WORKER_CONCURRENCY": "0",
		"CIVICFLOW_LOG_LEVEL":          "loud",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"CIVICFLOW_DATABASE_URL", "CIVICFLOW_LISTEN", "CIVICFLOW_SESSION_TTL", "CIVICFLOW_WORKER_CONCURRENCY", "CIVICFLOW_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSecretsFromFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(path, []byte("postgres://civicflow:s3cret@db:5432/civicflow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(env(map[string]string{"CIVICFLOW_DATABASE_URL_FILE": path}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsPostgres() || c.DatabaseURL != "postgres://civicflow:s3cret@db:5432/civicflow" {
		t.Fatalf("from file: %q", c.DatabaseURL)
	}
	_, err = config.Load(env(map[string]string{"CIVICFLOW_DATABASE_URL_FILE": path, "CIVICFLOW_DATABASE_URL": "postgres://a/b"}))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both set: %v", err)
	}
	_, err = config.Load(env(map[string]string{"CIVICFLOW_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "missing")}))
	if err == nil || !strings.Contains(err.Error(), "CIVICFLOW_SECRET_KEY") {
		t.Fatalf("missing file: %v", err)
	}
	// A non-secret option has no _FILE variant.
	if _, err := config.Load(env(map[string]string{"CIVICFLOW_LISTEN_FILE": path})); err != nil {
		t.Fatalf("unrelated _FILE variable: %v", err)
	}
}

func TestTableListsEveryOption(t *testing.T) {
	rows := config.Table()
	if len(rows) < 20 {
		t.Fatalf("only %d options", len(rows))
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Name, "CIVICFLOW_") || r.Help == "" {
			t.Errorf("option %+v lacks a name or help", r)
		}
	}
}

func TestSingleSignOnSettings(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(env(map[string]string{
		"CIVICFLOW_OIDC_ISSUER": "https://idp.example.gov.cn", "CIVICFLOW_OIDC_CLIENT_ID": "civicflow",
		"CIVICFLOW_OIDC_CLIENT_SECRET_FILE": secret, "CIVICFLOW_OIDC_CLAIM_ID_NUMBER": "id_card",
		"CIVICFLOW_OIDC_CLAIM_ID_VERIFIED": "real_name_verified",
	}))
	if err != nil {
		t.Fatal(err)
	}
	o := c.OIDC
	if !o.Enabled() || o.ClientSecret != "s3cret" || strings.Join(o.Scopes, " ") != "openid profile phone" ||
		o.ClaimName != "name" || o.ClaimPhone != "phone_number" || o.ClaimIDNumber != "id_card" {
		t.Fatalf("settings: %+v", o)
	}
	if c, _ := config.Load(env(nil)); c.OIDC.Enabled() {
		t.Fatal("single sign-on on by default")
	}
	_, err = config.Load(env(map[string]string{
		"CIVICFLOW_OIDC_ISSUER": "idp.example", "CIVICFLOW_OIDC_SCOPES": "profile", "CIVICFLOW_OIDC_CLAIM_ID_NUMBER": "id_card",
	}))
	for _, name := range []string{"CIVICFLOW_OIDC_ISSUER:", "CIVICFLOW_OIDC_SCOPES:", "CIVICFLOW_OIDC_CLAIM_ID_VERIFIED:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	_, err = config.Load(env(map[string]string{"CIVICFLOW_OIDC_ISSUER": "https://idp.example"}))
	if err == nil || !strings.Contains(err.Error(), "CIVICFLOW_OIDC_CLIENT_ID:") {
		t.Errorf("issuer without client id: %v", err)
	}
}

// The cache of sign-ins lasts 30 s unless told otherwise, and 0 turns it off.
func TestAuthCacheTTL(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 30 * time.Second, "0": 0, "0s": 0, "2m": 2 * time.Minute} {
		m := map[string]string{}
		if v != "" {
			m["CIVICFLOW_AUTH_CACHE_TTL"] = v
		}
		c, err := config.Load(env(m))
		if err != nil || c.AuthCacheTTL != want {
			t.Errorf("CIVICFLOW_AUTH_CACHE_TTL=%q: %s %v, want %s", v, c.AuthCacheTTL, err, want)
		}
	}
	if _, err := config.Load(env(map[string]string{"CIVICFLOW_AUTH_CACHE_TTL": "10ms"})); err == nil {
		t.Error("a lifetime under a second accepted")
	}
}

// Package config reads CivicFlow's settings from CIVICFLOW_* environment variables through one typed
// table, so that every option has a single place that states its name, default, meaning and check.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of one CivicFlow process.
type Config struct {
	// DatabaseURL is empty or sqlite:PATH for the embedded SQLite file, postgres://… for PostgreSQL.
	DatabaseURL string
	// DataDir holds the embedded SQLite file and, unless told otherwise, uploaded materials.
	DataDir string
	// CatalogDir, when set, holds service-item definitions that add to or override the built-in ones.
	CatalogDir string
	// MaterialsDir is where uploaded materials are stored, content-addressed; empty means DataDir/materials.
	MaterialsDir string
	// UploadMaxMB is the default size limit of one uploaded file.
	UploadMaxMB int
	// UploadMaxPixels bounds the pixels (width × height) of an uploaded image.
	UploadMaxPixels int
	// RedisURL is empty for the in-process Redis (miniredis) or redis://… for a real server.
	RedisURL string
	// ListenAddr is where the HTTP server listens.
	ListenAddr string
	// PublicURL is the address the public reaches the installation at (https://host[/prefix], no
	// trailing slash), for absolute links that leave the site: feeds, and the QR codes of issued
	// documents (PublicBase/verify/<code>).
	PublicURL string
	// MetricsAddr, when set, serves /metrics there without login instead of on the main listener for
	// admins over the whole installation.
	MetricsAddr string
	// SecureCookies forces the Secure attribute on cookies (it is also set whenever a request came over TLS).
	SecureCookies bool
	// TrustedProxies are the addresses (IPs or CIDR ranges) of reverse proxies whose X-Forwarded-For
	// and X-Forwarded-Proto headers are believed; requests from anywhere else are taken at face value.
	TrustedProxies []string
	// SealKeyFile holds the Ed25519 key that signs issued documents; empty means a key generated once
	// and kept in the database.
	SealKeyFile string
	// SecretKey signs CSRF tokens; empty means a key generated once and kept in the database.
	SecretKey string
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int
	// SessionTTL is how long a login session lasts without activity.
	SessionTTL time.Duration
	// AuthCacheTTL is how long a web process may let a session or API token in from memory before it
	// reads it from the database again (accounts.Cache); 0 turns that off.
	AuthCacheTTL time.Duration
	// LoginMaxFailuresPerAccount and LoginMaxFailuresPerIP bound failed logins within LoginThrottleWindow.
	LoginMaxFailuresPerAccount int
	LoginMaxFailuresPerIP      int
	LoginThrottleWindow        time.Duration
	// ProgressMaxFailuresPerIP bounds wrong progress lookups (case number and query code) from one
	// address within LoginThrottleWindow, so that query codes cannot be guessed.
	ProgressMaxFailuresPerIP int
	// ConsultationMinWorkingDays and ConsultationMinRuleDays are the shortest comment periods of a
	// draft put to public comment (征求意见): working days for a normative document, days for a draft
	// rule. ConsultationCommentsPerIP bounds the comments from one address (and one account) within
	// LoginThrottleWindow.
	ConsultationMinWorkingDays int
	ConsultationMinRuleDays    int
	ConsultationCommentsPerIP  int
	// Hotline is the service hotline the home page shows.
	Hotline string
	// DatabaseTimeout bounds the database work of one request and each connection to PostgreSQL: a
	// database that stops answering makes requests answer 503 after it instead of hanging.
	DatabaseTimeout time.Duration
	// Worker settings.
	WorkerConcurrency int
	ShutdownTimeout   time.Duration
	// Outbox relay settings.
	RelayInterval       time.Duration
	RedeliverAfter      time.Duration
	DeliveryMaxAttempts int
	// PolicyReloadInterval is how often each process checks whether an admin changed the policies.
	PolicyReloadInterval time.Duration
	// ClockInterval is how often a worker fires due timers, sends the legal clock's reminders and
	// escalations, and marks appointment no-shows and sends appointment reminders.
	ClockInterval time.Duration
	// RatingRemindDays is how many working days before its due date the rectification of a 差评
	// (package ratings) is reminded of.
	RatingRemindDays int
	// SMTPURL is empty to log e-mails instead of sending them, or smtp[s]://user:pass@host:port.
	SMTPURL string
	// MailFrom is the sender address of e-mails.
	MailFrom string
	// SMSProvider names the SMS channel implementation: "log" writes messages to the log (development
	// only), "http" posts them to the gateway at SMSHTTPURL with the key SMSHTTPKey.
	SMSProvider string
	SMSHTTPURL  string
	SMSHTTPKey  string
	// SMSCodesPerNumber and SMSCodesPerIP bound the SMS codes (sign-up, password reset) asked for one
	// number and from one address within LoginThrottleWindow.
	SMSCodesPerNumber int
	SMSCodesPerIP     int
	// InquiryLimits are the time limits, in working days by kind (question, complaint, suggestion), of
	// the public's consultations, complaints and suggestions (package inquiries).
	InquiryLimits map[string]int
	// InquiriesPerIP and InquiriesPerAccount bound the consultations, complaints and suggestions
	// submitted from one address and by one account within LoginThrottleWindow.
	InquiriesPerIP      int
	InquiriesPerAccount int
	// OIDC is single sign-on through the province's unified identity platform; off without an issuer.
	OIDC OIDC
	// LogLevel and LogFormat shape the structured log.
	LogLevel  string
	LogFormat string
}

// OIDC configures single sign-on through the unified identity platform (统一身份认证), an OpenID
// Connect provider. The claim names map what the platform says about a person onto the account.
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	Scopes                         []string
	// ClaimName and ClaimPhone name the claims of the person's name and mobile number.
	ClaimName, ClaimPhone string
	// ClaimIDNumber names the claim of the resident ID number, taken only when the boolean claim
	// ClaimIDVerified is true: only an ID number the platform vouches for counts as verified.
	ClaimIDNumber, ClaimIDVerified string
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// check reports settings that are wrong only together.
func (o OIDC) check() []error {
	var errs []error
	if o.Issuer != "" && o.ClientID == "" {
		errs = append(errs, errors.New("CIVICFLOW_OIDC_CLIENT_ID: must be set with CIVICFLOW_OIDC_ISSUER"))
	}
	if (o.ClaimIDNumber == "") != (o.ClaimIDVerified == "") {
		errs = append(errs, errors.New("CIVICFLOW_OIDC_CLAIM_ID_NUMBER and CIVICFLOW_OIDC_CLAIM_ID_VERIFIED: set both or neither"))
	}
	return errs
}

// IsPostgres reports whether the configured database is PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// PublicBase is PublicURL, or the listen address when none is set.
func (c Config) PublicBase() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.ListenAddr
}

// MaterialsPath is the directory of uploaded materials.
func (c Config) MaterialsPath() string {
	if c.MaterialsDir != "" {
		return c.MaterialsDir
	}
	return c.DataDir + "/materials"
}

// SQLitePath is the SQLite database file used when no PostgreSQL URL is configured.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		return p
	}
	return c.DataDir + "/civicflow.db"
}

// option is one row of the configuration table.
type option struct {
	name   string // environment variable
	def    string // default value as text
	help   string
	secret bool // also read from NAME_FILE; never printed
	set    func(c *Config, v string) error
}

// options is the one table of settings; README.md documents the same rows.
var options = []option{
	{"CIVICFLOW_DATABASE_URL", "", "empty or sqlite:PATH for the embedded SQLite file; postgres://user:pass@host:5432/db for PostgreSQL", true,
		func(c *Config, v string) error {
			if v == "" || strings.HasPrefix(v, "sqlite:") {
				c.DatabaseURL = v
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
				return errors.New("must be empty, sqlite:PATH or postgres://host/db")
			}
			c.DatabaseURL = v
			return nil
		}},
	{"CIVICFLOW_DATA_DIR", "./data", "directory of the embedded database file and uploaded files", false,
		func(c *Config, v string) error { return nonEmpty(&c.DataDir, v) }},
	{"CIVICFLOW_CATALOG_DIR", "", "directory of service-item definitions that add to or override the built-in catalogue (docs/catalog.md)", false,
		func(c *Config, v string) error { c.CatalogDir = v; return nil }},
	{"CIVICFLOW_MATERIALS_DIR", "", "where uploaded materials are stored (empty: DATA_DIR/materials); share it between web processes", false,
		func(c *Config, v string) error { c.MaterialsDir = v; return nil }},
	{"CIVICFLOW_UPLOAD_MAX_MB", "20", "default size limit of one uploaded file, in MB (an item's material may set its own)", false,
		func(c *Config, v string) error { return intRange(&c.UploadMaxMB, v, 1, 1024) }},
	{"CIVICFLOW_UPLOAD_MAX_PIXELS", "50000000", "largest uploaded image in pixels, width × height (a page scanned at 600 dpi has 35 million)", false,
		func(c *Config, v string) error { return intRange(&c.UploadMaxPixels, v, 1_000_000, 1_000_000_000) }},
	{"CIVICFLOW_REDIS_URL", "", "empty for the in-process Redis; redis://[:pass@]host:6379/0 for a Redis server", true,
		func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
					return errors.New("must be empty or redis://host:port/db")
				}
			}
			c.RedisURL = v
			return nil
		}},
	{"CIVICFLOW_LISTEN", "127.0.0.1:8080", "HTTP listen address", false,
		func(c *Config, v string) error { return hostPort(&c.ListenAddr, v) }},
	{"CIVICFLOW_PUBLIC_URL", "", "the address the public reaches this installation at, for absolute links in feeds and the QR codes of issued documents (empty: http://LISTEN)", false,
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return errors.New("must be http(s)://host[/path]")
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
	{"CIVICFLOW_METRICS_LISTEN", "", "separate listen address for Prometheus /metrics and Go's profiles at /debug/pprof/ (empty: no profiles; /metrics on the main address, for admins over the whole installation only)", false,
		func(c *Config, v string) error {
			if v == "" {
				c.MetricsAddr = ""
				return nil
			}
			return hostPort(&c.MetricsAddr, v)
		}},
	{"CIVICFLOW_SECURE_COOKIES", "false", "always mark cookies Secure (they are whenever a request arrives over TLS)", false,
		func(c *Config, v string) error { return boolean(&c.SecureCookies, v) }},
	{"CIVICFLOW_TRUSTED_PROXIES", "", "comma-separated IPs or CIDR ranges of reverse proxies whose X-Forwarded-For/-Proto are believed (empty: none)", false,
		func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
					return fmt.Errorf("%q is neither an IP address nor a CIDR range", p)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
	{"CIVICFLOW_SEAL_KEY_FILE", "", "file of the Ed25519 key that signs issued documents (PEM PKCS #8, or the 32-byte seed raw or base64); empty: generated once and kept in the database", false,
		func(c *Config, v string) error { c.SealKeyFile = v; return nil }},
	{"CIVICFLOW_SECRET_KEY", "", "key that signs CSRF tokens, at least 32 characters; empty: generated once and kept in the database", true,
		func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 characters")
			}
			c.SecretKey = v
			return nil
		}},
	{"CIVICFLOW_OIDC_ISSUER", "", "issuer URL of the unified identity platform (统一身份认证), an OpenID Connect provider; empty: single sign-on is off", false,
		func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
					return errors.New("must be empty or http(s)://host[/path]")
				}
			}
			c.OIDC.Issuer = v
			return nil
		}},
	{"CIVICFLOW_OIDC_CLIENT_ID", "", "client id of this installation at the identity platform", false,
		func(c *Config, v string) error { c.OIDC.ClientID = v; return nil }},
	{"CIVICFLOW_OIDC_CLIENT_SECRET", "", "client secret at the identity platform (empty for a public client, which PKCE protects)", true,
		func(c *Config, v string) error { c.OIDC.ClientSecret = v; return nil }},
	{"CIVICFLOW_OIDC_SCOPES", "openid profile phone", "scopes asked of the identity platform, space-separated; openid among them", false,
		func(c *Config, v string) error {
			c.OIDC.Scopes = strings.Fields(v)
			if !slices.Contains(c.OIDC.Scopes, "openid") {
				return errors.New("must include openid")
			}
			return nil
		}},
	{"CIVICFLOW_OIDC_CLAIM_NAME", "name", "claim of the identity platform that holds the person's name", false,
		func(c *Config, v string) error { return nonEmpty(&c.OIDC.ClaimName, v) }},
	{"CIVICFLOW_OIDC_CLAIM_PHONE", "phone_number", "claim that holds the person's mobile number (empty: none is taken)", false,
		func(c *Config, v string) error { c.OIDC.ClaimPhone = v; return nil }},
	{"CIVICFLOW_OIDC_CLAIM_ID_NUMBER", "", "claim that holds the resident ID number (empty: none is taken); taken only when the claim CIVICFLOW_OIDC_CLAIM_ID_VERIFIED is true, and then counts as verified", false,
		func(c *Config, v string) error { c.OIDC.ClaimIDNumber = v; return nil }},
	{"CIVICFLOW_OIDC_CLAIM_ID_VERIFIED", "", "boolean claim by which the platform vouches for the ID number (set with CIVICFLOW_OIDC_CLAIM_ID_NUMBER)", false,
		func(c *Config, v string) error { c.OIDC.ClaimIDVerified = v; return nil }},
	{"CIVICFLOW_BODY_LIMIT", "33554432", "largest request body in bytes (an application form posts its uploads with it; a body without files may have 4 MiB at most)", false,
		func(c *Config, v string) error { return intRange(&c.BodyLimit, v, 1024, 1<<30) }},
	{"CIVICFLOW_SESSION_TTL", "12h", "how long an idle login session lasts", false,
		func(c *Config, v string) error { return duration(&c.SessionTTL, v, time.Minute) }},
	{"CIVICFLOW_AUTH_CACHE_TTL", "30s", "how long a web process may let a session or API token in without reading the database again (0: every request reads it); logging out, revoking a token or a new password reach every process sharing the Redis at once, changes made in the database by hand only after this long", false,
		func(c *Config, v string) error {
			if d, err := time.ParseDuration(v); err == nil && d == 0 {
				c.AuthCacheTTL = 0
				return nil
			}
			return duration(&c.AuthCacheTTL, v, time.Second)
		}},
	{"CIVICFLOW_LOGIN_MAX_FAILURES_PER_ACCOUNT", "5", "failed logins for one login name within the window before it is throttled", false,
		func(c *Config, v string) error { return intRange(&c.LoginMaxFailuresPerAccount, v, 1, 1000) }},
	{"CIVICFLOW_LOGIN_MAX_FAILURES_PER_IP", "20", "failed logins from one address within the window before it is throttled", false,
		func(c *Config, v string) error { return intRange(&c.LoginMaxFailuresPerIP, v, 1, 100000) }},
	{"CIVICFLOW_LOGIN_THROTTLE_WINDOW", "15m", "window of the login throttle", false,
		func(c *Config, v string) error { return duration(&c.LoginThrottleWindow, v, time.Second) }},
	{"CIVICFLOW_PROGRESS_MAX_FAILURES_PER_IP", "10", "wrong progress lookups (case number and query code) from one address within the login throttle window before it is throttled", false,
		func(c *Config, v string) error { return intRange(&c.ProgressMaxFailuresPerIP, v, 1, 100000) }},
	{"CIVICFLOW_CONSULTATION_MIN_WORKING_DAYS", "7", "shortest comment period of a normative document put to public comment (征求意见), in working days of its jurisdiction's calendar", false,
		func(c *Config, v string) error { return intRange(&c.ConsultationMinWorkingDays, v, 1, 365) }},
	{"CIVICFLOW_CONSULTATION_MIN_RULE_DAYS", "30", "shortest comment period of a draft rule (规章草案) put to public comment, in days", false,
		func(c *Config, v string) error { return intRange(&c.ConsultationMinRuleDays, v, 1, 365) }},
	{"CIVICFLOW_CONSULTATION_COMMENTS_PER_IP", "10", "comments on drafts that one address (and one account) may send within the login throttle window", false,
		func(c *Config, v string) error { return intRange(&c.ConsultationCommentsPerIP, v, 1, 100000) }},
	{"CIVICFLOW_HOTLINE", "12345", "the service hotline the home page shows (12345: the government service hotline)", false,
		func(c *Config, v string) error { return nonEmpty(&c.Hotline, v) }},
	{"CIVICFLOW_DATABASE_TIMEOUT", "10s", "how long one request may wait for the database, queueing for a connection included (and a new PostgreSQL connection may take to open), before it answers 503", false,
		func(c *Config, v string) error { return duration(&c.DatabaseTimeout, v, 100*time.Millisecond) }},
	{"CIVICFLOW_WORKER_CONCURRENCY", "8", "background tasks run at once by one worker process", false,
		func(c *Config, v string) error { return intRange(&c.WorkerConcurrency, v, 1, 1000) }},
	{"CIVICFLOW_SHUTDOWN_TIMEOUT", "20s", "how long requests and tasks in flight may take to finish on SIGTERM", false,
		func(c *Config, v string) error { return duration(&c.ShutdownTimeout, v, time.Second) }},
	{"CIVICFLOW_RELAY_INTERVAL", "1s", "how often the outbox relay looks for messages: it delivers in-app messages itself (so they are seen within about this long) and enqueues e-mail and SMS", false,
		func(c *Config, v string) error { return duration(&c.RelayInterval, v, 10*time.Millisecond) }},
	{"CIVICFLOW_REDELIVER_AFTER", "2m", "an e-mail or SMS not sent this long after it was enqueued is enqueued again", false,
		func(c *Config, v string) error { return duration(&c.RedeliverAfter, v, time.Second) }},
	{"CIVICFLOW_DELIVERY_MAX_ATTEMPTS", "8", "delivery attempts before a message is marked failed for admins", false,
		func(c *Config, v string) error { return intRange(&c.DeliveryMaxAttempts, v, 1, 100) }},
	{"CIVICFLOW_POLICY_RELOAD_INTERVAL", "3s", "how often each process checks for changed role grants", false,
		func(c *Config, v string) error { return duration(&c.PolicyReloadInterval, v, 100*time.Millisecond) }},
	{"CIVICFLOW_CLOCK_INTERVAL", "30s", "how often a worker fires due timers, sends time-limit reminders and escalations, marks appointment no-shows and sends appointment reminders", false,
		func(c *Config, v string) error { return duration(&c.ClockInterval, v, time.Second) }},
	{"CIVICFLOW_RATING_REMIND_DAYS", "3", "working days before its due date (15 working days after a 差评) that a rectification is reminded of to those who handle it", false,
		func(c *Config, v string) error { return intRange(&c.RatingRemindDays, v, 0, 15) }},
	{"CIVICFLOW_SMTP_URL", "", "empty: e-mails are written to the log; smtp://user:pass@host:587 (STARTTLS) or smtps://…:465", true,
		func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
					return errors.New("must be empty or smtp://user:pass@host:port")
				}
			}
			c.SMTPURL = v
			return nil
		}},
	{"CIVICFLOW_MAIL_FROM", "CivicFlow <noreply@civicflow.invalid>", "sender of e-mails", false,
		func(c *Config, v string) error { return nonEmpty(&c.MailFrom, v) }},
	{"CIVICFLOW_SMS_PROVIDER", "log", "SMS channel: log (write messages, codes included, to the log: development only) or http (the HTTP SMS gateway of CIVICFLOW_SMS_HTTP_URL)", false,
		func(c *Config, v string) error { return oneOf(&c.SMSProvider, v, "log", "http") }},
	{"CIVICFLOW_SMS_HTTP_URL", "", "the HTTP SMS gateway's address: each message is a JSON POST {\"to\",\"text\"} there (provider http)", false,
		func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("must be empty or http(s)://host/path")
				}
			}
			c.SMSHTTPURL = v
			return nil
		}},
	{"CIVICFLOW_SMS_HTTP_KEY", "", "the key the HTTP SMS gateway is given as a bearer token (provider http)", true,
		func(c *Config, v string) error { c.SMSHTTPKey = v; return nil }},
	{"CIVICFLOW_SMS_CODES_PER_NUMBER", "5", "SMS codes (sign-up, password reset) one mobile number may be sent within the login throttle window", false,
		func(c *Config, v string) error { return intRange(&c.SMSCodesPerNumber, v, 1, 1000) }},
	{"CIVICFLOW_SMS_CODES_PER_IP", "20", "SMS codes that may be asked for from one address within the login throttle window", false,
		func(c *Config, v string) error { return intRange(&c.SMSCodesPerIP, v, 1, 100000) }},
	{"CIVICFLOW_INQUIRY_LIMITS", "question=5,complaint=15,suggestion=15", "time limits in working days of the public's questions (咨询), complaints (投诉) and suggestions (建议): kind=days, comma-separated; a kind left out keeps its default", false,
		func(c *Config, v string) error { return inquiryLimits(&c.InquiryLimits, v) }},
	{"CIVICFLOW_INQUIRIES_PER_IP", "10", "questions, complaints and suggestions that may be submitted from one address within the login throttle window", false,
		func(c *Config, v string) error { return intRange(&c.InquiriesPerIP, v, 1, 100000) }},
	{"CIVICFLOW_INQUIRIES_PER_ACCOUNT", "5", "questions, complaints and suggestions one account may submit within the login throttle window", false,
		func(c *Config, v string) error { return intRange(&c.InquiriesPerAccount, v, 1, 100000) }},
	{"CIVICFLOW_LOG_LEVEL", "info", "debug, info, warn or error", false,
		func(c *Config, v string) error { return oneOf(&c.LogLevel, v, "debug", "info", "warn", "error") }},
	{"CIVICFLOW_LOG_FORMAT", "text", "text or json", false,
		func(c *Config, v string) error { return oneOf(&c.LogFormat, v, "text", "json") }},
}

// Load reads the configuration from an environment lookup function (os.LookupEnv in production).
// It checks every option and reports all bad values at once, each naming its variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	var errs []error
	for _, o := range options {
		v, err := o.value(lookup)
		if err == nil {
			err = o.set(&c, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.name, err))
		}
	}
	if c.SMSProvider == "http" && (c.SMSHTTPURL == "" || c.SMSHTTPKey == "") {
		errs = append(errs, errors.New("CIVICFLOW_SMS_PROVIDER: http needs CIVICFLOW_SMS_HTTP_URL and CIVICFLOW_SMS_HTTP_KEY (or CIVICFLOW_SMS_HTTP_KEY_FILE)"))
	}
	errs = append(errs, c.OIDC.check()...)
	return c, errors.Join(errs...)
}

// FromEnvironment loads the configuration from the process environment.
func FromEnvironment() (Config, error) { return Load(os.LookupEnv) }

// value returns the option's text: NAME, else the contents of the file named by NAME_FILE for secrets,
// else the default.
func (o option) value(lookup func(string) (string, bool)) (string, error) {
	v, ok := lookup(o.name)
	if o.secret {
		if path, fok := lookup(o.name + "_FILE"); fok && path != "" {
			if ok && v != "" {
				return "", fmt.Errorf("set either %s or %s_FILE, not both", o.name, o.name)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("reading %s_FILE: %w", o.name, err)
			}
			return strings.TrimSpace(string(b)), nil
		}
	}
	if !ok {
		return o.def, nil
	}
	return strings.TrimSpace(v), nil
}

// Row is one documented option, for `civicflow config` and the README table.
type Row struct {
	Name, Default, Help string
	Secret              bool
}

// Table lists every option in name order.
func Table() []Row {
	rows := make([]Row, 0, len(options))
	for _, o := range options {
		rows = append(rows, Row{Name: o.name, Default: o.def, Help: o.help, Secret: o.secret})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

func nonEmpty(dst *string, v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*dst = v
	return nil
}

func hostPort(dst *string, v string) error {
	i := strings.LastIndex(v, ":")
	if i < 0 {
		return errors.New("must be host:port, e.g. 127.0.0.1:8080")
	}
	if p, err := strconv.Atoi(v[i+1:]); err != nil || p < 0 || p > 65535 {
		return errors.New("must be host:port with a port from 0 to 65535")
	}
	*dst = v
	return nil
}

func boolean(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	*dst = b
	return nil
}

func intRange(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	*dst = n
	return nil
}

// InquiryKinds are the kinds of CIVICFLOW_INQUIRY_LIMITS, with their default limits in working days
// (domain.md §10; the suggestion's is a local choice).
var InquiryKinds = map[string]int{"question": 5, "complaint": 15, "suggestion": 15}

// inquiryLimits reads kind=days pairs over the defaults of InquiryKinds.
func inquiryLimits(dst *map[string]int, v string) error {
	out := make(map[string]int, len(InquiryKinds))
	for k, d := range InquiryKinds {
		out[k] = d
	}
	for _, pair := range strings.Split(v, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, d, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if _, known := InquiryKinds[k]; !ok || !known || err != nil || n < 1 || n > 60 {
			return errors.New("must be kind=days pairs separated by commas, kinds question, complaint and suggestion, days from 1 to 60")
		}
		out[k] = n
	}
	*dst = out
	return nil
}

func duration(dst *time.Duration, v string, min time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		return fmt.Errorf("must be a duration such as 30s or 5m, at least %s", min)
	}
	*dst = d
	return nil
}

func oneOf(dst *string, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
}

package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/civicflow/civicflow/config"
)

// Sender delivers a rendered message to an address outside CivicFlow (an e-mail address, a phone
// number). The in-app inbox is not a Sender: it is written in the database transaction that marks
// the message delivered, so that it happens exactly once.
type Sender interface {
	Send(ctx context.Context, address, subject, body string) error
}

// Senders are the channels that leave CivicFlow. A nil field means the log sink of that channel.
type Senders struct {
	Email Sender
	SMS   Sender
}

// SendersFromConfig builds the senders a worker uses: SMTP when CIVICFLOW_SMTP_URL is set, else
// e-mails are logged; SMS through the provider CIVICFLOW_SMS_PROVIDER names.
func SendersFromConfig(cfg config.Config) (Senders, error) {
	var s Senders
	if cfg.SMTPURL == "" {
		s.Email = LogEmail{}
	} else {
		e, err := NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return s, fmt.Errorf("CIVICFLOW_SMTP_URL: %w", err)
		}
		s.Email = e
	}
	p, err := NewSMSProvider(cfg)
	if err != nil {
		return s, err
	}
	s.SMS = SMSSender{Provider: p}
	return s, nil
}

// LogEmail is the e-mail channel when no SMTP server is configured: it writes the recipient and
// subject to the log and drops the body, which may hold links or codes that must not end up in logs.
type LogEmail struct{}

// Send logs the e-mail instead of sending it.
func (LogEmail) Send(ctx context.Context, address, subject, body string) error {
	slog.InfoContext(ctx, "e-mail not sent: no SMTP server configured", "to", address, "subject", subject,
		"body_bytes", len(body))
	return nil
}

// SMTPSender sends e-mails through an SMTP server with go-mail. It is safe for concurrent use.
type SMTPSender struct {
	client *mail.Client
	from   string
}

// NewSMTPSender connects e-mail to the server at rawURL: smtp://user:pass@host[:587] uses STARTTLS
// (required), smtps://user:pass@host[:465] implicit TLS. Errors never repeat the URL, which holds the
// password.
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	opts, host, err := smtpOptions(rawURL)
	if err != nil {
		return nil, err
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the SMTP client for %s: %w", host, err)
	}
	if err := mail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("CIVICFLOW_MAIL_FROM %q is not an e-mail address: %w", from, err)
	}
	return &SMTPSender{client: c, from: from}, nil
}

// smtpOptions turns the SMTP URL into go-mail options and the server's host name.
func smtpOptions(rawURL string) ([]mail.Option, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, password included: leave it out.
		return nil, "", errors.New("the SMTP URL cannot be parsed")
	}
	host := u.Hostname()
	if host == "" {
		return nil, "", errors.New("the SMTP URL has no host")
	}
	opts := []mail.Option{mail.WithTimeout(20 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, "", fmt.Errorf("the SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, "", fmt.Errorf("the SMTP URL port %q is not a number", p)
		}
		port = n
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return opts, host, nil
}

// Send sends one plain-text e-mail.
func (s *SMTPSender) Send(ctx context.Context, address, subject, body string) error {
	m := mail.NewMsg()
	if err := m.From(s.from); err != nil {
		return fmt.Errorf("setting the sender: %w", err)
	}
	if err := m.To(address); err != nil {
		return fmt.Errorf("setting the recipient: %w", err)
	}
	m.Subject(subject)
	m.SetDate()
	m.SetMessageID()
	m.SetBodyString(mail.TypeTextPlain, body)
	if err := s.client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("sending e-mail: %w", err)
	}
	return nil
}

// SMSProvider sends a text message to a phone number; each SMS gateway gets one implementation.
type SMSProvider interface {
	SendSMS(ctx context.Context, phone, text string) error
}

// NewSMSProvider returns the provider CIVICFLOW_SMS_PROVIDER names: the log, or the HTTP gateway.
func NewSMSProvider(cfg config.Config) (SMSProvider, error) {
	switch cfg.SMSProvider {
	case "", "log":
		return LogSMS{}, nil
	case "http":
		return NewHTTPSMS(cfg.SMSHTTPURL, cfg.SMSHTTPKey)
	}
	return nil, fmt.Errorf("unknown SMS provider %q", cfg.SMSProvider)
}

// LogSMS is the SMS provider that writes each message, text included, to the log instead of sending
// it: for development only, since the text holds sign-up and password reset codes (serve warns at
// start-up while it is configured).
type LogSMS struct{}

// SendSMS logs the message instead of sending it.
func (LogSMS) SendSMS(ctx context.Context, phone, text string) error {
	slog.InfoContext(ctx, "SMS not sent: log provider", "to", phone, "text", text)
	return nil
}

// SMSSender is the SMS channel: it sends the body of a message through a provider (a text message
// has no subject).
type SMSSender struct {
	Provider SMSProvider
}

// Send sends body to the phone number address.
func (s SMSSender) Send(ctx context.Context, address, _, body string) error {
	if err := s.Provider.SendSMS(ctx, address, body); err != nil {
		return fmt.Errorf("sending SMS: %w", err)
	}
	return nil
}

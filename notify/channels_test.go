package notify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/config"
)

func TestSMTPOptions(t *testing.T) {
	for _, u := range []string{"smtp://user:pass@mail.example.org", "smtps://mail.example.org:2465", "smtp://mail.example.org:25"} {
		if _, host, err := smtpOptions(u); err != nil || host != "mail.example.org" {
			t.Errorf("%s: host %q, err %v", u, host, err)
		}
	}
	for _, u := range []string{"http://mail.example.org", "smtp://", "smtp://u:s3cret@mail.example.org:x", "smtp://u:s3cret@mail example.org"} {
		_, _, err := smtpOptions(u)
		if err == nil {
			t.Errorf("%s: accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error reveals the password: %v", u, err)
		}
	}
}

func TestSendersFromConfig(t *testing.T) {
	s, err := SendersFromConfig(config.Config{MailFrom: "CivicFlow <noreply@civicflow.invalid>", SMSProvider: "log"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Email.(LogEmail); !ok {
		t.Errorf("e-mail sender without SMTP is %T, want LogEmail", s.Email)
	}
	if err := s.SMS.Send(context.Background(), "13800000000", "", "text"); err != nil {
		t.Error(err)
	}
	s, err = SendersFromConfig(config.Config{SMTPURL: "smtps://u:p@mail.example.org", MailFrom: "noreply@civicflow.invalid", SMSProvider: "log"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Email.(*SMTPSender); !ok {
		t.Errorf("e-mail sender with SMTP is %T", s.Email)
	}
	if _, err := SendersFromConfig(config.Config{SMSProvider: "carrier-pigeon"}); err == nil {
		t.Error("an unknown SMS provider was accepted")
	}
}

type failingSMS struct{}

func (failingSMS) SendSMS(context.Context, string, string) error { return errors.New("gateway down") }

func TestSMSSenderWrapsProviderErrors(t *testing.T) {
	if err := (SMSSender{Provider: failingSMS{}}).Send(context.Background(), "1", "s", "b"); err == nil {
		t.Error("no error")
	}
}

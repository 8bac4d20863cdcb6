package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/config"
)

func TestHTTPSMS(t *testing.T) {
	var got smsRequest
	var auth string
	status := http.StatusOK
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"quota exceeded"}`))
	}))
	defer gw.Close()
	s, err := SendersFromConfig(config.Config{MailFrom: "noreply@civicflow.invalid", SMSProvider: "http", SMSHTTPURL: gw.URL + "/send", SMSHTTPKey: "k3y"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SMS.Send(context.Background(), "13800138000", "", "您的验证码是 123456"); err != nil {
		t.Fatal(err)
	}
	if got.To != "13800138000" || got.Text != "您的验证码是 123456" || auth != "Bearer k3y" {
		t.Errorf("gateway got %+v with %q", got, auth)
	}
	status = http.StatusTooManyRequests
	err = s.SMS.Send(context.Background(), "13800138000", "", "您的验证码是 654321")
	if err == nil || !strings.Contains(err.Error(), "429") || strings.Contains(err.Error(), "k3y") || strings.Contains(err.Error(), "654321") {
		t.Errorf("err = %v, want the status without key or text", err)
	}
	if _, err := NewSMSProvider(config.Config{SMSProvider: "http", SMSHTTPURL: "ftp://x"}); err == nil {
		t.Error("a bad gateway address was accepted")
	}
}

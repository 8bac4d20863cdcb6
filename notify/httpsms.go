package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTPSMS is the SMS provider for the common kind of HTTP SMS gateway: each message is a POST of
// the JSON object {"to": "13800138000", "text": "…"} to the gateway's address, with the key as a
// bearer token (Authorization: Bearer KEY); any 2xx answer means the gateway took the message.
// Configured by CIVICFLOW_SMS_HTTP_URL and CIVICFLOW_SMS_HTTP_KEY (or _KEY_FILE).
type HTTPSMS struct {
	url, key string
	client   *http.Client
}

// NewHTTPSMS returns the provider posting to the gateway at rawURL with key.
func NewHTTPSMS(rawURL, key string) (*HTTPSMS, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("CIVICFLOW_SMS_HTTP_URL must be http(s)://host/path")
	}
	if key == "" {
		return nil, errors.New("the HTTP SMS gateway needs CIVICFLOW_SMS_HTTP_KEY or CIVICFLOW_SMS_HTTP_KEY_FILE")
	}
	return &HTTPSMS{url: rawURL, key: key, client: &http.Client{Timeout: 20 * time.Second}}, nil
}

// smsRequest is the body posted to the gateway.
type smsRequest struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// SendSMS posts one message to the gateway. Its error names the gateway's status and the start of
// its answer, never the key or the text (which may hold a code).
func (h *HTTPSMS) SendSMS(ctx context.Context, phone, text string) error {
	body, err := json.Marshal(smsRequest{To: phone, Text: text})
	if err != nil {
		return fmt.Errorf("encoding the SMS: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("preparing the SMS request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.key)
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("posting to the SMS gateway: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the SMS gateway answered %s: %s", resp.Status, truncate(string(answer), 200))
	}
	return nil
}

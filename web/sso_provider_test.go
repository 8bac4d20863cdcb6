package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// testIdP is a real OpenID provider (zitadel's op package) in the test process, standing in for the
// unified identity platform: its storage is in memory, its login page a plain form. Switches let a
// test corrupt what travels between it and CivicFlow.
type testIdP struct {
	URL      string
	clientID string
	secret   string
	store    *idpStorage
	// tamper alters the payload of the next ID token the token endpoint answers, keeping its signature.
	tamper atomic.Bool
	// forgeNonce replaces the nonce of the next authorization request before the provider sees it.
	forgeNonce atomic.Bool
	// dropVerifier removes the PKCE code_verifier from token requests while it is set (x/oauth2 sends a
	// refused token request again with the client's credentials in the body instead of the header).
	dropVerifier atomic.Bool
}

// idpUser is a person of the provider; the claims follow the mapping the tests configure.
type idpUser struct {
	Subject, Username, Password, Name, Phone, IDNumber string
	IDVerified                                         bool
}

func startIdP(t testing.TB, users ...idpUser) *testIdP {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{URL: issuer, clientID: "civicflow", secret: "civicflow-secret"}
	idp.store = &idpStorage{key: key, users: map[string]idpUser{}, requests: map[string]*idpRequest{}, codes: map[string]string{},
		tokens: map[string]string{}, client: &idpClient{id: idp.clientID, secret: idp.secret}}
	for _, u := range users {
		idp.store.users[u.Username] = u
	}
	var cryptoKey [32]byte
	copy(cryptoKey[:], "civicflow-test-idp-crypto-key-32")
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English}}, idp.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	callback := op.AuthCallbackURL(provider)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		idpLoginForm(w, r.FormValue("authRequestID"), "")
	})
	mux.Handle("POST /login", interceptor.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := idp.store.checkLogin(id, r.FormValue("username"), r.FormValue("password")); err != nil {
			idpLoginForm(w, id, err.Error())
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", idp.interpose(provider))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return idp
}

// allow registers the redirect URI of a CivicFlow site with the provider's one client.
func (idp *testIdP) allow(redirectURI string) {
	idp.store.mu.Lock()
	defer idp.store.mu.Unlock()
	idp.store.client.redirectURIs = append(idp.store.client.redirectURIs, redirectURI)
}

// lastChallenge is the PKCE challenge and method of the last authorization request.
func (idp *testIdP) lastChallenge() (string, oidc.CodeChallengeMethod) {
	idp.store.mu.Lock()
	defer idp.store.mu.Unlock()
	return idp.store.lastChallenge, idp.store.lastMethod
}

// idpLoginForm is the provider's login page: the people who sign in at the platform.
func idpLoginForm(w http.ResponseWriter, id, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Unified identity platform</title></head><body>
<h1>Unified identity platform</h1><p id="problem">%s</p>
<form method="post" action="/login"><input type="hidden" name="id" value="%s">
<label for="username">Username</label> <input id="username" name="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit" id="idp-submit">Sign in</button></form></body></html>`, html.EscapeString(problem), html.EscapeString(id))
}

// interpose wraps the provider with the switches of the test.
func (idp *testIdP) interpose(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/authorize" && idp.forgeNonce.CompareAndSwap(true, false):
			q := r.URL.Query()
			q.Set("nonce", "forged-nonce")
			r.URL.RawQuery = q.Encode()
		case r.URL.Path == "/oauth/token" && idp.dropVerifier.Load():
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			form.Del("code_verifier")
			enc := form.Encode()
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
		case r.URL.Path == "/oauth/token" && idp.tamper.CompareAndSwap(true, false):
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var answer map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err == nil {
				if raw, ok := answer["id_token"].(string); ok {
					answer["id_token"] = tamperedToken(raw)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			_ = json.NewEncoder(w).Encode(answer)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tamperedToken changes the subject in a signed JWT's payload and keeps the original signature.
func tamperedToken(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return raw
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return raw
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return raw
	}
	claims["sub"] = "someone-else"
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// idpStorage is the provider's storage, in memory: one client, its users, authorization requests,
// codes and access tokens.
type idpStorage struct {
	mu            sync.Mutex
	key           *rsa.PrivateKey
	client        *idpClient
	users         map[string]idpUser     // by username
	requests      map[string]*idpRequest // by id
	codes         map[string]string      // code → request id
	tokens        map[string]string      // access token id → subject
	next          int
	lastChallenge string
	lastMethod    oidc.CodeChallengeMethod
}

var _ op.Storage = (*idpStorage)(nil)

func (s *idpStorage) checkLogin(id, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errors.New("unknown request")
	}
	u, ok := s.users[username]
	if !ok || u.Password != password {
		return errors.New("wrong username or password")
	}
	req.subject, req.done, req.authTime = u.Subject, true, time.Now()
	return nil
}

func (s *idpStorage) CreateAuthRequest(_ context.Context, ar *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	req := &idpRequest{id: strconv.Itoa(s.next), ar: *ar}
	s.requests[req.id] = req
	s.lastChallenge, s.lastMethod = ar.CodeChallenge, ar.CodeChallengeMethod
	return req, nil
}

func (s *idpStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req, ok := s.requests[id]; ok {
		return req, nil
	}
	return nil, errors.New("request not found")
}

func (s *idpStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *idpStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *idpStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *idpStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	id := "at-" + strconv.Itoa(s.next)
	s.tokens[id] = req.GetSubject()
	return id, time.Now().Add(5 * time.Minute), nil
}

func (s *idpStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens here")
}

func (s *idpStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("no refresh tokens here")
}

func (s *idpStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *idpStorage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *idpStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *idpStorage) SigningKey(context.Context) (op.SigningKey, error) { return idpKey{s.key}, nil }

func (s *idpStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *idpStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{idpPublicKey{s.key}}, nil
}

func (s *idpStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.client.id {
		return nil, errors.New("client not found")
	}
	c := *s.client
	return &c, nil
}

func (s *idpStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return errors.New("wrong client or secret")
	}
	return nil
}

// SetUserinfoFromScopes gives the ID token its subject; the other claims come from userinfo.
func (s *idpStorage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	info.Subject = userID
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint: the mapped claims CivicFlow reads.
func (s *idpStorage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	subject, ok := s.tokens[tokenID]
	if !ok {
		return errors.New("token unknown")
	}
	for _, u := range s.users {
		if u.Subject == subject {
			info.Subject, info.Name, info.PhoneNumber = u.Subject, u.Name, u.Phone
			info.AppendClaims("id_card", u.IDNumber)
			info.AppendClaims("real_name_verified", u.IDVerified)
			return nil
		}
	}
	return errors.New("user not found")
}

func (s *idpStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection here")
}

func (s *idpStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *idpStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys here")
}

func (s *idpStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile here")
}

func (s *idpStorage) Health(context.Context) error { return nil }

// idpRequest is an authorization request at the provider.
type idpRequest struct {
	id       string
	ar       oidc.AuthRequest
	subject  string
	done     bool
	authTime time.Time
}

func (r *idpRequest) GetID() string                      { return r.id }
func (r *idpRequest) GetACR() string                     { return "" }
func (r *idpRequest) GetAMR() []string                   { return []string{"pwd"} }
func (r *idpRequest) GetAudience() []string              { return []string{r.ar.ClientID} }
func (r *idpRequest) GetAuthTime() time.Time             { return r.authTime }
func (r *idpRequest) GetClientID() string                { return r.ar.ClientID }
func (r *idpRequest) GetNonce() string                   { return r.ar.Nonce }
func (r *idpRequest) GetRedirectURI() string             { return r.ar.RedirectURI }
func (r *idpRequest) GetResponseType() oidc.ResponseType { return r.ar.ResponseType }
func (r *idpRequest) GetResponseMode() oidc.ResponseMode { return r.ar.ResponseMode }
func (r *idpRequest) GetScopes() []string                { return r.ar.Scopes }
func (r *idpRequest) GetState() string                   { return r.ar.State }
func (r *idpRequest) GetSubject() string                 { return r.subject }
func (r *idpRequest) Done() bool                         { return r.done }
func (r *idpRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.ar.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.ar.CodeChallenge, Method: r.ar.CodeChallengeMethod}
}

// idpClient is CivicFlow as the provider knows it: a confidential web client.
type idpClient struct {
	id, secret   string
	redirectURIs []string
}

func (c *idpClient) GetID() string                       { return c.id }
func (c *idpClient) RedirectURIs() []string              { return c.redirectURIs }
func (c *idpClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *idpClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *idpClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *idpClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *idpClient) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *idpClient) LoginURL(id string) string            { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c *idpClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *idpClient) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c *idpClient) DevMode() bool                        { return true } // http redirect URIs on the loopback
func (c *idpClient) IsScopeAllowed(string) bool           { return false }
func (c *idpClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *idpClient) ClockSkew() time.Duration             { return 0 }
func (c *idpClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *idpClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

type idpKey struct{ k *rsa.PrivateKey }

func (k idpKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpKey) Key() any                                    { return k.k }
func (k idpKey) ID() string                                  { return "test-key" }

type idpPublicKey struct{ k *rsa.PrivateKey }

func (k idpPublicKey) ID() string                         { return "test-key" }
func (k idpPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpPublicKey) Use() string                        { return "sig" }
func (k idpPublicKey) Key() any                           { return &k.k.PublicKey }

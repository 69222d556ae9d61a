package provider

// A minimal STACKIT IaaS v2 client for the orphan check, on net/http and the standard library only
// (the official SDK's services/iaas module is not available from the Go module proxy): the
// service-account key flow (an RS512-signed assertion exchanged at the key's token endpoint for a
// bearer token, as stackit-sdk-go/core's KeyFlow does) and the three list calls the check needs.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const defaultTokenURL = "https://service-account.api.stackit.cloud/token"

// serviceAccountKey is the portal's key JSON (the fields the key flow needs).
type serviceAccountKey struct {
	ID          string `json:"id"`
	Credentials struct {
		Kid           string `json:"kid"`
		Iss           string `json:"iss"`
		Sub           string `json:"sub"`
		Aud           string `json:"aud"`
		PrivateKey    string `json:"privateKey"`
		TokenEndpoint string `json:"tokenEndpoint"`
	} `json:"credentials"`
}

type iaasClient struct {
	endpoint  string // e.g. http://127.0.0.1:8787 (paths start with /v2)
	projectID string
	region    string
	tokenURL  string
	key       serviceAccountKey
	signer    *rsa.PrivateKey
	http      *http.Client

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

func newIaasClient(endpoint, projectID, region string, keyJSON, privateKeyPEM []byte, tokenURL string) (*iaasClient, error) {
	var key serviceAccountKey
	if err := json.Unmarshal(keyJSON, &key); err != nil {
		return nil, fmt.Errorf("service account key is not JSON: %w", err)
	}
	if key.Credentials.Kid == "" || key.Credentials.Iss == "" || key.Credentials.Sub == "" || key.Credentials.Aud == "" {
		return nil, errors.New("service account key lacks credentials.kid/iss/sub/aud")
	}
	pemText := []byte(key.Credentials.PrivateKey)
	if len(privateKeyPEM) > 0 {
		pemText = privateKeyPEM
	}
	signer, err := parseRSAPrivateKey(pemText)
	if err != nil {
		return nil, err
	}
	if tokenURL == "" {
		tokenURL = key.Credentials.TokenEndpoint
	}
	if tokenURL == "" {
		tokenURL = defaultTokenURL
	}
	return &iaasClient{
		endpoint:  strings.TrimRight(endpoint, "/"),
		projectID: projectID,
		region:    region,
		tokenURL:  tokenURL,
		key:       key,
		signer:    signer,
		http:      &http.Client{Timeout: 30 * time.Second},
	}, nil
}

func parseRSAPrivateKey(pemText []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("service account private key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("service account private key: %w", err)
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("service account private key is not an RSA key")
	}
	return k, nil
}

// accessToken returns a cached bearer token, fetching a new one through the key flow when it is
// missing or about to expire.
func (c *iaasClient) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Until(c.tokenExp) > time.Minute {
		return c.token, nil
	}
	assertion, err := c.assertion()
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		// The body is an OAuth error (error, error_description); it never holds the key.
		return "", fmt.Errorf("token endpoint answered %d: %s", res.StatusCode, truncate(body))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", errors.New("token endpoint answered 200 without an access_token")
	}
	c.token = tok.AccessToken
	c.tokenExp = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return c.token, nil
}

// assertion is the RS512 JWT the key flow sends: header kid, claims iss/sub/aud/jti/iat/exp.
func (c *iaasClient) assertion() (string, error) {
	now := time.Now().Unix()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS512", "typ": "JWT", "kid": c.key.Credentials.Kid})
	claims, _ := json.Marshal(map[string]any{
		"iss": c.key.Credentials.Iss,
		"sub": c.key.Credentials.Sub,
		"aud": c.key.Credentials.Aud,
		"jti": fmt.Sprintf("%x-%x-%x-%x-%x", jti[0:4], jti[4:6], jti[6:8], jti[8:10], jti[10:]),
		"iat": now,
		"exp": now + 600,
	})
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha512.Sum512([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.signer, crypto.SHA512, digest[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + enc.EncodeToString(sig), nil
}

func (c *iaasClient) do(ctx context.Context, method, path string, query url.Values, out any) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if res.StatusCode >= 300 {
		return &apiError{Method: method, Path: path, Status: res.StatusCode, Body: truncate(body)}
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.Method, e.Path, e.Status, e.Body)
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (c *iaasClient) scope() string {
	return "/v2/projects/" + url.PathEscape(c.projectID) + "/regions/" + url.PathEscape(c.region)
}

type server struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

type volume struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	ServerID string `json:"serverId"`
}

type nic struct {
	ID     string `json:"id"`
	Device string `json:"device"`
	Status string `json:"status"`
}

// listServers is ListServers with a label_selector (comma-separated terms, all must hold).
func (c *iaasClient) listServers(ctx context.Context, selector string) ([]server, error) {
	var out struct {
		Items []server `json:"items"`
	}
	q := url.Values{}
	if selector != "" {
		q.Set("label_selector", selector)
	}
	err := c.do(ctx, http.MethodGet, c.scope()+"/servers", q, &out)
	return out.Items, err
}

func (c *iaasClient) listVolumes(ctx context.Context) ([]volume, error) {
	var out struct {
		Items []volume `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, c.scope()+"/volumes", nil, &out)
	return out.Items, err
}

// listNICs is ListProjectNICs: every NIC of the project in the region.
func (c *iaasClient) listNICs(ctx context.Context) ([]nic, error) {
	var out struct {
		Items []nic `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, c.scope()+"/nics", nil, &out)
	return out.Items, err
}

func (c *iaasClient) deleteServer(ctx context.Context, id string) error {
	err := c.do(ctx, http.MethodDelete, c.scope()+"/servers/"+url.PathEscape(id), nil, nil)
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil
	}
	return err
}

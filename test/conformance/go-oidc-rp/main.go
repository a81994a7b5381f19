// A relying party on go-oidc (github.com/coreos/go-oidc) and golang.org/x/oauth2, which this
// project did not write.
//
// It signs the person of a browser session in through the provider: discovery, the authorization
// code flow with PKCE (S256), a nonce and a state, the code redeemed with client_secret_basic, the
// ID token verified by go-oidc (signature against the published keys, iss, aud, exp), its nonce
// checked, and userinfo. The browser's part is done here too: an HTTP client with a cookie jar
// holding the person's session cookie follows the provider's redirects until they reach the
// redirect_uri.
//
// Input (environment): ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SESSION_COOKIE (name=value).
// Output: one JSON object on stdout, {"id_token": {claims}, "userinfo": {claims}}; an error exits 1.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	issuer := os.Getenv("ISSUER")
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	app := oauth2.Config{
		ClientID:     os.Getenv("CLIENT_ID"),
		ClientSecret: os.Getenv("CLIENT_SECRET"),
		Endpoint:     provider.Endpoint(),
		RedirectURL:  os.Getenv("REDIRECT_URI"),
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
	app.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	verifier := oauth2.GenerateVerifier()
	state, nonce := random(), random()
	start := app.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))

	callback, err := follow(issuer, start, app.RedirectURL)
	if err != nil {
		return err
	}
	if callback.Query().Get("state") != state {
		return errors.New("the state came back changed")
	}
	code := callback.Query().Get("code")
	if code == "" {
		return fmt.Errorf("no code at the callback: %s", callback.RawQuery)
	}
	token, err := app.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	raw, ok := token.Extra("id_token").(string)
	if !ok {
		return errors.New("no id_token in the token response")
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: app.ClientID}).Verify(ctx, raw)
	if err != nil {
		return fmt.Errorf("id_token: %w", err)
	}
	if idToken.Nonce != nonce {
		return errors.New("the id_token's nonce is not the one sent")
	}
	if err := idToken.VerifyAccessToken(token.AccessToken); err != nil && idToken.AccessTokenHash != "" {
		return fmt.Errorf("at_hash: %w", err)
	}
	var idClaims map[string]any
	if err := idToken.Claims(&idClaims); err != nil {
		return err
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if info.Subject != idToken.Subject {
		return errors.New("userinfo's sub is not the id_token's")
	}
	var infoClaims map[string]any
	if err := info.Claims(&infoClaims); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"id_token": idClaims, "userinfo": infoClaims})
}

// follow is the browser: the provider's redirects, with the session cookie, until the redirect_uri.
func follow(issuer, start, redirectURI string) (*url.URL, error) {
	jar, _ := cookiejar.New(nil)
	base, err := url.Parse(issuer)
	if err != nil {
		return nil, err
	}
	name, value, _ := strings.Cut(os.Getenv("SESSION_COOKIE"), "=")
	jar.SetCookies(base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	browser := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	next, err := url.Parse(start)
	if err != nil {
		return nil, err
	}
	for range 10 {
		if strings.HasPrefix(next.String(), redirectURI) {
			return next, nil
		}
		response, err := browser.Get(next.String())
		if err != nil {
			return nil, err
		}
		response.Body.Close()
		location := response.Header.Get("Location")
		if location == "" {
			return nil, fmt.Errorf("%d at %s without a redirect", response.StatusCode, next)
		}
		if next, err = next.Parse(location); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("more than 10 redirects")
}

func random() string {
	bytes := make([]byte, 24)
	_, _ = rand.Read(bytes)
	return base64.RawURLEncoding.EncodeToString(bytes)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// early is how long before its expiry an access token is replaced, so that it does not
// expire on the way to the server.
const early = 30 * time.Second

func (a *App) loginCommand() *cobra.Command {
	var server, username, clientID string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "login --server URL [--username EMAIL | --client-id ID]",
		Short: "Sign in and keep the sign-in for the other commands",
		Long: `Sign in to a p4w server and keep the tokens in $XDG_CONFIG_HOME/p4wctl/config.json
(readable by you only). The access token is refreshed when it expires, so one login lasts as
long as the server lets the sign-in live.

A user signs in with an email and password. The password is asked for without echo on a
terminal, or taken from P4W_PASSWORD, or read as the first line of standard input; it is never
a flag, so it stays out of shell history and process lists.

An API client signs in with --client-id; its secret is taken from P4W_CLIENT_SECRET or read as
the first line of standard input. Its token cannot be refreshed: when it expires, p4wctl signs
in again if P4W_CLIENT_SECRET is set, or asks you to log in again.`,
		Example: `  p4wctl login --server https://p4w.example.nhs.uk --username coordinator@trust.nhs.uk
  P4W_PASSWORD=... p4wctl login --server http://localhost:8080 -u coordinator@northgate.example.org
  p4wctl login --server http://localhost:8080 --client-id demo-northgate-hr < secret-file`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.login(cmd.Context(), server, username, clientID, scopes)
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "the server's URL, such as https://p4w.example.nhs.uk (default $P4W_SERVER)")
	f.StringVarP(&username, "username", "u", "", "the user's email (asked for on a terminal when not given)")
	f.StringVar(&clientID, "client-id", "", "sign in as this API client instead of a user")
	f.StringSliceVar(&scopes, "scope", nil, "with --client-id: narrow the token to these scopes")
	cmd.MarkFlagsMutuallyExclusive("username", "client-id")
	return cmd
}

func (a *App) login(ctx context.Context, server, username, clientID string, scopes []string) error {
	if server == "" {
		server = a.Getenv("P4W_SERVER")
	}
	server, err := serverURL(server)
	if err != nil {
		return err
	}
	dir, err := a.configDir()
	if err != nil {
		return err
	}
	form := client.TokenRequest{GrantType: client.Password}
	who := ""
	if clientID != "" {
		secret, err := a.secret("Client secret: ", "P4W_CLIENT_SECRET")
		if err != nil {
			return err
		}
		form = client.TokenRequest{GrantType: client.ClientCredentials, ClientId: &clientID, ClientSecret: &secret}
		if len(scopes) > 0 {
			s := strings.Join(scopes, " ")
			form.Scope = &s
		}
		who = "API client " + clientID
	} else {
		if len(scopes) > 0 {
			return usageError("--scope goes with --client-id: a user's token carries the user's role")
		}
		if username == "" {
			if username, err = a.askUsername(); err != nil {
				return err
			}
		}
		password, err := a.secret("Password for "+username+": ", "P4W_PASSWORD")
		if err != nil {
			return err
		}
		form.Username, form.Password = &username, &password
		who = username
	}
	tok, err := a.requestToken(ctx, server, form)
	if err != nil {
		return err
	}
	c := config{Server: server, AccessToken: tok.AccessToken, ExpiresAt: a.now().Add(time.Duration(tok.ExpiresIn) * time.Second), ClientID: clientID}
	if tok.RefreshToken != nil {
		c.RefreshToken = *tok.RefreshToken
	}
	if err := saveConfig(dir, c); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "Signed in to %s as %s; the sign-in is kept in %s.\n", server, who, filepath.Join(dir, configName))
	if u, _ := url.Parse(server); u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(a.Stderr, "Warning: %s is plain HTTP: the tokens and the data cross the network unencrypted.\n", server)
	}
	return nil
}

func (a *App) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the kept sign-in and forget it",
		Long: `Revoke the kept refresh token at the server (ending every token of the sign-in) and delete
the sign-in from $XDG_CONFIG_HOME/p4wctl/config.json. The file is deleted even when the server
cannot be reached; p4wctl then says so and exits 4, and the sign-in ends when its refresh token
expires.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := a.configDir()
			if err != nil {
				return err
			}
			c, err := loadConfig(dir)
			if errors.Is(err, errNoConfig) {
				fmt.Fprintln(a.Stderr, "Not signed in.")
				return nil
			}
			var revokeErr error
			if err == nil && c.RefreshToken != "" {
				revokeErr = a.revoke(cmd.Context(), c.Server, c.RefreshToken)
			}
			if err := removeConfig(dir); err != nil {
				return err
			}
			if revokeErr != nil {
				return serverError("signed out here, but the server did not revoke the sign-in: %v", revokeErr)
			}
			fmt.Fprintf(a.Stderr, "Signed out of %s.\n", c.Server)
			return nil
		},
	}
}

// tokenAPI is the generated client for the OAuth 2 endpoints, which take no token.
func (a *App) tokenAPI(server string) (*client.ClientWithResponses, error) {
	api, err := client.NewClientWithResponses(server, client.WithHTTPClient(a.httpClient()))
	if err != nil {
		return nil, usageError("the server's URL %q: %v", server, err)
	}
	return api, nil
}

func (a *App) requestToken(ctx context.Context, server string, form client.TokenRequest) (client.TokenResponse, error) {
	api, err := a.tokenAPI(server)
	if err != nil {
		return client.TokenResponse{}, err
	}
	res, err := api.IssueTokenWithFormdataBodyWithResponse(ctx, form)
	if err != nil {
		return client.TokenResponse{}, requestFailed(server, err)
	}
	if res.JSON200 != nil && res.JSON200.AccessToken != "" {
		return *res.JSON200, nil
	}
	return client.TokenResponse{}, oauthError(res.StatusCode(), res.Body)
}

func (a *App) revoke(ctx context.Context, server, refreshToken string) error {
	api, err := a.tokenAPI(server)
	if err != nil {
		return err
	}
	hint := "refresh_token"
	res, err := api.RevokeTokenWithFormdataBodyWithResponse(ctx, client.RevokeRequest{Token: refreshToken, TokenTypeHint: &hint})
	if err != nil {
		return requestFailed(server, err)
	}
	if res.StatusCode() != http.StatusOK {
		return oauthError(res.StatusCode(), res.Body)
	}
	return nil
}

// secret is a password or client secret: from the environment variable env, or asked for
// without echo on a terminal, or the first line of standard input.
func (a *App) secret(prompt, env string) (string, error) {
	if v := a.Getenv(env); v != "" {
		return v, nil
	}
	if isTerminal(a.Stdin) {
		fmt.Fprint(a.Stderr, prompt)
		b, err := term.ReadPassword(int(a.Stdin.(interface{ Fd() uintptr }).Fd()))
		fmt.Fprintln(a.Stderr)
		if err != nil {
			return "", usageError("read the secret: %v", err)
		}
		if len(b) == 0 {
			return "", usageError("no secret given")
		}
		return string(b), nil
	}
	line, err := a.line()
	if err != nil || line == "" {
		return "", usageError("no secret: set %s, or give it as the first line of standard input", env)
	}
	return line, nil
}

func (a *App) askUsername() (string, error) {
	if !isTerminal(a.Stdin) {
		return "", usageError("--username is needed when standard input is not a terminal")
	}
	fmt.Fprint(a.Stderr, "Email: ")
	line, err := a.line()
	if err != nil || line == "" {
		return "", usageError("no email given")
	}
	return line, nil
}

// line reads one line of standard input, without its line end. It reads a byte at a time
// so that nothing after the line is taken from a terminal that a password prompt reads next.
func (a *App) line() (string, error) {
	var b strings.Builder
	one := make([]byte, 1)
	for b.Len() < 4096 {
		n, err := a.Stdin.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b.WriteByte(one[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(b.String(), "\r"), nil
}

// serverURL checks and normalises the server's base URL.
func serverURL(s string) (string, error) {
	if s == "" {
		return "", usageError("no server: give --server URL or set P4W_SERVER")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("the server %q is not an http:// or https:// URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", usageError("the server %q: give only scheme, host, port and path", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// session is what the commands calling the API share: the server and the generated client,
// authorised by the kept sign-in or P4W_TOKEN.
type session struct {
	server string
	api    *client.Client
	kept   *keptTokens // nil with P4W_TOKEN
}

// session opens the session the environment and the kept sign-in give.
func (a *App) session() (*session, error) {
	envServer, envToken := a.Getenv("P4W_SERVER"), a.Getenv("P4W_TOKEN")
	s := &session{}
	var tokens client.TokenSource
	switch {
	case envToken != "":
		server := envServer
		if server == "" {
			return nil, usageError("P4W_TOKEN is set without P4W_SERVER: set both")
		}
		var err error
		if s.server, err = serverURL(server); err != nil {
			return nil, err
		}
		tokens = client.StaticToken(envToken)
	default:
		dir, err := a.configDir()
		if err != nil {
			return nil, err
		}
		c, err := loadConfig(dir)
		if errors.Is(err, errNoConfig) {
			return nil, authError("not signed in: run p4wctl login --server URL, or set P4W_SERVER and P4W_TOKEN")
		}
		if err != nil {
			return nil, err
		}
		if envServer != "" {
			want, err := serverURL(envServer)
			if err != nil {
				return nil, err
			}
			if want != c.Server { // never send one server's token to another
				return nil, authError("signed in to %s, not to P4W_SERVER=%s: run p4wctl login --server %s, or set P4W_TOKEN", c.Server, want, want)
			}
		}
		s.server = c.Server
		s.kept = &keptTokens{app: a, dir: dir, c: c}
		tokens = s.kept
	}
	// Every request p4wctl sends with this client is a GET, which the retries may repeat.
	api, err := client.NewClient(s.server, client.WithHTTPClient(a.httpClient()), client.WithRetries(a.Retries), client.WithTokenSource(tokens))
	if err != nil {
		return nil, usageError("the server's URL %q: %v", s.server, err)
	}
	s.api = api
	return s, nil
}

// do sends the request call makes. A kept sign-in's token that the server refuses although it
// has not expired (the server's keys changed, say) is refreshed once and the request sent
// again; call must therefore be safe to repeat, as every GET is.
func (s *session) do(ctx context.Context, call func(context.Context) (*http.Response, error)) (*http.Response, error) {
	res, err := call(ctx)
	if err == nil && res.StatusCode == http.StatusUnauthorized && s.kept != nil && s.kept.c.RefreshToken != "" && !s.kept.refreshed {
		res.Body.Close()
		if err := s.kept.refresh(ctx, s.kept.c.AccessToken); err != nil {
			return nil, err
		}
		res, err = call(ctx)
	}
	if err != nil {
		return nil, requestFailed(s.server, err)
	}
	return res, nil
}

// keptTokens is the TokenSource of the kept sign-in: it refreshes the access token when it
// has expired and keeps the new pair (the server rotates refresh tokens).
type keptTokens struct {
	app       *App
	dir       string
	c         config
	refreshed bool // this run has refreshed once already
}

func (k *keptTokens) Token(ctx context.Context) (string, error) {
	if k.app.now().Before(k.c.ExpiresAt.Add(-early)) {
		return k.c.AccessToken, nil
	}
	if err := k.refresh(ctx, ""); err != nil {
		return "", err
	}
	return k.c.AccessToken, nil
}

// refresh replaces the access token, unless another p4wctl has replaced it meanwhile. refused
// is a token the server refused before its expiry, which must be replaced even so; "" when
// the token is replaced for its age.
func (k *keptTokens) refresh(ctx context.Context, refused string) error {
	k.refreshed = true
	if k.c.RefreshToken == "" {
		return k.signInAgain(ctx)
	}
	unlock, err := lockConfig(k.dir)
	if err != nil {
		return authError("lock the sign-in for its refresh: %v", err)
	}
	defer unlock()
	// Under the lock, the file is the truth: another p4wctl may have spent our refresh token.
	if c, err := loadConfig(k.dir); err == nil && c.Server == k.c.Server {
		k.c = c
		if c.AccessToken != refused && k.app.now().Before(c.ExpiresAt.Add(-early)) {
			return nil
		}
	} else if errors.Is(err, errNoConfig) {
		return authError("not signed in (p4wctl logout ran meanwhile): run p4wctl login")
	}
	rt := k.c.RefreshToken
	tok, err := k.app.requestToken(ctx, k.c.Server, client.TokenRequest{GrantType: client.RefreshToken, RefreshToken: &rt})
	var e *exitError
	if errors.As(err, &e) && e.code == exitAuth {
		return authError("the sign-in to %s has expired or was revoked: run p4wctl login again (%s)", k.c.Server, e.msg)
	}
	if err != nil {
		return err
	}
	k.c.AccessToken = tok.AccessToken
	k.c.ExpiresAt = k.app.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	if tok.RefreshToken != nil {
		k.c.RefreshToken = *tok.RefreshToken
	}
	return saveConfig(k.dir, k.c)
}

// signInAgain replaces an API client's token, which has no refresh token, when its secret is
// at hand.
func (k *keptTokens) signInAgain(ctx context.Context) error {
	secret := k.app.Getenv("P4W_CLIENT_SECRET")
	if k.c.ClientID == "" || secret == "" {
		return authError("the access token has expired: run p4wctl login again (or set P4W_CLIENT_SECRET for an API client)")
	}
	id := k.c.ClientID
	tok, err := k.app.requestToken(ctx, k.c.Server, client.TokenRequest{GrantType: client.ClientCredentials, ClientId: &id, ClientSecret: &secret})
	if err != nil {
		return err
	}
	k.c.AccessToken = tok.AccessToken
	k.c.ExpiresAt = k.app.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	unlock, err := lockConfig(k.dir)
	if err != nil {
		return authError("lock the sign-in: %v", err)
	}
	defer unlock()
	return saveConfig(k.dir, k.c)
}

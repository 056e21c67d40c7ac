package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// The exit codes a script can rely on (doc.go and the root command's help list them).
const (
	exitOK      = 0 // done
	exitRefused = 1 // rows refused: an import refused a row, or its job failed
	exitUsage   = 2 // a wrong command line, or a request the server refused as wrong
	exitAuth    = 3 // not signed in, the sign-in refused or expired, or the request not allowed
	exitServer  = 4 // the server could not be reached, failed or is unavailable: retrying later may help
)

// exitError is an error with the exit code it ends the command with.
type exitError struct {
	code   int
	msg    string
	answer bool // the server's refusal, not the command line's mistake
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func authError(format string, args ...any) error {
	return &exitError{code: exitAuth, msg: fmt.Sprintf(format, args...)}
}

func serverError(format string, args ...any) error {
	return &exitError{code: exitServer, msg: fmt.Sprintf(format, args...)}
}

// exitCode is the exit code of err: its own when it carries one; 2 for any other error,
// which can only be cobra's refusal of the command line (an unknown flag, a missing argument).
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}

// requestFailed is the error of a request that got no answer: the server is unreachable, or
// the connection broke.
func requestFailed(server string, err error) error {
	var e *exitError
	if errors.As(err, &e) { // a token source's own error, already classified
		return err
	}
	if errors.Is(err, context.Canceled) {
		return serverError("interrupted")
	}
	return serverError("cannot reach the p4w server at %s: %v", server, err)
}

// statusCode is the exit code of an HTTP answer that is not a success.
func statusCode(status int) int {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return exitAuth
	case status == http.StatusTooManyRequests || status >= 500:
		return exitServer
	case status >= 400:
		return exitUsage
	}
	return exitServer // a success or redirect we did not expect
}

// answerError reads a failed answer (and closes its body) into one clear line: the problem's
// title, status and detail and each invalid field, or the bare status when the answer is not
// problem+json (a proxy's page, say).
func answerError(res *http.Response) error {
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var b strings.Builder
	var p client.Problem
	if isJSON(res.Header.Get("Content-Type")) && json.Unmarshal(body, &p) == nil && p.Title != "" {
		fmt.Fprintf(&b, "%s (%d)", clean(p.Title), res.StatusCode)
		if p.Detail != nil && *p.Detail != "" {
			b.WriteString(": " + clean(*p.Detail))
		}
		if p.Errors != nil {
			for _, fe := range *p.Errors {
				fmt.Fprintf(&b, "; %s: %s", clean(fe.Field), clean(fe.Message))
			}
		}
	} else {
		fmt.Fprintf(&b, "the server answered %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	if ra := res.Header.Get("Retry-After"); ra != "" && statusCode(res.StatusCode) == exitServer {
		fmt.Fprintf(&b, "; retry after %s s", clean(ra))
	}
	if res.StatusCode == http.StatusUnauthorized {
		b.WriteString("; sign in again with p4wctl login")
	}
	return &exitError{code: statusCode(res.StatusCode), msg: b.String(), answer: true}
}

// oauthError reads a refusal of the token or revocation endpoint, which answers OAuth 2
// errors rather than problems. Any refusal of the credentials is an authentication failure.
func oauthError(status int, body []byte) error {
	var o client.OAuthError
	msg := fmt.Sprintf("the server answered %d %s", status, http.StatusText(status))
	if json.Unmarshal(body, &o) == nil && o.Error != "" {
		msg = string(o.Error)
		if o.ErrorDescription != nil && *o.ErrorDescription != "" {
			msg = clean(*o.ErrorDescription) + " (" + clean(string(o.Error)) + ")"
		}
	}
	code := exitAuth
	if status == http.StatusTooManyRequests || status >= 500 {
		code = exitServer
	}
	return &exitError{code: code, msg: "sign-in refused: " + msg}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// clean makes server text safe for one line of a terminal: control characters (escape
// sequences, line ends) become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

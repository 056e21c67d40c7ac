package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// App is one run of p4wctl with everything it touches from outside, so that tests run it
// in-process with their own streams, environment, configuration directory and clock.
type App struct {
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Getenv     func(string) string
	ConfigDir  func() (string, error) // the user's configuration directory (os.UserConfigDir)
	HTTPClient *http.Client
	Retries    client.RetryPolicy // for the API's 429s, 503s and failed connections; zero for client.DefaultRetryPolicy
	Now        func() time.Time
}

// newApp is the App of the real process.
func newApp() *App {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	// No overall timeout: an export streams for as long as it takes. A server that accepts
	// the connection and never answers is cut off here instead.
	transport.ResponseHeaderTimeout = 2 * time.Minute
	return &App{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		ConfigDir: os.UserConfigDir, HTTPClient: &http.Client{Transport: transport}, Now: time.Now}
}

// Run runs p4wctl with args (without the program's name) and returns its exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintf(a.Stderr, "p4wctl: %v\n", err)
	if code == exitUsage && cmd != nil {
		var e *exitError
		if !errors.As(err, &e) || !e.answer { // cobra's own errors, and ours about the command line
			fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

const rootLong = `p4wctl is the command line of the p4w API: sign in once, then list, read, export and
import the records of your organisation.

Start with:
  p4wctl login --server https://p4w.example.nhs.uk --username you@trust.nhs.uk
  p4wctl list participants --filter q=jo
  p4wctl get participants 01900000-0000-7000-8000-000000000001
  p4wctl export participants > participants.csv
  p4wctl import participants participants.csv --mode upsert --wait

Environment:
  P4W_SERVER         the server to call; with P4W_TOKEN, instead of the sign-in kept by login
  P4W_TOKEN          an access token to call with (for scripts); nothing is kept
  P4W_PASSWORD       login: the user's password, instead of asking for it
  P4W_CLIENT_SECRET  login --client-id: the API client's secret, instead of reading standard input
  XDG_CONFIG_HOME    where login keeps the sign-in: $XDG_CONFIG_HOME/p4wctl/config.json

Exit codes:
  0  done
  1  rows refused: an import refused a row, or failed (an atomic import with a
     refused row, a file that cannot be read)
  2  usage: a wrong command line, or a request the server refused as wrong
     (a bad filter, an id that does not exist or is not yours to see)
  3  authentication: not signed in, the sign-in refused or expired, or not allowed (401, 403)
  4  server: unreachable, failed (5xx) or busy (429), or an answer broken off part-way;
     trying again later may help

Errors are one line on standard error; a problem from the server shows its title, detail and
each invalid field.`

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "p4wctl",
		Short:         "The command line of the p4w API",
		Long:          rootLong,
		SilenceErrors: true, // Run prints the error once, as one line
		SilenceUsage:  true, // a usage error points at --help rather than printing it all
	}
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.AddCommand(a.loginCommand(), a.logoutCommand(), a.listCommand(), a.getCommand(), a.exportCommand(), a.importCommand(),
		a.changesCommand(), a.listenCommand())
	return root
}

// isTerminal reports whether f is an interactive terminal.
func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// httpClient sends every request; a default one when the App has none.
func (a *App) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return http.DefaultClient
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

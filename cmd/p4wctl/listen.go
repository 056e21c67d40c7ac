package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// maxMessage is the largest webhook body listen reads; p4w's messages carry ids and field
// names only, a few hundred bytes.
const maxMessage = 1 << 20

func (a *App) listenCommand() *cobra.Command {
	var addr string
	var count int
	cmd := &cobra.Command{
		Use:   "listen [--addr HOST:PORT] [--count N]",
		Short: "Receive p4w's webhooks, verify their signatures and print them",
		Long: `Receive the webhooks of a p4w subscription as an HR system would: listen for POSTs,
verify each one's Standard Webhooks signature (webhook-id, webhook-timestamp,
webhook-signature) with the subscription's secret, and print each message's body as one line
of JSON on standard output. A message already printed (the same webhook-id, as a redelivery
sends it) is answered 204 and not printed again.

The secret is the subscription's, shown once when it was created: P4W_WEBHOOK_SECRET holds it
(never a flag, which other users of the machine can read in the process list).

An unsigned, wrongly signed or stale message is answered 401 and said on standard error, so
the subscription's delivery log shows it as failed. listen stops after --count messages (0:
never, until interrupted).`,
		Example: `  P4W_WEBHOOK_SECRET=whsec_... p4wctl listen --addr 127.0.0.1:9000
  P4W_WEBHOOK_SECRET=whsec_... p4wctl listen --count 1 | jq .type`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 0 {
				return usageError("--count must be 0 or more")
			}
			secret := a.Getenv("P4W_WEBHOOK_SECRET")
			if secret == "" {
				return usageError("P4W_WEBHOOK_SECRET is not set: it holds the subscription's secret (whsec_...)")
			}
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				return usageError("P4W_WEBHOOK_SECRET is not a webhook secret: %v", err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageError("listen on %s: %v", addr, err)
			}
			return a.listen(cmd.Context(), ln, wh, count)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:9000", "the address to listen on")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many messages (0: never)")
	return cmd
}

// listen serves ln until ctx ends or count messages have been printed.
func (a *App) listen(ctx context.Context, ln net.Listener, wh *standardwebhooks.Webhook, count int) error {
	r := &receiver{wh: wh, out: a.Stdout, errs: a.Stderr, seen: map[string]bool{}, left: count, done: make(chan struct{})}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.Stderr, "listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case <-r.done:
	case err := <-served:
		return serverError("listen: %v", err)
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut) // lets the answer to the last message go out
	return nil
}

// receiver verifies and prints webhook messages, each webhook-id once.
type receiver struct {
	wh        *standardwebhooks.Webhook
	out, errs io.Writer
	mu        sync.Mutex // over the writes to out and errs, seen and left
	seen      map[string]bool
	left      int // messages still to print before done; 0 when there is no limit
	done      chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a webhook message", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxMessage))
	if err != nil {
		http.Error(w, "the message is too large", http.StatusRequestEntityTooLarge)
		return
	}
	// Verify checks the signature over id, timestamp and body, and refuses a timestamp more
	// than five minutes away from now (a replayed message).
	if err := r.wh.Verify(body, req.Header); err != nil {
		r.mu.Lock()
		fmt.Fprintf(r.errs, "refused a message (webhook-id %q): %v\n", req.Header.Get("webhook-id"), err)
		r.mu.Unlock()
		http.Error(w, "the signature does not verify", http.StatusUnauthorized)
		return
	}
	var line bytes.Buffer
	if err := json.Compact(&line, body); err != nil {
		http.Error(w, "the body is not JSON", http.StatusBadRequest)
		return
	}
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		w.WriteHeader(http.StatusNoContent) // received before: a redelivery
		return
	}
	if r.left < 0 {
		http.Error(w, "no longer listening", http.StatusServiceUnavailable)
		return
	}
	r.seen[id] = true
	line.WriteByte('\n')
	if _, err := r.out.Write(line.Bytes()); err != nil {
		http.Error(w, "cannot write the message out", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
	if r.left > 0 {
		r.left--
		if r.left == 0 {
			r.left = -1 // done: take no more
			close(r.done)
		}
	}
}

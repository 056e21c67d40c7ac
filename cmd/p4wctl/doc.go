// Command p4wctl is the command line of the p4w API, built only on the public Go client
// (pkg/client): a coordinator signs in once and lists, reads and exports records without
// writing code, and a script does the same with exit codes it can rely on.
//
//	p4wctl login --server URL [--username EMAIL | --client-id ID]
//	p4wctl logout
//	p4wctl list RESOURCE [--filter NAME=VALUE ...] [--limit N] [--all | --cursor C] [-o json|table]
//	p4wctl get RESOURCE ID [-o json|table]
//	p4wctl export KIND [--filter NAME=VALUE ...] [-f FILE]
//	p4wctl import KIND FILE [--mode create|upsert|update] [--dry-run] [--atomic] [--wait] [--idempotency-key K]
//	p4wctl import errors JOB-ID [-o csv|json|table]
//
// The resources are the collections of openapi.yaml; the filters of each are the query
// parameters of its list operation in the generated client, checked before any request. The
// export kinds are those whose list answers Accept: text/csv (participants, enrolments,
// placements, outcomes, mentoring-matches); the CSV is streamed through, never held whole.
// Output is JSON when standard output is not a terminal and a table when it is.
//
// # Sign-in
//
// login keeps the server, the access token, the refresh token and the access token's expiry
// in $XDG_CONFIG_HOME/p4wctl/config.json (os.UserConfigDir), mode 0600 in a 0700 directory.
// A password is read from the terminal without echo, from P4W_PASSWORD or from the first line
// of standard input, an API client's secret from P4W_CLIENT_SECRET or standard input; neither
// is ever a flag or kept. An expired access token is refreshed with the refresh token and the
// new pair kept (the server rotates refresh tokens, and a spent one presented again revokes
// the sign-in, so p4wctl processes take turns under a lock on the directory). logout revokes
// the refresh token and deletes the file. P4W_SERVER with P4W_TOKEN replaces the kept sign-in
// for scripts; P4W_SERVER naming another server than the kept sign-in's is refused rather than
// sending that server the token.
//
// # Exit codes
//
//	0  done
//	1  rows refused: an import with --wait refused a row, or its job failed (an atomic
//	   import with a refused row, a file that cannot be read)
//	2  usage: a wrong command line (cobra's refusals included), or a request the server
//	   refused as wrong: a bad filter (400), an id not found or out of reach (404)
//	3  authentication: not signed in, the sign-in refused or expired, or not allowed (401, 403)
//	4  server: unreachable, failed (5xx) or busy (429), or an answer broken off part-way
//
// Every error is one line on standard error. A problem+json answer shows its title and
// status, its detail and each errors[].field: message. Requests are retried on 429, 503 and
// failed connections (client.WithRetries) before p4wctl gives up with exit 4.
//
// # Import
//
// import uploads FILE (- for standard input) with pkg/client's StartImport, streamed as it is
// read, and prints the job's id and URL. With --wait it waits for the job (client.WaitImport):
// a progressbar (github.com/schollz/progressbar/v3) when standard error is a terminal, and a
// line of counts each time they change otherwise; then a summary on standard output and the
// first 20 row errors as "row 12, column date_of_birth: ...", pointing at import errors for
// the rest. import errors lists them all, or passes the server's CSV of them through.
package main

// Package client is the Go client of p4w, the JSON REST API that records NHS "Preparation for
// Work" programmes: the participants, their consent, cohorts, enrolments, placements, mentoring,
// interviews and outcomes of each trust.
//
// Its operations are generated from openapi.yaml, the API's contract, one method per operation.
// Make a client with NewClientWithResponses and the API's base URL: each method of
// ClientWithResponses sends a request and decodes the answer by its status, the record into
// JSON200 or JSON201, a refusal into the field named after its status and media type, holding a
// Problem (RFC 9457) that names the fields at fault; Body keeps the bytes. An answer of any
// status is not an error: the error of a call is a request that could not be sent or answered
// (a refused connection, a cancelled context, a token that could not be had).
//
// # Authentication
//
// Every operation but the token endpoint needs an access token, which WithTokenSource sends with
// each request:
//
//   - A trust's HR system, or any system with an API client registered by its org_admin
//     (POST /v1/api-clients), uses a ClientCredentialsSource with its client_id and
//     client_secret. It signs in with the OAuth 2 client credentials grant, caches the token and
//     renews it shortly before it expires. When the API answers 401 all the same (the client was
//     revoked, or the signing key rotated), call its Invalidate and send the request once more:
//     the new token, or the *TokenError saying why there is none, settles it.
//   - A front end that has signed a user in with the password grant already holds the user's
//     token: StaticToken sends it as it is.
//
// # Pages
//
// Lists answer one page at a time, with a next_cursor for the next. All walks every page of a
// list, fetching each as the loop reaches it, and NextCursor turns a page's next_cursor into the
// cursor of the next.
//
// # Retries
//
// WithRetries sends a request again, after a wait, when p4w is briefly unable to answer it: a 429
// (too many requests), a 503 (its database is restarting, say) or a connection that failed. It
// honours Retry-After, and otherwise backs off exponentially with jitter, within the bounds of a
// RetryPolicy (DefaultRetryPolicy unless given another). Only requests safe to send twice are
// retried: reads, PUT and DELETE, and a POST or PATCH carrying an Idempotency-Key (p4w answers a
// POST sent again with the same key with its first answer). Give every create an Idempotency-Key
// (the create operations take one as a parameter) and a lost answer costs a retry, never a
// duplicate.
package client

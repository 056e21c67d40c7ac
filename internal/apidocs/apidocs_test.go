package apidocs

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const fixture = `
openapi: 3.0.3
info:
  title: P4W test API
  version: 1.2.3
  description: |
    Reference for tests.

    Beware <script>alert(1)</script> & friends.
tags:
  - name: participants
    description: People on a programme.
  - name: programmes
security:
  - bearerAuth: [participants:read]
paths:
  /participants:
    get:
      tags: [participants]
      operationId: listParticipants
      summary: List participants
      parameters:
        - name: status
          in: query
          schema:
            $ref: '#/components/schemas/ParticipantStatus'
      responses:
        '200':
          description: A page of participants.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Participant'
    post:
      tags: [participants]
      operationId: createParticipant
      summary: Enrol a participant
      security:
        - bearerAuth: [participants:write]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewParticipant'
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Participant'
        '422':
          description: Validation failed.
  /participants/{participantId}:
    parameters:
      - name: participantId
        in: path
        required: true
        description: The participant's id.
        schema:
          type: string
          format: uuid
    get:
      tags: [participants]
      operationId: getParticipant
      responses:
        '200':
          description: The participant.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Participant'
        '404':
          description: Not found.
  /programmes:
    get:
      tags: [programmes]
      operationId: listProgrammes
      responses:
        '200':
          description: All programmes.
  /healthz:
    get:
      operationId: healthCheck
      security: []
      responses:
        '200':
          description: OK.
components:
  securitySchemes:
    bearerAuth:
      type: http
      scheme: bearer
      bearerFormat: JWT
  schemas:
    ParticipantStatus:
      type: string
      enum: [referred, enrolled, completed]
    NewParticipant:
      type: object
      required: [name]
      properties:
        name:
          type: string
          description: Full name.
        status:
          $ref: '#/components/schemas/ParticipantStatus'
    Participant:
      type: object
      required: [id, name, status]
      properties:
        id:
          type: string
          format: uuid
          readOnly: true
        name:
          type: string
        status:
          $ref: '#/components/schemas/ParticipantStatus'
        leftAt:
          type: string
          format: date-time
          nullable: true
`

func TestRender(t *testing.T) {
	out, err := Render([]byte(fixture))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	page := string(out)

	for _, want := range []string{
		"/participants", "/participants/{participantId}", "/programmes", "/healthz",
		"listParticipants", "createParticipant", "getParticipant", "listProgrammes", "healthCheck",
		"ParticipantStatus", "NewParticipant", "Participant",
		`id="schema-Participant"`, `href="#schema-NewParticipant"`, // $ref rendered as an in-page link
		"participants:write", "referred", "Other", // scopes, enum values, untagged group
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not contain %q", want)
		}
	}

	if strings.Contains(page, "<script>alert(1)</script>") {
		t.Error("description was not escaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped description missing")
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("page contains a script element")
	}

	attrs := regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']?([^"'\s>]*)`).FindAllStringSubmatch(page, -1)
	if len(attrs) == 0 {
		t.Fatal("no links found; the regexp is probably wrong")
	}
	for _, m := range attrs {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("non-anchor reference %q", m[0])
		}
	}
}

func TestHandler(t *testing.T) {
	h, err := Handler([]byte(fixture))
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp, want := rec.Header().Get("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'; img-src data:"; csp != want {
		t.Errorf("CSP = %q, want %q", csp, want)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", cc)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if !strings.Contains(rec.Body.String(), "listParticipants") {
		t.Error("body is not the rendered page")
	}

	req := httptest.NewRequest(http.MethodGet, "/docs", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET status = %d, want 304", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Error("304 response has a body")
	}
}

func TestRenderInvalid(t *testing.T) {
	for name, spec := range map[string]string{
		"not YAML":       "openapi: [3.0.3\n",
		"bad $ref":       strings.Replace(fixture, "#/components/schemas/NewParticipant", "#/components/schemas/Nope", 1),
		"missing info":   "openapi: 3.0.3\npaths: {}\n",
		"empty document": "",
	} {
		if _, err := Render([]byte(spec)); err == nil {
			t.Errorf("%s: Render returned no error", name)
		}
		if _, err := Handler([]byte(spec)); err == nil {
			t.Errorf("%s: Handler returned no error", name)
		}
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("One\nwrapped line.\n\n- a\n- b\n\n\n  Last.  ")
	want := []string{"One wrapped line.", "- a\n- b", "Last."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("paragraphs = %q, want %q", got, want)
	}
}

// A nullable enum lists null among its values, as OpenAPI 3.0 needs; the page offers the real
// values only (the Nullable column says the rest).
func TestNullableEnumShowsNoEmptyValue(t *testing.T) {
	spec := `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Organisation:
      type: object
      properties:
        region: {type: string, nullable: true, enum: [london, north_west, null]}
`
	page, err := Render([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<code>london</code>, <code>north_west</code></div>") {
		t.Errorf("the values are not listed as they are: %s", page)
	}
	if strings.Contains(string(page), "<code></code>") {
		t.Error("null is shown as an empty value")
	}
}

// Package apidocs renders a self-contained HTML API reference (served at
// GET /docs) from an OpenAPI 3.0 document.
//
// The page is built once, server-side, with html/template: no JavaScript and
// no external assets (stylesheets, fonts, images), since NHS networks may
// block CDNs. Every piece of text from the document is escaped by the template
// engine; descriptions are shown as plain-text paragraphs, never as raw HTML.
package apidocs

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed page.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"paras":    paragraphs,
	"refName":  refName,
	"values":   enumValues,
	"typeName": typeName,
	"has":      slices.Contains[[]string],
	"lower":    strings.ToLower,
}).Parse(pageTemplate))

// Render builds the reference page once from the OpenAPI document (YAML or JSON bytes).
func Render(spec []byte) ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("apidocs: parse OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("apidocs: invalid OpenAPI document: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, newPage(doc)); err != nil {
		return nil, fmt.Errorf("apidocs: render: %w", err)
	}
	return buf.Bytes(), nil
}

// Handler returns an http.Handler serving the rendered page. The page is
// computed once, here; the handler answers conditional requests (ETag,
// If-None-Match) through http.ServeContent.
func Handler(spec []byte) (http.Handler, error) {
	body, err := Render(spec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}), nil
}

// page is what the template sees: the document itself plus the operations
// grouped and sorted for display.
type page struct {
	Doc    *openapi3.T
	Groups []group
}

type group struct {
	Tag, Anchor string
	Description string
	Ops         []operation
}

type operation struct {
	*openapi3.Operation // Summary, Description, OperationID, RequestBody, Responses, ...
	Method, Path        string
	Anchor              string
	Params              openapi3.Parameters // path-level parameters merged with the operation's
	Auth                []string            // one entry per alternative security requirement
}

// methodOrder ranks HTTP methods for display; unlisted methods come last.
var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

func methodRank(m string) int {
	if i := slices.Index(methodOrder, m); i >= 0 {
		return i
	}
	return len(methodOrder)
}

const otherTag = "Other"

func newPage(doc *openapi3.T) page {
	byTag := map[string][]operation{}
	if doc.Paths != nil {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				tag := otherTag
				if len(op.Tags) > 0 {
					tag = op.Tags[0] // listed once, under its first tag
				}
				byTag[tag] = append(byTag[tag], operation{
					Operation: op,
					Method:    method,
					Path:      path,
					Anchor:    anchor(op.OperationID, method, path),
					Params:    mergeParams(item.Parameters, op.Parameters),
					Auth:      securityText(doc.Security, op.Security),
				})
			}
		}
	}

	tags := make([]string, 0, len(byTag))
	for t := range byTag {
		tags = append(tags, t)
	}
	slices.SortFunc(tags, func(a, b string) int { // alphabetical, "Other" last
		if (a == otherTag) != (b == otherTag) {
			if a == otherTag {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})

	p := page{Doc: doc}
	for _, t := range tags {
		ops := byTag[t]
		slices.SortFunc(ops, func(a, b operation) int {
			if c := strings.Compare(a.Path, b.Path); c != 0 {
				return c
			}
			if c := methodRank(a.Method) - methodRank(b.Method); c != 0 {
				return c
			}
			return strings.Compare(a.Method, b.Method)
		})
		g := group{Tag: t, Anchor: "tag-" + safeID(t), Ops: ops}
		if tag := doc.Tags.Get(t); tag != nil {
			g.Description = tag.Description
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}

// mergeParams returns the path item's parameters overridden (by name and
// location) and extended by the operation's own.
func mergeParams(pathLevel, opLevel openapi3.Parameters) openapi3.Parameters {
	out := slices.Clone(opLevel)
	for _, pp := range pathLevel {
		if pp.Value != nil && opLevel.GetByInAndName(pp.Value.In, pp.Value.Name) == nil {
			out = append(out, pp)
		}
	}
	return out
}

// securityText describes the security requirements that apply to an
// operation: its own if set, else the document's. Schemes within one
// requirement are all needed ("+"); separate requirements are alternatives.
func securityText(global openapi3.SecurityRequirements, own *openapi3.SecurityRequirements) []string {
	reqs := global
	if own != nil {
		reqs = *own
	}
	var out []string
	for _, req := range reqs {
		var parts []string
		for _, name := range sortedKeys(req) {
			s := name
			if scopes := req[name]; len(scopes) > 0 {
				s += " [" + strings.Join(scopes, ", ") + "]"
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			parts = []string{"none (anonymous access allowed)"}
		}
		out = append(out, strings.Join(parts, " + "))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var unsafeAnchorChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor makes an in-page id for an operation.
func anchor(operationID, method, path string) string {
	if operationID == "" {
		operationID = method + "-" + path
	}
	return "op-" + safeID(operationID)
}

// safeID keeps letters, digits, '_' and '-', so ids work unescaped in URLs.
func safeID(s string) string {
	return strings.Trim(unsafeAnchorChars.ReplaceAllString(s, "-"), "-")
}

var (
	blankLines = regexp.MustCompile(`\n\s*\n`)
	listItem   = regexp.MustCompile(`^([-*+]|\d+[.)])\s`)
)

// paragraphs splits Markdown-ish text into paragraphs on blank lines and
// re-joins hard-wrapped lines, keeping list items on lines of their own (CSS
// white-space: pre-line shows those breaks). The template escapes the text.
func paragraphs(s string) []string {
	var out []string
	for _, p := range blankLines.Split(strings.TrimSpace(s), -1) {
		var b strings.Builder
		for i, line := range strings.Split(p, "\n") {
			line = strings.TrimSpace(line)
			if i > 0 {
				if listItem.MatchString(line) {
					b.WriteByte('\n')
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteString(line)
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

const schemaRefPrefix = "#/components/schemas/"

// refName returns the component schema name a $ref points to, or "".
func refName(s *openapi3.SchemaRef) string {
	if s == nil {
		return ""
	}
	if name, ok := strings.CutPrefix(s.Ref, schemaRefPrefix); ok {
		return name
	}
	return ""
}

// typeName returns a schema's type(s), e.g. "string" ("any" if unset).
func typeName(s *openapi3.Schema) string {
	var types []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	if len(types) == 0 {
		return "any"
	}
	return strings.Join(types, " | ")
}

// enumValues leaves out null, which a nullable enum lists among its values (OpenAPI 3.0 needs it
// there) and which the Nullable column already tells.
func enumValues(enum []any) []any {
	var out []any
	for _, v := range enum {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

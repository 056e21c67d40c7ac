package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
)

// validator checks every request against openapi.yaml before a handler sees it, so that the
// contract, not each handler, refuses bad input.
type validator struct {
	doc *openapi3.T
}

func newValidator(doc *openapi3.T) (*validator, error) {
	doc.Servers = nil // match paths as they arrive, whatever host serves them
	// kin-openapi checks only the formats it is told of; ids and emails must be checked too.
	doc.SetStringFormatValidator("uuid", openapi3.NewCallbackValidator(validUUID))
	doc.SetStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" { // its checks could not be attached to it
				return nil, fmt.Errorf("openapi.yaml: %s %s has no operationId", method, path)
			}
		}
	}
	return &validator{doc: doc}, nil
}

// operations returns the middleware of every operation of the contract, by operationId: its
// security requirement and request validation, then, where the operation declares the
// Idempotency-Key header, idempotency. Each runs only once Echo has matched the request to its
// operation, so a path that matches none is answered 404 (or 405) before anything else.
func (v *validator) operations(idempotent echo.MiddlewareFunc) map[string][]echo.MiddlewareFunc {
	ops := map[string][]echo.MiddlewareFunc{}
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			// checkSecurity enforces the operation's security requirement; the copy kin-openapi
			// validates against declares none, so that it does not walk them again.
			validated := *op
			validated.Security = &openapi3.SecurityRequirements{}
			if _, oauth := requiredParam[path]; oauth {
				// The token endpoint names a parameter its grant lacks in OAuth 2's words
				// (tokens.go); the validator sees every grant's parameters as one object.
				validated.RequestBody = flattenOneOf(op.RequestBody)
			}
			route := &routers.Route{Spec: v.doc, Path: path, PathItem: item, Method: method, Operation: &validated}
			ops[op.OperationID] = []echo.MiddlewareFunc{v.check(op, route)}
			if streamed(op) {
				continue // its handler reads the body as a stream, and keeps its own idempotency (imports.go)
			}
			if op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Idempotency-Key") != nil {
				ops[op.OperationID] = append(ops[op.OperationID], idempotent)
			}
		}
	}
	return ops
}

// flattenOneOf returns body with each schema that is a oneOf made one object: every
// variant's properties (the values of an enum joined, in the variants' order), requiring only
// what every variant requires. A property's other constraints are its first variant's: the
// contract gives a parameter the same schema in each grant that takes it.
func flattenOneOf(body *openapi3.RequestBodyRef) *openapi3.RequestBodyRef {
	if body == nil || body.Value == nil {
		return body
	}
	flat := *body.Value
	flat.Content = make(openapi3.Content, len(body.Value.Content))
	for mediaType, media := range body.Value.Content {
		m := *media
		if m.Schema != nil && m.Schema.Value != nil && len(m.Schema.Value.OneOf) > 0 {
			m.Schema = &openapi3.SchemaRef{Value: unionOf(m.Schema.Value.OneOf)}
		}
		flat.Content[mediaType] = &m
	}
	return &openapi3.RequestBodyRef{Value: &flat}
}

func unionOf(variants openapi3.SchemaRefs) *openapi3.Schema {
	out := openapi3.NewObjectSchema()
	required := map[string]int{}
	for _, v := range variants {
		for _, name := range v.Value.Required {
			required[name]++
		}
		for _, name := range slices.Sorted(maps.Keys(v.Value.Properties)) {
			prop := v.Value.Properties[name]
			seen, ok := out.Properties[name]
			switch {
			case !ok:
				out.Properties[name] = prop
			case len(prop.Value.Enum) > 0:
				joined := *seen.Value
				joined.Enum = append(slices.Clip(seen.Value.Enum), prop.Value.Enum...)
				out.Properties[name] = &openapi3.SchemaRef{Value: &joined}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(required)) {
		if required[name] == len(variants) {
			out.Required = append(out.Required, name)
		}
	}
	return out
}

// check enforces op's security requirement and validates the request against route.
func (v *validator) check(op *openapi3.Operation, route *routers.Route) echo.MiddlewareFunc {
	options := &openapi3filter.Options{
		MultiError:              true,
		KeepValidatedValue:      true,                                  // handlers bind exactly what was validated
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc, // checkSecurity does it
		SchemaValidationOptions: v.doc.GetSchemaValidationOptions(),
	}
	if streamed(op) {
		options.ExcludeRequestBody = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			for _, value := range c.ParamValues() {
				// Echo lets a path's last parameter take the rest of the path: it routes
				// /v1/programmes/a/b to /v1/programmes/:programme_id. No operation means that.
				if strings.Contains(value, "/") {
					return echo.ErrNotFound
				}
			}
			if err := checkSecurity(req.Context(), v.doc, op); err != nil {
				return err
			}
			if err := checkStreamedType(op, req); err != nil {
				return err
			}
			if req.ContentLength != 0 && req.Body != nil && req.Body != http.NoBody && !streamed(op) {
				body, err := io.ReadAll(req.Body)
				if err != nil {
					return err // too large, or the client went away
				}
				if err := checkBody(req.Header.Get(echo.HeaderContentType), body); err != nil {
					return err
				}
				body = withoutEmptyParams(req.Header.Get(echo.HeaderContentType), body)
				req.ContentLength = int64(len(body))
				req = req.WithContext(withBodyFields(req.Context(), body))
				req.Body = io.NopCloser(bytes.NewReader(body))
				c.SetRequest(req)
			}
			params := make(map[string]string, len(c.ParamNames()))
			text := req.URL.Query()
			for i, name := range c.ParamNames() {
				params[name] = c.ParamValues()[i]
				text[name] = append(text[name], c.ParamValues()[i])
			}
			if err := checkText(text); err != nil {
				return err
			}
			input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options}
			if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
				return contractError(err)
			}
			return next(c)
		}
	}
}

// checkBody refuses, in a JSON or form body, what the contract cannot say and storage could
// not keep; bodies of other types are refused by the contract itself.
func checkBody(contentType string, body []byte) error {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return checkJSONBody(body)
	case mediaType == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil // the validator names the problem
		}
		// Forms are OAuth 2's, whose parameters "MUST NOT be included more than once" (RFC
		// 6749 §3.2); otherwise the first would count, and the validator would see only it.
		for _, name := range slices.Sorted(maps.Keys(form)) {
			if len(form[name]) > 1 {
				return &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract",
					fields: []fieldError{{Field: name, Message: "is given more than once"}}}
			}
		}
		return checkText(form)
	}
	return nil
}

// withoutEmptyParams drops the parameters of a form body that have no value: OAuth 2 counts
// them as omitted (RFC 6749 §3.1), so a required one is missing rather than invalid. Other
// bodies are returned as they are.
func withoutEmptyParams(contentType string, body []byte) []byte {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType != "application/x-www-form-urlencoded" {
		return body
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return body // the validator names the problem
	}
	dropped := false
	for name, values := range form {
		if len(values) == 1 && values[0] == "" {
			delete(form, name)
			dropped = true
		}
	}
	if !dropped {
		return body
	}
	return []byte(form.Encode())
}

// contractError turns kin-openapi's findings into one 400 naming every offending field.
func contractError(err error) error {
	out := &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract"}
	var visit func(err error)
	visit = func(err error) {
		// A type switch, not errors.As: MultiError.As would answer for its first member only.
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, m := range e {
				visit(m)
			}
		case *openapi3filter.RequestError:
			switch {
			case isContentTypeError(e):
				out.status, out.detail = http.StatusUnsupportedMediaType, "the Content-Type is not one this operation accepts"
			case e.Parameter != nil:
				out.fields = append(out.fields, fieldError{Field: e.Parameter.Name, Message: parameterMessage(e)})
			case e.Err != nil:
				var schErr *openapi3.SchemaError
				if _, ok := e.Err.(openapi3.MultiError); ok || errors.As(e.Err, &schErr) {
					visit(e.Err)
				} else {
					out.fields = append(out.fields, fieldError{Field: "body", Message: bodyMessage(e)})
				}
			default:
				out.fields = append(out.fields, fieldError{Field: "body", Message: e.Reason})
			}
		case *openapi3.SchemaError:
			out.fields = append(out.fields, schemaField(e))
		default:
			var schErr *openapi3.SchemaError
			if errors.As(err, &schErr) {
				out.fields = append(out.fields, schemaField(schErr))
			} else {
				out.fields = append(out.fields, fieldError{Field: "request", Message: err.Error()})
			}
		}
	}
	visit(err)
	return out
}

var quotedName = regexp.MustCompile(`property "([^"]+)"`)

// enumMessage begins the message of a value outside its enum, which the token endpoint
// answers with its own error code when the value is grant_type's.
const enumMessage = "must be one of "

// schemaField names the field a schema error is about, as a dotted path, with a short message.
func schemaField(e *openapi3.SchemaError) fieldError {
	path := e.JSONPointer()
	msg := e.Reason
	switch {
	case strings.HasSuffix(e.Reason, "is unsupported"): // additionalProperties: false
		if m := quotedName.FindStringSubmatch(e.Reason); m != nil {
			path = append(path, m[1])
		}
		msg = "is not a field of this request"
	case e.SchemaField == "required":
		msg = "is required"
	case e.SchemaField == "readOnly":
		msg = "is read-only"
	case e.SchemaField == "format" && e.Schema != nil:
		msg = "must be a valid " + e.Schema.Format
		if e.Schema.Format == "date" {
			msg = "must be a date as YYYY-MM-DD"
		}
	case e.SchemaField == "enum" && e.Schema != nil:
		msg = fmt.Sprintf(enumMessage+"%v", enumValues(e.Schema.Enum))
	}
	field := strings.Join(path, ".")
	if field == "" {
		field = "body"
	}
	return fieldError{Field: field, Message: msg}
}

// enumValues lists an enum's values but null, which a nullable enum of the contract lists
// (OpenAPI 3.0 needs it there) and which is no value to offer.
func enumValues(enum []any) []any {
	out := make([]any, 0, len(enum))
	for _, v := range enum {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

func parameterMessage(e *openapi3filter.RequestError) string {
	var schErr *openapi3.SchemaError
	if errors.As(e.Err, &schErr) {
		return schemaField(schErr).Message
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Reason
}

func bodyMessage(e *openapi3filter.RequestError) string {
	var syntax *json.SyntaxError
	if errors.As(e.Err, &syntax) || strings.Contains(e.Err.Error(), "invalid character") {
		return "is not valid JSON"
	}
	if e.Reason != "" {
		return e.Reason
	}
	return e.Err.Error()
}

func isContentTypeError(e *openapi3filter.RequestError) bool {
	msg := e.Reason
	if e.Err != nil {
		msg += e.Err.Error()
	}
	return e.Parameter == nil && strings.Contains(msg, "Content-Type")
}

// checkJSONBody refuses what Go's decoder would quietly let through, so that what was
// validated and what is stored cannot differ: a member named twice in one object, in any
// letter case (the last, or one in another case, would win); text that is not UTF-8, or a
// lone UTF-16 surrogate (each would become U+FFFD); a NUL character, which PostgreSQL refuses
// in text; and anything after the one JSON value (the decoder reads the first and stops).
func checkJSONBody(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object  bool
		keys    map[string]bool
		expect  bool   // the next string token is a key
		key     string // the member being read, in an object
		element int    // the element being read, in an array
	}
	var (
		stack  []*frame
		fields []fieldError
		done   bool // the top-level value has been read
	)
	path := func(last ...string) string {
		parts := make([]string, 0, len(stack)+len(last))
		for _, f := range stack {
			if f.object {
				parts = append(parts, f.key)
			} else {
				parts = append(parts, strconv.Itoa(f.element))
			}
		}
		return strings.Join(append(parts, last...), ".")
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if done { // anything but the end, even text that is not JSON
			fields = append(fields, fieldError{Field: "body", Message: "has data after the JSON value"})
			break
		}
		if err != nil {
			break // not JSON: the validator names the problem
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.expect {
			if msg := textProblem(s, body[start:dec.InputOffset()]); msg != "" {
				fields = append(fields, fieldError{Field: path(s), Message: msg})
			}
			k := strings.ToLower(s)
			if top.keys[k] {
				return &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract",
					fields: []fieldError{{Field: s, Message: "is given more than once"}}}
			}
			top.keys[k] = true
			top.key, top.expect = s, false
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
		} else {
			if top != nil && !top.object {
				top.element++
			}
			switch t := tok.(type) {
			case json.Delim: // { or [
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, expect: t == '{', element: -1})
				continue
			case string:
				if msg := textProblem(t, body[start:dec.InputOffset()]); msg != "" {
					fields = append(fields, fieldError{Field: path(), Message: msg})
				}
			}
		}
		// A value has been read: an object expects its next key; the body, its end.
		switch {
		case len(stack) == 0:
			done = true
		case stack[len(stack)-1].object:
			stack[len(stack)-1].expect = true
		}
	}
	if len(fields) > 0 {
		return &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract", fields: fields}
	}
	return nil
}

// textProblem says what is wrong with s, a string decoded from raw (its JSON text and what
// came before it since the previous token), or "" when nothing is.
func textProblem(s string, raw []byte) string {
	if msg := badText(s); msg != "" {
		return msg
	}
	// Decoding made U+FFFD of something; a U+FFFD the client sent is text like any other.
	if strings.ContainsRune(s, utf8.RuneError) && (!utf8.Valid(raw) || loneSurrogate(raw)) {
		return "is not valid UTF-8"
	}
	return ""
}

// badText says why PostgreSQL could not store or compare s, or "" when it could.
func badText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain a NUL character"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// loneSurrogate reports whether the JSON text raw escapes half of a UTF-16 surrogate pair
// without the other half.
func loneSurrogate(raw []byte) bool {
	hex := func(i int) rune {
		if i+4 > len(raw) {
			return -1
		}
		n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r := hex(i + 1)
		i += 4
		switch {
		case r < 0xd800 || r > 0xdfff:
		case r >= 0xdc00: // a low half first
			return true
		case i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' && hex(i+3) >= 0xdc00 && hex(i+3) <= 0xdfff:
			i += 6
		default: // a high half alone
			return true
		}
	}
	return false
}

// checkText refuses, in parameters (query, path or form fields), text that PostgreSQL could
// not store or compare: a NUL character, or bytes that are not UTF-8.
func checkText(params url.Values) error {
	var fields []fieldError
	for _, name := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[name] {
			if msg := badText(v); msg != "" {
				fields = append(fields, fieldError{Field: name, Message: msg})
				break
			}
		}
	}
	if len(fields) > 0 {
		return &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract", fields: fields}
	}
	return nil
}

var errNotUUID = errors.New("not a UUID")

// validUUID accepts what openapi3.FormatOfStringForUUIDOfRFC9562 matches, without a regular
// expression on every id of every request: the hyphenated form of a UUID of versions 1 to 8
// and RFC 9562's variant, or the nil or max UUID.
func validUUID(s string) error {
	if len(s) != 36 {
		return errNotUUID
	}
	zeros, fs := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return errNotUUID
			}
			continue
		}
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return errNotUUID
		}
		zeros = zeros && c == '0'
		fs = fs && (c == 'f' || c == 'F')
	}
	if zeros || fs {
		return nil
	}
	if s[14] < '1' || s[14] > '8' || !strings.ContainsRune("89abAB", rune(s[19])) {
		return errNotUUID
	}
	return nil
}

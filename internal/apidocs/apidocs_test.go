package apidocs

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func mustHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := Handler()
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	return h
}

func get(t *testing.T, h http.Handler, target string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// references are the URLs the page loads or links to.
var references = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

// TestPageLoadsOnlyEmbeddedAssets: the page works on a network without the internet, because
// everything it loads is served by this handler from the binary, with the right content type.
func TestPageLoadsOnlyEmbeddedAssets(t *testing.T) {
	h := mustHandler(t)
	res := get(t, h, "/docs")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /docs: Content-Type %q", ct)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self' data:"} {
		if !strings.Contains(csp, directive) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
		}
	}
	page := body(t, res)
	if strings.Contains(page, "<script>") || strings.Contains(page, "<style") {
		t.Errorf("the page has inline script or style, which its CSP forbids:\n%s", page)
	}

	wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	loaded := map[string]bool{}
	for _, m := range references.FindAllStringSubmatch(page, -1) {
		ref := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page references %q, not a path on this server", ref)
			continue
		}
		if !strings.HasPrefix(ref, "/docs/assets/") {
			continue // a link, such as /openapi.yaml, not something the page loads
		}
		name := strings.TrimPrefix(strings.SplitN(ref, "?", 2)[0], "/docs/assets/")
		loaded[name] = true
		res := get(t, h, ref)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", ref, res.StatusCode)
			continue
		}
		ext := name[strings.LastIndex(name, "."):]
		if got := res.Header.Get("Content-Type"); got != wantType[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", ref, got, wantType[ext])
		}
		if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("GET %s: Cache-Control %q: an asset named by its hash may be kept", ref, got)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", ref, got)
		}
		if b := body(t, res); len(b) < 100 {
			t.Errorf("GET %s: %d bytes", ref, len(b))
		}
	}
	for _, name := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "init.js", "docs.css"} {
		if !loaded[name] {
			t.Errorf("the page does not load %s", name)
		}
	}
}

// TestAssetsRevalidate: a browser holding an asset, or the page, asks again with its ETag and
// gets 304; an asset asked for without the page's hash is not cached for a year.
func TestAssetsRevalidate(t *testing.T) {
	h := mustHandler(t)
	for _, target := range []string{"/docs", "/docs/assets/init.js"} {
		res := get(t, h, target)
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", target)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", target, got)
		}
		if res := get(t, h, target, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match %s: %d, want 304", target, etag, res.StatusCode)
		}
	}
	if res := get(t, h, "/docs/assets/init.js?v=stale"); res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an asset asked for with a stale hash: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
}

// TestUnknownAssetIsNotFound: only embedded files are served; nothing reaches the file system.
func TestUnknownAssetIsNotFound(t *testing.T) {
	h := mustHandler(t)
	for _, target := range []string{"/docs/assets/nope.js", "/docs/assets/..%2Fapidocs.go", "/docs/assets/page.html.tmpl"} {
		if res := get(t, h, target); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, res.StatusCode)
		}
	}
}

// TestSwaggerUILicenceShipped: the Apache-2.0 licence and NOTICE travel with the copy of
// Swagger UI, and VERSION names the version the bundle says it is.
func TestSwaggerUILicenceShipped(t *testing.T) {
	for _, name := range []string{"assets/LICENSE", "assets/NOTICE", "assets/swagger-ui-bundle.js.LICENSE.txt"} {
		if b, err := fs.ReadFile(files, name); err != nil || len(b) == 0 {
			t.Errorf("%s is not embedded (%v)", name, err)
		}
	}
	version, _ := fs.ReadFile(files, "assets/VERSION")
	bundle, _ := fs.ReadFile(files, "assets/swagger-ui-bundle.js")
	v := strings.TrimSpace(string(version))
	if v == "" || !strings.Contains(string(bundle), `"`+v+`"`) {
		t.Errorf("assets/VERSION says %q, which swagger-ui-bundle.js does not mention", v)
	}
}

// TestAssetsGzipped: a browser that accepts gzip gets Swagger UI's 1.7 MB bundle compressed, and
// it unpacks to the very file embedded; a client that does not gets the file as it is.
func TestAssetsGzipped(t *testing.T) {
	h := mustHandler(t)
	want, err := fs.ReadFile(files, "assets/swagger-ui-bundle.js")
	if err != nil {
		t.Fatal(err)
	}
	const target = "/docs/assets/swagger-ui-bundle.js"

	res := get(t, h, target, "Accept-Encoding", "gzip, deflate, br")
	if got := res.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", got)
	}
	if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary %q, want Accept-Encoding", got)
	}
	packed := body(t, res)
	zr, err := gzip.NewReader(strings.NewReader(packed))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("gunzipped: %d bytes (%v), want the %d embedded", len(got), err, len(want))
	}
	if len(packed) > len(want)/2 {
		t.Errorf("gzipped to %d bytes of %d", len(packed), len(want))
	}
	gzipETag := res.Header.Get("ETag")

	for _, accept := range []string{"", "identity", "gzip;q=0", "br"} {
		res := get(t, h, target, "Accept-Encoding", accept)
		if enc := res.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", accept, enc)
		}
		if b := body(t, res); b != string(want) {
			t.Errorf("Accept-Encoding %q: %d bytes, want the %d embedded", accept, len(b), len(want))
		}
		if res.Header.Get("ETag") == gzipETag {
			t.Errorf("Accept-Encoding %q: the gzipped body's ETag %s", accept, gzipETag)
		}
	}
}

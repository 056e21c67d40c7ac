// Package apidocs serves the API reference at GET /docs: Swagger UI, rendering the contract
// that GET /openapi.yaml serves, with "try it" against the server that serves the page.
//
// Everything the page loads comes from the binary (go:embed), under /docs/assets/: the files of
// the npm package swagger-ui-dist that scripts/update-docs-assets.sh copies into assets/ (at the
// version assets/VERSION records), and our own stylesheet and start-up script. NHS networks may
// block CDNs, so the page asks no other origin for anything; its Content-Security-Policy says so
// too.
package apidocs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Path is where the page is served; its assets are under Path + "/assets/".
const Path = "/docs"

// contentSecurityPolicy lets the page run only scripts and styles from this server (no inline
// script), and send requests ("try it", fetching /openapi.yaml) only to it. Swagger UI draws a
// few icons as data: URIs.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

//go:embed page.html.tmpl
var pageTemplate string

// assets/ holds Swagger UI as published on npm; init.js and docs.css are ours.
//
//go:embed assets init.js docs.css
var files embed.FS

// asset is one file served under /docs/assets/, with its content hash.
type asset struct {
	body        []byte
	contentType string
	hash        string
	gzipped     func() []byte // body compressed, once, when first asked for
}

// gzipOnce compresses body the first time the result is asked for: Swagger UI's bundle shrinks
// from 1.7 MB to about a third, which counts on a slow trust network, and a server (or a test)
// that never serves /docs never pays for compressing it.
func gzipOnce(body []byte) func() []byte {
	return sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
		_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
		_ = zw.Close()
		return buf.Bytes()
	})
}

// Handler serves GET (and HEAD) Path and Path/assets/{name}. Everything is read and hashed
// once, here.
func Handler() (http.Handler, error) {
	assets := map[string]asset{}
	add := func(name string, body []byte) {
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" || name == "LICENSE" || name == "NOTICE" || name == "VERSION" {
			ct = "text/plain; charset=utf-8"
		}
		assets[name] = asset{body: body, contentType: ct, hash: hex.EncodeToString(sum[:8]), gzipped: gzipOnce(body)}
	}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		add(path.Base(name), body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apidocs: read embedded assets: %w", err)
	}

	// The page names each asset with its hash, so that a browser may keep an asset for a year and
	// still fetches the new one when a new binary serves a new page.
	var missing error
	tmpl, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return nil, fmt.Errorf("apidocs: parse page: %w", err)
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, pageData{assets: assets, missing: &missing}); err != nil {
		return nil, fmt.Errorf("apidocs: render page: %w", err)
	}
	if missing != nil {
		return nil, missing
	}
	add("page.html", page.Bytes())
	index := assets["page.html"]
	index.contentType = "text/html; charset=utf-8"
	delete(assets, "page.html")

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		// The page is small and names the assets of this binary: revalidate it every time.
		h.Set("Cache-Control", "no-cache")
		serve(w, r, index)
	})
	mux.HandleFunc("GET "+Path+"/assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == a.hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		serve(w, r, a)
	})
	return mux, nil
}

// serve answers with a, gzipped when the client accepts it, honouring If-None-Match.
func serve(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, `"`+a.hash+`"`
	if acceptsGzip(r) {
		body, etag = a.gzipped(), `"`+a.hash+`-gzip"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip listed, and not with q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// pageData is what page.html.tmpl sees.
type pageData struct {
	assets  map[string]asset
	missing *error
}

// Asset is the URL of the named asset, with its hash as the version.
func (p pageData) Asset(name string) string {
	a, ok := p.assets[name]
	if !ok {
		*p.missing = fmt.Errorf("apidocs: the page names %q, which is not embedded", name)
		return ""
	}
	return Path + "/assets/" + name + "?v=" + a.hash
}

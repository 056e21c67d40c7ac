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
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
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
		assets[name] = asset{body: body, contentType: ct, hash: hex.EncodeToString(sum[:8])}
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

// serve answers with a, honouring If-None-Match.
func serve(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
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

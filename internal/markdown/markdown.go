// Package markdown renders the Markdown that people write into the public directories as HTML
// that is safe to show anyone: goldmark's CommonMark renderer, which drops raw HTML and
// dangerous link targets unless told otherwise, then bluemonday's policy for user-generated
// content as a second, independent defence. Both are widely used and kept up to date against
// the tricks a hand-written filter would miss (entity-encoded schemes, malformed tags,
// attributes that run script).
package markdown

import (
	"bytes"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns Markdown into safe HTML. Build one with New and share it: it is safe for
// concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a renderer of CommonMark with GitHub's tables, strikethrough and autolinks.
// goldmark stays in its safe mode: raw HTML in the Markdown is left out, and javascript:,
// vbscript:, file: and data: links are not rendered as links.
func New() *Renderer {
	policy := bluemonday.UGCPolicy()
	policy.RequireNoFollowOnLinks(true)
	policy.AllowURLSchemes("https", "http", "mailto")
	return &Renderer{md: goldmark.New(goldmark.WithExtensions(extension.GFM)), policy: policy}
}

// HTML renders src. Markdown has no invalid input, so there is no error to return but the
// renderer's own failure to write to memory, which cannot happen.
func (r *Renderer) HTML(src string) string {
	var out bytes.Buffer
	if err := r.md.Convert([]byte(src), &out); err != nil {
		// goldmark fails only when its writer does; a bytes.Buffer does not. Show nothing
		// rather than anything unsanitised.
		return ""
	}
	return r.policy.Sanitize(out.String())
}

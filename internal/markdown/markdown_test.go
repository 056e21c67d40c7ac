package markdown_test

import (
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/markdown"
)

// TestHTMLIsSafe feeds the renderer what an attacker would write into a case study and checks
// that nothing that runs script reaches the HTML, while ordinary Markdown still renders.
func TestHTMLIsSafe(t *testing.T) {
	t.Parallel()
	r := markdown.New()
	cases := []struct {
		name, src string
		banned    []string // must not appear, case-insensitively
		want      []string // must appear
	}{
		{"script tag", "Hello\n\n<script>alert(1)</script>\n\nbye", []string{"<script", "alert(1)"}, []string{"<p>Hello</p>", "<p>bye</p>"}},
		{"inline script", "Hi <script>alert(1)</script> there", []string{"<script"}, []string{"Hi"}},
		{"event handler", `<img src="https://example.org/a.png" onerror="alert(1)">` + "\n\n" + `<a href="https://example.org" onclick="alert(1)">x</a>`,
			[]string{"onerror", "onclick"}, nil},
		{"javascript link", "[click](javascript:alert(1))", []string{"javascript:"}, []string{"click"}},
		{"encoded javascript link", "[click](jav&#x61;script:alert(1))", []string{"javascript:", "jav&#x61;script"}, nil},
		{"raw javascript anchor", `<a href="javascript:alert(1)">x</a>`, []string{"javascript:"}, nil},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", []string{"data:text/html"}, nil},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, []string{"<iframe"}, nil},
		{"style", `<style>body{display:none}</style>`, []string{"<style"}, nil},
		{"markdown", "# Title\n\n**Bold** and a [link](https://www.hee.nhs.uk/).\n\n- one\n- two",
			nil, []string{"<h1>Title</h1>", "<strong>Bold</strong>", `<a href="https://www.hee.nhs.uk/" rel="nofollow">link</a>`, "<li>one</li>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := r.HTML(c.src)
			for _, b := range c.banned {
				if strings.Contains(strings.ToLower(got), strings.ToLower(b)) {
					t.Errorf("HTML(%q) = %q holds %q", c.src, got, b)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, want it to hold %q", c.src, got, w)
				}
			}
		})
	}
}

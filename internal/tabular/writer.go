package tabular

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Writer writes a kind's rows as CSV: the header, then one line a row, CRLF line ends as
// RFC 4180 has them, every cell neutralised against formulas (Neutralise). It buffers a few
// kilobytes and holds nothing else; Flush sends what is buffered.
type Writer struct {
	w    *bufio.Writer
	cols int
}

// NewWriter writes the kind's header to w.
func NewWriter(w io.Writer, kind *Kind) (*Writer, error) {
	cw := &Writer{w: bufio.NewWriterSize(w, 32<<10), cols: len(kind.Columns)}
	return cw, cw.write(kind.Header())
}

// Write writes one row, its cells in the kind's column order.
func (w *Writer) Write(cells []string) error {
	if len(cells) != w.cols {
		return fmt.Errorf("tabular: a row of %d cells for %d columns", len(cells), w.cols)
	}
	return w.write(cells)
}

func (w *Writer) write(cells []string) error {
	for i, c := range cells {
		if i > 0 {
			_ = w.w.WriteByte(',')
		}
		c = Neutralise(c)
		if c == "" || !strings.ContainsAny(c, ",\"\r\n") {
			_, _ = w.w.WriteString(c)
			continue
		}
		_ = w.w.WriteByte('"')
		_, _ = w.w.WriteString(strings.ReplaceAll(c, `"`, `""`))
		_ = w.w.WriteByte('"')
	}
	_, err := w.w.WriteString("\r\n") // a bufio.Writer's error sticks: this reports any above
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

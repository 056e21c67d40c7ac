package openreferral

// Page is the profile's envelope of a list: the page asked for, and where it stands.
type Page[T any] struct {
	TotalItems int  `json:"total_items"`
	TotalPages int  `json:"total_pages"`
	PageNumber int  `json:"page_number"`
	Size       int  `json:"size"` // the entities on this page
	FirstPage  bool `json:"first_page"`
	LastPage   bool `json:"last_page"`
	Empty      bool `json:"empty"` // nothing matched at all
	Contents   []T  `json:"contents"`
}

// Paging bounds: per_page defaults to DefaultPerPage and may not exceed MaxPerPage.
const (
	DefaultPerPage = 50
	MaxPerPage     = 500
)

// PageOf cuts page number (from 1) of perPage entities out of all. A page past the last is
// empty but still says how many items and pages there are.
func PageOf[T any](all []T, number, perPage int) Page[T] {
	p := Page[T]{TotalItems: len(all), TotalPages: (len(all) + perPage - 1) / perPage, PageNumber: number,
		Empty: len(all) == 0, Contents: []T{}}
	if from := (number - 1) * perPage; from < len(all) {
		p.Contents = all[from:min(from+perPage, len(all))]
	}
	p.Size = len(p.Contents)
	p.FirstPage = number == 1
	p.LastPage = number >= p.TotalPages
	return p
}

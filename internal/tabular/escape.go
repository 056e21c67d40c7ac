package tabular

// Spreadsheets run a cell that begins with =, +, -, @ (and, in some, a tab or a carriage
// return) as a formula: a name such as =HYPERLINK("...") in an export would become a live
// link on the coordinator's machine. The writer prefixes such a cell with a single quote,
// which spreadsheets show as text, and the reader takes the quote off again.
//
// So that every string survives the trip, a string that itself begins with a quote followed
// by one of those characters or by another quote is prefixed too. Neutralise's results that
// begin with a quote are then exactly those whose second character is a trigger or a quote,
// and Restore removes the prefix from those alone: Restore(Neutralise(s)) == s for every s.
// A cell written by hand as '=x therefore reads as =x, which is what a spreadsheet shows.

func formulaTrigger(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'
}

// Neutralise returns s as a CSV export writes it.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	if formulaTrigger(s[0]) || s[0] == '\'' && len(s) > 1 && (formulaTrigger(s[1]) || s[1] == '\'') {
		return "'" + s
	}
	return s
}

// Restore reverses Neutralise: it returns the text of a cell as a CSV import reads it.
func Restore(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && (formulaTrigger(cell[1]) || cell[1] == '\'') {
		return cell[1:]
	}
	return cell
}

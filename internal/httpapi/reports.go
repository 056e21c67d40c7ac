package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// GetHighlightReport answers a funding award's highlight report for a period.
func (s *Server) GetHighlightReport(ctx context.Context, r api.GetHighlightReportRequestObject) (api.GetHighlightReportResponseObject, error) {
	rep, err := s.Reports.Highlight(ctx, r.FundingAwardId, r.Period)
	if err != nil {
		return nil, err
	}
	switch reportFormat(ctx) {
	case "text/csv":
		return highlightCSV(rep)
	case "text/html":
		return highlightHTML(rep)
	}
	return api.GetHighlightReport200JSONResponse{Body: highlightReportOut(rep)}, nil
}

func highlightReportOut(r domain.HighlightReport) api.HighlightReport {
	out := api.HighlightReport{FundingAwardId: r.Award.ID, OrganisationId: r.Award.OrganisationID, ProgrammeId: r.Award.ProgrammeID,
		Period: r.Period.Name, FundedYear: r.Period.FundedYear, FinancialYear: r.Period.Year.Name,
		StartsOn: dateOut(r.Period.From), EndsOn: dateOut(r.Period.To), GeneratedAt: r.GeneratedAt, Cohorts: r.Cohorts,
		Conversion: rateOut(r.Conversion()), Sustained3Months: rateOut(r.Sustained3m()), Sustained6Months: rateOut(r.Sustained6m()),
		WithdrawalsByReason: make([]api.ReasonCount, len(r.WithdrawalsByReason)),
		OutcomesByIlrCode:   []api.ILRCodeCount{},
	}
	out.Participants.Engaged, out.Participants.Minimum, out.Participants.MinimumMet = r.Engaged, r.Minimum, r.MinimumMet()
	out.Enrolments.Starts, out.Enrolments.Completions, out.Enrolments.Withdrawals = r.Starts, r.Completions, r.Withdrawals
	out.Mentoring.Matches, out.Mentoring.CheckIns = r.Matches, r.CheckIns
	for i, c := range r.WithdrawalsByReason {
		out.WithdrawalsByReason[i] = api.ReasonCount{Reason: c.Key, Count: c.N}
	}
	for _, c := range r.ByDestination() {
		out.OutcomesByDestination = append(out.OutcomesByDestination,
			api.DestinationCount{Destination: api.Destination(c.Key), Positive: domain.Positive(c.Key), Count: c.N})
	}
	for _, c := range r.ByILRCode() {
		out.OutcomesByIlrCode = append(out.OutcomesByIlrCode, api.ILRCodeCount{IlrCode: c.Key, Count: c.N})
	}
	for _, c := range r.PlacementsByRoleArea {
		out.PlacementsByRoleArea = append(out.PlacementsByRoleArea, api.RoleAreaCount{RoleArea: api.RoleArea(c.Key), Count: c.N})
	}
	out.CaseStudies.Published, out.CaseStudies.Items = len(r.CaseStudies), make([]api.HighlightCaseStudy, len(r.CaseStudies))
	for i, c := range r.CaseStudies {
		out.CaseStudies.Items[i] = api.HighlightCaseStudy{Id: c.ID, OrganisationId: c.OrganisationID, Title: c.Title,
			PublishedOn: dateOut(c.PublishedOn)}
	}
	return out
}

func rateOut(r domain.Rate) api.Rate {
	out := api.Rate{Numerator: r.Numerator, Denominator: r.Denominator}
	if v, ok := r.Value(); ok {
		f := float32(v)
		out.Rate = &f
	}
	return out
}

type acceptKey struct{}

// reportFormat is the representation of a report the request prefers (RFC 9110 §12.5.1):
// text/csv or text/html when it asks for one of them by name with a quality above JSON's,
// and JSON otherwise (a browser's */* included).
func reportFormat(ctx context.Context) string {
	accept, _ := ctx.Value(acceptKey{}).(string)
	quality := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q, err := strconv.ParseFloat(params["q"], 64)
		if params["q"] == "" {
			q, err = 1, nil
		}
		if err == nil && q > quality[mt] {
			quality[mt] = q
		}
	}
	best, format := max(quality["application/json"], quality["application/*"], quality["*/*"]), "application/json"
	for _, mt := range []string{"text/html", "text/csv"} {
		if q := quality[mt]; q > 0 && q >= best {
			best, format = q, mt
		}
	}
	return format
}

// highlightRows are a highlight report's figures as (section, measure, value), in the order
// of the JSON answer.
func highlightRows(r domain.HighlightReport) [][3]string {
	itoa := strconv.Itoa
	rows := [][3]string{
		{"report", "funding_award_id", r.Award.ID.String()}, {"report", "organisation_id", r.Award.OrganisationID.String()},
		{"report", "programme_id", r.Award.ProgrammeID.String()}, {"report", "period", r.Period.Name},
		{"report", "funded_year", itoa(r.Period.FundedYear)}, {"report", "financial_year", r.Period.Year.Name},
		{"report", "starts_on", r.Period.From.Format(time.DateOnly)}, {"report", "ends_on", r.Period.To.Format(time.DateOnly)},
		{"report", "generated_at", r.GeneratedAt.UTC().Format(time.RFC3339)}, {"report", "cohorts", itoa(r.Cohorts)},
		{"participants", "engaged", itoa(r.Engaged)}, {"participants", "minimum", itoa(r.Minimum)},
		{"participants", "minimum_met", strconv.FormatBool(r.MinimumMet())},
		{"enrolments", "starts", itoa(r.Starts)}, {"enrolments", "completions", itoa(r.Completions)},
		{"enrolments", "withdrawals", itoa(r.Withdrawals)},
	}
	counts := func(section string, cs []domain.Count) {
		for _, c := range cs {
			rows = append(rows, [3]string{section, c.Key, itoa(c.N)})
		}
	}
	rate := func(section string, rt domain.Rate) {
		v := ""
		if f, ok := rt.Value(); ok {
			v = strconv.FormatFloat(f, 'f', -1, 64)
		}
		rows = append(rows, [3]string{section, "numerator", itoa(rt.Numerator)}, [3]string{section, "denominator", itoa(rt.Denominator)},
			[3]string{section, "rate", v})
	}
	counts("withdrawals_by_reason", r.WithdrawalsByReason)
	counts("outcomes_by_destination", r.ByDestination())
	counts("outcomes_by_ilr_code", r.ByILRCode())
	rate("conversion", r.Conversion())
	rate("sustained_3_months", r.Sustained3m())
	rate("sustained_6_months", r.Sustained6m())
	counts("placements_by_role_area", r.PlacementsByRoleArea)
	rows = append(rows, [3]string{"mentoring", "matches", itoa(r.Matches)}, [3]string{"mentoring", "check_ins", itoa(r.CheckIns)},
		[3]string{"case_studies", "published", itoa(len(r.CaseStudies))})
	for _, c := range r.CaseStudies {
		rows = append(rows, [3]string{"case_studies", c.ID.String(), c.Title})
	}
	return rows
}

// reportFile is a report answered as a file: CSV or HTML.
type reportFile struct {
	contentType, filename string
	body                  []byte
}

func (f reportFile) VisitGetHighlightReportResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", f.contentType)
	if f.filename != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.filename}))
	}
	if strings.HasPrefix(f.contentType, "text/html") {
		// The page holds no script and loads nothing: say so to the browser too.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(f.body)
	return err
}

// highlightCSV writes the report's figures one a row; a free-text cell (a withdrawal reason, a
// case study's title) is neutralised so that a spreadsheet shows it as text.
func highlightCSV(r domain.HighlightReport) (reportFile, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write([]string{"section", "measure", "value"})
	for _, row := range highlightRows(r) {
		_ = w.Write([]string{row[0], tabular.Neutralise(row[1]), tabular.Neutralise(row[2])})
	}
	w.Flush()
	return reportFile{"text/csv; charset=utf-8", "highlight-report-" + r.Period.Name + ".csv", buf.Bytes()}, w.Error()
}

//go:embed reports.html.tmpl
var reportPageSource string

var reportPage = template.Must(template.New("report").Parse(reportPageSource))

// chart is a horizontal bar chart drawn as inline SVG.
type chart struct {
	ID, Title string
	Height    int
	Bars      []chartBar
}

type chartBar struct {
	Label, Colour string
	N             int
	Y, TextY      int
	Width, CountX float64
}

const (
	nhsBlue     = "#005eb8"
	nhsGrey     = "#768692"
	barMaxWidth = 380.0 // pixels of the longest bar
	barPitch    = 26    // pixels from one bar to the next
)

// newChart draws counts as bars scaled to the largest; labels longer than 30 characters are cut.
func newChart(id, title string, counts []domain.Count, colour func(domain.Count) string) chart {
	c := chart{ID: id, Title: title, Height: len(counts)*barPitch + 4}
	most := 0
	for _, n := range counts {
		most = max(most, n.N)
	}
	for i, n := range counts {
		label := strings.ReplaceAll(n.Key, "_", " ")
		if utf8.RuneCountInString(label) > 30 {
			label = string([]rune(label)[:29]) + "…"
		}
		w := 0.0
		if most > 0 {
			w = float64(n.N) / float64(most) * barMaxWidth
		}
		c.Bars = append(c.Bars, chartBar{Label: label, Colour: colour(n), N: n.N, Y: i*barPitch + 2, TextY: i*barPitch + 16,
			Width: w, CountX: 200 + w + 6})
	}
	return c
}

func blue(domain.Count) string { return nhsBlue }

// percent shows a rate as a percentage, or "n/a" with nothing to divide by.
type percentRate struct{ domain.Rate }

func (r percentRate) Percent() string {
	if v, ok := r.Value(); ok {
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return "n/a"
}

// highlightHTML renders the report as a printable page.
func highlightHTML(r domain.HighlightReport) (reportFile, error) {
	destinations := newChart("chart-destinations", "Outcomes by destination", r.ByDestination(), func(c domain.Count) string {
		if domain.Positive(c.Key) {
			return nhsBlue
		}
		return nhsGrey
	})
	page := map[string]any{
		"Period": r.Period.Name, "From": r.Period.From.Format("2 January 2006"), "To": r.Period.To.Format("2 January 2006"),
		"FundedYear": r.Period.FundedYear, "FinancialYear": r.Period.Year.Name,
		"AwardID": r.Award.ID, "RecipientID": r.Award.OrganisationID, "ProgrammeID": r.Award.ProgrammeID, "Cohorts": r.Cohorts,
		"Engaged": r.Engaged, "Minimum": r.Minimum, "MinimumMet": r.MinimumMet(),
		"Conversion": percentRate{r.Conversion()}, "Sustained3m": percentRate{r.Sustained3m()}, "Sustained6m": percentRate{r.Sustained6m()},
		"EngagedChart": newChart("chart-engaged", "Participants engaged against the minimum",
			[]domain.Count{{Key: "engaged", N: r.Engaged}, {Key: "minimum", N: r.Minimum}}, blue),
		"Starts": r.Starts, "Completions": r.Completions, "Withdrawals": r.Withdrawals,
		"WithdrawalChart":  newChart("chart-withdrawals", "Withdrawals by reason", r.WithdrawalsByReason, blue),
		"DestinationChart": destinations, "ILRCodes": r.ByILRCode(),
		"PlacementChart": newChart("chart-placements", "Placements by role area", r.PlacementsByRoleArea, blue),
		"Matches":        r.Matches, "CheckIns": r.CheckIns, "CaseStudies": r.CaseStudies,
		"GeneratedAt": r.GeneratedAt.UTC().Format("2 January 2006 15:04 UTC"),
	}
	var buf bytes.Buffer
	if err := reportPage.Execute(&buf, page); err != nil {
		return reportFile{}, fmt.Errorf("render highlight report: %w", err)
	}
	return reportFile{contentType: "text/html; charset=utf-8", body: buf.Bytes()}, nil
}

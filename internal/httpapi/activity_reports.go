package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// GetActivityReport answers a financial year's activity within the caller's reach.
func (s *Server) GetActivityReport(ctx context.Context, r api.GetActivityReportRequestObject) (api.GetActivityReportResponseObject, error) {
	rep, err := s.Reports.Activity(ctx, r.Params.Year)
	if err != nil {
		return nil, err
	}
	if reportFormat(ctx) == "text/csv" {
		return activityCSV(rep)
	}
	out := api.ActivityReport{Year: rep.Year.Name, StartsOn: dateOut(rep.Year.StartsOn), EndsOn: dateOut(rep.Year.EndsOn),
		GeneratedAt: rep.GeneratedAt, Total: activityCountsOut(rep.Total), Regions: make([]api.RegionActivity, len(rep.Regions))}
	for i, reg := range rep.Regions {
		c := activityCountsOut(reg.ActivityCounts)
		out.Regions[i] = api.RegionActivity{Region: api.Region(reg.Region), WorkExperienceOpportunities: c.WorkExperienceOpportunities,
			WorkRelatedLearningOpportunities: c.WorkRelatedLearningOpportunities, EmployabilityProgrammeParticipants: c.EmployabilityProgrammeParticipants}
	}
	return api.GetActivityReport200JSONResponse(out), nil
}

func activityCountsOut(c domain.ActivityCounts) api.ActivityCounts {
	return api.ActivityCounts{WorkExperienceOpportunities: c.WorkExperience, WorkRelatedLearningOpportunities: c.WorkRelatedLearning,
		EmployabilityProgrammeParticipants: c.EmployabilityParticipants}
}

// activityCSV writes the total as region "all", then a row a region.
func activityCSV(r domain.ActivityReport) (reportFile, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	row := func(region string, c domain.ActivityCounts) []string {
		return []string{region, strconv.Itoa(c.WorkExperience), strconv.Itoa(c.WorkRelatedLearning), strconv.Itoa(c.EmployabilityParticipants)}
	}
	_ = w.Write([]string{"region", "work_experience_opportunities", "work_related_learning_opportunities", "employability_programme_participants"})
	_ = w.Write(row("all", r.Total))
	for _, reg := range r.Regions {
		_ = w.Write(row(reg.Region, reg.ActivityCounts))
	}
	w.Flush()
	return reportFile{"text/csv; charset=utf-8", "activity-report-" + strings.ReplaceAll(r.Year.Name, "/", "-") + ".csv", buf.Bytes()}, w.Error()
}

func (f reportFile) VisitGetActivityReportResponse(w http.ResponseWriter) error {
	return f.VisitGetHighlightReportResponse(w)
}

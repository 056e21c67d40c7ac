package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/civil"
)

// GetParticipantTimeline returns what happened to a participant, in date order.
func (s *Server) GetParticipantTimeline(ctx context.Context, r api.GetParticipantTimelineRequestObject) (api.GetParticipantTimelineResponseObject, error) {
	events, err := s.Timeline.Of(ctx, r.ParticipantId)
	if err != nil {
		return nil, err
	}
	out := api.Timeline{ParticipantId: r.ParticipantId, Events: make([]api.TimelineEvent, len(events))}
	for i, e := range events {
		out.Events[i] = api.TimelineEvent{On: civil.Date{Time: e.On}, Kind: e.Kind,
			ResourceType: api.TimelineEventResourceType(e.ResourceType), ResourceId: e.ResourceID, Summary: e.Summary}
	}
	return api.GetParticipantTimeline200JSONResponse{Body: out}, nil
}

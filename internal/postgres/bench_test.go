package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// The hot reads of the store alone, without HTTP: a participant by id and a page of 50.
// make bench measures them through the whole server against a minimal baseline.
func BenchmarkParticipantReads(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := context.Background()
	sys := domain.WithPrincipal(ctx, domain.Principal{Subject: "system", AllOrganisations: true})
	org := domain.Organisation{Kind: domain.KindTrust, Name: "Trust"}
	if err := postgres.NewOrganisations(db).Create(sys, &org); err != nil {
		b.Fatal(err)
	}
	people := postgres.NewParticipants(db)
	var ids []uuid.UUID
	for i := range 60 {
		given, family, ref, email := fmt.Sprint("Given", i), "Family", fmt.Sprint("REF-", i), fmt.Sprintf("p%d@example.org", i)
		dob := time.Date(1990, 1, 1+i, 0, 0, 0, 0, time.UTC)
		p := domain.Participant{OrganisationID: org.ID, ExternalRef: &ref, GivenName: &given, FamilyName: &family, Email: &email,
			DateOfBirth: &dob, BenefitStatus: "universal_credit"}
		if err := people.Create(sys, &p); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	trust := domain.WithPrincipal(ctx, domain.Principal{Subject: "user:x", OrganisationID: org.ID, Reach: []uuid.UUID{org.ID}})
	b.Run("get", func(b *testing.B) {
		for i := range b.N {
			if _, err := people.Get(trust, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-parallel", func(b *testing.B) {
		b.SetParallelism(8) // goroutines per core, as the load benchmark's clients
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				if _, err := people.Get(trust, ids[i%len(ids)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("list-50", func(b *testing.B) {
		for range b.N {
			page, err := people.List(trust, domain.ParticipantFilter{}, domain.PageRequest{Limit: 50})
			if err != nil || len(page.Items) != 50 {
				b.Fatal(err, len(page.Items))
			}
		}
	})
}

package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// A trust's nightly script loads its referrals file: Import uploads it as it reads it, waits for
// the job, reporting progress, and returns the job ended; ImportErrors lists the rows refused.
// The key, made of the file's name, makes the script safe to run again: the same key answers with
// the job the first run started, so the file is never imported twice.
func ExampleImport() {
	ctx := context.Background()
	api, err := client.NewClient(os.Getenv("P4W_URL"),
		client.WithHTTPClient(&http.Client{Timeout: time.Minute}),
		client.WithRetries(client.DefaultRetryPolicy), // the polls ride out a restart
		client.WithTokenSource(client.StaticToken(os.Getenv("P4W_ACCESS_TOKEN"))))
	if err != nil {
		log.Fatal(err)
	}

	// Any io.Reader: an *os.File, standard input, a pipe. It is streamed, never read whole.
	org := os.Getenv("P4W_ORGANISATION_ID")
	file := strings.NewReader("organisation_id,external_ref,given_name,family_name,date_of_birth,benefit_status,consent_processing\n" +
		org + ",RCH-IMP-0001,Ellie,Moss,2003-02-11,universal_credit,true\n" +
		org + ",RCH-IMP-0002,Kai,Roberts,11/07/2002,universal_credit,true\n" +
		org + ",RCH-IMP-0003,Priya,Nair,1999-12-30,jobseekers_allowance,true\n")

	job, err := client.Import(ctx, api, file, client.ImportOptions{
		Kind: "participants", Mode: "upsert", IdempotencyKey: "riverside-referrals-2026-04.csv",
		Progress: func(j client.ImportJob) {
			// A progress bar goes here: j.Progress is the share of the file read.
			log.Printf("%s: %d rows read (%.0f%%)", j.Status, j.RowsRead, 100*j.Progress)
		},
	})
	if err != nil {
		log.Fatal(err) // not uploaded, or refused (an *client.APIError), or ctx ended
	}
	fmt.Printf("%s: %d rows, %d created, %d updated, %d unchanged, %d refused\n",
		job.Status, job.RowsRead, job.Created, job.Updated, job.Unchanged, job.Failed)
	for e, err := range client.ImportErrors(ctx, api, job.Id) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("row %d, column %s: %s\n", e.Row, e.Column, e.Message)
	}
	// Output:
	// succeeded: 3 rows, 2 created, 0 updated, 0 unchanged, 1 refused
	// row 3, column date_of_birth: must be a date written YYYY-MM-DD, such as 2027-03-01
}

package postgres

// MigrateJobs applies River's migrations alone, for a test that runs them side by side.
var MigrateJobs = migrateJobs

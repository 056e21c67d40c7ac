package postgres

// ActivitySQL is the activity report's query, for the test that checks it against the raw rows.
const ActivitySQL = activitySQL

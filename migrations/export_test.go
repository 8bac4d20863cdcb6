package migrations

// All is the set of migrations, for tests that migrate a database to a given point.
var All = all

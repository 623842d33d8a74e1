// Package db is the only package that speaks SQL. It holds the sqlx store, the
// embedded goose migrations, the statement counter used by tests and metrics,
// and the private PostgreSQL runner used by the embedded default and by tests.
package db

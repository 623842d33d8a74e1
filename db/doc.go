// Package db is the only package that speaks SQL. It holds the sqlx store, the
// embedded goose migrations and the statement counter used by tests and
// metrics. The private PostgreSQL runner is package localpg.
package db

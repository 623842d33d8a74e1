package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Onboarding is a row of onboardings.
type Onboarding struct {
	WorkspaceID           string     `db:"workspace_id"`
	ID                    string     `db:"id"`
	DisplayID             int64      `db:"display_id"`
	CustomerID            string     `db:"customer_id"`
	Name                  string     `db:"name"`
	TemplateID            *string    `db:"template_id"`
	Phase                 string     `db:"phase"`
	State                 string     `db:"state"`
	WaitingOnCustomer     bool       `db:"waiting_on_customer"`
	StartedAt             time.Time  `db:"started_at"`
	CompletedAt           *time.Time `db:"completed_at"`
	TargetLaunchDate      *time.Time `db:"target_launch_date"`
	CsmID                 *string    `db:"csm_id"`
	SeID                  *string    `db:"se_id"`
	DesignerID            *string    `db:"designer_id"`
	ProductOpsID          *string    `db:"product_ops_id"`
	Notes                 *string    `db:"notes"`
	RemindersEnabled      bool       `db:"reminders_enabled"`
	ReminderFrequencyDays int        `db:"reminder_frequency_days"`
	CreatedAt             time.Time  `db:"created_at"`
	UpdatedAt             time.Time  `db:"updated_at"`
	DeletedAt             *time.Time `db:"deleted_at"`
}

var onboardingColumnList = []string{"workspace_id", "id", "display_id", "customer_id", "name", "template_id",
	"phase", "state", "waiting_on_customer", "started_at", "completed_at", "target_launch_date",
	"csm_id", "se_id", "designer_id", "product_ops_id", "notes", "reminders_enabled",
	"reminder_frequency_days", "created_at", "updated_at", "deleted_at"}

// onboardingColumns lists the columns qualified by alias (o.name, …), since
// every read joins the parent customer.
func onboardingColumns(alias string) string {
	return alias + "." + strings.Join(onboardingColumnList, ", "+alias+".")
}

// onboardingsVisible joins an onboarding (alias o) to its customer and keeps
// it only while that customer is not deleted: children of a deleted customer
// vanish from every read.
const onboardingsVisible = ` FROM onboardings o JOIN customers c
	ON c.workspace_id = o.workspace_id AND c.id = o.customer_id AND c.deleted_at IS NULL`

// OnboardingFilter selects onboardings. State "waiting" selects rows waiting
// on the customer.
type OnboardingFilter struct {
	CustomerID *string
	State      *string
	Phase      *string
	Page
}

func (f OnboardingFilter) addTo(b *where) {
	if f.State != nil {
		if *f.State == "waiting" {
			b.add("o.waiting_on_customer")
		} else {
			b.add("o.state = ?", *f.State)
		}
	}
	if f.Phase != nil {
		b.add("o.phase = ?", *f.Phase)
	}
}

// FindOnboarding returns the onboarding r names, or ErrNotFound. It is found
// only while its customer is visible; deleted onboardings only when
// withDeleted is true. forUpdate locks the onboarding row.
func FindOnboarding(ctx context.Context, q Queryer, workspaceID string, r Ref, withDeleted, forUpdate bool) (*Onboarding, error) {
	cond, arg := r.where(2)
	query := `SELECT ` + onboardingColumns("o") + onboardingsVisible + ` WHERE o.workspace_id = $1 AND o.` + cond
	if !withDeleted {
		query += ` AND o.deleted_at IS NULL`
	}
	if forUpdate {
		query += ` FOR UPDATE OF o`
	}
	var o Onboarding
	err := q.GetContext(ctx, &o, query, workspaceID, arg)
	return &o, classify(err)
}

// FindOnboardings lists the workspace's visible onboardings, newest first.
func FindOnboardings(ctx context.Context, q Queryer, workspaceID string, f OnboardingFilter) ([]Onboarding, error) {
	var b where
	b.add("o.workspace_id = ?", workspaceID)
	b.add("o.deleted_at IS NULL")
	if f.CustomerID != nil {
		b.add("o.customer_id = ?", *f.CustomerID)
	}
	f.addTo(&b)
	if f.Before != nil {
		b.add("o.created_at < ?", *f.Before)
	}
	rows := make([]Onboarding, 0, f.Limit+1)
	err := q.SelectContext(ctx, &rows, `SELECT `+onboardingColumns("o")+onboardingsVisible+` WHERE `+b.sql()+
		fmt.Sprintf(` ORDER BY o.created_at DESC LIMIT %d`, f.Limit+1), b.args...)
	return rows, classify(err)
}

// FindOnboardingsForCustomers returns, in one statement, up to limit visible
// onboardings of each customer among customerIDs (newest first within a
// customer, created before before when set), filtered by f's state and phase.
// Rows of one customer are contiguous.
func FindOnboardingsForCustomers(ctx context.Context, q Queryer, workspaceID string, customerIDs []string,
	f OnboardingFilter, before *time.Time, limit int) ([]Onboarding, error) {
	var b where
	b.add("c.workspace_id = ?", workspaceID)
	b.add("c.id = ANY(?)", pq.Array(customerIDs))
	b.add("c.deleted_at IS NULL")
	outer := b.sql()
	// The inner conditions continue the placeholder numbering of the outer ones.
	b.conds = nil
	b.add("o.workspace_id = c.workspace_id")
	b.add("o.customer_id = c.id")
	b.add("o.deleted_at IS NULL")
	f.addTo(&b)
	if before != nil {
		b.add("o.created_at < ?", *before)
	}
	// A LATERAL page per customer walks the per-customer index and stops at
	// limit, however many onboardings a customer has.
	query := `SELECT ` + onboardingColumns("o") + ` FROM customers c CROSS JOIN LATERAL (
		SELECT ` + onboardingColumns("o") + ` FROM onboardings o WHERE ` + b.sql() + `
		ORDER BY o.created_at DESC LIMIT ` + fmt.Sprint(limit) + `) o
		WHERE ` + outer + ` ORDER BY o.customer_id, o.created_at DESC`
	var rows []Onboarding
	err := q.SelectContext(ctx, &rows, query, b.args...)
	return rows, classify(err)
}

// InsertOnboarding stores o, filling ID, DisplayID, CreatedAt, UpdatedAt and
// StartedAt (an onboarding starts when it is created), and CompletedAt when
// it is created already completed.
func InsertOnboarding(ctx context.Context, q Queryer, o *Onboarding) error {
	var err error
	o.ID = NewID()
	if o.DisplayID, o.CreatedAt, err = nextStamp(ctx, q, o.WorkspaceID, KindOnboarding); err != nil {
		return err
	}
	o.UpdatedAt, o.StartedAt = o.CreatedAt, o.CreatedAt
	if o.Phase == PhaseCompleted {
		t := o.CreatedAt
		o.CompletedAt = &t
	}
	_, err = sqlxNamedExec(ctx, q, `INSERT INTO onboardings (`+strings.Join(onboardingColumnList, ", ")+`)
		VALUES (:`+strings.Join(onboardingColumnList, ", :")+`)`, o)
	return classify(err)
}

// PhaseCompleted is the terminal phase.
const PhaseCompleted = "completed"

// UpdateOnboarding writes every writable column of o, moves UpdatedAt forward,
// and sets CompletedAt when the phase is completed (keeping an earlier
// completion time) or clears it otherwise.
func UpdateOnboarding(ctx context.Context, q Queryer, o *Onboarding) error {
	row := q.QueryRowxContext(ctx, `UPDATE onboardings o SET
		name = $3, template_id = $4, phase = $5, state = $6, waiting_on_customer = $7,
		target_launch_date = $8, csm_id = $9, se_id = $10, designer_id = $11, product_ops_id = $12,
		notes = $13, reminders_enabled = $14, reminder_frequency_days = $15,
		updated_at = greatest(t.now, o.updated_at + interval '1 microsecond'),
		completed_at = CASE WHEN $5 = 'completed'
			THEN coalesce(o.completed_at, greatest(t.now, o.updated_at + interval '1 microsecond')) END
		FROM (SELECT date_trunc('microseconds', clock_timestamp()) AS now) t
		WHERE o.workspace_id = $1 AND o.id = $2 RETURNING o.updated_at, o.completed_at`,
		o.WorkspaceID, o.ID, o.Name, o.TemplateID, o.Phase, o.State, o.WaitingOnCustomer,
		o.TargetLaunchDate, o.CsmID, o.SeID, o.DesignerID, o.ProductOpsID,
		o.Notes, o.RemindersEnabled, o.ReminderFrequencyDays)
	return classify(row.Scan(&o.UpdatedAt, &o.CompletedAt))
}

// PhaseTransition is a row of phase_transitions: one phase change of an
// onboarding (From is nil for the initial phase at creation).
type PhaseTransition struct {
	WorkspaceID  string    `db:"workspace_id"`
	ID           string    `db:"id"`
	OnboardingID string    `db:"onboarding_id"`
	FromPhase    *string   `db:"from_phase"`
	ToPhase      string    `db:"to_phase"`
	Actor        string    `db:"actor"`
	CreatedAt    time.Time `db:"created_at"`
}

// InsertPhaseTransition stores p (filling ID) in the caller's transaction.
// CreatedAt is the time of the change the caller made (the onboarding's new
// updated_at), so a timeline orders exactly like the changes did.
func InsertPhaseTransition(ctx context.Context, q Queryer, p *PhaseTransition) error {
	p.ID = NewID()
	_, err := sqlxNamedExec(ctx, q, `INSERT INTO phase_transitions
		(workspace_id, id, onboarding_id, from_phase, to_phase, actor, created_at)
		VALUES (:workspace_id, :id, :onboarding_id, :from_phase, :to_phase, :actor, :created_at)`, p)
	return classify(err)
}

// FindTimelines returns the phase transitions of the given onboardings, each
// onboarding's newest first, in one statement.
func FindTimelines(ctx context.Context, q Queryer, workspaceID string, onboardingIDs []string) ([]PhaseTransition, error) {
	var ps []PhaseTransition
	err := q.SelectContext(ctx, &ps, `SELECT workspace_id, id, onboarding_id, from_phase, to_phase, actor, created_at
		FROM phase_transitions WHERE workspace_id = $1 AND onboarding_id = ANY($2)
		ORDER BY onboarding_id, created_at DESC, id DESC`, workspaceID, pq.Array(onboardingIDs))
	return ps, classify(err)
}

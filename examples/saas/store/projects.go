package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of project fields, in characters.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 10_000
)

// Project is a project of the application: personal when OrganizationID is
// "", else the organization's.
type Project struct {
	// ID is the store's id ("proj_…").
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// OwnerID is the id of the user who created the project.
	OwnerID string `json:"owner_id"`
	// OrganizationID is the owning organization's id, "" for a personal
	// project.
	OrganizationID string    `json:"organization_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NewProject holds the fields of a project to create.
type NewProject struct {
	// Title is required; surrounding spaces are trimmed.
	Title       string
	Description string
	// OwnerID is the creating user's id; required.
	OwnerID string
	// OrganizationID makes a team project; "" makes a personal one.
	OrganizationID string
}

// CreateProject stores a new project and returns it. The caller must have
// checked that the owner may create projects in the organization. It fails
// with ErrInvalid on a missing or too long title, and with ErrMissingParent
// when the owner or the organization is not stored (for example a user who
// signed up a moment ago, whose user.created webhook has not arrived yet).
func (s *Store) CreateProject(ctx context.Context, np NewProject) (Project, error) {
	p := Project{
		ID:             "proj_" + strings.ToLower(rand.Text()),
		Title:          strings.TrimSpace(np.Title),
		Description:    np.Description,
		OwnerID:        np.OwnerID,
		OrganizationID: np.OrganizationID,
		CreatedAt:      time.Now().UTC().Truncate(time.Millisecond),
	}
	p.UpdatedAt = p.CreatedAt
	if err := validateProject(p); err != nil {
		return Project{}, fmt.Errorf("store: create project: %w", err)
	}
	_, err := s.exec(ctx, s.db, sqlInsertProject, p.ID, p.Title, p.Description, p.OwnerID,
		nullString(p.OrganizationID), ms(p.CreatedAt), ms(p.UpdatedAt))
	if err != nil {
		return Project{}, fmt.Errorf("store: create project: %w", err)
	}
	return p, nil
}

func validateProject(p Project) error {
	switch {
	case p.OwnerID == "":
		return fmt.Errorf("%w: project without owner", ErrInvalid)
	case p.Title == "":
		return fmt.Errorf("%w: project title is empty", ErrInvalid)
	case !utf8.ValidString(p.Title) || !utf8.ValidString(p.Description):
		return fmt.Errorf("%w: project title or description is not valid UTF-8", ErrInvalid)
	case utf8.RuneCountInString(p.Title) > MaxTitleLen:
		return fmt.Errorf("%w: project title longer than %d characters", ErrInvalid, MaxTitleLen)
	case utf8.RuneCountInString(p.Description) > MaxDescriptionLen:
		return fmt.Errorf("%w: project description longer than %d characters", ErrInvalid, MaxDescriptionLen)
	}
	return nil
}

// GetProject returns the project with id, or ErrNotFound. The caller must
// check that the signed-in user may see it (owner, or member of its
// organization).
func (s *Store) GetProject(ctx context.Context, id string) (Project, error) {
	p, err := scanProject(s.queryRow(ctx, s.db, sqlGetProject, id))
	if err != nil {
		return Project{}, fmt.Errorf("store: get project %s: %w", id, notFound(err))
	}
	return p, nil
}

// ListProjects returns the personal projects of userID plus, when orgID is
// not "", every project of that organization, newest first. The caller
// must have checked that userID belongs to orgID.
func (s *Store) ListProjects(ctx context.Context, userID, orgID string) ([]Project, error) {
	rows, err := s.query(ctx, s.db, sqlListProjects, userID, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: list projects: %w", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list projects: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list projects: %w", err)
	}
	return out, nil
}

func scanProject(row interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var org sql.NullString
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Title, &p.Description, &p.OwnerID, &org, &created, &updated); err != nil {
		return Project{}, err
	}
	p.OrganizationID, p.CreatedAt, p.UpdatedAt = org.String, fromMS(created), fromMS(updated)
	return p, nil
}

// Package jurisdictions keeps the administrative divisions (GB/T 2260 six-digit codes) in which staff
// hold roles and to which cases belong: province XX0000, city XXXX00, county XXXXXX.
package jurisdictions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/lang"
)

// Jurisdiction is one administrative division.
type Jurisdiction struct {
	bun.BaseModel `bun:"table:jurisdictions"`

	Code       string    `bun:",pk" json:"code"`
	NameZH     string    `bun:"name_zh" json:"name_zh"`
	NameEN     string    `bun:"name_en" json:"name_en"`
	ParentCode *string   `json:"parent_code,omitempty"`
	CreatedAt  time.Time `json:"-"`
}

var codePattern = regexp.MustCompile(`^[1-9][0-9]{5}$`)

// ErrNotFound means no jurisdiction has the code.
var ErrNotFound = errors.New("no such jurisdiction")

// Level is the administrative level a code denotes.
type Level string

// The three levels a provincial department works with.
const (
	Province Level = "province"
	City     Level = "city"
	County   Level = "county"
)

// ValidCode reports whether code has the form of a GB/T 2260 division code.
func ValidCode(code string) bool { return codePattern.MatchString(code) }

// LevelOf returns the level of a valid code.
func LevelOf(code string) Level {
	switch {
	case code[2:] == "0000":
		return Province
	case code[4:] == "00":
		return City
	default:
		return County
	}
}

// ParentOf returns the code of the division directly above code, or "" for a province.
func ParentOf(code string) string {
	switch LevelOf(code) {
	case Province:
		return ""
	case City:
		return code[:2] + "0000"
	default:
		return code[:4] + "00"
	}
}

// Subtree returns the grant pattern that covers code and every division below it: "21*" for the
// province 210000, "2101*" for the city 210100, and the code itself for a county.
func Subtree(code string) string {
	switch LevelOf(code) {
	case Province:
		return code[:2] + "*"
	case City:
		return code[:4] + "*"
	default:
		return code
	}
}

// Add inserts a jurisdiction, or does nothing if the code exists. A city or county's parent must
// exist already (a county directly under a province, as some are, is also accepted).
func Add(ctx context.Context, db bun.IDB, code, nameZH, nameEN string) error {
	if !ValidCode(code) {
		return fmt.Errorf("%q is not a six-digit division code", code)
	}
	j := &Jurisdiction{Code: code, NameZH: nameZH, NameEN: nameEN, CreatedAt: time.Now().UTC()}
	if parent := ParentOf(code); parent != "" {
		p, err := Get(ctx, db, parent)
		if errors.Is(err, ErrNotFound) && LevelOf(code) == County {
			p, err = Get(ctx, db, code[:2]+"0000")
		}
		if err != nil {
			return fmt.Errorf("parent of %s: %w", code, err)
		}
		j.ParentCode = &p.Code
	}
	if _, err := db.NewInsert().Model(j).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("adding jurisdiction %s: %w", code, err)
	}
	return nil
}

// Get returns the jurisdiction with code.
func Get(ctx context.Context, db bun.IDB, code string) (*Jurisdiction, error) {
	j := new(Jurisdiction)
	err := db.NewSelect().Model(j).Where("code = ?", code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", code, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading jurisdiction %s: %w", code, err)
	}
	return j, nil
}

// List returns every jurisdiction in code order.
func List(ctx context.Context, db bun.IDB) ([]Jurisdiction, error) {
	var out []Jurisdiction
	if err := db.NewSelect().Model(&out).Order("code").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing jurisdictions: %w", err)
	}
	return out, nil
}

// Roots returns the codes of the jurisdictions with nothing above them (the provinces of the
// installation), in code order: whoever holds a permission over each of their subtrees holds it over
// the whole installation.
func Roots(ctx context.Context, db bun.IDB) ([]string, error) {
	var codes []string
	if err := db.NewSelect().Model((*Jurisdiction)(nil)).Column("code").Where("parent_code IS NULL").
		Order("code").Scan(ctx, &codes); err != nil {
		return nil, fmt.Errorf("listing the root jurisdictions: %w", err)
	}
	return codes, nil
}

// Names returns the names of the jurisdictions with the given codes in one query, for pages and
// answers that show many codes; a code without a row is left out.
func Names(ctx context.Context, db bun.IDB, codes []string) (map[string]lang.Text, error) {
	out := map[string]lang.Text{}
	if len(codes) == 0 {
		return out, nil
	}
	var js []Jurisdiction
	if err := db.NewSelect().Model(&js).Column("code", "name_zh", "name_en").Where("code IN (?)", bun.List(codes)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the names of jurisdictions: %w", err)
	}
	for _, j := range js {
		out[j.Code] = j.Text()
	}
	return out, nil
}

// Text is the jurisdiction's name in both languages.
func (j Jurisdiction) Text() lang.Text { return lang.Text{ZH: j.NameZH, EN: j.NameEN} }

// Name returns the name in the given locale, falling back to Chinese.
func (j Jurisdiction) Name(locale string) string { return j.Text().In(locale) }

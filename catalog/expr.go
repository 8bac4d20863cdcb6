package catalog

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/forms"
)

// Env is what guard, set and rule expressions see. The linter compiles every expression against it
// and the engine runs them with it, so a definition that passes the linter cannot fail to compile.
type Env struct {
	// Data holds the submitted forms by form ID: data.sg_preparation.name.
	Data map[string]any `expr:"data"`
	// Fields holds values that actions entered or set: fields.decision_number.
	Fields map[string]any `expr:"fields"`
	Actor  ActorEnv       `expr:"actor"`
	Case   CaseEnv        `expr:"case"`
	// Now is the engine's clock, in Asia/Shanghai.
	Now time.Time `expr:"now"`
}

// ActorEnv describes who takes the action.
type ActorEnv struct {
	ID        int64    `expr:"id"`
	Applicant bool     `expr:"applicant"` // the case's applicant
	Roles     []string `expr:"roles"`     // roles held in the case's jurisdiction
}

// CaseEnv describes the case.
type CaseEnv struct {
	Number         string    `expr:"number"`
	State          string    `expr:"state"`
	Jurisdiction   string    `expr:"jurisdiction"`
	CreatedAt      time.Time `expr:"created_at"`
	StateEnteredAt time.Time `expr:"state_entered_at"`
}

// exprFunctions are the helpers expressions may call besides expr-lang's built-ins (len, now(), …).
var exprFunctions = []expr.Option{
	expr.Function("age", func(p ...any) (any, error) {
		info, err := forms.ParseIDCard(fmt.Sprint(p[0]))
		if err != nil {
			return 0, err
		}
		return forms.Age(info.BirthDate, p[1].(time.Time)), nil
	}, new(func(string, time.Time) int)),
	expr.Function("birth_date", func(p ...any) (any, error) {
		info, err := forms.ParseIDCard(fmt.Sprint(p[0]))
		return info.BirthDate, err
	}, new(func(string) time.Time)),
	expr.Function("sex", func(p ...any) (any, error) {
		info, err := forms.ParseIDCard(fmt.Sprint(p[0]))
		return info.Sex, err
	}, new(func(string) string)),
	expr.Function("months_between", func(p ...any) (any, error) {
		return monthsBetween(p[0].(time.Time), p[1].(time.Time)), nil
	}, new(func(time.Time, time.Time) int)),
	expr.Function("date", func(p ...any) (any, error) {
		return time.ParseInLocation("2006-01-02", fmt.Sprint(p[0]), calendar.Zone)
	}, new(func(string) time.Time)),
}

// monthsBetween counts whole calendar months from a to b (negative when b is before a).
func monthsBetween(a, b time.Time) int {
	a, b = a.In(calendar.Zone), b.In(calendar.Zone)
	m := (b.Year()-a.Year())*12 + int(b.Month()-a.Month())
	if b.Day() < a.Day() {
		m--
	}
	return m
}

// CompileBool compiles a guard or rule: an expression over Env that yields true or false.
func CompileBool(src string) (*vm.Program, error) {
	return expr.Compile(src, append([]expr.Option{expr.Env(Env{}), expr.AsBool()}, exprFunctions...)...)
}

// CompileValue compiles the value of a set effect.
func CompileValue(src string) (*vm.Program, error) {
	return expr.Compile(src, append([]expr.Option{expr.Env(Env{})}, exprFunctions...)...)
}

// Run evaluates a compiled program with env.
func Run(p *vm.Program, env Env) (any, error) { return expr.Run(p, env) }

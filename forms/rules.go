package forms

import (
	"fmt"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// ruleOptions compile a rule over one level of a form's normalised values: every field name is a
// variable (an absent one is nil) and expr-lang's built-ins (len, all, any, …) are available. The
// linter and Validate share them, so a rule that passes the linter compiles here.
func ruleOptions() []expr.Option {
	return []expr.Option{expr.Env(map[string]any{}), expr.AllowUndefinedVariables(), expr.AsBool()}
}

// CompileRule checks that a rule's condition compiles to a true-or-false expression, for the linter.
func CompileRule(src string) error {
	_, err := compileRule(src)
	return err
}

// rulePrograms caches compiled rules by source: forms are few and long-lived.
var rulePrograms sync.Map // string → *vm.Program

// compileRule compiles a rule once.
func compileRule(src string) (*vm.Program, error) {
	if p, ok := rulePrograms.Load(src); ok {
		return p.(*vm.Program), nil
	}
	p, err := expr.Compile(src, ruleOptions()...)
	if err != nil {
		return nil, fmt.Errorf("compile rule %q: %w", src, err)
	}
	rulePrograms.Store(src, p)
	return p, nil
}

// rules evaluates a field's rules against the values of its level and records the message of each
// rule that is false. A rule that cannot be evaluated (it compares a field left empty or invalid,
// such as nil >= 3000000) is skipped: the missing value is reported on its own field if it is
// required, and otherwise the rule does not apply.
func (v *validator) rules(fd *Field, env map[string]any, path string) {
	for _, r := range fd.Rules {
		p, err := compileRule(r.When)
		if err != nil {
			continue // unreachable: checkDefinition compiled every rule before validation
		}
		out, err := expr.Run(p, env)
		if ok, isBool := out.(bool); err != nil || !isBool || ok {
			continue
		}
		msg := r.Message
		if msg.IsZero() {
			msg.ZH, msg.EN = "不符合填写要求。", "This value does not meet the form's requirements."
		}
		v.add(path, "rule", msg.ZH, msg.EN)
	}
}

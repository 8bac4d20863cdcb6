package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// flowEdge is one arrow of a flowchart: every action that leads from one state to another, so that
// two actions between the same states share an arrow.
type flowEdge struct {
	from, to string
	labels   []string // action names in definition order
}

// label is what the drawings write on the arrow.
func (e flowEdge) label() string { return strings.Join(e.labels, " / ") }

// flowEdges lists the arrows of an item's workflow in definition order, skipping references to
// states that do not exist (a definition the linter would reject).
func flowEdges(it *Item, locale string) []flowEdge {
	known := map[string]bool{}
	for _, s := range it.Workflow.States {
		known[s.ID] = true
	}
	var out []flowEdge
	index := map[[2]string]int{}
	for _, a := range it.Workflow.Actions {
		if !known[a.To] {
			continue
		}
		name := a.Name.In(locale)
		if name == "" {
			name = a.ID
		}
		for _, f := range a.From {
			if !known[f] {
				continue
			}
			k := [2]string{f, a.To}
			if i, ok := index[k]; ok {
				if !slices.Contains(out[i].labels, name) {
					out[i].labels = append(out[i].labels, name)
				}
				continue
			}
			index[k] = len(out)
			out = append(out, flowEdge{from: f, to: a.To, labels: []string{name}})
		}
	}
	return out
}

// startLabel is the word on the start marker of text flowcharts.
func startLabel(locale string) string {
	if locale == "en" {
		return "Start"
	}
	return "开始"
}

// Mermaid draws the item's workflow as a Mermaid flowchart, with names in locale ("en" or Chinese).
// Node IDs get an "s_" prefix because Mermaid reserves words such as "end".
func Mermaid(it *Item, locale string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"` }
	var b strings.Builder
	fmt.Fprintf(&b, "flowchart TD\n    %%%% %s %s\n", it.Code, it.Name.In(locale))
	fmt.Fprintf(&b, "    start((%s))\n", q(startLabel(locale)))
	var finals []string
	for _, s := range it.Workflow.States {
		if s.Final {
			fmt.Fprintf(&b, "    s_%s([%s])\n", s.ID, q(s.label(locale)))
			finals = append(finals, "s_"+s.ID)
		} else {
			fmt.Fprintf(&b, "    s_%s[%s]\n", s.ID, q(s.label(locale)))
		}
	}
	if it.Workflow.Start != "" {
		fmt.Fprintf(&b, "    start --> s_%s\n", it.Workflow.Start)
	}
	for _, e := range flowEdges(it, locale) {
		fmt.Fprintf(&b, "    s_%s -->|%s| s_%s\n", e.from, q(e.label()), e.to)
	}
	if len(finals) > 0 {
		b.WriteString("    classDef final stroke-width:3px\n")
		fmt.Fprintf(&b, "    class %s final\n", strings.Join(finals, ","))
	}
	return b.String()
}

// Dot draws the item's workflow in Graphviz's DOT language, with names in locale.
func Dot(it *Item, locale string) string {
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", q(it.Code))
	fmt.Fprintf(&b, "    label=%s;\n    labelloc=t;\n    rankdir=TB;\n", q(it.Name.In(locale)))
	b.WriteString("    node [shape=box, style=rounded, fontname=\"sans-serif\"];\n")
	b.WriteString("    edge [fontname=\"sans-serif\", fontsize=10];\n")
	fmt.Fprintf(&b, "    start [shape=circle, style=filled, fillcolor=black, label=\"\", width=0.2, tooltip=%s];\n", q(startLabel(locale)))
	for _, s := range it.Workflow.States {
		attrs := "label=" + q(s.label(locale))
		if s.Final {
			attrs += ", peripheries=2"
		}
		fmt.Fprintf(&b, "    %s [%s];\n", q(s.ID), attrs)
	}
	if it.Workflow.Start != "" {
		fmt.Fprintf(&b, "    start -> %s;\n", q(it.Workflow.Start))
	}
	for _, e := range flowEdges(it, locale) {
		fmt.Fprintf(&b, "    %s -> %s [label=%s];\n", q(e.from), q(e.to), q(e.label()))
	}
	b.WriteString("}\n")
	return b.String()
}

// Step is a state a case waits in with the actions that move it on: the workflow read as a list, the
// readable form of the flowchart on a small screen.
type Step struct {
	State   State
	Actions []StepAction
}

// StepAction is an action of a step and the state it leads to; After has days when a timer takes
// the action by itself that long after the case entered the step.
type StepAction struct {
	Action Action
	To     State
	After  Period
}

// Steps lists the states that are not final, the start state first and the others in the order of
// the definition, each with its actions in the order of the definition. Actions to or from states
// the definition lacks are left out, as in the drawings.
func Steps(it *Item) []Step {
	w := &it.Workflow
	states := map[string]State{}
	for _, s := range w.States {
		if _, dup := states[s.ID]; !dup {
			states[s.ID] = s
		}
	}
	var out []Step
	add := func(s State) {
		if s.Final || slices.ContainsFunc(out, func(st Step) bool { return st.State.ID == s.ID }) {
			return
		}
		step := Step{State: s}
		for _, a := range w.Actions {
			to, ok := states[a.To]
			if !ok || !slices.Contains(a.From, s.ID) {
				continue
			}
			sa := StepAction{Action: a, To: to}
			for _, tm := range w.Timers {
				if tm.State == s.ID && tm.Action == a.ID {
					sa.After = tm.After
				}
			}
			step.Actions = append(step.Actions, sa)
		}
		out = append(out, step)
	}
	if s, ok := states[w.Start]; ok {
		add(s)
	}
	for _, s := range w.States {
		add(s)
	}
	return out
}

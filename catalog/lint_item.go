package catalog

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/civicflow/civicflow/forms"
)

// lintItem checks one item against the forms in effect: its guide, its form references and its
// workflow. Every problem is reported in the item's file.
func lintItem(idf *itemDef, formSet map[string]*formDef, docs map[string]*docDef, names *Names) []Diagnostic {
	l := &lintCtx{file: idf.file, lines: idf.lines, diags: append([]Diagnostic(nil), idf.diags...), names: names}
	if idf.fatal {
		return l.diags
	}
	it := idf.item
	switch {
	case it.Code == "":
		l.at(l.line("code"), "missing code (the item's code, used in addresses)")
	case !itemCode.MatchString(it.Code):
		l.at(l.line("code"), "item code %q may hold only letters, digits, '.', '_' and '-'", it.Code)
	}
	if it.Name.ZH == "" {
		l.at(l.line("name"), "missing name.zh")
	}
	if it.Category == "" {
		l.at(l.line("category"), "missing category (one of %s)", strings.Join(Categories, ", "))
	} else if !slices.Contains(Categories, it.Category) {
		l.at(l.line("category"), "unknown category %q; the categories are: %s", it.Category, strings.Join(Categories, ", "))
	}
	if len(it.Levels) == 0 {
		l.at(l.line("levels"), "missing levels (where the item is handled: %s)", strings.Join(Levels, ", "))
	}
	for i, a := range it.Audience {
		if !slices.Contains(Audiences, a) {
			l.at(l.line(fmt.Sprintf("audience[%d]", i)), "unknown audience %q; the audiences are: %s", a, strings.Join(Audiences, ", "))
		}
	}
	for i, lv := range it.Levels {
		if !slices.Contains(Levels, lv) {
			l.at(l.line(fmt.Sprintf("levels[%d]", i)), "unknown level %q; the levels are: %s", lv, strings.Join(Levels, ", "))
		} else if slices.Index(it.Levels, lv) < i {
			l.at(l.line(fmt.Sprintf("levels[%d]", i)), "duplicate level %q", lv)
		}
	}
	materials := l.materials(it.Materials)
	l.templates(it.Templates, idf.file)
	l.period(it.TimeLimits.Statutory, "time_limits.statutory")
	l.period(it.TimeLimits.Promised, "time_limits.promised")
	if s, p := it.TimeLimits.Statutory, it.TimeLimits.Promised; s.Unit == p.Unit && s.Days > 0 && p.Days > s.Days {
		l.at(p.Line, "the promised time limit (%d) is longer than the statutory one (%d)", p.Days, s.Days)
	}
	if it.Visits < 0 {
		l.at(l.line("visits"), "visits cannot be negative")
	}
	for i, q := range it.FAQs {
		if q.Q.ZH == "" || q.A.ZH == "" {
			l.at(l.line(fmt.Sprintf("faqs[%d]", i)), "a FAQ needs q.zh and a.zh")
		}
	}
	if it.Form == "" {
		l.at(l.line("form"), "missing form (the ID of the application form)")
	} else {
		l.formRef(it.Form, l.line("form"), formSet, materials)
	}
	l.workflow(it, formSet, materials)
	l.checkIssues(it, docs)
	l.appointment(it, formSet)
	l.about(it, formSet)
	l.entry(it, materials)
	return l.diags
}

// entry checks who may enter applications received outside the service and what they record: staff
// roles, fields that lint like an action's, among them a required date field received_on.
func (l *lintCtx) entry(it *Item, materials map[string]bool) {
	en := it.Entry
	if en == nil {
		return
	}
	if it.Booked() {
		l.at(en.Line, "entry: an item booked at an office is filed at the window, not entered")
	}
	if len(en.By) == 0 {
		l.at(en.Line, "entry: nobody may enter applications; list the staff roles in by:")
	}
	for j, r := range en.By {
		if !l.staffRole(r) {
			l.at(l.line(fmt.Sprintf("entry.by[%d]", j)), "entry: %q is not a staff role; the staff roles are: %s", r, strings.Join(l.names.StaffRoles, ", "))
		}
	}
	l.fields(en.Fields, "entry.fields")
	fileFields(en.Fields, "", func(f *forms.Field, p string) {
		l.at(f.Line, "entry: file field %s: an entry records no uploads (attach them to the application form)", p)
	})
	if !slices.ContainsFunc(en.Fields, func(f forms.Field) bool {
		return f.Name == ReceivedOnField && f.Type == forms.TypeDate && f.Required
	}) {
		l.at(en.Line, "entry: needs a required date field named %s (the day of receipt the clocks count from)", ReceivedOnField)
	}
}

// about checks an item about an existing organisation: a known kind of subject, an application form
// with the uscc field that names the organisation, and known credit lists that refuse it.
func (l *lintCtx) about(it *Item, formSet map[string]*formDef) {
	for i, list := range it.RefusedIfListed {
		if !slices.Contains(CreditLists, list) {
			l.at(l.line(fmt.Sprintf("refused_if_listed[%d]", i)), "refused_if_listed: unknown list %q; the lists are: %s",
				list, strings.Join(CreditLists, ", "))
		}
	}
	if len(it.RefusedIfListed) > 0 && it.About != AboutOrganisation {
		l.at(l.line("refused_if_listed"), "refused_if_listed needs about: organisation (the organisation whose listing is checked)")
	}
	if it.RegisteredFullYears != 0 && (it.About != AboutOrganisation || it.RegisteredFullYears < 0 || it.RegisteredFullYears > 50) {
		l.at(l.line("registered_full_years"), "registered_full_years: a number of years from 1 to 50, for an item with about: organisation")
	}
	switch it.About {
	case "":
		if len(it.OrganisationKinds) > 0 {
			l.at(l.line("organisation_kinds"), "organisation_kinds is for items with about: %s", AboutOrganisation)
		}
		if it.ConcurrentCases {
			l.at(l.line("concurrent_cases"), "concurrent_cases is for items with about: %s", AboutOrganisation)
		}
		return
	case AboutOrganisation:
	default:
		l.at(l.line("about"), "unknown about %q; the only one is %s", it.About, AboutOrganisation)
		return
	}
	for _, k := range it.OrganisationKinds {
		if _, ok := KindDigits[k]; !ok {
			l.at(l.line("organisation_kinds"), "unknown organisation kind %q; the kinds are: social_group, private_non_enterprise, foundation", k)
		}
	}
	if fd, ok := formSet[it.Form]; ok {
		i := slices.IndexFunc(fd.form.Fields, func(f forms.Field) bool { return f.Name == OrganisationField })
		if i < 0 || fd.form.Fields[i].Type != forms.TypeUSCC || !fd.form.Fields[i].Required {
			l.at(l.line("about"), "about: organisation: the application form %s needs a required uscc field named %s (the organisation it concerns)",
				it.Form, OrganisationField)
		}
	}
}

// appointment checks an item booked at a registration office: a known service, an appearance that
// names a state, a clock and a staff action that fit together, and an application form the office
// can fill in from the booking.
func (l *lintCtx) appointment(it *Item, formSet map[string]*formDef) {
	ap := it.Appointment
	if ap == nil {
		return
	}
	if !slices.Contains(Services, ap.Service) {
		l.at(l.line("appointment.service"), "appointment: unknown service %q; the services are: %s", ap.Service, strings.Join(Services, ", "))
	}
	if fd, ok := formSet[it.Form]; ok {
		for _, want := range appointmentFields {
			i := slices.IndexFunc(fd.form.Fields, func(f forms.Field) bool { return f.Name == want.Name })
			if i < 0 || fd.form.Fields[i].Type != want.Type {
				l.at(l.line("appointment"), "appointment: the application form %s needs a %s field named %s (the office fills it in from the booking)",
					it.Form, want.Type, want.Name)
			}
		}
	}
	if ap.Appearance != nil {
		l.appearance(it, ap.Appearance)
	}
}

// appearance checks the second visit of a booked item: a state that is not final, a clock that runs
// in it (its window) and an action staff take from it when the people are checked in.
func (l *lintCtx) appearance(it *Item, ap *Appearance) {
	w := &it.Workflow
	st, ok := it.State(ap.State)
	switch {
	case !ok:
		l.at(l.line("appointment.appearance.state"), "appointment: unknown state %q in appearance", ap.State)
	case st.Final:
		l.at(l.line("appointment.appearance.state"), "appointment: appearance state %s is final", ap.State)
	}
	i := slices.IndexFunc(w.Clocks, func(k Clock) bool { return k.ID == ap.Clock })
	switch {
	case i < 0:
		l.at(l.line("appointment.appearance.clock"), "appointment: unknown clock %q in appearance", ap.Clock)
	case !slices.Contains(w.Clocks[i].States, ap.State):
		l.at(l.line("appointment.appearance.clock"), "appointment: clock %s does not run in state %s, so it gives no dates to book",
			ap.Clock, ap.State)
	case w.Clocks[i].Statutory.Days == 0:
		l.at(l.line("appointment.appearance.clock"), "appointment: clock %s has no statutory time limit to end the dates to book", ap.Clock)
	}
	j := slices.IndexFunc(w.Actions, func(a Action) bool { return a.ID == ap.Action })
	switch {
	case j < 0:
		l.at(l.line("appointment.appearance.action"), "appointment: unknown action %q in appearance", ap.Action)
	case !slices.Contains(w.Actions[j].From, ap.State):
		l.at(l.line("appointment.appearance.action"), "appointment: action %s cannot be taken in state %s (not in its from)", ap.Action, ap.State)
	case !slices.ContainsFunc(w.Actions[j].By, l.staffRole):
		l.at(l.line("appointment.appearance.action"), "appointment: action %s is taken at check-in by the clerk: name a staff role in its by:", ap.Action)
	case len(w.Actions[j].Fields) > 0 || w.Actions[j].Cosign > 1:
		l.at(l.line("appointment.appearance.action"), "appointment: action %s is taken at check-in: it must be a plain action without fields or co-signing", ap.Action)
	}
}

// materials checks the materials list and returns the IDs it defines.
func (l *lintCtx) materials(ms []Material) map[string]bool {
	ids := map[string]bool{}
	for i, m := range ms {
		switch {
		case m.ID == "":
			l.at(m.Line, "material without an id")
		case !identifier.MatchString(m.ID):
			l.at(m.Line, "material id %q must be lower case letters, digits and _, starting with a letter", m.ID)
		case ids[m.ID]:
			l.at(m.Line, "duplicate material %q", m.ID)
		}
		ids[m.ID] = true
		if m.Name.ZH == "" {
			l.at(m.Line, "material %s: missing name.zh", m.ID)
		}
		if m.Copies < 0 || m.MaxSizeMB < 0 {
			l.at(m.Line, "material %s: copies and max_size_mb cannot be negative", m.ID)
		}
		for j, t := range m.Types {
			if !slices.Contains(MaterialTypes, t) {
				l.at(l.line(fmt.Sprintf("materials[%d].types[%d]", i, j)), "material %s: unknown type %q; the types are: %s", m.ID, t, strings.Join(MaterialTypes, ", "))
			}
		}
	}
	return ids
}

// period checks a time limit: a positive number of days in a known unit.
func (l *lintCtx) period(p Period, path string) {
	switch {
	case p.Days == 0 && p.Unit == "":
		return // not given
	case p.Unit == "":
		l.at(l.line(path), "time limit of %d days has no unit: write {days: %d, unit: %s} or {days: %d, unit: %s}",
			p.Days, p.Days, WorkingDays, p.Days, CalendarDays)
	case p.Unit != WorkingDays && p.Unit != CalendarDays:
		l.at(l.line(path+".unit"), "unknown time-limit unit %q; the units are %s and %s", p.Unit, WorkingDays, CalendarDays)
	}
	if p.Days <= 0 {
		l.at(l.line(path), "a time limit needs a positive number of days")
	}
}

// formRef checks a reference to a form, and that the form's file fields upload to materials the item
// lists.
func (l *lintCtx) formRef(id string, line int, formSet map[string]*formDef, materials map[string]bool) {
	fd, ok := formSet[id]
	if !ok {
		known := slices.Sorted(maps.Keys(formSet))
		l.at(line, "unknown form %q; the forms are: %s", id, strings.Join(known, ", "))
		return
	}
	fileFields(fd.form.Fields, "", func(f *forms.Field, path string) {
		if f.Material != "" && !materials[f.Material] {
			l.at(line, "form %s: file field %s (%s:%d) uploads to material %q, which this item does not list",
				id, path, fd.file, f.Line, f.Material)
		}
	})
}

// workflow checks the states, the actions and the shape of the graph.
func (l *lintCtx) workflow(it *Item, formSet map[string]*formDef, materials map[string]bool) {
	w := &it.Workflow
	states := map[string]*State{}
	for i := range w.States {
		s := &w.States[i]
		switch {
		case s.ID == "":
			l.at(s.Line, "state without an id")
		case !identifier.MatchString(s.ID):
			l.at(s.Line, "state id %q must be lower case letters, digits and _, starting with a letter", s.ID)
		case states[s.ID] != nil:
			l.at(s.Line, "duplicate state %q (first on line %d)", s.ID, states[s.ID].Line)
			continue
		}
		states[s.ID] = s
		if s.Name.ZH == "" {
			l.at(s.Line, "state %s: missing name.zh", s.ID)
		}
		if s.Final && !slices.Contains(Outcomes, s.Outcome) {
			l.at(s.Line, "final state %s needs an outcome: %s", s.ID, strings.Join(Outcomes, ", "))
		}
		if !s.Final && s.Outcome != "" {
			l.at(l.line(fmt.Sprintf("workflow.states[%d].outcome", i)), "state %s has an outcome but is not final", s.ID)
		}
		if s.Form != "" {
			l.formRef(s.Form, l.line(fmt.Sprintf("workflow.states[%d].form", i)), formSet, materials)
		}
	}
	if len(w.States) == 0 {
		l.at(l.line("workflow.states"), "the workflow has no states")
	}
	switch {
	case w.Start == "":
		l.at(l.line("workflow.start"), "missing workflow.start (the state a submitted application enters)")
	case states[w.Start] == nil:
		l.at(l.line("workflow.start"), "start state %q is not a state of this workflow", w.Start)
	case states[w.Start].Final:
		l.at(l.line("workflow.start"), "start state %q is final", w.Start)
	}
	actions := map[string]*Action{}
	for i := range w.Actions {
		a := &w.Actions[i]
		l.action(a, fmt.Sprintf("workflow.actions[%d]", i), states, actions, materials)
		if a.ID != "" && actions[a.ID] == nil {
			actions[a.ID] = a
		}
	}
	for i := range w.Actions {
		l.kind(&w.Actions[i], states, w.Actions)
	}
	l.onStart(w)
	clocks := l.clocks(w, states)
	for i := range w.Actions {
		l.extend(&w.Actions[i], fmt.Sprintf("workflow.actions[%d]", i), clocks)
	}
	l.timers(w, states, actions)
	l.graph(w, states)
	l.licenceEffects(it, states)
	l.acceptanceLimit(it)
}

// acceptanceLimit checks that an administrative licence (category 行政许可) keeps the acceptance limit
// of 行政许可法 art. 32 in each state that an accepting action leaves: a clock over the state with the
// statutory AcceptanceLimit, and a timer after that period taking a system action to where the
// accepting action leads, by which the case counts as accepted (Item.DeemsAccepted).
func (l *lintCtx) acceptanceLimit(it *Item) {
	if it.Category != CategoryLicence {
		return
	}
	w := &it.Workflow
	limit := fmt.Sprintf("{days: %d, unit: %s}", AcceptanceLimit.Days, AcceptanceLimit.Unit)
	accepting := 0
	for i := range w.Actions {
		acc := &w.Actions[i]
		if !acc.Accepts() {
			continue
		}
		accepting++
		for _, s := range acc.From {
			if !slices.ContainsFunc(w.Clocks, func(c Clock) bool { return slices.Contains(c.States, s) && c.Statutory.sameAs(AcceptanceLimit) }) {
				l.at(acc.Line, "action %s accepts in state %s: an administrative licence needs the acceptance limit of 行政许可法 art. 32 there, a clock with states: [%s] and statutory: %s",
					acc.ID, s, s, limit)
			}
			deems := slices.ContainsFunc(w.Timers, func(t Timer) bool {
				i := slices.IndexFunc(w.Actions, func(a Action) bool { return a.ID == t.Action })
				return t.State == s && t.After.sameAs(AcceptanceLimit) && i >= 0 && w.Actions[i].To == acc.To && it.DeemsAccepted(&w.Actions[i])
			})
			if !deems {
				l.at(acc.Line, "action %s accepts in state %s: an administrative licence not accepted nor sent a 补正 notice in time counts as accepted (行政许可法 art. 32): add a timer on state %s after %s taking an action by: [%s] from %s to %s",
					acc.ID, s, s, limit, System, s, acc.To)
			}
		}
	}
	if accepting == 0 {
		l.at(l.line("category"), "an administrative licence accepts its applications (行政许可法 art. 32): issue acceptance_notice on the action that accepts")
	}
}

// onStart checks the effects taken when a case starts: each a known run effect, nothing else (there
// is no action whose fields a set could read, nor a decision to issue or notify).
func (l *lintCtx) onStart(w *Workflow) {
	start := &Action{ID: "on_start"}
	for i, e := range w.OnStart {
		path := fmt.Sprintf("workflow.on_start[%d]", i)
		if e.Notify != nil || len(e.Set) > 0 || e.Issue != "" || e.Run == "" {
			l.at(e.Line, "on_start takes run effects only")
			continue
		}
		l.effect(start, e, path)
	}
}

// licenceEffect is the effect that publishes the 双公示 entry of a licence decision (package notices).
const licenceEffect = "notices.publish_licence_decision"

// licenceEffects checks that only an administrative licence (category 行政许可) publishes 双公示
// entries, and only at a decision: an action that ends the case approved or refused.
func (l *lintCtx) licenceEffects(it *Item, states map[string]*State) {
	for i, a := range it.Workflow.Actions {
		for j, e := range a.Effects {
			if e.Run != licenceEffect {
				continue
			}
			line := l.line(fmt.Sprintf("workflow.actions[%d].effects[%d].run", i, j))
			if it.Category != CategoryLicence {
				l.at(line, "action %s: %s publishes licence decisions; this item's category is %q, not 行政许可", a.ID, licenceEffect, it.Category)
			}
			if to := states[a.To]; to != nil && to.Outcome != "approved" && to.Outcome != "refused" {
				l.at(line, "action %s: %s runs on a decision: an action whose to: state ends the case approved or refused", a.ID, licenceEffect)
			}
		}
	}
}

// action checks one action on its own.
func (l *lintCtx) action(a *Action, path string, states map[string]*State, seen map[string]*Action, materials map[string]bool) {
	switch {
	case a.ID == "":
		l.at(a.Line, "action without an id")
	case !identifier.MatchString(a.ID):
		l.at(a.Line, "action id %q must be lower case letters, digits and _, starting with a letter", a.ID)
	case seen[a.ID] != nil:
		l.at(a.Line, "duplicate action %q (first on line %d)", a.ID, seen[a.ID].Line)
	}
	if a.Name.ZH == "" {
		l.at(a.Line, "action %s: missing name.zh", a.ID)
	}
	if !slices.Contains(Kinds, a.Kind) {
		l.at(l.line(path+".kind"), "action %s: unknown kind %q; the kinds are: %s", a.ID, a.Kind, strings.Join(Kinds[1:], ", "))
	}
	l.actionStates(a, path, states)
	l.actionBy(a, path)
	if a.Guard != "" {
		if _, err := CompileBool(a.Guard); err != nil {
			l.at(l.line(path+".guard"), "action %s: guard does not compile: %s", a.ID, firstLine(err))
		}
	}
	if a.Cosign < 0 {
		l.at(l.line(path+".cosign"), "action %s: cosign cannot be negative", a.ID)
	}
	l.fields(a.Fields, path+".fields")
	fileFields(a.Fields, "", func(f *forms.Field, p string) {
		if f.Material != "" && !materials[f.Material] {
			l.at(f.Line, "action %s: file field %s uploads to material %q, which this item does not list", a.ID, p, f.Material)
		}
	})
	for j, e := range a.Effects {
		l.effect(a, e, fmt.Sprintf("%s.effects[%d]", path, j))
	}
}

// actionStates checks the states an action leaves (from:, open states, each once) and enters (to:).
func (l *lintCtx) actionStates(a *Action, path string, states map[string]*State) {
	if len(a.From) == 0 {
		l.at(a.Line, "action %s has no from: (the states it may be taken in)", a.ID)
	}
	for j, f := range a.From {
		line := l.line(fmt.Sprintf("%s.from[%d]", path, j))
		switch s := states[f]; {
		case s == nil:
			l.at(line, "action %s: unknown state %q in from", a.ID, f)
		case s.Final:
			l.at(line, "action %s leaves final state %s; a final state ends the case", a.ID, f)
		}
		if slices.Index(a.From, f) < j {
			l.at(line, "action %s: state %s is twice in from", a.ID, f)
		}
	}
	switch {
	case a.To == "":
		l.at(a.Line, "action %s has no to: (the state it leads to)", a.ID)
	case states[a.To] == nil:
		l.at(l.line(path+".to"), "action %s: unknown state %q in to", a.ID, a.To)
	}
}

// actionBy checks who may take an action: someone, and each a role, the applicant or the system.
func (l *lintCtx) actionBy(a *Action, path string) {
	if len(a.By) == 0 {
		l.at(a.Line, "action %s: nobody may take it; list roles or %s in by:", a.ID, Applicant)
	}
	for j, r := range a.By {
		if !slices.Contains(l.names.Roles, r) && r != Applicant && r != System {
			names := slices.Concat([]string{Applicant}, l.names.Roles, []string{System})
			l.at(l.line(fmt.Sprintf("%s.by[%d]", path, j)), "action %s: unknown role %q; the roles are: %s", a.ID, r, strings.Join(names, ", "))
		}
	}
}

// effect checks one effect: exactly one thing to do, and a name that exists for it.
func (l *lintCtx) effect(a *Action, e Effect, path string) {
	n := 0
	for _, set := range []bool{e.Notify != nil, len(e.Set) > 0, e.Run != "", e.Issue != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		l.at(e.Line, "action %s: an effect does one thing: write notify, set, run and issue as separate list entries", a.ID)
	}
	if e.Notify != nil {
		if !slices.Contains(l.names.Roles, e.Notify.To) && e.Notify.To != Applicant {
			l.at(l.line(path+".notify.to"), "action %s: notify to %q: write %s or a role", a.ID, e.Notify.To, Applicant)
		}
		if !slices.Contains(l.names.Templates, e.Notify.Template) {
			l.at(l.line(path+".notify.template"), "action %s: unknown notification template %q; the templates are: %s",
				a.ID, e.Notify.Template, strings.Join(l.names.Templates, ", "))
		}
	}
	names := make([]string, 0, len(e.Set))
	for k := range e.Set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		line := l.line(path + ".set." + k)
		if !identifier.MatchString(k) {
			l.at(line, "action %s: field name %q must be lower case letters, digits and _, starting with a letter", a.ID, k)
		}
		if _, err := CompileValue(e.Set[k]); err != nil {
			l.at(line, "action %s: set %s does not compile: %s", a.ID, k, firstLine(err))
		}
	}
	if e.Run != "" && !knownEffect(e.Run) {
		l.at(l.line(path+".run"), "action %s: unknown effect %q; the effects are: %s", a.ID, e.Run, strings.Join(EffectNames(), ", "))
	}
	if e.Issue != "" && !identifier.MatchString(e.Issue) {
		l.at(l.line(path+".issue"), "action %s: document kind %q must be lower case letters, digits and _", a.ID, e.Issue)
	}
}

// kind checks what the engine's built-in behaviour of an action's kind needs.
func (l *lintCtx) kind(a *Action, states map[string]*State, all []Action) {
	switch a.Kind {
	case KindSubmit, KindResubmit, KindWithdraw:
		if len(a.By) != 1 || a.By[0] != Applicant {
			l.at(a.Line, "action %s: a %s action is taken by the applicant: write by: [%s]", a.ID, a.Kind, Applicant)
		}
		if a.Kind == KindSubmit {
			l.submitForms(a, states)
		}
	case KindSupplement:
		for _, r := range a.By {
			if !l.staffRole(r) {
				l.at(a.Line, "action %s: a supplement action is taken by staff, not by %s", a.ID, r)
			}
		}
		if states[a.To] != nil {
			l.supplementAnswered(a, states, all)
		}
	case KindExtend:
		if slices.Contains(a.By, Applicant) || slices.Contains(a.By, System) {
			l.at(a.Line, "action %s: an extend action is taken by staff: name the roles allowed to extend in by:", a.ID)
		}
		if a.To != "" && !slices.Contains(a.From, a.To) {
			l.at(a.Line, "action %s: an extend action leaves the case where it is: its to must be one of its from states", a.ID)
		}
	case KindRefuse:
		if !slices.ContainsFunc(a.Fields, func(f forms.Field) bool { return f.Name == "reason" && f.Required }) {
			l.at(a.Line, "action %s: a refuse action needs a required field named reason", a.ID)
		}
	}
}

// submitForms checks that each state a submit action leaves has a form for the applicant to fill in.
func (l *lintCtx) submitForms(a *Action, states map[string]*State) {
	for _, f := range a.From {
		if s := states[f]; s != nil && s.Form == "" {
			l.at(a.Line, "action %s: submit leaves state %s, which has no form for the applicant to fill in", a.ID, f)
		}
	}
}

// supplementAnswered checks that the applicant can answer a supplement action: from the state it
// leads to, a resubmit action by the applicant goes back to each state the notice was sent from.
func (l *lintCtx) supplementAnswered(a *Action, states map[string]*State, all []Action) {
	for _, back := range a.From {
		answered := slices.ContainsFunc(all, func(r Action) bool {
			return r.Kind == KindResubmit && slices.Contains(r.From, a.To) && slices.Contains(r.By, Applicant) && r.To == back
		})
		if !answered && states[back] != nil {
			l.at(a.Line, "action %s: supplement goes to %s, which needs a resubmit action by the applicant back to %s",
				a.ID, a.To, back)
		}
	}
}

// clocks checks the time limits of the workflow and returns them by ID.
func (l *lintCtx) clocks(w *Workflow, states map[string]*State) map[string]*Clock {
	out := map[string]*Clock{}
	for i := range w.Clocks {
		c := &w.Clocks[i]
		switch {
		case c.ID == "":
			l.at(c.Line, "clock without an id")
		case !identifier.MatchString(c.ID):
			l.at(c.Line, "clock id %q must be lower case letters, digits and _, starting with a letter", c.ID)
		case out[c.ID] != nil:
			l.at(c.Line, "duplicate clock %q (first on line %d)", c.ID, out[c.ID].Line)
		}
		if c.ID != "" && out[c.ID] == nil {
			out[c.ID] = c
		}
		l.clock(c, fmt.Sprintf("workflow.clocks[%d]", i), states)
	}
	return out
}

// clock checks one time limit: a name, the states in which it runs or pauses, and its periods.
func (l *lintCtx) clock(c *Clock, path string, states map[string]*State) {
	if c.Name.ZH == "" {
		l.at(c.Line, "clock %s: missing name.zh", c.ID)
	}
	if len(c.States) == 0 {
		l.at(c.Line, "clock %s has no states: (the states in which it runs)", c.ID)
	}
	for j, s := range c.States {
		l.clockState(c, s, states, l.line(fmt.Sprintf("%s.states[%d]", path, j)), "states")
	}
	for j, s := range c.Pauses {
		line := l.line(fmt.Sprintf("%s.pauses[%d]", path, j))
		l.clockState(c, s, states, line, "pauses")
		if slices.Contains(c.States, s) {
			l.at(line, "clock %s: state %s is both in states and in pauses", c.ID, s)
		}
	}
	if c.Statutory.Days == 0 && c.Statutory.Unit == "" && c.Promised.Days == 0 && c.Promised.Unit == "" {
		l.at(c.Line, "clock %s: give a statutory or a promised time limit, e.g. {days: 20, unit: working_days}", c.ID)
	}
	l.period(c.Statutory, path+".statutory")
	l.period(c.Promised, path+".promised")
	if s, p := c.Statutory, c.Promised; s.Unit == p.Unit && s.Days > 0 && p.Days > s.Days {
		l.at(p.Line, "clock %s: the promised time limit (%d) is longer than the statutory one (%d)", c.ID, p.Days, s.Days)
	}
	for j, s := range c.RestartsAfter {
		line := l.line(fmt.Sprintf("%s.restarts_after[%d]", path, j))
		if !slices.Contains(c.Pauses, s) {
			l.at(line, "clock %s: restarts_after names %s, which is not one of its pauses", c.ID, s)
		}
		if c.Restarts {
			l.at(line, "clock %s: restarts: true restarts after every pause already; drop restarts_after or restarts", c.ID)
		}
	}
	if c.RemindBefore != nil {
		l.needPeriod(*c.RemindBefore, path+".remind_before")
	}
	if c.EscalateAfter != nil {
		l.needPeriod(*c.EscalateAfter, path+".escalate_after")
	}
}

// clockState checks a state a clock names.
func (l *lintCtx) clockState(c *Clock, s string, states map[string]*State, line int, key string) {
	switch st := states[s]; {
	case st == nil:
		l.at(line, "clock %s: unknown state %q in %s", c.ID, s, key)
	case st.Final:
		l.at(line, "clock %s: state %s is final; a clock runs on open cases", c.ID, s)
	}
}

// needPeriod checks a period that must be given: days and a unit.
func (l *lintCtx) needPeriod(p Period, path string) {
	if p.Days == 0 && p.Unit == "" {
		l.at(l.line(path), "missing period: write {days: N, unit: %s} or {days: N, unit: %s}", WorkingDays, CalendarDays)
		return
	}
	l.period(p, path)
}

// extend checks what an extend action needs: a clock to extend and the fields days and reason.
func (l *lintCtx) extend(a *Action, path string, clocks map[string]*Clock) {
	if a.Kind != KindExtend {
		if a.Clock != "" {
			l.at(l.line(path+".clock"), "action %s: only an extend action names a clock", a.ID)
		}
		if a.MaxDays != 0 || a.Times != 0 {
			l.at(a.Line, "action %s: max_days and times are for extend actions", a.ID)
		}
		return
	}
	if a.MaxDays < 0 || a.MaxDays > MaxExtensionDays {
		l.at(l.line(path+".max_days"), "action %s: max_days is from 1 to %d", a.ID, MaxExtensionDays)
	}
	if a.Times < 0 {
		l.at(l.line(path+".times"), "action %s: times cannot be negative", a.ID)
	}
	switch {
	case a.Clock == "":
		l.at(a.Line, "action %s: an extend action names the clock it extends in clock:", a.ID)
	case clocks[a.Clock] == nil:
		l.at(l.line(path+".clock"), "action %s: unknown clock %q; the clocks are: %s", a.ID, a.Clock,
			strings.Join(slices.Sorted(maps.Keys(clocks)), ", "))
	}
	days, reason := false, false
	for _, f := range a.Fields {
		days = days || (f.Name == "days" && f.Type == forms.TypeInteger && f.Required)
		reason = reason || (f.Name == "reason" && f.Required)
	}
	if !days {
		l.at(a.Line, "action %s: an extend action needs a required integer field named days", a.ID)
	}
	if !reason {
		l.at(a.Line, "action %s: an extend action needs a required field named reason", a.ID)
	}
}

// timers checks the timers: a known state, a period with a unit and an action by system that can be
// taken in that state.
func (l *lintCtx) timers(w *Workflow, states map[string]*State, actions map[string]*Action) {
	for i := range w.Timers {
		t := &w.Timers[i]
		path := fmt.Sprintf("workflow.timers[%d]", i)
		switch st := states[t.State]; {
		case t.State == "":
			l.at(t.Line, "timer without a state: (the state whose entry starts it)")
		case st == nil:
			l.at(l.line(path+".state"), "timer: unknown state %q", t.State)
		case st.Final:
			l.at(l.line(path+".state"), "timer: state %s is final; no action can leave it", t.State)
		}
		l.needPeriod(t.After, path+".after")
		a := actions[t.Action]
		switch {
		case t.Action == "":
			l.at(t.Line, "timer without an action: (the action it takes)")
		case a == nil:
			l.at(l.line(path+".action"), "timer: unknown action %q", t.Action)
		default:
			if len(a.By) != 1 || a.By[0] != System {
				l.at(l.line(path+".action"), "timer: action %s is taken by the timer: write by: [%s] on it", a.ID, System)
			}
			if t.State != "" && !slices.Contains(a.From, t.State) {
				l.at(l.line(path+".action"), "timer: action %s cannot be taken in state %s (not in its from)", a.ID, t.State)
			}
			if len(a.Fields) > 0 || a.Cosign > 1 || a.Kind != KindDecide {
				l.at(l.line(path+".action"), "timer: action %s must be a plain action without fields or co-signing", a.ID)
			}
		}
	}
}

// graph checks that every state can be reached from the start and can reach an end.
func (l *lintCtx) graph(w *Workflow, states map[string]*State) {
	if states[w.Start] == nil {
		return // reported already; reachability would only repeat it for every state
	}
	next := map[string][]string{}
	prev := map[string][]string{}
	for _, a := range w.Actions {
		if states[a.To] == nil {
			continue
		}
		for _, f := range a.From {
			if states[f] != nil {
				next[f] = append(next[f], a.To)
				prev[a.To] = append(prev[a.To], f)
			}
		}
	}
	reached := walk([]string{w.Start}, next)
	var finals []string
	for _, s := range w.States {
		if s.Final {
			finals = append(finals, s.ID)
		}
	}
	if len(finals) == 0 {
		l.at(l.line("workflow"), "the workflow has no final state (final: true)")
		return
	}
	ending := walk(finals, prev)
	for _, s := range w.States {
		switch {
		case !reached[s.ID]:
			l.at(s.Line, "state %s cannot be reached from the start state %s", s.ID, w.Start)
		case !ending[s.ID]:
			l.at(s.Line, "no final state can be reached from state %s", s.ID)
		}
	}
}

// walk returns every node reachable from the given ones along edges.
func walk(from []string, edges map[string][]string) map[string]bool {
	seen := map[string]bool{}
	queue := append([]string(nil), from...)
	for _, s := range from {
		seen[s] = true
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range edges[s] {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return seen
}

// templateFile is the name of a template's file: a plain name that is also an address.
var templateFile = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*$`)

// maxTemplateBytes bounds a template file, which the binary embeds and serves from memory.
const maxTemplateBytes = 10 << 20

// templates checks the files a guide offers: named plainly, of a known type, once each, and there
// beside the definition in file.
func (l *lintCtx) templates(ts []Template, file string) {
	seen := map[string]bool{}
	dir := strings.TrimSuffix(file, path.Ext(file)) + "/"
	for _, t := range ts {
		ext := path.Ext(t.File)
		switch {
		case !templateFile.MatchString(t.File):
			l.at(t.Line, "template file %q must be lower case letters, digits, '.', '_' and '-'", t.File)
		case TemplateTypes[ext] == "":
			l.at(t.Line, "template file %s: unknown type %q; the types are: %s", t.File, ext, strings.Join(slices.Sorted(maps.Keys(TemplateTypes)), ", "))
		case seen[t.File]:
			l.at(t.Line, "duplicate template file %s", t.File)
		case t.Content == nil:
			l.at(t.Line, "template file %s not found: put it in %s", t.File, dir)
		case len(t.Content) > maxTemplateBytes:
			l.at(t.Line, "template file %s is larger than %d MB", t.File, maxTemplateBytes>>20)
		}
		seen[t.File] = true
		if t.Name.ZH == "" {
			l.at(t.Line, "template %s: missing name.zh", t.File)
		}
	}
}

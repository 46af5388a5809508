# METADATA
# title: The admission decision
# description: |
#   Collects the verdicts of Wavegate's rules. The webhook denies when deny
#   is not empty, and returns warn to the client either way. Operators' own
#   policies (packages under data.wavegate.custom, loaded with --policy-dir)
#   are added by the engine with one more module for this package, only when
#   there are any, reading each custom package's deny and warn by its path.
#   Nothing here reads data.wavegate.custom: custom packages can add verdicts
#   but never shadow what these rules read.
#
#   Each built-in rule is consulted only when its input can make it fire
#   (a freeze to check, an annotation, a delete, an automation identity):
#   evaluating a rule costs microseconds even when it finds nothing, and the
#   decision must stay in microseconds. Each guard is the rule's own entry
#   condition; the rules' tests run without the guards.
package wavegate.main

import data.wavegate.lib
import data.wavegate.rules

# Removing finalizers from an object that is being deleted is not a change:
# no rule judges it, so finalization is never held up.
judged if not input.request.finalizing

deny contains v if {
	judged
	count(input.freezes) > 0
	some v in rules.freeze.deny
}

deny contains v if {
	judged
	multi_target
	some v in rules.multi_region.deny
}

deny contains v if {
	judged
	some v in rules.unknown_region.deny
}

deny contains v if {
	judged
	count(input.velocity.entering) > 0
	count(input.velocity.reached) > 0
	some v in rules.change_velocity.deny
}

# An update that moves an object with new data enters two regions at once.
deny contains v if {
	judged
	count(input.velocity.entering) > 1
	some v in rules.change_velocity.deny
}

# Relabelling a Namespace moves every object in it to its new region, each
# with its change at once. The gate knows the changes recorded in the
# Namespace, not which objects still hold them, so a relabel that would
# bring one into a region it has not reached is denied (decision 36): it
# could not be recorded truthfully either way. One line for the rule.
deny contains min(moved) if {
	judged
	count(input.moves) > 0
	moved := {lib.violation("change-velocity", what, "roll the change out to that region first (a ConfigRollout), or recreate the objects in a Namespace of that region") |
		some m in input.moves
		some e in m.velocity.entering
		what := sprintf("relabelling %s would bring change %s into %s at once", [input.object.ref, m.change.short, e.region])
	}
	count(moved) > 0
}

deny contains v if {
	judged
	count(input.object.requires) > 0
	some v in rules.requires.deny
}

deny contains v if {
	judged
	input.request.operation == "DELETE"
	some v in rules.protected_delete.deny
}

# An automation identity lowering an object's protection.
deny contains v if {
	judged
	input.request.operation == "UPDATE"
	input.request.automation
	some v in rules.protected_delete.deny
}

deny contains v if {
	judged
	count(input.automation) > 0
	some v in rules.automation_scope.deny
}

warn contains v if {
	judged
	count(input.freezes) > 0
	some v in rules.freeze.warn
}

warn contains v if {
	judged
	input.request.operation == "DELETE"
	some v in rules.protected_delete.warn
}

# A protection value that is neither protected nor deletable.
warn contains v if {
	judged
	input.request.operation != "DELETE"
	not input.object.newProtection in {"", "deletable", "protected"}
	some v in rules.protected_delete.warn
}

# multi_target: the object targets every region or more than one, or did
# before this update, the only objects multi-region can deny.
multi_target if rules.multi_region.multi(input.object.targets)

multi_target if rules.multi_region.multi(input.object.oldTargets)

# A denied request was not admitted, as break-glass or otherwise: its
# break-glass warnings ("admitted as break-glass for …") are left out.
shown_warn := warn if count(deny) == 0

shown_warn := {w | some w in warn; not w.breakGlass} if count(deny) > 0

decision := {"deny": deny, "warn": shown_warn}

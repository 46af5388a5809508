# METADATA
# title: freeze
# description: |
#   Denies a change to a regional object, or delete automation, in a region
#   covered by an active Freeze. The Freeze's exempt users and groups, and the
#   global break-glass group, are admitted with a warning instead.
#   input.freezes holds only the Freezes in force at input.now (the gate
#   leaves out an expired one at once; Freeze.ActiveAt in Go says which).
# custom:
#   id: freeze
package wavegate.rules.freeze

import data.wavegate.lib

exempt(f) if lib.user in f.exemptUsers

exempt(f) if {
	some g in lib.groups
	g in f.exemptGroups
}

exempt(_) if lib.break_glass

# frozen holds the freezes that cover a region of this request. A Freeze
# that allows reverts lets Wavegate's controller restore what a ConfigRollout
# changed (input.request.revert: the controller's patch marked
# wavegate.io/revert-of); nobody else gets through that way.
frozen contains f if {
	some f in input.freezes
	count(f.covers) > 0
	not revert_allowed(f)
}

revert_allowed(f) if {
	f.allowReverts
	input.request.revert
}

what(f) := sprintf("%s frozen by Freeze %s%s: %s", [where(f.covers), f.name, ticket(f), f.reason])

where(covers) := "every region is" if "*" in covers

where(covers) := sprintf("region %s is", [covers[0]]) if {
	not "*" in covers
	count(covers) == 1
}

where(covers) := sprintf("regions %s are", [lib.and_list(covers)]) if {
	not "*" in covers
	count(covers) > 1
}

ticket(f) := sprintf(" (%s)", [f.ticket]) if f.ticket != ""

ticket(f) := "" if f.ticket == ""

# One line for the rule (SPEC §4), naming every Freeze that holds the
# request: a regional Freeze and a pause of every region can both be in
# force.
holding := sort([what(f) | some f in frozen; not exempt(f)])

deny contains lib.violation("freeze", concat(", and ", holding), "wait for the freeze to end or use break-glass") if {
	count(holding) > 0
}

warn contains object.union(lib.violation("freeze", what(f), sprintf("admitted as break-glass for %s", [lib.user])), {"breakGlass": f.name}) if {
	some f in frozen
	exempt(f)
}

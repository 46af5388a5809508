# METADATA
# title: unknown-region
# description: |
#   Denies a change to an object whose region (its label, its Namespace's
#   label or its regions annotation, old or new) is not in the inventory of
#   Region objects. Absence of evidence is not evidence of absence.
# custom:
#   id: unknown-region
package wavegate.rules.unknown_region

import data.wavegate.lib

unknown := sort([r | some r in lib.regions; not input.inventory.regions[r].known])

# One line for the rule (SPEC §4), naming every unknown region.
deny contains lib.violation("unknown-region", what, "unknown is not safe") if {
	count(unknown) == 1
	what := sprintf("region %s is not in the region inventory", [unknown[0]])
}

deny contains lib.violation("unknown-region", what, "unknown is not safe") if {
	count(unknown) > 1
	what := sprintf("regions %s are not in the region inventory", [lib.and_list(unknown)])
}

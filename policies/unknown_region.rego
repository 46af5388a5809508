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

deny contains lib.violation("unknown-region", sprintf("region %s is not in the region inventory", [r]), "unknown is not safe") if {
	some r in lib.regions
	not input.inventory.regions[r].known
}

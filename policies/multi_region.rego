# METADATA
# title: multi-region
# description: |
#   Denies a create, update or delete of an object that targets two or more
#   regions at once, or every region ("*"), through wavegate.io/regions. An
#   update that changes the object's data is judged against what the object
#   targeted before as well (input.object.oldTargets): removing or narrowing
#   the annotation in the same update does not keep the new data from every
#   region it served. Moving an object from one region to another is not a
#   multi-region change.
#   Wavegate's own controller is exempt: a ConfigRollout is the sanctioned path.
# custom:
#   id: multi-region
package wavegate.rules.multi_region

import data.wavegate.lib

instead := "split it into one object per region and roll it out with a ConfigRollout"

targets := input.object.targets

deny contains lib.violation("multi-region", what, instead) if {
	not input.request.isController
	"*" in targets
	what := sprintf("%s targets %d regions at once (*)", [input.object.ref, input.inventory.size])
}

deny contains lib.violation("multi-region", what, instead) if {
	not input.request.isController
	not "*" in targets
	count(targets) >= 2
	what := sprintf("%s targets %d regions at once (%s)", [input.object.ref, count(targets), concat(", ", targets)])
}

old_targets := input.object.oldTargets

multi(ts) if "*" in ts

multi(ts) if count(ts) >= 2

deny contains lib.violation("multi-region", what, instead) if {
	not input.request.isController
	not multi(targets)
	multi(old_targets)
	what := sprintf("%s targeted %s at once before this update, which changes its data there too", [input.object.ref, old_text])
}

old_text := sprintf("%d regions (*)", [input.inventory.size]) if {
	"*" in old_targets
} else := sprintf("%d regions (%s)", [count(old_targets), concat(", ", old_targets)])

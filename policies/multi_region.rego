# METADATA
# title: multi-region
# description: |
#   Denies a create, update or delete of an object that targets two or more
#   regions at once, or every region ("*"), through wavegate.io/regions.
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

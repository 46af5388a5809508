# METADATA
# title: requires
# description: |
#   Denies a change annotated wavegate.io/requires while a named ConfigRollout
#   has not converged in the object's region and in that region's failover
#   pair, or does not exist. Convergence is observed by the controller and
#   handed over per region, with a detail that says why not.
# custom:
#   id: requires
package wavegate.rules.requires

import data.wavegate.lib

instead := "apply this change once it has converged there"

# Every problem with what the change requires, with its own fix; the
# denial is one line for the rule (SPEC §4) naming them all.
problems contains {"what": what, "instead": instead} if {
	some name in input.object.requires
	input.rollouts[name].exists
	pending := [sprintf("%s (%s)", [s.region, s.detail]) | some s in input.rollouts[name].regions; not s.converged]
	count(pending) > 0
	what := sprintf("ConfigRollout %s has not converged in %s", [name, lib.and_list(pending)])
}

problems contains {"what": what, "instead": "create it and let it converge before this change"} if {
	some name in input.object.requires
	not input.rollouts[name].exists
	what := sprintf("ConfigRollout %s does not exist", [name])
}

problems contains {"what": what, "instead": "label it with wavegate.io/region"} if {
	count(input.object.requires) > 0
	count(lib.regions) == 0
	what := sprintf("%s requires %s but names no single region to judge convergence in", [input.object.ref, concat(", ", input.object.requires)])
}

deny contains lib.violation("requires", concat(", and ", whats), concat(", and ", insteads)) if {
	count(problems) > 0
	whats := sort([p.what | some p in problems])
	insteads := sort({p.instead | some p in problems})
}

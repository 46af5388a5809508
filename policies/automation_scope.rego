# METADATA
# title: automation-scope
# description: |
#   Denies a delete by an automation identity outside its AutomationPolicy's
#   scope, while the policy is not Ready (untagged resources or uncovered
#   regions in scope), or once its mass-deletion breaker has tripped. An
#   identity named by several policies may delete what one of them allows.
# custom:
#   id: automation-scope
package wavegate.rules.automation_scope

import data.wavegate.lib

obj := input.object

# problem holds [policy, what is wrong, what to do] for every policy of this identity.
problem contains [p.name, what, "wait for the controller to report its status"] if {
	some p in input.automation
	not p.observed
	what := sprintf("AutomationPolicy %s is not Ready: its status has not been reported yet", [p.name])
}

problem contains [p.name, what, "tag them before the automation may run"] if {
	some p in input.automation
	p.observed
	p.untaggedCount > 0
	what := sprintf("AutomationPolicy %s is not Ready: %d %s in scope %s untagged", [p.name, p.untaggedCount, lib.plural(p.untaggedCount, "resource", "resources"), lib.plural(p.untaggedCount, "is", "are")])
}

problem contains [p.name, what, "add them to the inventory or remove them from the scope"] if {
	some p in input.automation
	p.observed
	count(p.uncoveredRegions) > 0
	what := sprintf("AutomationPolicy %s is not Ready: scope %s %s %s not in the region inventory", [p.name, lib.plural(count(p.uncoveredRegions), "region", "regions"), concat(", ", p.uncoveredRegions), lib.plural(count(p.uncoveredRegions), "is", "are")])
}

problem contains [p.name, what, "fix what its Ready condition reports"] if {
	some p in input.automation
	p.observed
	not p.ready
	p.untaggedCount == 0
	count(p.uncoveredRegions) == 0
	what := sprintf("AutomationPolicy %s is not Ready: %s", [p.name, p.readyMessage])
}

problem contains [p.name, sprintf("%s is outside the scope of AutomationPolicy %s (%s)", [obj.ref, p.name, why]), "automation may delete only inside its scope"] if {
	some [name, why] in outside
	some p in input.automation
	p.name == name
}

problem contains [p.name, what, "wait until fewer deletions fall in the last hour or raise maxDeletionsPerHour"] if {
	some p in input.automation
	p.deletionsLastHour >= p.maxDeletionsPerHour
	what := sprintf("AutomationPolicy %s tripped its mass-deletion breaker: %d deletions in the last hour (maxDeletionsPerHour %d)", [p.name, p.deletionsLastHour, p.maxDeletionsPerHour])
}

# outside holds [policy, why] for every way the object is outside a policy's scope.
outside contains [p.name, "it names no region"] if {
	some p in input.automation
	count(lib.regions) == 0
}

outside contains [p.name, sprintf("region %s is not in scope", [r])] if {
	some p in input.automation
	not "*" in p.scope.regions
	some r in lib.regions
	not r in p.scope.regions
}

outside contains [p.name, sprintf("namespace %s is not in scope", [ns])] if {
	some p in input.automation
	count(p.scope.namespaces) > 0
	ns := obj.namespace
	not ns in p.scope.namespaces
}

outside contains [p.name, sprintf("%s is not a resource it may delete", [resource_name])] if {
	some p in input.automation
	count(p.scope.resources) > 0
	not {"group": obj.group, "resource": obj.resource} in p.scope.resources
}

resource_name := obj.resource if obj.group == ""

resource_name := sprintf("%s.%s", [obj.resource, obj.group]) if obj.group != ""

# allowing holds the policies of this identity that allow the delete.
allowing contains p.name if {
	some p in input.automation
	count([x | some x in problem; x[0] == p.name]) == 0
}

deny contains lib.violation("automation-scope", what, instead) if {
	lib.is_delete
	lib.automation
	count(allowing) == 0
	some [_, what, instead] in problem
}

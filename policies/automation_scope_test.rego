package wavegate.rules.automation_scope_test

import data.wavegate.rules.automation_scope
import data.wavegate.testdata

ready_policy := {
	"name": "aoai-storage-cleanup",
	"observed": true,
	"ready": true,
	"readyMessage": "every resource in scope is tagged",
	"untaggedCount": 0,
	"uncoveredRegions": [],
	"scope": {"regions": ["eastus", "westeurope"], "namespaces": ["aoai"], "resources": [{"group": "", "resource": "configmaps"}]},
	"deletionsLastHour": 3,
	"maxDeletionsPerHour": 50,
}

deleting(policies) := testdata.patched({
	"request": {"operation": "DELETE", "user": {"name": "system:serviceaccount:aoai-system:cleanup", "groups": []}},
	"object": {"protection": "deletable"},
	"automation": policies,
})

msgs(inp) := {v.msg | some v in automation_scope.deny with input as inp}

test_a_ready_policy_allows_a_delete_in_scope if {
	count(automation_scope.deny) == 0 with input as deleting([ready_policy])
}

test_untagged_resources_in_scope_deny_every_delete if {
	msgs(deleting([object.union(ready_policy, {"untaggedCount": 3})])) == {"[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup is not Ready: 3 resources in scope are untagged; tag them before the automation may run"}
}

test_an_uncovered_region_denies_every_delete if {
	msgs(deleting([object.union(ready_policy, {"uncoveredRegions": ["chinaeast9"]})])) == {"[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup is not Ready: scope region chinaeast9 is not in the region inventory; add them to the inventory or remove them from the scope"}
}

test_a_policy_whose_condition_is_not_ready_for_another_reason_denies_with_that_reason if {
	inp := deleting([object.union(ready_policy, {"ready": false, "readyMessage": "the inventory could not be read"})])
	msgs(inp) == {"[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup is not Ready: the inventory could not be read; fix what its Ready condition reports"}
}

test_a_policy_without_status_denies if {
	count(automation_scope.deny) == 1 with input as deleting([object.union(ready_policy, {"observed": false})])
}

test_a_region_outside_the_scope_is_denied if {
	inp := object.union(deleting([ready_policy]), {"object": {"regions": ["centralus"]}})
	msgs(inp) == {"[wavegate:automation-scope] ConfigMap aoai/cleanup-config is outside the scope of AutomationPolicy aoai-storage-cleanup (region centralus is not in scope); automation may delete only inside its scope"}
}

test_a_namespace_and_a_resource_outside_the_scope_are_each_reported if {
	inp := object.union(deleting([ready_policy]), {"object": {"namespace": "other", "group": "apps", "resource": "deployments"}})
	count(automation_scope.deny) == 2 with input as inp
}

test_the_breaker_trips_at_its_limit if {
	msgs(deleting([object.union(ready_policy, {"deletionsLastHour": 50})])) == {"[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup tripped its mass-deletion breaker: 50 deletions in the last hour (maxDeletionsPerHour 50); wait until fewer deletions fall in the last hour or raise maxDeletionsPerHour"}
}

test_one_allowing_policy_is_enough if {
	strict := object.union(ready_policy, {"name": "strict", "untaggedCount": 1})
	count(automation_scope.deny) == 0 with input as deleting([strict, ready_policy])
}

test_humans_are_not_judged if {
	count(automation_scope.deny) == 0 with input as deleting([])
}

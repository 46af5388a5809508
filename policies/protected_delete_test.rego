package wavegate.rules.protected_delete_test

import data.wavegate.rules.protected_delete
import data.wavegate.testdata

cleanup_policy := [{"name": "aoai-storage-cleanup"}]

deleting(object, automation, groups) := testdata.patched({
	"request": {"operation": "DELETE", "user": {"name": "alice", "groups": groups}},
	"object": object,
	"automation": automation,
})

test_a_human_may_not_delete_a_protected_object if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protected; remove the label first or use break-glass",
	}} with input as deleting({"protection": "protected"}, [], [])
}

test_a_human_may_delete_an_untagged_object if {
	count(protected_delete.deny) == 0 with input as deleting({"protection": ""}, [], [])
}

test_break_glass_deletes_a_protected_object_with_a_warning if {
	inp := deleting({"protection": "protected"}, [], ["wavegate:break-glass"])
	count(protected_delete.deny) == 0 with input as inp
	protected_delete.warn == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protected; admitted as break-glass for alice",
		"breakGlass": "alice",
	}} with input as inp
}

test_a_namespace_with_protected_objects_may_not_be_deleted if {
	ns := {"ref": "Namespace aoai", "kind": "Namespace", "name": "aoai", "namespace": "", "protectedInside": ["ConfigMap aoai/endpoint-eus"]}
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai contains protected objects (ConfigMap aoai/endpoint-eus); delete or relabel them first, or use break-glass",
	}} with input as deleting(ns, [], [])
}

test_automation_may_not_delete_an_untagged_object if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is not tagged wavegate.io/protection=deletable; automation may not delete it",
	}} with input as deleting({"protection": ""}, cleanup_policy, [])
}

test_automation_may_delete_a_deletable_object if {
	count(protected_delete.deny) == 0 with input as deleting({"protection": "deletable"}, cleanup_policy, [])
}

test_break_glass_does_not_extend_to_automation if {
	count(protected_delete.deny) == 1 with input as deleting({"protection": "protected"}, cleanup_policy, ["wavegate:break-glass"])
}

test_creates_are_not_judged if {
	count(protected_delete.deny) == 0 with input as testdata.patched({"object": {"protection": "protected"}})
}

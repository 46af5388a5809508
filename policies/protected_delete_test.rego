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
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protected; have a human label it wavegate.io/protection=deletable first, or use break-glass",
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

test_a_typo_counts_as_protected_for_a_human if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=Protected, which counts as protected; have a human label it wavegate.io/protection=deletable first, or use break-glass",
	}} with input as deleting({"protection": "Protected"}, [], [])
}

test_only_exactly_deletable_is_deletable_by_automation if {
	every v in ["Deletable", "deletable ", "protect", "protected", ""] {
		count(protected_delete.deny) == 1 with input as deleting({"protection": v}, cleanup_policy, [])
	}
}

namespace_aoai(inside) := {"ref": "Namespace aoai", "kind": "Namespace", "group": "", "name": "aoai", "namespace": "", "protection": "deletable", "protectedInside": inside}

test_automation_may_not_delete_a_deletable_namespace if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai may hold objects of any kind that are not tagged wavegate.io/protection=deletable; automation may not delete a Namespace; let it delete the deletable objects inside, and a human the Namespace",
	}} with input as deleting(namespace_aoai([]), cleanup_policy, [])
}

test_automation_may_not_delete_a_namespace_holding_protected_objects if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai may hold objects of any kind that are not tagged wavegate.io/protection=deletable and holds objects not tagged deletable (ConfigMap aoai/endpoint-eus); automation may not delete a Namespace; let it delete the deletable objects inside, and a human the Namespace",
	}} with input as deleting(namespace_aoai(["ConfigMap aoai/endpoint-eus"]), cleanup_policy, ["wavegate:break-glass"])
}

relabelling(from, to, automation) := testdata.patched({
	"request": {"operation": "UPDATE", "automation": automation},
	"object": {"protection": from, "newProtection": to},
})

test_automation_may_not_lower_protection if {
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protected; automation may not change it to labelled wavegate.io/protection=deletable; a human must change its protection",
	}} with input as relabelling("protected", "deletable", true)
	every pair in [["protected", ""], ["", "deletable"], ["Protected", "deletable"], ["protected", "Protected"], ["protected", "keep"]] {
		count(protected_delete.deny) == 1 with input as relabelling(pair[0], pair[1], true)
	}
}

test_automation_may_raise_protection_and_humans_may_lower_it if {
	every pair in [["deletable", "protected"], ["", "protected"], ["deletable", ""], ["protected", "protected"], ["Protected", "protected"]] {
		count(protected_delete.deny) == 0 with input as relabelling(pair[0], pair[1], true)
	}
	count(protected_delete.deny) == 0 with input as relabelling("protected", "deletable", false)
}

test_an_unknown_protection_value_is_warned_about if {
	protected_delete.warn == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protect, which is neither protected nor deletable and counts as protected; label it exactly protected or deletable",
	}} with input as testdata.patched({"object": {"newProtection": "protect"}})
	every v in ["protected", "deletable", ""] {
		count(protected_delete.warn) == 0 with input as testdata.patched({"object": {"newProtection": v}})
	}
}

test_a_namespace_whose_contents_cannot_all_be_seen_may_not_be_deleted_when_unseen_is_denied if {
	ns := object.union(namespace_aoai([]), {"unseenKinds": ["secrets", "widgets.example.com"], "unseenDenied": true})
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai may hold protected objects of kinds Wavegate may not list (secrets, widgets.example.com); grant Wavegate list and watch on them (a ClusterRole labelled wavegate.io/aggregate-to-protection-scan=true), or use break-glass",
	}} with input as deleting(ns, [], [])
}

test_a_namespace_whose_contents_cannot_all_be_seen_is_deleted_with_a_warning_by_default if {
	ns := object.union(namespace_aoai([]), {"unseenKinds": ["secrets"], "unseenDenied": false})
	inp := deleting(ns, [], [])
	count(protected_delete.deny) == 0 with input as inp
	protected_delete.warn == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai may hold protected objects of kinds Wavegate may not list (secrets); they were not checked; grant Wavegate list and watch on them (a ClusterRole labelled wavegate.io/aggregate-to-protection-scan=true)",
	}} with input as inp
}

test_break_glass_deletes_a_namespace_whose_contents_cannot_all_be_seen_with_a_warning if {
	ns := object.union(namespace_aoai([]), {"unseenKinds": ["secrets"], "unseenDenied": true})
	inp := deleting(ns, [], ["wavegate:break-glass"])
	count(protected_delete.deny) == 0 with input as inp
	count(protected_delete.warn) == 1 with input as inp
}

test_a_namespace_seen_whole_and_holding_nothing_protected_may_be_deleted if {
	ns := object.union(namespace_aoai([]), {"unseenKinds": [], "unseenDenied": true})
	inp := deleting(ns, [], [])
	count(protected_delete.deny) == 0 with input as inp
	count(protected_delete.warn) == 0 with input as inp
}

test_a_human_deleting_a_protected_namespace_with_protected_contents_gets_one_line if {
	ns := object.union(namespace_aoai(["ConfigMap aoai/endpoint-eus"]), {"protection": "protected", "unseenKinds": ["widgets.example.com"], "unseenDenied": true})
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Namespace aoai contains protected objects (ConfigMap aoai/endpoint-eus), and Namespace aoai is labelled wavegate.io/protection=protected, and Namespace aoai may hold protected objects of kinds Wavegate may not list (widgets.example.com); delete or relabel them first, and grant Wavegate list and watch on them (a ClusterRole labelled wavegate.io/aggregate-to-protection-scan=true), and have a human label it wavegate.io/protection=deletable first, or use break-glass",
	}} with input as deleting(ns, [], [])
}

test_automation_may_not_delete_an_owner_of_protected_objects if {
	inp := testdata.patched({
		"request": {"operation": "DELETE", "automation": true},
		"object": {"kind": "Deployment", "ref": "Deployment aoai/web", "protection": "deletable", "protectedDependents": ["ReplicaSet aoai/web-5d8f"]},
		"automation": [{"name": "cleanup"}],
	})
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Deployment aoai/web owns objects that are not tagged wavegate.io/protection=deletable (ReplicaSet aoai/web-5d8f), which are deleted with it; automation may not delete it; a human may, once they are deleted or relabelled",
	}} with input as inp
}

test_a_human_needs_break_glass_to_delete_an_owner_of_protected_objects if {
	inp := testdata.patched({
		"request": {"operation": "DELETE"},
		"object": {"kind": "Deployment", "ref": "Deployment aoai/web", "protectedDependents": ["ReplicaSet aoai/web-5d8f"]},
	})
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] Deployment aoai/web owns protected objects (ReplicaSet aoai/web-5d8f), which are deleted with it; delete or relabel them first, or use break-glass",
	}} with input as inp
	bg := object.union(inp, {"request": {"user": {"name": "oncall", "groups": ["wavegate:break-glass"]}}})
	count(protected_delete.deny) == 0 with input as bg
	count(protected_delete.warn) == 1 with input as bg
}

test_automation_may_not_give_a_protected_object_an_owner if {
	inp := testdata.patched({
		"request": {"operation": "UPDATE", "automation": true},
		"object": {"protection": "protected", "newProtection": "protected", "addsOwner": true},
	})
	protected_delete.deny == {{
		"rule": "protected-delete",
		"msg": "[wavegate:protected-delete] ConfigMap aoai/cleanup-config is labelled wavegate.io/protection=protected; automation may not give it an owner; a human must add it, or tag the object deletable first",
	}} with input as inp
	deletable := object.union(inp, {"object": {"protection": "deletable", "newProtection": "deletable"}})
	count(protected_delete.deny) == 0 with input as deletable
}

package wavegate.main_test

import data.wavegate.main
import data.wavegate.testdata

every_region_frozen := {
	"name": "inc-1",
	"reason": "storage outage everywhere",
	"ticket": "",
	"covers": ["eastus"],
	"exemptUsers": [],
	"exemptGroups": [],
}

updating_in_a_freeze(finalizing) := testdata.patched({
	"request": {"operation": "UPDATE", "finalizing": finalizing, "user": {"name": "system:serviceaccount:apps:operator", "groups": []}},
	"freezes": [every_region_frozen],
})

test_an_update_in_a_frozen_region_is_denied if {
	some v in main.decision.deny with input as updating_in_a_freeze(false)
	v.rule == "freeze"
}

test_removing_finalizers_from_an_object_being_deleted_is_not_judged if {
	main.decision == {"deny": set(), "warn": set()} with input as updating_in_a_freeze(true)
}

test_removing_finalizers_is_not_judged_by_any_rule if {
	inp := object.union(updating_in_a_freeze(true), {"object": {
		"regions": ["chinaeast9"], "targets": ["chinaeast9"],
		"annotatedRegions": ["*"], "requires": ["gone"],
	}})
	count(main.decision.deny) == 0 with input as inp
}

test_the_decision_judges_an_automation_lowering_protection_and_warns_about_a_typo if {
	lowering := testdata.patched({
		"request": {"operation": "UPDATE", "automation": true},
		"object": {"protection": "protected", "newProtection": "deletable", "change": {"id": "", "short": ""}},
	})
	some v in main.decision.deny with input as lowering
	v.rule == "protected-delete"
	typo := testdata.patched({"request": {"operation": "UPDATE"}, "object": {"newProtection": "Protected", "change": {"id": "", "short": ""}}})
	main.decision.deny == set() with input as typo
	some w in main.decision.warn with input as typo
	w.rule == "protected-delete"
}

test_the_decision_judges_an_object_targeting_every_region_or_several if {
	every_region := testdata.patched({"object": {"targets": ["*"], "annotatedRegions": ["*"]}})
	some v in main.decision.deny with input as every_region
	v.rule == "multi-region"
	two := testdata.patched({"object": {"targets": ["eastus", "westus"], "annotatedRegions": ["westus"]}})
	some w in main.decision.deny with input as two
	w.rule == "multi-region"
}

test_a_denied_request_carries_no_break_glass_warning if {
	exempt := object.union(every_region_frozen, {"exemptUsers": ["system:serviceaccount:apps:operator"]})
	frozen := object.union(updating_in_a_freeze(false), {"freezes": [exempt]})
	some w in main.decision.warn with input as frozen
	w.breakGlass == "inc-1"
	everywhere := object.union(frozen, {"object": {"annotatedRegions": ["*"], "targets": ["*"]}})
	count(main.decision.deny) == 1 with input as everywhere
	count(main.decision.warn) == 0 with input as everywhere
}

relabelled_namespace := testdata.patched({
	"request": {"operation": "UPDATE"},
	"inventory": {"regions": {"westeurope": {"known": true}}},
	"object": {"kind": "Namespace", "ref": "Namespace identity", "namespace": "identity", "name": "identity", "regions": ["eastus", "westeurope"], "targets": ["westeurope"], "change": {"id": "", "short": ""}},
	"moves": [{
		"change": {"id": "keys-2024", "short": "keys-2024 of ConfigMap identity/keys"},
		"velocity": {
			"plan": "default", "planFound": true,
			"entering": [{"region": "westeurope", "wave": "broad-1", "waveIndex": 2, "pairs": []}],
			"reached": [{"region": "eastus2euap", "wave": "canary", "waveIndex": 0, "planIndex": 0, "at": testdata.now - testdata.minutes(4), "ago": "4m", "bakeNs": testdata.hours(1), "bake": "1h"}],
		},
	}],
})

test_relabelling_a_namespace_that_would_bring_a_change_into_a_region_is_denied if {
	# Baked or not: the gate cannot tell whether an object still holds it.
	main.decision.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] relabelling Namespace identity would bring change keys-2024 of ConfigMap identity/keys into westeurope at once; roll the change out to that region first (a ConfigRollout), or recreate the objects in a Namespace of that region",
	}} with input as relabelled_namespace
}

test_relabelling_a_namespace_whose_changes_are_in_its_new_region_is_admitted if {
	there := json.patch(relabelled_namespace, [{"op": "replace", "path": "/moves/0/velocity/entering", "value": []}])
	count(main.decision.deny) == 0 with input as there
}

package wavegate.rules.change_velocity_test

import data.wavegate.rules.change_velocity
import data.wavegate.testdata

eastus_4m_ago := {"region": "eastus", "wave": "broad-1", "waveIndex": 2, "planIndex": 2, "at": testdata.now - testdata.minutes(4), "ago": "4m", "bakeNs": testdata.hours(6), "bake": "6h"}

entering(region, wave_index, pairs, reached) := testdata.patched({
	"request": {"operation": "UPDATE"},
	"object": {"regions": [region]},
	"velocity": {"entering": [{"region": region, "wave": sprintf("wave-%d", [wave_index]), "waveIndex": wave_index, "pairs": pairs}], "reached": reached},
})

test_a_later_wave_before_the_bake_ends_is_denied_with_the_time_it_may_follow if {
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (wave broad-1, bake 6h); westeurope may follow after 2024-07-18T19:56:00Z; use a ConfigRollout",
	}} with input as entering("westeurope", 3, [], [eastus_4m_ago])
}

test_a_later_wave_after_the_bake_is_allowed if {
	baked := object.union(eastus_4m_ago, {"at": testdata.now - testdata.hours(7)})
	count(change_velocity.deny) == 0 with input as entering("westeurope", 3, [], [baked])
}

test_another_region_of_the_same_wave_is_allowed if {
	canary := {"region": "eastus2euap", "wave": "canary", "waveIndex": 0, "planIndex": 0, "at": testdata.now - testdata.hours(70), "ago": "70h", "bakeNs": testdata.hours(1), "bake": "1h"}
	count(change_velocity.deny) == 0 with input as entering("northeurope", 2, [], [canary, eastus_4m_ago])
}

test_the_failover_pair_of_a_region_still_baking_is_denied if {
	# westus is in the same wave index here, so only the pair rule applies.
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (wave broad-1, bake 6h); its failover pair westus may follow after 2024-07-18T19:56:00Z; use a ConfigRollout",
	}} with input as entering("westus", 2, ["eastus"], [eastus_4m_ago])
}

test_a_region_of_an_earlier_wave_is_denied_for_good if {
	# §11 S1: the waves a change enters never go down, however long it baked.
	baked := object.union(eastus_4m_ago, {"at": testdata.now - testdata.hours(70)})
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus, in a later wave than westcentralus (wave wave-1), and a change's waves never go down; start it again in the plan's first wave with a ConfigRollout",
	}} with input as entering("westcentralus", 1, [], [baked])
}

test_a_first_region_outside_the_first_wave_is_the_canary if {
	# Started in eastus (broad-1): no other region, not even one of the same
	# wave, until it has baked there.
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (wave broad-1, bake 6h); it started there, outside the plan's first wave, so eastus is its canary and northeurope may follow after 2024-07-18T19:56:00Z; use a ConfigRollout",
	}} with input as entering("northeurope", 2, [], [eastus_4m_ago])
}

test_once_the_canary_has_baked_its_wave_follows if {
	baked := object.union(eastus_4m_ago, {"at": testdata.now - testdata.hours(7)})
	count(change_velocity.deny) == 0 with input as entering("northeurope", 2, [], [baked])
}

test_a_first_region_in_the_first_wave_is_no_canary if {
	canary := {"region": "eastus2euap", "wave": "canary", "waveIndex": 0, "planIndex": 0, "at": testdata.now - testdata.minutes(4), "ago": "4m", "bakeNs": testdata.hours(1), "bake": "1h"}
	count(change_velocity.deny) == 0 with input as entering("centraluseuap", 0, [], [canary])
}

test_bake_counts_from_the_last_region_entered_in_the_latest_wave if {
	earlier := object.union(eastus_4m_ago, {"region": "uksouth", "at": testdata.now - testdata.hours(7), "ago": "7h"})
	some v in change_velocity.deny with input as entering("westeurope", 3, [], [earlier, eastus_4m_ago])
	contains(v.msg, "reached eastus 4m ago")
}

test_without_a_plan_a_second_region_waits_an_hour if {
	inp := object.union(entering("westeurope", 0, [], [object.union(eastus_4m_ago, {"waveIndex": 0, "planIndex": 0})]), {"velocity": {"planFound": false}})
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago and there is no WavePlan default, so a second region waits 1h; westeurope may follow after 2024-07-18T14:56:00Z; use a ConfigRollout",
	}} with input as inp
}

test_the_first_region_is_always_allowed if {
	count(change_velocity.deny) == 0 with input as entering("eastus", 2, ["westus"], [])
}

test_the_controller_is_exempt if {
	inp := object.union(entering("westeurope", 3, [], [eastus_4m_ago]), {"request": {"isController": true}})
	count(change_velocity.deny) == 0 with input as inp
}

test_kubernetes_own_controllers_are_exempt if {
	inp := object.union(entering("westeurope", 3, [], [eastus_4m_ago]), {"request": {"kubernetesController": true}})
	count(change_velocity.deny) == 0 with input as inp
}

test_a_request_that_carries_no_change_is_not_judged if {
	# A Namespace, an empty ServiceAccount, or an update of metadata only.
	inp := object.union(entering("westeurope", 3, [], [eastus_4m_ago]), {"object": {"change": {"id": "", "short": ""}}})
	count(change_velocity.deny) == 0 with input as inp
}

test_a_pair_in_a_later_wave_is_one_line_naming_the_pair if {
	# The wave line would sort first ("; centralus may follow" before "; its
	# failover pair"): the pair is named because it is the more specific.
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (wave broad-1, bake 6h); its failover pair centralus may follow after 2024-07-18T19:56:00Z; use a ConfigRollout",
	}} with input as entering("centralus", 3, ["eastus"], [eastus_4m_ago])
}

test_of_several_waits_the_latest_is_named if {
	# brazilsouth's wait sorts first but ends first; eastus's is named.
	brazilsouth := object.union(eastus_4m_ago, {"region": "brazilsouth", "at": testdata.now - testdata.hours(5), "ago": "5h"})
	inp := testdata.patched({
		"request": {"operation": "UPDATE"},
		"velocity": {
			"entering": [{"region": "brazilsoutheast", "waveIndex": 2, "pairs": ["brazilsouth"]}, {"region": "westus", "waveIndex": 2, "pairs": ["eastus"]}],
			"reached": [brazilsouth, eastus_4m_ago],
		},
	})
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (wave broad-1, bake 6h); its failover pair westus may follow after 2024-07-18T19:56:00Z; use a ConfigRollout",
	}} with input as inp
}

moving(a, b) := testdata.patched({
	"request": {"operation": "UPDATE"},
	"object": {"targets": [b.region], "oldTargets": [a.region]},
	"velocity": {"entering": [a, b], "reached": []},
})

test_an_object_created_for_two_regions_is_left_to_multi_region if {
	inp := testdata.patched({"object": {"targets": ["eastus", "westus"]}, "velocity": {
		"entering": [
			{"region": "westus", "waveIndex": 3, "pairs": ["eastus"]},
			{"region": "eastus", "waveIndex": 2, "pairs": ["westus"]},
		],
		"reached": [],
	}})
	count(change_velocity.deny) == 0 with input as inp
}

test_moving_an_object_with_new_data_into_its_pair_is_denied if {
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… would enter eastus and westus at once: the update moves the object with new data; change the object's region and its data in separate updates",
	}} with input as moving({"region": "westus", "waveIndex": 2, "pairs": ["eastus"]}, {"region": "eastus", "waveIndex": 2, "pairs": ["westus"]})
}

test_moving_an_object_with_new_data_across_waves_is_denied if {
	count(change_velocity.deny) == 1 with input as moving({"region": "westeurope", "waveIndex": 3, "pairs": []}, {"region": "eastus", "waveIndex": 2, "pairs": []})
}

test_moving_an_object_with_new_data_within_the_first_wave_is_allowed if {
	count(change_velocity.deny) == 0 with input as moving({"region": "eastus2euap", "waveIndex": 0, "pairs": []}, {"region": "centraluseuap", "waveIndex": 0, "pairs": []})
}

test_a_first_entry_of_two_regions_outside_the_first_wave_is_denied if {
	# A canary is one region: two of broad-1 at once start the change at the
	# wrong end twice.
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… would enter eastus and northeurope at once: the update moves the object with new data; change the object's region and its data in separate updates",
	}} with input as moving({"region": "northeurope", "waveIndex": 2, "pairs": []}, {"region": "eastus", "waveIndex": 2, "pairs": []})
}

test_an_object_labelled_apart_from_its_namespace_enters_both if {
	# §11 S2: its own label and its Namespace's both count; created with a
	# payload, it enters both at once.
	inp := testdata.patched({"object": {"regions": ["eastus", "westus"], "targets": ["eastus"]}, "velocity": {
		"entering": [
			{"region": "eastus", "waveIndex": 2, "pairs": ["westus"]},
			{"region": "westus", "waveIndex": 3, "pairs": ["eastus"]},
		],
		"reached": [],
	}})
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… would enter eastus and westus at once: it belongs to the regions of its own label and of its Namespace; label it with its Namespace's region, or create it in a Namespace of its own region",
	}} with input as inp
}

test_without_a_plan_the_pair_message_says_so if {
	inp := object.union(entering("westus", 0, ["eastus"], [object.union(eastus_4m_ago, {"waveIndex": 0, "planIndex": 0, "wave": "", "bakeNs": testdata.hours(1), "bake": "1h"})]), {"velocity": {"planFound": false}})
	change_velocity.deny == {{
		"rule": "change-velocity",
		"msg": "[wavegate:change-velocity] change 7f3a9c1e… reached eastus 4m ago (no WavePlan default, bake 1h); its failover pair westus may follow after 2024-07-18T14:56:00Z; use a ConfigRollout",
	}} with input as inp
}

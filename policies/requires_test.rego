package wavegate.rules.requires_test

import data.wavegate.rules.requires
import data.wavegate.testdata

pinned_pair := {"msi-auto-keys": {"exists": true, "regions": [
	{"region": "australiaeast", "converged": false, "detail": "Pinned at 1.9.3: hotfix hold"},
	{"region": "australiasoutheast", "converged": false, "detail": "Pinned at 1.9.3"},
]}}

requiring(rollouts) := testdata.patched({
	"object": {"regions": ["australiaeast"], "requires": ["msi-auto-keys"]},
	"rollouts": rollouts,
})

test_a_rollout_pinned_in_the_region_and_its_pair_denies_naming_both if {
	requires.deny == {{
		"rule": "requires",
		"msg": "[wavegate:requires] ConfigRollout msi-auto-keys has not converged in australiaeast (Pinned at 1.9.3: hotfix hold) and australiasoutheast (Pinned at 1.9.3); apply this change once it has converged there",
	}} with input as requiring(pinned_pair)
}

test_a_rollout_converged_in_the_region_but_not_its_pair_still_denies if {
	half := {"msi-auto-keys": {"exists": true, "regions": [
		{"region": "australiaeast", "converged": true, "detail": "Converged at 2.0.0"},
		{"region": "australiasoutheast", "converged": false, "detail": "NotConverged at 1.9.3"},
	]}}
	requires.deny == {{
		"rule": "requires",
		"msg": "[wavegate:requires] ConfigRollout msi-auto-keys has not converged in australiasoutheast (NotConverged at 1.9.3); apply this change once it has converged there",
	}} with input as requiring(half)
}

test_a_rollout_converged_in_both_allows if {
	done := {"msi-auto-keys": {"exists": true, "regions": [
		{"region": "australiaeast", "converged": true, "detail": "Converged at 2.0.0"},
		{"region": "australiasoutheast", "converged": true, "detail": "Converged at 2.0.0"},
	]}}
	count(requires.deny) == 0 with input as requiring(done)
}

test_a_rollout_that_does_not_exist_denies if {
	requires.deny == {{
		"rule": "requires",
		"msg": "[wavegate:requires] ConfigRollout msi-auto-keys does not exist; create it and let it converge before this change",
	}} with input as requiring({"msi-auto-keys": {"exists": false, "regions": []}})
}

test_an_object_without_requires_is_allowed if {
	count(requires.deny) == 0 with input as testdata.base
}

test_requires_without_a_region_denies if {
	# Without a region the gate observes no region of the rollout.
	inp := testdata.patched({"object": {"regions": [], "requires": ["msi-auto-keys"]}, "rollouts": {"msi-auto-keys": {"exists": true, "regions": []}}})
	requires.deny == {{
		"rule": "requires",
		"msg": "[wavegate:requires] ConfigMap aoai/cleanup-config requires msi-auto-keys but names no single region to judge convergence in; label it with wavegate.io/region",
	}} with input as inp
}

test_every_problem_is_named_in_one_line if {
	inp := testdata.patched({"object": {"regions": [], "requires": ["msi-auto-keys", "zz-missing"]}, "rollouts": {
		"msi-auto-keys": {"exists": true, "regions": []},
		"zz-missing": {"exists": false, "regions": []},
	}})
	requires.deny == {{
		"rule": "requires",
		"msg": "[wavegate:requires] ConfigMap aoai/cleanup-config requires msi-auto-keys, zz-missing but names no single region to judge convergence in, and ConfigRollout zz-missing does not exist; create it and let it converge before this change, and label it with wavegate.io/region",
	}} with input as inp
}

package wavegate.rules.multi_region_test

import data.wavegate.rules.multi_region
import data.wavegate.testdata

test_an_object_for_every_region_is_denied if {
	inp := testdata.patched({"object": {"regions": [], "annotatedRegions": ["*"], "targets": ["*"]}})
	multi_region.deny == {{
		"rule": "multi-region",
		"msg": "[wavegate:multi-region] ConfigMap aoai/cleanup-config targets 16 regions at once (*); split it into one object per region and roll it out with a ConfigRollout",
	}} with input as inp
}

test_an_object_for_two_named_regions_is_denied if {
	inp := testdata.patched({"object": {"regions": [], "annotatedRegions": ["eastus", "westus"], "targets": ["eastus", "westus"]}})
	multi_region.deny == {{
		"rule": "multi-region",
		"msg": "[wavegate:multi-region] ConfigMap aoai/cleanup-config targets 2 regions at once (eastus, westus); split it into one object per region and roll it out with a ConfigRollout",
	}} with input as inp
}

test_an_object_for_one_region_is_allowed if {
	count(multi_region.deny) == 0 with input as testdata.base
}

test_an_annotation_that_names_one_region_is_allowed if {
	inp := testdata.patched({"object": {"regions": [], "annotatedRegions": ["eastus"], "targets": ["eastus"]}})
	count(multi_region.deny) == 0 with input as inp
}

test_the_controller_is_exempt if {
	inp := testdata.patched({"request": {"isController": true}, "object": {"annotatedRegions": ["*"], "targets": ["*"]}})
	count(multi_region.deny) == 0 with input as inp
}

test_deletes_are_judged_too if {
	inp := testdata.patched({"request": {"operation": "DELETE"}, "object": {"annotatedRegions": ["*"], "targets": ["*"]}})
	count(multi_region.deny) == 1 with input as inp
}

test_an_update_that_removes_every_region_is_denied if {
	inp := testdata.patched({"request": {"operation": "UPDATE"}, "object": {"regions": [], "annotatedRegions": ["*"], "targets": [], "oldTargets": ["*"]}})
	multi_region.deny == {{
		"rule": "multi-region",
		"msg": "[wavegate:multi-region] ConfigMap aoai/cleanup-config targeted 16 regions (*) at once before this update, which changes its data there too; split it into one object per region and roll it out with a ConfigRollout",
	}} with input as inp
}

test_an_update_that_narrows_two_regions_to_one_is_denied_once if {
	inp := testdata.patched({"request": {"operation": "UPDATE"}, "object": {"annotatedRegions": ["eastus", "westus"], "targets": ["eastus"], "oldTargets": ["eastus", "westus"]}})
	multi_region.deny == {{
		"rule": "multi-region",
		"msg": "[wavegate:multi-region] ConfigMap aoai/cleanup-config targeted 2 regions (eastus, westus) at once before this update, which changes its data there too; split it into one object per region and roll it out with a ConfigRollout",
	}} with input as inp
}

test_an_update_that_keeps_several_regions_says_so_once if {
	inp := testdata.patched({"request": {"operation": "UPDATE"}, "object": {"annotatedRegions": ["*"], "targets": ["*"], "oldTargets": ["*"]}})
	count(multi_region.deny) == 1 with input as inp
}

test_moving_an_object_from_one_region_to_another_is_allowed if {
	inp := testdata.patched({"request": {"operation": "UPDATE"}, "object": {"regions": ["eastus", "westus"], "targets": ["westus"], "oldTargets": ["eastus"]}})
	count(multi_region.deny) == 0 with input as inp
}

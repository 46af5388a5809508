package wavegate.rules.freeze_test

import data.wavegate.rules.freeze
import data.wavegate.testdata

centralus_freeze := {
	"name": "inc-20240718-centralus",
	"reason": "Central US storage outage",
	"ticket": "INC-12345",
	"covers": ["centralus"],
	"exemptUsers": [],
	"exemptGroups": ["storage-oncall"],
}

frozen_input(f, user) := testdata.patched({
	"object": {"regions": ["centralus"], "targets": ["centralus"]},
	"freezes": [f],
	"request": {"user": user},
})

alice := {"name": "alice", "groups": ["dev"]}

test_a_change_in_a_frozen_region_is_denied_with_the_freeze_named if {
	freeze.deny == {{
		"rule": "freeze",
		"msg": "[wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus (INC-12345): Central US storage outage; wait for the freeze to end or use break-glass",
	}} with input as frozen_input(centralus_freeze, alice)
}

test_a_change_in_a_region_the_freeze_does_not_cover_is_allowed if {
	count(freeze.deny) == 0 with input as frozen_input(object.union(centralus_freeze, {"covers": []}), alice)
}

test_a_freeze_of_every_region_says_so_and_has_no_ticket_when_none_is_given if {
	everywhere := object.union(centralus_freeze, {"covers": ["*"], "ticket": ""})
	freeze.deny == {{
		"rule": "freeze",
		"msg": "[wavegate:freeze] every region is frozen by Freeze inc-20240718-centralus: Central US storage outage; wait for the freeze to end or use break-glass",
	}} with input as frozen_input(everywhere, alice)
}

test_several_regions_are_listed_in_one_line if {
	two := object.union(centralus_freeze, {"covers": ["centralus", "eastus2"]})
	some v in freeze.deny with input as frozen_input(two, alice)
	startswith(v.msg, "[wavegate:freeze] regions centralus and eastus2 are frozen by Freeze")
}

test_an_exempt_group_is_admitted_with_a_break_glass_warning if {
	oncall := {"name": "bob", "groups": ["storage-oncall"]}
	count(freeze.deny) == 0 with input as frozen_input(centralus_freeze, oncall)
	freeze.warn == {{
		"rule": "freeze",
		"msg": "[wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus (INC-12345): Central US storage outage; admitted as break-glass for bob",
		"breakGlass": "inc-20240718-centralus",
	}} with input as frozen_input(centralus_freeze, oncall)
}

test_the_global_break_glass_group_is_exempt_from_every_freeze if {
	sre := {"name": "carol", "groups": ["wavegate:break-glass"]}
	count(freeze.deny) == 0 with input as frozen_input(centralus_freeze, sre)
	count(freeze.warn) == 1 with input as frozen_input(centralus_freeze, sre)
}

test_the_controller_is_never_exempt if {
	inp := object.union(frozen_input(centralus_freeze, alice), {"request": {"isController": true}})
	count(freeze.deny) == 1 with input as inp
}

controller := {"name": "system:serviceaccount:wavegate-system:wavegate-manager", "groups": []}

revert_input(f, revert) := testdata.patched({
	"object": {"regions": ["centralus"], "targets": ["centralus"]},
	"freezes": [f],
	"request": {"user": controller, "isController": true, "revert": revert},
})

test_a_revert_passes_only_a_freeze_that_allows_reverts if {
	count(freeze.deny) == 0 with input as revert_input(object.union(centralus_freeze, {"allowReverts": true}), true)
	count(freeze.warn) == 0 with input as revert_input(object.union(centralus_freeze, {"allowReverts": true}), true)
	count(freeze.deny) == 1 with input as revert_input(object.union(centralus_freeze, {"allowReverts": false}), true)
}

test_the_controller_passes_no_freeze_with_a_patch_that_is_not_a_revert if {
	count(freeze.deny) == 1 with input as revert_input(object.union(centralus_freeze, {"allowReverts": true}), false)
}

test_two_freezes_in_force_are_one_line_naming_both if {
	pause := {"name": "pause-all", "reason": "SRE pause", "ticket": "", "covers": ["*"], "exemptUsers": [], "exemptGroups": []}
	inp := object.union(frozen_input(centralus_freeze, alice), {"freezes": [centralus_freeze, pause]})
	freeze.deny == {{
		"rule": "freeze",
		"msg": "[wavegate:freeze] every region is frozen by Freeze pause-all: SRE pause, and region centralus is frozen by Freeze inc-20240718-centralus (INC-12345): Central US storage outage; wait for the freeze to end or use break-glass",
	}} with input as inp
}

test_a_freeze_the_user_is_exempt_from_leaves_the_other_one_denying if {
	pause := {"name": "pause-all", "reason": "SRE pause", "ticket": "", "covers": ["*"], "exemptUsers": [], "exemptGroups": []}
	inp := object.union(frozen_input(centralus_freeze, {"name": "bob", "groups": ["storage-oncall"]}), {"freezes": [centralus_freeze, pause]})
	freeze.deny == {{
		"rule": "freeze",
		"msg": "[wavegate:freeze] every region is frozen by Freeze pause-all: SRE pause; wait for the freeze to end or use break-glass",
	}} with input as inp
}

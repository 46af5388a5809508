# METADATA
# title: change-velocity
# description: |
#   Keeps §11 S1 (progressive exposure) for the same change (change-id or
#   payload hash: the gate reads the records of both). Denies a change
#   entering a region of an earlier wave than one it has reached (waves
#   never go down); a region of a later wave before the highest wave it
#   reached has baked (bake counted from the last region it entered in that
#   wave); any other region before its first region has baked, when that
#   first region is not in the plan's first wave (it is the change's own
#   canary); the failover pair of a region it reached less than that
#   region's bake time ago. Without a WavePlan, a change may enter a second
#   region only after 1 hour. A request that enters several regions at once
#   (an update that moves an object with new data, an object whose own
#   region label and its Namespace's differ) is denied when they are
#   failover pairs, in different waves, or the change's first regions
#   outside the plan's first wave. One line for the rule: the latest time
#   the change may follow, or what can never follow. Creates and updates
#   only; Wavegate's controller and Kubernetes' own controllers are exempt,
#   and a request that carries no change (no configuration payload, or an
#   update of metadata or status only: object.change.id is "") is not
#   judged.
# custom:
#   id: change-velocity
package wavegate.rules.change_velocity

import data.wavegate.lib

instead := "use a ConfigRollout"

v := input.velocity

judged if {
	not input.request.isController
	not input.request.kubernetesController
	input.object.change.id != ""
	not lib.is_delete
}

applies if {
	judged
	count(v.reached) > 0
}

# latest is the region the change entered last in the latest wave it reached.
max_wave := max({e.waveIndex | some e in v.reached})

latest_at := max({e.at | some e in v.reached; e.waveIndex == max_wave})

latest := [e | some e in v.reached; e.waveIndex == max_wave; e.at == latest_at][0]

reached_text(e) := sprintf("change %s reached %s %s ago (wave %s, bake %s)", [input.object.change.short, e.region, e.ago, e.wave, e.bake]) if {
	e.wave != ""
} else := sprintf("change %s reached %s %s ago (no WavePlan %s, bake %s)", [input.object.change.short, e.region, e.ago, v.plan, e.bake])

# Every reason the change must wait, with the time it may follow; the
# denial names the latest, one line for the rule however many regions or
# pairs are involved, and of reasons that end together the most specific
# (rank: a failover pair, then a wave, then a canary or no plan).
waits contains {"until": until, "rank": 1, "what": what, "instead": instead} if {
	applies
	v.planFound
	some e in v.entering
	e.waveIndex > max_wave
	until := latest.at + latest.bakeNs
	input.now < until
	what := sprintf("%s; %s may follow after %s", [reached_text(latest), e.region, lib.format_time(until)])
}

waits contains {"until": until, "rank": 0, "what": what, "instead": instead} if {
	applies
	some e in v.entering
	some r in v.reached
	r.region in e.pairs
	until := r.at + r.bakeNs
	input.now < until
	what := sprintf("%s; its failover pair %s may follow after %s", [reached_text(r), e.region, lib.format_time(until)])
}

hour_ns := 3600000000000

waits contains {"until": until, "rank": 2, "what": what, "instead": instead} if {
	applies
	not v.planFound
	some e in v.entering
	until := latest_at + hour_ns
	input.now < until
	what := sprintf("change %s reached %s %s ago and there is no WavePlan %s, so a second region waits 1h; %s may follow after %s", [input.object.change.short, latest.region, latest.ago, v.plan, e.region, lib.format_time(until)])
}

# A change that has reached a later wave never enters an earlier one: the
# waves of the regions it enters, in order, never go down. Nothing makes
# that wait end.
forever := 9223372036854775807

plan_wave := max({e.planIndex | some e in v.reached})

highest := [e | some e in v.reached; e.planIndex == plan_wave][0]

waits contains {"until": forever, "rank": 0, "what": what, "instead": "start it again in the plan's first wave with a ConfigRollout"} if {
	applies
	v.planFound
	some e in v.entering
	e.waveIndex < plan_wave
	what := sprintf("change %s reached %s, in a later wave than %s (wave %s), and a change's waves never go down", [input.object.change.short, highest.region, e.region, e.wave])
}

# The change's first region, when it is not in the plan's first wave, is
# its canary: no other region until it has baked there.
first_at := min({e.at | some e in v.reached})

waits contains {"until": until, "rank": 2, "what": what, "instead": instead} if {
	applies
	v.planFound
	some c in v.reached
	c.at == first_at
	c.planIndex != 0
	until := c.at + c.bakeNs
	input.now < until
	some e in v.entering
	what := sprintf("%s; it started there, outside the plan's first wave, so %s is its canary and %s may follow after %s", [reached_text(c), c.region, e.region, lib.format_time(until)])
}

# A request that enters several regions at once (an update that moves an
# object with new data: the region it leaves gets the new data too; an
# object whose own region label and its Namespace's differ belongs to
# both) is denied when they are failover pairs or in different waves, or
# when they are the change's first regions and not in the plan's first wave
# (a canary is one region). An object that names several regions in its
# annotation is multi-region's.
waits contains {"until": forever, "rank": 3, "what": what, "instead": fix} if {
	judged
	not several_by_annotation
	some a in v.entering
	some b in v.entering
	a.region < b.region
	together(a, b)
	what := sprintf("change %s would enter %s and %s at once: %s", [input.object.change.short, a.region, b.region, at_once_why])
	fix := at_once_fix
}

several_by_annotation if "*" in input.object.targets

several_by_annotation if count(input.object.targets) >= 2

moving if count(input.object.oldTargets) > 0

at_once_why := "the update moves the object with new data" if moving

at_once_why := "it belongs to the regions of its own label and of its Namespace" if not moving

at_once_fix := "change the object's region and its data in separate updates" if moving

at_once_fix := "label it with its Namespace's region, or create it in a Namespace of its own region" if not moving

together(a, b) if b.region in a.pairs

together(a, b) if a.region in b.pairs

together(a, b) if {
	v.planFound
	a.waveIndex != b.waveIndex
}

together(a, b) if {
	v.planFound
	count(v.reached) == 0
	a.waveIndex + b.waveIndex > 0
}

together(_, _) if {
	not v.planFound
	count(v.reached) == 0
}

deny contains lib.violation("change-velocity", chosen[1], chosen[2]) if {
	last := max({w.until | some w in waits})
	chosen := min({[w.rank, w.what, w.instead] | some w in waits; w.until == last})
}

# METADATA
# title: change-velocity
# description: |
#   Denies the same change (change-id or payload hash) entering a region of a
#   later wave than any it has reached before the latest wave it reached has
#   baked (bake counted from the last region it entered in that wave), or
#   entering the failover pair of a region it reached less than that region's
#   bake time ago. Without a WavePlan, a change may enter a second region only
#   after 1 hour. An update that moves an object with new data enters the
#   region it leaves and the one it enters at once, which is denied when they
#   are failover pairs or in different waves. One line for the rule: the
#   latest time the change may follow. Creates and updates only; Wavegate's controller and
#   Kubernetes' own controllers are exempt, and a request that carries no
#   change (no configuration payload, or an update of metadata or status
#   only: object.change.id is "") is not judged.
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
# (rank: a failover pair, then a wave, then no plan).
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

# An update that changes its data while it leaves a region for another
# brings the change into both at once (the one it leaves gets the new data
# too): as if it entered one and at once the other, which is denied when
# the other is its failover pair or in a later wave.
waits contains {"until": input.now, "rank": 3, "what": what, "instead": "change the object's region and its data in separate updates"} if {
	judged
	moving
	some a in v.entering
	some b in v.entering
	a.region < b.region
	together(a, b)
	what := sprintf("change %s would enter %s and %s at once: the update moves the object with new data", [input.object.change.short, a.region, b.region])
}

# moving: an update that gives an object of one region new data and
# another region (an object of several regions is multi-region's).
moving if {
	count(input.object.targets) == 1
	count(input.object.oldTargets) > 0
}

together(a, b) if b.region in a.pairs

together(a, b) if a.region in b.pairs

together(a, b) if {
	v.planFound
	a.waveIndex != b.waveIndex
}

deny contains lib.violation("change-velocity", chosen[1], chosen[2]) if {
	last := max({w.until | some w in waits})
	chosen := min({[w.rank, w.what, w.instead] | some w in waits; w.until == last})
}

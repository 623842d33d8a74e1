package main

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/graph/model"
	"pivotal/resolvers"
)

// demoOnboardingStages spread the demo's onboardings across the pipeline, so
// that filters and the timeline have something to show.
var demoOnboardingStages = []struct {
	phase model.OnboardingPhase
	state model.OnboardingState
}{
	{model.OnboardingPhaseBeforeGettingStarted, model.OnboardingStateActive},
	{model.OnboardingPhaseProgramDesign, model.OnboardingStateWaiting},
	{model.OnboardingPhaseReview, model.OnboardingStateActive},
	{model.OnboardingPhaseProgramBuildout, model.OnboardingStateAtRisk},
	{model.OnboardingPhaseInternalQa, model.OnboardingStatePaused},
	{model.OnboardingPhaseLaunch, model.OnboardingStateActive},
	{model.OnboardingPhaseCompleted, model.OnboardingStateActive},
}

// seedDemoOnboardings gives demo customer number i one onboarding (two for
// every third customer: a finished one and its follow-up), created at the
// first phase and then moved forward through the API's rules so that each has
// a timeline.
func seedDemoOnboardings(ctx context.Context, res *resolvers.Resolver, c *model.Customer, i int) error {
	n := 1
	if i%3 == 0 {
		n = 2
	}
	for j := 0; j < n; j++ {
		stage := demoOnboardingStages[(i+j*3)%len(demoOnboardingStages)]
		name := c.Name + " onboarding"
		if j > 0 {
			name = fmt.Sprintf("%s expansion %d", c.Name, j)
		}
		launch := fmt.Sprintf("2026-%02d-15", 1+(i+j)%12)
		csm := []string{"csm_ana", "csm_ben", "csm_chloe"}[i%3]
		notes := "Seeded for the demo."
		o, err := res.CreateOnboarding(ctx, model.CreateOnboardingInput{
			CustomerID: c.ID, Name: &name, TargetLaunchDate: &launch, CsmID: &csm, Notes: &notes,
		})
		if err != nil {
			return err
		}
		// Walk the phases in order up to the stage, as a team would.
		for _, p := range model.AllOnboardingPhase[1:] {
			if indexOfPhase(p) > indexOfPhase(stage.phase) {
				break
			}
			if _, err := res.UpdateOnboarding(ctx, o.ID, model.UpdateOnboardingInput{Phase: graphql.OmittableOf(&p)}); err != nil {
				return err
			}
		}
		if stage.state != model.OnboardingStateActive {
			st := stage.state
			if _, err := res.UpdateOnboarding(ctx, o.ID, model.UpdateOnboardingInput{State: graphql.OmittableOf(&st)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func indexOfPhase(p model.OnboardingPhase) int {
	for i, q := range model.AllOnboardingPhase {
		if q == p {
			return i
		}
	}
	return -1
}

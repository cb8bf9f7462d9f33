"""Planning: sprints, their points, the plan with its forecast, the sprint review."""

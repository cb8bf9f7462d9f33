"""The Standup: one person at a time, the team's ML news, a timer."""

"""Stories: their records and fields, the board's view of them, Jira imports."""

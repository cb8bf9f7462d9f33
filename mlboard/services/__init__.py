"""Use cases shared by the CLI and the TUI. No UI code here: functions in, results out."""

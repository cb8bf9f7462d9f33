"""The daily standup: its window, its sections and its text."""

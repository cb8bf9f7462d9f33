"""A story's detail, its form and the story picker, opened from every screen."""

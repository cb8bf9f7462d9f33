"""The Textual app: screens and widgets that call services and show their results."""

"""The team: members, their handles and how much each can take on."""

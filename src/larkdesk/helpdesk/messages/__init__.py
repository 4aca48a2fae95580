"""A ticket's conversation: ticket messages, bot messages, images and FAQ answers."""

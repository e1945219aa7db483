"""Key sources: where a file's data key is wrapped for, and unwrapped from. Only age here."""
